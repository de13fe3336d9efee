"""The CLI's model-free commands: `items` JSON shape, error translation and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from ui.cli import app

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
runner = CliRunner()


def test_items_json_has_the_documented_shape() -> None:
    result = runner.invoke(app, ["items", str(SAMPLE / "003_fc010784cd8fe213.txt"), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["doc_id"], doc["body"], doc["date"], doc["kind"]) == (
        "003_fc010784cd8fe213", "KD-Net", "2021-01-22", "referat",
    )  # fmt: skip
    assert [i["number"] for i in doc["items"]] == [str(n) for n in range(1, 22)]
    six = doc["items"][5]
    assert six["title"] == "Midttrafiks indtægtsfordelingsmodel"
    assert six["presenters"] and "Referat" in six["sections"]
    assert set(six) == {
        "number", "title", "presenters", "case_number", "pages", "closed", "sections", "text",
    }  # fmt: skip


def test_a_bad_file_is_a_message_and_exit_code_1(tmp_path: Path) -> None:
    empty = tmp_path / "tom.txt"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["items", str(empty)])
    assert result.exit_code == 1
    assert "tom.txt" in result.output and "empty" in result.output


FAKES = {"REFERAT_EMBEDDER": "hash-64", "REFERAT_LLM": "scripted"}


def test_remove_without_an_index_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["remove", "x", "--index", str(tmp_path / "none")], env=FAKES)
    assert result.exit_code == 1
    assert "referat ingest" in " ".join(result.output.split())  # Rich wraps at the terminal's width


def test_a_gone_file_is_listed_then_pruned_and_a_document_removed(tmp_path: Path) -> None:
    import shutil

    folder, index = tmp_path / "referater", str(tmp_path / "index")
    folder.mkdir()
    for name in ("003_fc010784cd8fe213.txt", "004_344350c627352113.txt"):
        shutil.copy(SAMPLE / name, folder / name)
    assert runner.invoke(app, ["ingest", str(folder), "--index", index], env=FAKES).exit_code == 0
    (folder / "004_344350c627352113.txt").unlink()

    listed = runner.invoke(app, ["ingest", str(folder), "--index", index], env=FAKES)
    assert listed.exit_code == 0 and "004_344350c627352113" in listed.stdout and "--prune" in listed.stdout
    pruned = runner.invoke(app, ["ingest", str(folder), "--index", index, "--prune", "--json"], env=FAKES)
    assert json.loads(pruned.stdout.splitlines()[-1])["summary"]["pruned"] == 1
    again = runner.invoke(app, ["ingest", str(folder), "--index", index], env=FAKES)
    assert "004_344350c627352113" not in again.stdout

    removed = runner.invoke(app, ["remove", "003_fc010784cd8fe213", "--index", index], env=FAKES)
    assert removed.exit_code == 0 and "Fjernet: 003_fc010784cd8fe213" in removed.stdout
    twice = runner.invoke(app, ["remove", "003_fc010784cd8fe213", "--index", index], env=FAKES)
    assert twice.exit_code == 1 and "no document" in twice.output


def test_bench_ends_with_one_json_object_and_writes_the_table(tmp_path: Path, monkeypatch: Any) -> None:
    from rag.measure.bench.records import BenchReport, ColdStartBench

    seen: dict[str, Any] = {}

    def fake_run(**kw: Any) -> BenchReport:
        seen.update(kw)
        kw["progress"]("cold start")
        return BenchReport(quick=True, started="2026-01-01T00:00:00", wall_s=3.0, machine="test",
                           cold_start=ColdStartBench(page_s=4.25, ready_s=9.0))  # fmt: skip

    monkeypatch.setattr("rag.measure.bench.run.run", fake_run)
    table = tmp_path / "b.md"
    result = runner.invoke(app, ["bench", "--quick", "--json", "--part", "cold", "--out", str(table)])
    assert result.exit_code == 0, result.output
    assert seen["quick"] is True and seen["parts"] == ("cold",)
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["summary"]["cold_start_s"] == 4.25 and last["summary"]["search_p50_ms_100k"] is None
    assert "`referat bench --quick --part cold`" in table.read_text(encoding="utf-8")
    assert last["summary"]["first_answer_p50_s"] is None and last["summary"]["embed_speedup_ratio"] is None
    assert seen["speed_corpus"] is None
    result = runner.invoke(app, ["bench", "--quick", "--part", "embed", "--embed-corpus", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen["parts"] == ("embed",) and seen["speed_corpus"] == tmp_path


def test_ask_json_carries_why_it_abstained() -> None:
    from rag.answer import answer
    from ui.cli import _answer_json

    row = _answer_json("q1", answer("Hvad koster en ny svømmehal?", [], None), ())
    assert row["abstained"] and row["failed_checks"] == ["nothing_relevant"]
    assert row["problems"] == ["intet punkt blev fundet"]
    assert json.loads(json.dumps(row, ensure_ascii=False)) == row


def test_the_registered_fakes_are_resolved_by_name_like_real_models(tmp_path: Path) -> None:
    env = FAKES
    index = str(tmp_path / "index")
    result = runner.invoke(app, ["ingest", str(SAMPLE / "003_fc010784cd8fe213.txt"), "--index", index], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["ask", "Hvad besluttede KD-Net om Midttrafik?", "--index", index, "--json"], env=env)
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.strip().splitlines()[-1])
    assert row["hits"] and row["hits"][0]["doc_id"] == "003_fc010784cd8fe213"
    assert json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))["embedder_id"] == "hash-64"


def test_ask_prints_the_checked_quotes_first_then_the_summary_and_why_it_was_dropped(tmp_path: Path) -> None:
    from rag.generate import SCRIPTED_REPLY

    env = FAKES
    index = str(tmp_path / "index")
    result = runner.invoke(app, ["ingest", str(SAMPLE / "003_fc010784cd8fe213.txt"), "--index", index], env=env)
    assert result.exit_code == 0, result.output
    question = "Hvor stort et årligt plus giver indtægtsfordelingsmodellen Region Midtjylland?"
    result = runner.invoke(app, ["ask", question, "--index", index], env=env)
    assert result.exit_code == 0, result.output
    shown = result.stdout
    assert shown.startswith("Svar: Fra dokumenterne: »") and "[KD-Net 22.01.2021, punkt" in shown
    assert shown.index("Fra dokumenterne") < shown.index(SCRIPTED_REPLY) < shown.index("Kilder:")
    # The scripted summary cites nothing, so it fails the draft checks and is dropped with the reason.
    assert "Sammendraget blev droppet (" in result.stderr
    quoted = runner.invoke(app, ["ask", question, "--index", index, "--no-llm"], env=env)
    assert quoted.exit_code == 0 and SCRIPTED_REPLY not in quoted.stdout and "Sammendrag" not in quoted.output
    assert quoted.stdout.splitlines()[0] == shown.splitlines()[0]


def test_ask_through_a_model_server_and_keep_the_quotes_when_it_is_gone(tmp_path: Path) -> None:
    from models.registry import resolve_llm
    from models.settings import Settings
    from tests.servers import llama_server

    index = str(tmp_path / "index")
    ingested = runner.invoke(app, ["ingest", str(SAMPLE / "003_fc010784cd8fe213.txt"), "--index", index], env=FAKES)
    assert ingested.exit_code == 0, ingested.output
    question = "Hvor stort et årligt plus giver indtægtsfordelingsmodellen Region Midtjylland?"
    smollm2 = resolve_llm("smollm2-135m", settings=Settings.from_env())
    with llama_server(smollm2, log=tmp_path / "server.log", n_ctx=4096) as url:
        env = {**FAKES, "REFERAT_LLM": f"openai:local@{url}"}
        served = runner.invoke(app, ["ask", question, "--index", index, "--json"], env=env)
    assert served.exit_code == 0, served.output
    row = json.loads(served.stdout.strip().splitlines()[-1])
    assert row["timings"]["first_token_s"] is not None  # the server's model wrote a draft
    assert "model_unavailable" not in row["failed_checks"] and "30. mio. kr." in row["answer"]
    gone = runner.invoke(app, ["ask", question, "--index", index, "--json"], env=env)  # the server has stopped
    assert gone.exit_code == 0, gone.output
    after = json.loads(gone.stdout.strip().splitlines()[-1])
    assert after["failed_checks"] == ["model_unavailable"] and "cannot be reached" in after["problems"][0]
    assert after["answer"] in row["answer"]  # the same checked quotes, without the summary


def test_compact_merges_the_segments_and_drops_replaced_text(tmp_path: Path) -> None:
    import shutil

    folder, index = tmp_path / "referater", tmp_path / "index"
    folder.mkdir()
    original = (SAMPLE / "000_266b1448cd742ca6.txt").read_text(encoding="utf-8")
    (folder / "a.txt").write_text(original + "\nTilføjet: Gammelvejsagen.\n", encoding="utf-8")
    shutil.copy(SAMPLE / "003_fc010784cd8fe213.txt", folder / "b.txt")  # larger: a's old rows stay < half
    assert runner.invoke(app, ["ingest", str(folder), "--index", str(index)], env=FAKES).exit_code == 0
    (folder / "a.txt").write_text(original, encoding="utf-8")  # replaced: the old text is tombstoned
    assert runner.invoke(app, ["ingest", str(folder), "--index", str(index)], env=FAKES).exit_code == 0
    assert len([p for p in index.iterdir() if p.is_dir()]) == 2
    assert any(b"Gammelvejsagen" in p.read_bytes() for p in index.rglob("chunks.jsonl"))

    result = runner.invoke(app, ["compact", "--index", str(index), "--json"], env=FAKES)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [p.name for p in index.iterdir() if p.is_dir()] == [report["segment"]]
    assert report["bytes_after"] < report["bytes_before"]
    assert not any(b"Gammelvejsagen" in p.read_bytes() for p in index.rglob("*") if p.is_file())
    help_text = runner.invoke(app, ["compact", "--help"]).output
    assert "Example: referat compact" in help_text
