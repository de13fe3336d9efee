"""Issue 16's situations end to end with the real embedder and the real default LLM, through the CLI a user
types: `referat chat --json` (follow-ups, "Start forfra"), `referat ask` ("seneste", status, counts) and
`referat case`, over the fictional municipality of tests/rag/municipality.py.

The cited items, the reading of each follow-up and the figures are asserted, not the model's wording.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rag.municipality import COMMITTEE, write_meetings

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "ui.cli"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("municipality")
    env = {**os.environ, "REFERAT_INDEX": str(tmp / "index")}
    files = [str(p) for p in write_meetings(tmp / "docs")]
    subprocess.run([*CLI, "ingest", *files], env=env, cwd=ROOT, check=True, capture_output=True, timeout=900)
    return env


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> list[dict]:
    done = subprocess.run(
        [*CLI, *args, "--json"], env=env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def labels(turn: dict) -> list[str]:
    return [c["label"] for c in turn["citations"]]


def test_a_chat_reads_follow_ups_against_the_previous_turn(env: dict[str, str]) -> None:
    questions = [
        f"Hvad besluttede {COMMITTEE} om skolebusserne?",
        "Hvad koster det?",
        f"Hvad besluttede {COMMITTEE} om cykelstien i juni 2024?",
        "Hvad besluttede Byrådet så?",
        "Start forfra",
        "Hvad koster det?",
    ]
    turns = run(env, "chat", stdin="\n".join(questions) + "\n")
    buses, price, committee, council, unresolved = turns  # "Start forfra" prints no turn
    assert f"{COMMITTEE} 12.02.2024, punkt 2" in labels(buses)
    assert price["understood"] == "Hvad koster skolebusserne?"
    assert labels(price)[0] == f"{COMMITTEE} 12.02.2024, punkt 2" and "1,8 mio" in price["answer"]
    assert "450.000" not in price["answer"]  # not the tablets' price, at the same meeting
    assert labels(committee)[0] == f"{COMMITTEE} 10.06.2024, punkt 1"
    assert council["understood"] == "Hvad besluttede Byrådet så om cykelstien?"
    assert labels(council)[0] == "Byrådet 24.06.2024, punkt 1" and "3,4 mio" in council["answer"]
    assert unresolved["understood"] is None and unresolved["abstained"]
    assert unresolved["failed_checks"] == ["unresolved"] and "Hvad henviser »det« til?" in unresolved["answer"]


def test_the_newest_meeting_answers_seneste_and_status(env: dict[str, str]) -> None:
    latest, status = run(
        env,
        "ask",
        "--questions",
        str(_questions(env, ["Hvad besluttede udvalget om cykelstien på det seneste møde?",
                             "Hvad er status for cykelstien?"])),
    )  # fmt: skip
    assert labels(latest)[0] == f"{COMMITTEE} 10.06.2024, punkt 1" and "3,4 mio" in latest["answer"]
    assert labels(status)[0] == "Byrådet 24.06.2024, punkt 1"
    for a in (latest, status):
        assert "afløser de tidligere" in a["answer"] and f"{COMMITTEE} 12.02.2024, punkt 1" in labels(a)


def test_counts_come_from_the_collection_in_the_right_number(env: dict[str, str]) -> None:
    meetings, postponed = run(
        env,
        "ask",
        "--questions",
        str(_questions(env, [f"Hvor mange møder holdt {COMMITTEE} i 2024?", "Hvor mange sager blev udsat i 2024?"])),
    )
    assert meetings["answer"].startswith(f"{COMMITTEE} holdt 3 møder i 2024:") and len(meetings["citations"]) == 3
    assert postponed["answer"].startswith("Ifølge beslutningsregistret har 1 punkt udfaldet »udsat«:")


def test_referat_case_shows_the_timeline(env: dict[str, str]) -> None:
    [case] = run(env, "case", "24/00100")
    assert case["case"] == "24/00100"
    assert [(s["body"], s["date"], s["outcome"]) for s in case["steps"]][:1] == [(COMMITTEE, "2024-02-12", "udsat")]
    assert [s["body"] for s in case["steps"]][-2:] == ["Økonomiudvalget", "Byrådet"]


def _questions(env: dict[str, str], questions: list[str]) -> Path:
    path = Path(env["REFERAT_INDEX"]).parent / f"q{abs(hash(tuple(questions)))}.jsonl"
    rows = [json.dumps({"id": str(i), "question": q}, ensure_ascii=False) for i, q in enumerate(questions)]
    path.write_text("\n".join(rows), encoding="utf-8")
    return path


def test_the_web_chat_handler_carries_the_conversation(env: dict[str, str]) -> None:
    # The handler the browser calls, with the chat history and turn the browser keeps between questions.
    from ui import app as ui
    from ui.cli import _assistant

    assistant = _assistant(Path(env["REFERAT_INDEX"]))
    *_, (history, _cards, _box, turn) = ui.ask(assistant, f"Hvad besluttede {COMMITTEE} om skolebusserne?", [])
    *_, (history, cards, _box, after) = ui.ask(assistant, "Hvad koster det?", history, previous=turn)
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert history[-1]["content"].startswith("_Forstået som: Hvad koster skolebusserne?_")
    assert "1,8 mio" in history[-1]["content"] and "450.000" not in history[-1]["content"]
    assert 'data-label="Børne- og Skoleudvalget 12.02.2024, punkt 2"' in cards
    assert after is not None and after.understood == "Hvad koster skolebusserne?"
