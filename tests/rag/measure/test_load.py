"""The load test, small: 8 users at once against `referat serve` over real HTTP, every answer arrives, no errors.

Speed is the benchmark's to measure (`referat bench --part load`); nothing here is timed. The hash embedder keeps
the index quick to build; the models are the scripted fake (answers in parallel), SmolLM2-135M in the app (one
at a time, the rest queued) and SmolLM2-135M on llama.cpp's server (in parallel, the server queues).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.registry import resolve_llm
from models.settings import Settings
from rag.corpus import expand_paths, ingest_files
from rag.embed import load_embedder
from rag.index import Index
from rag.measure.bench.load import bench_load, spread_questions
from rag.measure.bench.records import LoadBench
from ui.app import answer_shown

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
USERS, PER_USER = 8, 2


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("load") / "index"
    embedder = load_embedder("hash-64", settings=Settings.from_env())
    reports = ingest_files(expand_paths([ROOT / "data" / "sample"]), Index.open_or_create(folder, embedder), embedder)
    assert all(r.error is None for r in reports)
    return folder


@pytest.mark.parametrize(
    ("config", "llm"),
    [("local", "scripted"), ("local", "smollm2-135m"), ("server", "smollm2-135m")],
    ids=["scripted-in-app", "smollm2-in-app", "smollm2-on-llama-server"],
)
def test_eight_users_at_once_all_get_their_answers(
    index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, llm: str
) -> None:
    monkeypatch.setenv("REFERAT_EMBEDDER", "hash-64")
    monkeypatch.setenv("REFERAT_THREADS", "1")
    result = bench_load(
        index,
        spread_questions(ROOT / "eval" / "dev.jsonl", USERS * PER_USER),
        users=USERS,
        per_user=PER_USER,
        config=config,
        llm=llm,
        workdir=tmp_path,
        threads=1,
        model_file=resolve_llm(llm, settings=Settings.from_env()) if config == "server" else None,
        timeout_s=600,
        complete=answer_shown,
    )
    assert isinstance(result, LoadBench)
    assert result.errors == ()
    assert result.answered == result.asked == USERS * PER_USER
    assert len(result.latency_s) == len(result.queue_s) == USERS * PER_USER


def test_questions_are_spread_over_the_set_and_go_round_when_it_is_short(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text("".join(f'{{"question": "q{i}"}}\n' for i in range(10)), encoding="utf-8")
    assert spread_questions(path, 5) == ["q0", "q2", "q4", "q6", "q8"]
    assert spread_questions(path, 12) == [f"q{i}" for i in range(10)] + ["q0", "q1"]
