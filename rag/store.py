"""Index segments: one immutable directory of some documents' records and vectors, read lazily from disk.

A segment directory holds

    documents.jsonl   # one line per document: {"doc_id", "rows": [first chunk row, n], "items": [byte start, end],
                      #  "info": DocumentInfo fields}
    chunks.jsonl      # one Chunk per line (+ its FAISS id "vid"), the documents' chunks one after another
    items.jsonl       # one AgendaItem per line, the documents' items one after another
    rows.npy          # int64 (n_chunks + 1, 2): [vid, byte offset of the chunk's line]; last row [-1, file size]
    vectors.npy       # float32 (n_chunks, dimension), L2-normalised; memory-mapped, never read whole

`Segment` keeps in memory only the documents' metadata; `rows.npy` (16 bytes per chunk) and the vectors are
read-only memory maps, chunk and item records are read (pread) and parsed when asked for.
`write_segment` writes one from `SegmentDoc`s (raw JSON lines, so merging segments copies bytes, not records).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import IndexMismatch
from ingest.records import AgendaItem, Chunk, Decision, Section

# New segments are `s000007-3f9a1c`; `v000007-3f9a1c` is the single version directory of format 1.
SEGMENT_NAME = re.compile(r"[sv]\d{6}-[0-9a-f]{6}")
_FILES = ("documents.jsonl", "chunks.jsonl", "items.jsonl", "rows.npy", "vectors.npy")


@dataclass(frozen=True)
class SegmentDoc:
    """One document as a segment stores it: its manifest fields, and its records as JSON lines (each ending in
    a newline), with the chunks' vids and float32 vectors (n_chunks, dimension) in the same order."""

    doc_id: str
    info: dict[str, Any]
    item_lines: bytes
    chunk_lines: Sequence[bytes]
    vids: np.ndarray
    vectors: np.ndarray


@dataclass(frozen=True)
class _DocRows:
    info: dict[str, Any]
    start: int  # first chunk row
    count: int
    items: tuple[int, int]  # byte range in items.jsonl


class Segment:
    """A saved segment, open for reading. Raises `IndexMismatch` when its files are missing or disagree.

    >>> Segment(Path("/nonexistent"), 8)
    Traceback (most recent call last):
    ...
    ingest.errors.IndexMismatch: Segment /nonexistent is incomplete (documents.jsonl, ... missing). Re-ingest ...
    """

    def __init__(self, path: Path, dimension: int) -> None:
        self.path = path
        self.name = path.name
        missing = [f for f in _FILES if not (path / f).is_file()]
        if missing:
            raise IndexMismatch(
                f"Segment {path} is incomplete ({', '.join(missing)} missing). "
                "Re-ingest with `referat ingest --rebuild`."
            )
        self.docs: dict[str, _DocRows] = {}
        with open(path / "documents.jsonl", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                start, count = rec["rows"]
                self.docs[rec["doc_id"]] = _DocRows(rec["info"], start, count, (rec["items"][0], rec["items"][1]))
        # Mapped, not read: opening a segment to add a document to the index must not cost a read of its rows.
        rows = np.load(path / "rows.npy", mmap_mode="r")
        self.vids: np.ndarray = rows[:-1, 0]
        self._offsets: np.ndarray = rows[:, 1]
        self.vectors: np.ndarray = np.load(path / "vectors.npy", mmap_mode="r")
        n = len(self.vids)
        if self.vectors.shape != (n, dimension) or sum(d.count for d in self.docs.values()) != n:
            raise IndexMismatch(
                f"Segment {path} is inconsistent ({n} rows, vectors {self.vectors.shape}, dimension {dimension}). "
                "Re-ingest with `referat ingest --rebuild`."
            )
        # Read with pread, not mapped: mapped pages count in the process's resident memory once touched (a BM25
        # build touches them all), while pages read into the page cache do not.
        self._chunks = open(path / "chunks.jsonl", "rb", buffering=0)  # noqa: SIM115 - closed with the segment
        self._items = open(path / "items.jsonl", "rb", buffering=0)  # noqa: SIM115

    def __len__(self) -> int:
        return len(self.vids)

    def chunk(self, row: int) -> Chunk:
        """The chunk stored at `row` (0-based within this segment)."""
        return chunk_from_line(self.chunk_lines(row, row + 1))

    def chunk_lines(self, start: int, stop: int) -> bytes:
        """The raw JSON lines of rows `start` to `stop` (exclusive)."""
        if stop <= start:
            return b""
        a, b = int(self._offsets[start]), int(self._offsets[stop])
        return os.pread(self._chunks.fileno(), b - a, a)

    def item_lines(self, doc_id: str) -> bytes:
        """The raw JSON lines of the document's items."""
        a, b = self.docs[doc_id].items
        return b"" if b <= a else os.pread(self._items.fileno(), b - a, a)

    def items(self, doc_id: str) -> tuple[AgendaItem, ...]:
        return tuple(item_from_json(json.loads(line)) for line in self.item_lines(doc_id).splitlines())


def write_segment(
    directory: Path, documents: Iterable[SegmentDoc], dimension: int, *, n_rows: int, sync: Callable[[Any], None]
) -> int:
    """Write `documents` (`n_rows` chunks in all) as a segment in the new, empty `directory`; return the bytes
    written. Vectors are streamed into the file, so merging segments holds one document's records at a time.

    `sync(f)` is called on every file before it is closed (the index's fsync).
    Raises `IndexMismatch` when a document's vectors or ids do not match its chunks, or the rows not `n_rows`.
    """
    vids = np.full(n_rows + 1, -1, dtype=np.int64)
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    vectors = np.lib.format.open_memmap(
        directory / "vectors.npy", mode="w+", dtype=np.float32, shape=(n_rows, dimension)
    )
    row = 0
    item_at = 0
    with (
        open(directory / "documents.jsonl", "wb") as docs_f,
        open(directory / "chunks.jsonl", "wb") as chunks_f,
        open(directory / "items.jsonl", "wb") as items_f,
    ):
        for d in documents:
            n = len(d.chunk_lines)
            if d.vectors.shape != (n, dimension) or len(d.vids) != n or row + n > n_rows:
                raise IndexMismatch(
                    f"document {d.doc_id!r}: vectors {d.vectors.shape}, {len(d.vids)} ids for {n} chunks"
                )
            for i, line in enumerate(d.chunk_lines):
                chunks_f.write(line)
                offsets[row + i + 1] = offsets[row + i] + len(line)
            vids[row : row + n] = d.vids
            vectors[row : row + n] = d.vectors
            items_f.write(d.item_lines)
            rec = {"doc_id": d.doc_id, "rows": [row, n], "items": [item_at, item_at + len(d.item_lines)]}
            docs_f.write((json.dumps({**rec, "info": d.info}, ensure_ascii=False) + "\n").encode("utf-8"))
            item_at += len(d.item_lines)
            row += n
        if row != n_rows:
            raise IndexMismatch(f"segment {directory}: {row} rows written, {n_rows} expected")
        for f in (docs_f, chunks_f, items_f):
            sync(f)
    vectors.flush()
    del vectors
    with open(directory / "vectors.npy", "rb+") as vf:
        sync(vf)
    with open(directory / "rows.npy", "wb") as rf:
        np.save(rf, np.stack([vids, offsets], axis=1))
        sync(rf)
    return sum(p.stat().st_size for p in directory.iterdir())


def chunk_line(chunk: Chunk, vid: int | None) -> bytes:
    """`chunk` as the JSON line a segment stores (with its FAISS id `vid`; None: without one)."""
    rec = dataclasses.asdict(chunk) if vid is None else {"vid": vid, **dataclasses.asdict(chunk)}
    return (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")


def item_line(item: AgendaItem) -> bytes:
    return (json.dumps(dataclasses.asdict(item), ensure_ascii=False) + "\n").encode("utf-8")


def chunk_from_line(line: bytes | str) -> Chunk:
    rec = json.loads(line)
    rec.pop("vid", None)
    if rec.get("pages"):
        rec["pages"] = tuple(rec["pages"])
    if "item_number" in rec:  # indexes saved before the field was named `number`
        rec["number"] = rec.pop("item_number")
    return Chunk(**rec)


def item_from_json(d: dict[str, Any]) -> AgendaItem:
    return AgendaItem(
        **{
            **d,
            "span": tuple(d["span"]),
            "pages": tuple(d["pages"]) if d.get("pages") else None,
            "presenters": tuple(d.get("presenters", ())),
            "sections": tuple(Section(**s) for s in d.get("sections", ())),
            "decision": Decision(
                **{**d.get("decision", {}), "sentences": tuple(d.get("decision", {}).get("sentences", ()))}
            ),
        }
    )
