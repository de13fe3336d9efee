"""Ingesting a folder: bad files are reported by name and reason, good files are indexed, nothing is lost."""

from __future__ import annotations

import shutil
from pathlib import Path

from rag.corpus import expand_paths, ingest_files, stale_documents
from rag.embed import HashEmbedder
from rag.index import Index
from rag.retrieve import Retriever

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


def test_two_files_of_one_name_in_two_folders_are_both_kept_and_searchable(tmp_path: Path) -> None:
    for year in ("2023", "2024"):
        (tmp_path / year).mkdir()
        (tmp_path / year / "referat.txt").write_text(MINUTES.replace("2024", year), encoding="utf-8")
    emb = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", emb)

    first, second = ingest_files(expand_paths([tmp_path / "2023", tmp_path / "2024"]), index, emb)

    assert (first.error, second.error) == (None, None)
    assert (first.doc_id, second.doc_id) == ("referat", "2024_referat")
    dates = {d: info.date for d, info in Index.load(tmp_path / "index").documents.items()}
    assert dates == {"referat": "2023-03-05", "2024_referat": "2024-03-05"}
    # A later run, in either order, gives each file the id it has and replaces neither.
    again = ingest_files([tmp_path / "2024" / "referat.txt", tmp_path / "2023" / "referat.txt"], index, emb)
    assert [(r.doc_id, r.unchanged) for r in again] == [("2024_referat", True), ("referat", True)]
    hits = Retriever(Index.load(tmp_path / "index"), emb).retrieve("Skolen i Ørby", top_k=5)
    assert {h.doc_id for h in hits} == {"referat", "2024_referat"}


def test_an_identical_copy_is_reported_once_and_not_indexed_twice(tmp_path: Path) -> None:
    (tmp_path / "X.txt").write_text(MINUTES, encoding="utf-8")
    (tmp_path / "X (1).txt").write_text(MINUTES, encoding="utf-8")
    emb = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", emb)

    reports = ingest_files(expand_paths([tmp_path]), index, emb)

    dupes = [r for r in reports if r.duplicate_of]
    assert len(dupes) == 1 and dupes[0].error is None
    assert {Path(dupes[0].path).name, Path(dupes[0].duplicate_of or "").name} == {"X.txt", "X (1).txt"}
    assert len(Index.load(tmp_path / "index").documents) == 1
    # Next run: still one document, still reported.
    assert sum(1 for r in ingest_files(expand_paths([tmp_path]), index, emb) if r.duplicate_of) == 1
    assert len(Index.load(tmp_path / "index").documents) == 1


def test_a_vanished_file_is_reported_and_pruned_and_its_text_leaves_the_disk(tmp_path: Path) -> None:
    folder = tmp_path / "referater"
    folder.mkdir()
    (folder / "a.txt").write_text(MINUTES, encoding="utf-8")
    (folder / "b.txt").write_text(MINUTES.replace("Skolen i Ørby", "Hemmelig grund i Ærøby"), encoding="utf-8")
    emb = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", emb)
    ingest_files(expand_paths([folder]), index, emb)
    (folder / "b.txt").unlink()

    assert stale_documents(index, [folder]) == [("b", str(folder / "b.txt"))]
    assert stale_documents(index, [tmp_path / "andet"]) == []
    index.remove_document("b")
    ingest_files(expand_paths([folder]), index, emb)

    assert set(Index.load(tmp_path / "index").documents) == {"a"}
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "index").rglob("*") if p.is_file())
    assert "Ærøby".encode() not in on_disk


def test_uploads_are_known_by_their_name_so_a_new_version_replaces_the_old(tmp_path: Path) -> None:
    for n, folder in enumerate(("upload1", "upload2")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "referat.txt").write_text(MINUTES.replace("Solgt", f"Solgt {n}"), encoding="utf-8")
    emb = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", emb)
    ingest_files([tmp_path / "upload1" / "referat.txt"], index, emb, by_name=True)

    (second,) = ingest_files([tmp_path / "upload2" / "referat.txt"], index, emb, by_name=True)

    assert second.doc_id == "referat" and "ingested earlier from" in second.warnings[-1]
    assert list(Index.load(tmp_path / "index").documents) == ["referat"]


def test_folders_skip_lock_files_and_sidecars_and_name_other_types(tmp_path: Path) -> None:
    for name in ("referat.docx", "~$referat.docx", ".skjult.txt", "referat.meta.json", "gammel.doc", "x.txt"):
        (tmp_path / name).write_bytes(b"x")
    skipped: list[str] = []
    files = expand_paths([tmp_path], on_skip=lambda p: skipped.append(p.name))
    assert [p.name for p in files] == ["referat.docx", "x.txt"]
    assert skipped == ["gammel.doc"]
