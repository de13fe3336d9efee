"""Evaluation: retrieval and answer metrics over a JSONL question set, with reports and plots.

Question lines: {"id","question","gold":[{"doc_id","item"}],"facts":[["alt1","alt2"],...],"type"}.
A facts group counts as recalled when any alternative occurs (case-insensitively) in the answer.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import ConfigError
from rag.answer import Answer
from rag.question import is_danish

# "latest": a "seneste"/status question whose gold is the newest meeting's item; "history": a case's course;
# "count": a count over the collection (eval/timecount.jsonl).
TYPES = ("fact", "decision", "list", "multi", "unanswerable", "crosslingual", "latest", "history", "count")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: tuple[tuple[str, str | None], ...]
    facts: tuple[tuple[str, ...], ...]
    type: str
    count: int | None = None  # the true number a count over the collection should give (eval/timecount.jsonl)

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


def question_of(d: Mapping[str, Any], qid: str, qtype: str) -> Question:
    """One question line's fields (question, gold, facts, count) as a `Question`; raises KeyError or
    TypeError on a malformed line."""
    return Question(
        id=qid,
        question=str(d["question"]),
        gold=tuple((g["doc_id"], None if g["item"] is None else str(g["item"])) for g in d.get("gold", [])),
        facts=tuple(tuple(str(a) for a in group) for group in d.get("facts", [])),
        type=qtype,
        count=None if d.get("count") is None else int(d["count"]),
    )


def load_questions(path: Path) -> list[Question]:
    """Read and validate a question set; a bad line raises ConfigError naming the line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            q = question_of(d, str(d["id"]), str(d.get("type", "fact")))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ConfigError(f"{path}:{n}: not a valid question line ({e})") from None
        if q.type not in TYPES:
            raise ConfigError(f"{path}:{n}: type must be one of {', '.join(TYPES)}, got {q.type!r}")
        out.append(q)
    return out


@dataclass(frozen=True)
class RetrievalResult:
    question: Question
    ranked: tuple[tuple[str, str | None], ...]  # retrieved (doc_id, item), best first
    seconds: float

    def first_gold_rank(self) -> int | None:
        gold = set(self.question.gold)
        return next((i + 1 for i, key in enumerate(self.ranked) if key in gold), None)


def retrieval_metrics(results: Sequence[RetrievalResult]) -> dict[str, float]:
    """hit@1, hit@5, MRR and nDCG@5 over the answerable questions."""
    scored = [r for r in results if r.question.answerable]
    if not scored:
        return {}
    hit1 = hit5 = rr = ndcg = 0.0
    for r in scored:
        rank = r.first_gold_rank()
        hit1 += rank == 1
        hit5 += rank is not None and rank <= 5
        rr += 1.0 / rank if rank else 0.0
        gold = set(r.question.gold)
        dcg = sum(1.0 / math.log2(i + 2) for i, key in enumerate(r.ranked[:5]) if key in gold)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(5, len(gold))))
        ndcg += dcg / ideal
    n = len(scored)
    ms = [r.seconds * 1000 for r in results]
    return {
        "n": n,
        "hit@1": hit1 / n,
        "hit@5": hit5 / n,
        "mrr": rr / n,
        "ndcg@5": ndcg / n,
        "latency_p50_ms": _pct(ms, 50),
        "latency_p95_ms": _pct(ms, 95),
    }


@dataclass(frozen=True)
class AnswerResult:
    question: Question
    answer: Answer


def fact_recall(q: Question, text: str) -> float | None:
    if not q.facts:
        return None
    low = text.casefold()
    return sum(any(a.casefold() in low for a in group) for group in q.facts) / len(q.facts)


# The number a count answer gives: "holdt 9 møder", "3 punkter", "har 1 lukket punkt", "6 punkter udfaldet".
_COUNTED = re.compile(r"(?<![\d.,])(\d+)\s+(?:møder?|(?:lukke(?:t|de)\s+)?punkt(?:er)?|sager?)\b")


def counted(text: str) -> int | None:
    """The first number of meetings, items or cases an answer states; None when it states none.

    >>> counted("Byråd 2022-2025 06.02.2023: 3 punkter."), counted("Økonomiudvalget holdt 1 møde i 2024")
    (3, 1)
    """
    m = _COUNTED.search(text)
    return int(m.group(1)) if m else None


def answer_metrics(results: Sequence[AnswerResult]) -> dict[str, float]:
    """Fact recall, citation precision/recall, abstention precision/recall, Danish share, latency."""
    if not results:
        return {}
    recalls = [
        x for r in results if r.question.answerable and (x := fact_recall(r.question, r.answer.text)) is not None
    ]
    cited = [(r, (c.doc_id, c.number)) for r in results if r.question.answerable for c in r.answer.citations]
    cite_prec = sum(key in set(r.question.gold) for r, key in cited) / len(cited) if cited else 1.0
    # The first item cited is a gold one: for "latest" questions, the answer leads with the newest meeting.
    led = [r for r in results if r.question.answerable and not r.answer.abstained and r.answer.citations]
    first_gold = [(r.answer.citations[0].doc_id, r.answer.citations[0].number) in set(r.question.gold) for r in led]
    counts = [counted(r.answer.text) == r.question.count for r in results if r.question.count is not None]
    cite_rec_parts = [
        len({(c.doc_id, c.number) for c in r.answer.citations} & set(r.question.gold)) / len(r.question.gold)
        for r in results
        if r.question.answerable and not r.answer.abstained
    ]
    abstained = [r for r in results if r.answer.abstained]
    unanswerable = [r for r in results if not r.question.answerable]
    true_abst = [r for r in abstained if not r.question.answerable]
    timings = [r.answer.timings for r in results]
    firsts = [t.first_token_s for t in timings if t.first_token_s is not None]
    # The first checked answer (quotes, register decision or abstention) is shown before any draft token.
    answered = [t.total_s if t.first_answer_s is None else t.first_answer_s for t in timings]
    totals = [t.total_s for t in timings]
    retrievals = [t.retrieval_s for t in timings]
    return {
        "n": len(results),
        "fact_recall": statistics.fmean(recalls) if recalls else 0.0,
        "citation_precision": cite_prec,
        "citation_recall": statistics.fmean(cite_rec_parts) if cite_rec_parts else 0.0,
        "first_citation_gold": statistics.fmean(first_gold) if first_gold else 0.0,
        **({"count_exact": statistics.fmean(counts)} if counts else {}),
        "abstention_precision": len(true_abst) / len(abstained) if abstained else 1.0,
        "abstention_recall": len(true_abst) / len(unanswerable) if unanswerable else 1.0,
        "false_abstentions": len(abstained) - len(true_abst),
        "danish_share": sum(is_danish(r.answer.text) for r in results) / len(results),
        "extractive_share": sum(r.answer.extractive for r in results) / len(results),
        "retrieval_p50_s": _pct(retrievals, 50),
        "retrieval_p95_s": _pct(retrievals, 95),
        "first_answer_p50_s": _pct(answered, 50),
        "first_answer_p95_s": _pct(answered, 95),
        "first_token_p50_s": _pct(firsts, 50),
        "first_token_p95_s": _pct(firsts, 95),
        "total_p50_s": _pct(totals, 50),
        "total_p95_s": _pct(totals, 95),
    }


def reason_counts(results: Sequence[AnswerResult]) -> dict[str, int]:
    """How often each named check (rag.checks) made an answer abstain or replaced a draft, most first.

    >>> from rag.answer import Answer
    >>> q = Question("q1", "?", (), (), "unanswerable")
    >>> a = Answer("?", "...", (), (), abstained=True, problems=("x",), failed=("nothing_relevant",))
    >>> reason_counts([AnswerResult(q, a), AnswerResult(q, a)])
    {'nothing_relevant': 2}
    """
    counts: dict[str, int] = defaultdict(int)
    for r in results:
        for name in r.answer.failed:
            counts[name] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _pct(values: Sequence[float], p: int) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def by_type(results: Sequence[Any], metric: Callable[[Sequence[Any]], dict[str, float]]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in results:
        groups[r.question.type].append(r)
    return {t: m for t in TYPES if groups.get(t) and (m := metric(groups[t]))}


@dataclass
class Report:
    """Everything one `referat eval` run measured; written as JSON, Markdown and PNG plots."""

    corpus: str
    questions: str
    retrieval: dict[str, dict[str, float]] = field(default_factory=dict)  # config -> metrics
    retrieval_by_type: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    answers: dict[str, dict[str, float]] = field(default_factory=dict)
    answers_by_type: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # config -> check name -> how many answers it made abstain or fall back to quotes
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    per_question: list[dict[str, Any]] = field(default_factory=list)

    def write(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "report.json", out / "report.md"]
        paths[0].write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")
        paths[1].write_text(self.markdown(), encoding="utf-8")
        paths += self._plots(out)
        return paths

    def markdown(self) -> str:
        lines = [f"# Referat evaluation\n\nCorpus: `{self.corpus}`  \nQuestions: `{self.questions}`\n"]
        if self.retrieval:
            cols = ["n", "hit@1", "hit@5", "mrr", "ndcg@5", "latency_p50_ms", "latency_p95_ms"]
            lines += ["## Retrieval\n", _table(self.retrieval, cols), ""]
            for config, types in self.retrieval_by_type.items():
                lines += [f"### Retrieval by type: {config}\n", _table(types, ["n", "hit@1", "hit@5", "mrr"]), ""]
        if self.answers:
            cols = [
                "n",
                "fact_recall",
                "citation_precision",
                "citation_recall",
                "abstention_precision",
                "abstention_recall",
                "false_abstentions",
                "danish_share",
                "extractive_share",
                "first_answer_p50_s",
                "first_token_p50_s",
                "total_p50_s",
                "total_p95_s",
            ]
            lines += ["## Answers\n", _table(self.answers, cols), ""]
            for config, types in self.answers_by_type.items():
                lines += [
                    f"### Answers by type: {config}\n",
                    _table(types, _BY_TYPE_COLUMNS),
                    "",
                ]
            for config, counts in self.reasons.items():
                lines += [f"### Checks that failed: {config}\n", "| check | answers |\n|---|---|"]
                lines += [f"| {name} | {n} |" for name, n in counts.items()] or ["| (none) | 0 |"]
                lines.append("")
        return "\n".join(lines) + "\n"

    def _plots(self, out: Path) -> list[Path]:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        paths = []
        if self.retrieval:
            metrics = ["hit@1", "hit@5", "mrr", "ndcg@5"]
            fig, ax = plt.subplots(figsize=(7, 3.5))
            width = 0.8 / len(self.retrieval)
            for i, (config, m) in enumerate(self.retrieval.items()):
                ax.bar(
                    [j + i * width for j in range(len(metrics))], [m.get(k, 0) for k in metrics], width, label=config
                )
            ax.set_xticks([j + width * (len(self.retrieval) - 1) / 2 for j in range(len(metrics))], metrics)
            ax.set_ylim(0, 1.05)
            ax.set_title("Retrieval by configuration")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(self.retrieval), frameon=False)
            fig.tight_layout()
            paths.append(out / "retrieval.png")
            fig.savefig(paths[-1], dpi=110)
            plt.close(fig)
        latencies = {
            name: [q["answers"][name]["total_s"] for q in self.per_question if name in q.get("answers", {})]
            for name in self.answers
        }
        if any(latencies.values()):
            fig, ax = plt.subplots(figsize=(7, 3.5))
            ax.hist(list(latencies.values()), bins=20, label=list(latencies))
            ax.legend()
            ax.set_xlabel("seconds per answer (total)")
            ax.set_ylabel("questions")
            ax.set_title("Answer latency")
            fig.tight_layout()
            paths.append(out / "latency.png")
            fig.savefig(paths[-1], dpi=110)
            plt.close(fig)
        return paths


_BY_TYPE_COLUMNS = ["n", "fact_recall", "citation_precision", "first_citation_gold", "count_exact", "false_abstentions"]


def _table(rows: dict[str, dict[str, float]], cols: Iterable[str]) -> str:
    cols = list(cols)
    head = "| | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols)
    body = []
    for name, m in rows.items():
        cells = [f"{m.get(c, 0):.3f}" if isinstance(m.get(c), float) else str(m.get(c, "")) for c in cols]
        body.append(f"| {name} | " + " | ".join(cells) + " |")
    return head + "\n" + "\n".join(body)


def parse_thresholds(specs: Sequence[str]) -> dict[str, float]:
    """`["hit@5=0.9", "mrr=0.8"]` -> {"hit@5": 0.9, "mrr": 0.8}."""
    out = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--min expects METRIC=NUMBER, got {spec!r}") from None
        if not sep:
            raise ConfigError(f"--min expects METRIC=NUMBER, got {spec!r}")
    return out


def failed_thresholds(metrics: dict[str, float], thresholds: dict[str, float]) -> list[str]:
    """Each threshold the metrics miss, as a readable line (a metric that does not exist misses)."""
    misses = []
    for name, floor in thresholds.items():
        value = metrics.get(name)
        if value is None:
            misses.append(f"{name}: no such metric (have {', '.join(sorted(metrics))})")
        elif value < floor:
            misses.append(f"{name} = {value:.3f} < {floor}")
    return misses


def run_retrieval(
    questions: Sequence[Question], retrieve: Callable[[str], Sequence[Any]], *, top_k: int = 10
) -> list[RetrievalResult]:
    """Run `retrieve(question) -> hits` (ItemHit-like: doc_id, number) for each question."""
    import time

    results = []
    for q in questions:
        t0 = time.perf_counter()
        hits = list(retrieve(q.question))[:top_k]
        results.append(RetrievalResult(q, tuple((h.doc_id, h.number) for h in hits), time.perf_counter() - t0))
    return results


def evaluate(
    variants: Mapping[str, Any],
    questions: Sequence[Question],
    *,
    corpus: str,
    questions_path: str,
    retrieval_only: bool = False,
    modes: Sequence[str] = ("bm25", "dense", "hybrid"),
    on_answer: Callable[[str, AnswerResult], None] | None = None,
) -> Report:
    """Measure retrieval for each mode side by side and (unless `retrieval_only`) the answers of each
    named variant (an `Assistant` per LLM or answer configuration), side by side.

    Retrieval goes through `Assistant.retrieve`, so time phrases in questions act exactly as they do
    for users.
    """
    from dataclasses import replace

    first = next(iter(variants.values()))
    report = Report(corpus=corpus, questions=questions_path)
    for mode in modes:
        assistant = replace(first, retriever_options={**first.retriever_options, "mode": mode})

        def retrieve(question: str, a: Any = assistant) -> Sequence[Any]:
            return a.retrieve(question, top_k=10).hits

        results = run_retrieval(questions, retrieve)
        report.retrieval[mode] = retrieval_metrics(results)
        report.retrieval_by_type[mode] = by_type(results, retrieval_metrics)
        if mode == modes[-1]:
            report.per_question = [
                {
                    "id": r.question.id,
                    "type": r.question.type,
                    "question": r.question.question,
                    "gold_rank": r.first_gold_rank(),
                    "top": [f"{d} #{i}" for d, i in r.ranked[:3]],
                }
                for r in results
            ]
    if retrieval_only:
        return report
    for name, assistant in variants.items():
        answers = []
        for q, row in zip(questions, report.per_question, strict=True):
            a = assistant.ask(q.question)
            res = AnswerResult(q, a)
            answers.append(res)
            row.setdefault("answers", {})[name] = {
                "answer": a.text,
                "abstained": a.abstained,
                "extractive": a.extractive,
                "problems": list(a.problems),
                "failed_checks": list(a.failed),
                "citations": [c.label for c in a.citations],
                "fact_recall": fact_recall(q, a.text),
                "first_answer_s": a.timings.first_answer_s,
                "first_token_s": a.timings.first_token_s,
                "total_s": a.timings.total_s,
            }
            if on_answer:
                on_answer(name, res)
        report.answers[name] = answer_metrics(answers)
        report.answers_by_type[name] = by_type(answers, answer_metrics)
        report.reasons[name] = reason_counts(answers)
    return report
