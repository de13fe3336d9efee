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
