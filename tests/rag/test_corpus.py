"""Ingesting a folder: bad files are reported by name and reason, good files are indexed, nothing is lost."""

from __future__ import annotations

import shutil
from pathlib import Path

from rag.corpus import expand_paths, ingest_files
from rag.embed import HashEmbedder
from rag.index import Index

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_bad_files_are_reported_and_good_ones_indexed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE / "001_727726ba28d7f673.txt", docs)
    (docs / "tom.txt").write_text("   \n", encoding="utf-8")
    (docs / "skrald.pdf").write_bytes(bytes(range(256)) * 40)
    exe = tmp_path / "program.exe"
    exe.write_bytes(b"MZ\x90\x00")
    emb = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", emb)

    reports = ingest_files([*expand_paths([docs]), exe], index, emb)

    by_name = {Path(r.path).name: r for r in reports}
    assert by_name["001_727726ba28d7f673.txt"].items == 6 and by_name["001_727726ba28d7f673.txt"].error is None
    assert "empty" in (by_name["tom.txt"].error or "")
    assert by_name["skrald.pdf"].error and by_name["program.exe"].error
    assert ".exe" in (by_name["program.exe"].error or "") or "supported" in (by_name["program.exe"].error or "")
    loaded = Index.load(tmp_path / "index")
    assert set(loaded.documents) == {"001_727726ba28d7f673"}

    again = ingest_files(expand_paths([docs]), loaded, emb)
    good = next(r for r in again if r.doc_id)
    assert good.unchanged and good.chunks_embedded == 0
    assert set(Index.load(tmp_path / "index").documents) == {"001_727726ba28d7f673"}


MINUTES = "Referat af møde i Byrådet den 5. marts 2024\n\nPunkt 1. Skolen i Ørby\n\nBeslutning\nSolgt.\n"


def test_a_bad_sidecar_is_that_files_problem_only(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(MINUTES, encoding="utf-8")
    (tmp_path / "a.meta.json").write_text('{"date": "2024-02-30"}', encoding="utf-8")
    (tmp_path / "b.txt").write_text(MINUTES, encoding="utf-8")
    (tmp_path / "b.meta.json").write_text("{ikke json", encoding="utf-8")
    (tmp_path / "c.txt").write_text(MINUTES, encoding="utf-8")
    emb = HashEmbedder(64)

    reports = ingest_files(expand_paths([tmp_path]), Index.open_or_create(tmp_path / "index", emb), emb)

    errors = {Path(r.path).name: r.error for r in reports}
    assert "a.meta.json: date must be a real calendar date" in (errors["a.txt"] or "")
    assert "b.meta.json: is not valid JSON" in (errors["b.txt"] or "")
    assert errors["c.txt"] is None
    assert set(Index.load(tmp_path / "index").documents) == {"c"}


def test_two_files_with_one_document_id_do_not_overwrite_each_other(tmp_path: Path) -> None:
    for year in ("2023", "2024"):
        (tmp_path / year).mkdir()
        (tmp_path / year / "referat.txt").write_text(MINUTES.replace("2024", year), encoding="utf-8")
    emb = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", emb)

    first, second = ingest_files(expand_paths([tmp_path / "2023", tmp_path / "2024"]), index, emb)

    assert first.error is None and first.doc_id == "referat"
    assert second.error and "same document id 'referat'" in second.error and "2023" in second.error
    assert Index.load(tmp_path / "index").documents["referat"].date == "2023-03-05"
    again = ingest_files([tmp_path / "2024" / "referat.txt"], index, emb)[0]  # a later run may replace it
    assert again.error is None and "ingested earlier from" in again.warnings[-1]


def test_folders_skip_lock_files_and_sidecars_and_name_other_types(tmp_path: Path) -> None:
    for name in ("referat.docx", "~$referat.docx", ".skjult.txt", "referat.meta.json", "gammel.doc", "x.txt"):
        (tmp_path / name).write_bytes(b"x")
    skipped: list[str] = []
    files = expand_paths([tmp_path], on_skip=lambda p: skipped.append(p.name))
    assert [p.name for p in files] == ["referat.docx", "x.txt"]
    assert skipped == ["gammel.doc"]
