"""The evaluation run: answer settings from the command line, and the variants side by side on fakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import ConfigError
from models.settings import Settings
from rag.measure.eval_run import answer_config, run_eval
from rag.measure.evaluation import load_questions

ROOT = Path(__file__).resolve().parents[3]


def test_answer_settings_are_typed_and_validated() -> None:
    assert answer_config(["max_source_chars=1600", "min_coverage=0.4"]).max_source_chars == 1600
    assert answer_config(["use_register=false"]).use_register is False
    with pytest.raises(ConfigError, match="max_source_chars"):
        answer_config(["max_source_chars=many"])
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        answer_config(["nonsense=1"])


def test_each_variant_is_measured_side_by_side_on_a_temporary_index(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text((ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n")
    settings = Settings(home=tmp_path / "home", embedder="hash-64", llm="scripted", threads=1)
    answered: list[str] = []
    report = run_eval(
        load_questions(questions),
        questions_path=questions,
        settings=settings,
        corpus=ROOT / "data" / "sample",
        no_llm=True,
        llms=["scripted"],
        variants=["uden-register:use_register=false"],
        on_answer=lambda name, result: answered.append(name),
    )
    assert list(report.retrieval) == ["bm25", "dense", "hybrid"]
    assert list(report.answers) == ["scripted", "extractive", "uden-register"] == answered
    assert report.corpus == str(ROOT / "data" / "sample") and report.questions == str(questions)


def test_without_a_corpus_or_an_index_it_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--corpus DIR"):
        run_eval([], questions_path=tmp_path / "q.jsonl", settings=Settings(threads=1))
