"""End to end with the real embedder and the real default LLM (Qwen2.5-Coder-1.5B) on the sample corpus.

One decision, one number and one unanswerable question through `referat ask --questions ... --json`, the
way a user's batch runs: the cited item and the abstention are asserted, not the wording.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIDTTRAFIK = ("003_fc010784cd8fe213", "6")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("real")
    env = {**os.environ, "REFERAT_INDEX": str(tmp / "index")}
    cli = [sys.executable, "-m", "ui.cli"]
    subprocess.run([*cli, "ingest", str(ROOT / "data" / "sample")], env=env, cwd=ROOT, check=True, timeout=900)
    questions = tmp / "q.jsonl"
    rows = [
        {"id": "decision", "question": "Hvad besluttede KD-Net om Midttrafik?"},
        {"id": "number", "question": "Hvor stort et årligt plus giver den nye model for fordeling af "
                                     "billetindtægterne Region Midtjylland?"},
        {"id": "unanswerable", "question": "Hvad besluttede KD-Net på mødet den 9. april 2021 om Midttrafik?"},
    ]  # fmt: skip
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    done = subprocess.run(
        [*cli, "ask", "--questions", str(questions), "--json"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return {d["id"]: d for d in map(json.loads, done.stdout.splitlines())}


def cited(answer: dict) -> list[tuple[str, str]]:
    return [(c["doc_id"], c["item"]) for c in answer["citations"]]


def test_the_midttrafik_decision_is_kd_nets_own(answers: dict[str, dict]) -> None:
    a = answers["decision"]
    assert not a["abstained"]
    assert cited(a) == [MIDTTRAFIK]
    text = a["answer"]
    assert "indfasning af modellen over tre år" in text and "faktabaseret fordelingsnøgle" in text
    assert "hurtigst muligt" not in text  # the regional council's wish is not KD-Net's decision
    assert "kommissoriet" not in text  # nor is the next item's decision


def test_a_number_is_answered_from_the_right_item(answers: dict[str, dict]) -> None:
    a = answers["number"]
    assert not a["abstained"]
    assert MIDTTRAFIK in cited(a)
    assert re.search(r"30\.? mio", a["answer"])  # the minutes write "ca. 30. mio. kr."
    assert a["timings"]["total_s"] > 0


def test_a_meeting_that_is_not_in_the_documents_is_not_answered(answers: dict[str, dict]) -> None:
    a = answers["unanswerable"]
    assert a["abstained"] and a["citations"] == []
    assert a["answer"] == "Dokumenterne indeholder ikke svaret på spørgsmålet."
