"""Evaluation of conversations: two- and three-turn dialogues run through `Assistant.converse_stream`, as the
chat runs them, each follow-up read against the turn before.

Lines (eval/conversations.jsonl): {"id", "turns": [{"question", "resolved", "gold": [{"doc_id","item"}],
"facts": [[...]], "unanswerable": bool}], "type": "followup"}. A follow-up is every turn after the first.

Figures (issue 16):
- `followups_resolved`: share of follow-ups handled right: an answerable one cites a gold item; one that
  cannot be answered abstains or asks back.
- `silent_other_item`: answerable follow-ups answered from no gold item without saying so (goal 0).
- `fact_recall` over answerable turns, first turns and follow-ups apart.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import ConfigError
from rag.answer import Answer
from rag.conversation import Reading, Turn
from rag.measure.evaluation import Question as EvalQuestion
from rag.measure.evaluation import fact_recall, question_of


@dataclass(frozen=True)
class ConversationTurn:
    question: EvalQuestion
    resolved: str | None  # the follow-up written out by the set's author, for reading the report


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple[ConversationTurn, ...]


def is_conversation_set(path: Path) -> bool:
    """Whether a JSONL question file holds conversations (lines with "turns")."""
    first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "")
    try:
        return "turns" in json.loads(first)
    except json.JSONDecodeError:
        return False


def load_conversations(path: Path) -> list[Conversation]:
    """Read a conversation set; a bad line raises ConfigError naming the line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            turns = tuple(
                ConversationTurn(
                    question_of(t, f"{d['id']}.{i + 1}", "fact" if t["gold"] else "unanswerable"), t.get("resolved")
                )
                for i, t in enumerate(d["turns"])
            )
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ConfigError(f"{path}:{n}: not a valid conversation line ({e})") from None
        out.append(Conversation(str(d["id"]), turns))
    return out


def run_conversations(
    assistant: Any, conversations: Sequence[Conversation], *, on_turn: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """Run every conversation through `assistant.converse_stream`; the figures (module docstring) and one
    row per turn under "turns"."""
    from rag.assistant import next_turn

    rows: list[dict[str, Any]] = []
    for conv in conversations:
        previous: Turn | None = None
        for i, turn in enumerate(conv.turns):
            reading: Reading | None = None
            answer: Answer | None = None
            for event in assistant.converse_stream(turn.question.question, previous):
                if isinstance(event, Reading):
                    reading = event
                elif isinstance(event, Answer):
                    answer = event
            assert reading is not None and answer is not None
            if reading.understood is not None:
                previous = next_turn(reading, answer)
            q = turn.question
            cited = [(c.doc_id, c.number) for c in answer.citations]
            row = {
                "id": q.id,
                "followup": i > 0,
                "question": q.question,
                "understood": reading.understood,
                "expected": turn.resolved,
                "answerable": q.answerable,
                "abstained": answer.abstained,
                "cites_gold": any(c in set(q.gold) for c in cited),
                "said_other_item": "andet punkt end det forrige" in answer.text,
                "fact_recall": fact_recall(q, answer.text) if q.answerable else None,
                "citations": [c.label for c in answer.citations],
                "answer": answer.text,
            }
            rows.append(row)
            if on_turn:
                on_turn(row)
    return {"metrics": conversation_metrics(rows), "turns": rows}


def conversation_metrics(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The figures of the module docstring from the turn rows of `run_conversations`.

    >>> rows = [{"id": "c1.2", "followup": True, "answerable": True, "abstained": False, "cites_gold": True,
    ...          "said_other_item": False, "fact_recall": 1.0},
    ...         {"id": "c1.3", "followup": True, "answerable": False, "abstained": True, "cites_gold": False,
    ...          "said_other_item": False, "fact_recall": None}]
    >>> m = conversation_metrics(rows)
    >>> m["followups_resolved"], m["silent_other_item"]
    (1.0, 0)
    """
    follow = [r for r in rows if r["followup"]]

    def right(r: dict[str, Any]) -> bool:
        return bool(r["cites_gold"]) if r["answerable"] else bool(r["abstained"])

    def recall(rs: Sequence[dict[str, Any]]) -> float:
        values = [r["fact_recall"] for r in rs if r["answerable"] and r["fact_recall"] is not None]
        return statistics.fmean(values) if values else 0.0

    unanswerable = [r for r in rows if not r["answerable"]]
    return {
        "conversations": len({r["id"].rsplit(".", 1)[0] for r in rows}),
        "turns": len(rows),
        "followups": len(follow),
        "followups_resolved": statistics.fmean(map(right, follow)) if follow else 0.0,
        "silent_other_item": sum(
            r["answerable"] and not r["abstained"] and not r["cites_gold"] and not r["said_other_item"] for r in follow
        ),
        "fact_recall_first": recall([r for r in rows if not r["followup"]]),
        "fact_recall_followups": recall(follow),
        "abstention_recall": statistics.fmean(r["abstained"] for r in unanswerable) if unanswerable else 1.0,
        "false_abstentions": sum(r["answerable"] and r["abstained"] for r in rows),
    }


def markdown(report: dict[str, Any], *, corpus: str, questions: str) -> str:
    """The conversation report as Markdown: the figures, then each follow-up as read."""
    m = report["metrics"]
    lines = [f"# Referat conversation evaluation\n\nCorpus: `{corpus}`  \nConversations: `{questions}`\n"]
    lines += ["| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in m.items()]
    lines += ["", "## Follow-ups as read\n", "| id | question | understood | right |", "|---|---|---|---|"]
    for r in report["turns"]:
        if r["followup"]:
            ok = r["cites_gold"] if r["answerable"] else r["abstained"]
            lines.append(
                f"| {r['id']} | {r['question']} | {r['understood'] or '(asked back)'} | {'ja' if ok else 'nej'} |"
            )
    return "\n".join(lines) + "\n"
