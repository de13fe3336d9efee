"""Index segments: written once from raw JSON lines, read back lazily, refused when incomplete."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import IndexMismatch
from ingest.records import AgendaItem, Chunk
from rag.store import Segment, SegmentDoc, chunk_line, item_line, write_segment


def _doc(doc_id: str, texts: list[str], first_vid: int, dim: int = 4) -> SegmentDoc:
    chunks = [Chunk(f"{doc_id}-{i}", doc_id, "1", "Punkt 1", None, t, "KD-Net", 0, len(t)) for i, t in enumerate(texts)]
    vids = np.arange(first_vid, first_vid + len(texts), dtype=np.int64)
    item = AgendaItem(doc_id, "1", "Punkt 1", " ".join(texts), (0, 1))
    vectors = np.arange(len(texts) * dim, dtype=np.float32).reshape(len(texts), dim)
    lines = [chunk_line(c, int(v)) for c, v in zip(chunks, vids, strict=True)]
    return SegmentDoc(doc_id, {"content_hash": doc_id}, item_line(item), lines, vids, vectors)


def test_a_segment_reads_back_what_was_written(tmp_path: Path) -> None:
    docs = [_doc("a", ["første", "anden — æøå"], 0), _doc("tom", [], 2), _doc("b", ["tredje"], 2)]
    written = write_segment(tmp_path, docs, 4, n_rows=3, sync=lambda f: os.fsync(f.fileno()))
    assert written == sum(p.stat().st_size for p in tmp_path.iterdir())
    seg = Segment(tmp_path, 4)
    assert len(seg) == 3 and seg.vids.tolist() == [0, 1, 2]
    assert [seg.chunk(r).text for r in range(3)] == ["første", "anden — æøå", "tredje"]
    assert (seg.docs["b"].start, seg.docs["b"].count, seg.docs["tom"].count) == (2, 1, 0)
    assert [i.text for i in seg.items("a")] == ["første anden — æøå"] and seg.items("tom")[0].doc_id == "tom"
    np.testing.assert_array_equal(seg.vectors[2], docs[2].vectors[0])
    assert seg.chunk_lines(0, 2).count(b"\n") == 2 and seg.docs["a"].info == {"content_hash": "a"}


def test_rows_that_do_not_match_are_refused(tmp_path: Path) -> None:
    bad = _doc("a", ["x", "y"], 0)
    with pytest.raises(IndexMismatch, match="vectors"):
        write_segment(tmp_path, [SegmentDoc("a", {}, b"", bad.chunk_lines, bad.vids, bad.vectors[:1])], 4,
                      n_rows=2, sync=lambda f: None)  # fmt: skip
    (tmp_path / "two").mkdir()
    with pytest.raises(IndexMismatch, match="2 rows written, 5 expected"):
        write_segment(tmp_path / "two", [bad], 4, n_rows=5, sync=lambda f: None)


def test_an_incomplete_segment_is_refused_with_the_fix(tmp_path: Path) -> None:
    write_segment(tmp_path, [_doc("a", ["x"], 0)], 4, n_rows=1, sync=lambda f: None)
    (tmp_path / "rows.npy").unlink()
    with pytest.raises(IndexMismatch, match=r"rows.npy missing.*--rebuild"):
        Segment(tmp_path, 4)
