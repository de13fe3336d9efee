"""The vector index: chunk vectors plus the chunk and agenda-item records, saved as append-only segments.

On disk an index is a directory:

    data/index/
      manifest.json          # the commit point: settings + the live segments, each with its tombstones
      s000003-3f9a1c/        # one immutable segment per save: the documents added or changed by that save
      s000004-9b20e7/        #   (records + float32 vectors, see rag/store.py)
      g000004-51c0aa.faiss   # the HNSW graph, only when the index searches with HNSW

`save()` writes the documents added or changed since the last save as one new segment directory, fsyncs
it, then atomically replaces `manifest.json` (os.replace) with one that names the segments and, per
segment, its tombstones: the documents in it that were removed or replaced since. A crash or SIGKILL at any
moment leaves either the old or the new manifest, and both name complete segments. Adding one document
writes that document and the manifest, whatever the size of the index; the manifest grows with the number
of segments and tombstones, not documents. Directories no manifest names any more are removed after the
swap (those of the previous manifest are kept, so a reader that has just read it can still finish).

Removed means gone from disk: the save after `remove_document` rewrites the segment that held the document
(its other documents move to the new segment, so that save costs the segment, not just the document). A
*replaced* document (re-ingested, changed) is only tombstoned: its old text stays in its segment until
`compact()` (`referat compact`), which merges the live documents into one segment and deletes the rest.
`save()` compacts by itself when there are more than MAX_SEGMENTS segments or tombstoned rows make up more
than DEAD_SHARE of those on disk. One writer at a time is assumed.

In memory the index holds the documents' metadata, about 24 bytes per chunk of row bookkeeping and the
unsaved documents; chunk and item records are read from disk and parsed when asked for, and vectors are
memory-mapped float32 matrices. `index_type="flat"` searches them exactly with FAISS's brute-force kernel
on the maps themselves (no copy); `"hnsw"` keeps an `IndexHNSWFlat` (its own copy of the vectors) inside an
`IndexIDMap2` keyed by int64 ids from a counter in the manifest: removed chunks stay in the graph and are
skipped by an id selector until compaction rebuilds it, and vectors added since the graph was saved are added
again on load. `"auto"`, the default for new indexes, is flat below `AUTO_HNSW_FROM` chunks and HNSW from
there on. Indexes saved as "flat" or "hnsw" load and stay what they were. An index of format 1 (one version
directory) loads, and the next save rewrites it as a segment.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import shutil
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, overload

import numpy as np

from ingest.errors import ConfigError, IndexMismatch, IndexMissing
from ingest.records import AgendaItem, Chunk, Document
from rag.embed import Embedder, embed_missing
from rag.lexical import LexicalIndex
from rag.store import (
    SEGMENT_NAME,
    Segment,
    SegmentDoc,
    chunk_from_line,
    chunk_line,
    item_from_json,
    item_line,
    write_segment,
)

FORMAT_VERSION = 2
READS_FORMATS = (1, 2)
MANIFEST = "manifest.json"
IndexType = Literal["flat", "hnsw", "auto"]
FaissKind = Literal["flat", "hnsw"]
INDEX_TYPES: tuple[IndexType, ...] = ("flat", "hnsw", "auto")
HNSW_M = 32
# `referat bench` (eval/BENCHMARKS.md), 1M clustered vectors: efSearch 64 gave recall@10 0.955 (0.40 ms),
# 128 gave 0.992 (0.67 ms).
HNSW_EF_SEARCH = 128
# FAISS's default (40) leaves clustered data with poorly linked regions: on `referat bench`'s 100k clustered
# vectors recall@10 stayed near 0.96 even at efSearch 256; 100 gives 0.995 at efSearch 64 for ~1.4x build time.
HNSW_EF_CONSTRUCTION = 100
# Exact flat search reads every vector per query (1.5 kB each at 384-d); from this size on "auto" uses HNSW.
# See `referat bench` and eval/BENCHMARKS.md for the latencies and recall behind the number.
AUTO_HNSW_FROM = 200_000
# Below this many allowed vectors a filtered HNSW search is an exact numpy product over the subset:
# exact, and HNSW's recall drops when a selector rejects most of the graph.
_EXACT_FILTER_LIMIT = 20_000
# save() merges all segments into one past these: a load opens every segment, and tombstoned rows are read
# (flat search) and kept on disk for nothing. Both bounds make merging amortised: each merge at least halves
# the rows on disk that are dead or doubles the rows per segment.
MAX_SEGMENTS = 32
DEAD_SHARE = 0.5
# The saved HNSW graph is written again once the vectors added after it exceed this share of it (they are
# added again on every load until then).
GRAPH_STALE_SHARE = 0.25
_GRAPH_NAME = re.compile(r"g\d{6}-[0-9a-f]{6}\.faiss")


@dataclass(frozen=True)
class DocumentInfo:
    """What the index records about one ingested document (stored with the document in its segment)."""

    content_hash: str
    source: str
    body: str | None
    date: str | None
    kind: str | None
    n_items: int
    n_chunks: int
    ingested_at: str
    # The document's own words before its first item (title, body, meeting, place), at most HEAD_CHARS:
    # what names the organisation an item belongs to when the item itself does not.
    head: str = ""
    # The numbers of its closed agenda items (`AgendaItem.closed`); None in indexes saved before this was kept.
    closed: tuple[str | None, ...] | None = None

    @classmethod
    def from_json(cls, info: Mapping[str, Any]) -> DocumentInfo:
        """The record as saved; fields a newer Referat added are left out, so an older one still loads it.

        >>> DocumentInfo.from_json({"content_hash": "h", "source": "a.pdf", "body": None, "date": None,
        ...     "kind": None, "n_items": 1, "n_chunks": 2, "ingested_at": "", "closed": ["3"], "new": 1}).closed
        ('3',)
        """
        known = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in info.items() if k in known}
        if kw.get("closed") is not None:
            kw["closed"] = tuple(kw["closed"])
        return cls(**kw)


@dataclass(frozen=True)
class _Unsaved:
    """A document added since the last save, held in memory until `save()` writes it."""

    items: tuple[AgendaItem, ...]
    chunks: tuple[Chunk, ...]
    vids: np.ndarray
    vectors: np.ndarray  # float32 (n_chunks, dimension)


@dataclass(frozen=True)
class _Layout:
    """Where each position (index into `chunks`) lies: documents in segment order, then the unsaved ones."""

    docs: tuple[str, ...]  # the document at each run, in position order
    starts: np.ndarray  # int64 first position of each run (+ the total at the end)
    vids: np.ndarray  # int64 id of the chunk at each position
    # Per segment (then the unsaved documents): (vectors, rows of the live chunks in it or None for all, first
    # position): the live chunks of one source are consecutive positions.
    blocks: tuple[tuple[np.ndarray, np.ndarray | None, int], ...]
    by_doc: dict[str, tuple[int, int]]  # document -> (first position, count)


class Index:
    """Chunk vectors + chunk/item records for a set of documents, stored in a directory.

    >>> from rag.embed import HashEmbedder
    >>> emb = HashEmbedder(dimension=32)
    >>> idx = Index.create("/tmp/doctest-index", emb.model_id, emb.dimension, overwrite=True)
    >>> len(idx)
    0
    """

    def __init__(
        self,
        directory: Path,
        *,
        embedder_id: str,
        dimension: int,
        index_type: IndexType = "auto",
        normalized: bool = True,
    ) -> None:
        # Use `create`, `load` or `open_or_create`; the constructor only holds state.
        if dimension <= 0:
            raise ConfigError(f"dimension must be > 0, got {dimension}")
        if index_type not in INDEX_TYPES:
            raise ConfigError(f"index_type must be one of {INDEX_TYPES}, got {index_type!r}")
        self.directory = Path(directory)
        self.embedder_id = embedder_id
        self.dimension = dimension
        self.index_type: IndexType = index_type
        self.normalized = normalized
        self._segments: list[Segment] = []
        self._dead: dict[str, set[str]] = {}  # segment name -> its documents removed or replaced since
        self._purge: set[str] = set()  # segments that held a document removed since the last save
        self._home: dict[str, Segment | None] = {}  # document -> the segment holding it (None: unsaved)
        self._unsaved: dict[str, _Unsaved] = {}
        self._docs: dict[str, DocumentInfo] = {}
        self._n = 0
        self._next_vid = 0
        self._next_segment = 1
        self._faiss: Any = None  # the HNSW graph, built or loaded on first use; None: (re)build it
        self._gone = np.zeros(0, dtype=np.int64)  # ids in the graph of chunks no longer in the index
        self._graph: str | None = None  # the graph file the manifest names
        self._graph_n = 0  # vectors in that file
        self._revision = 0
        self._layout: _Layout | None = None
        self._layout_of = -1  # the revision the layout describes
        self._item_cache: dict[tuple[str, str], tuple[AgendaItem, ...]] = {}
        self._lexical: tuple[int, LexicalIndex] | None = None  # (revision built at, BM25)
        # Readers search in parallel (writes are exclusive: `rag.locks`): what they build on first use (layout,
        # BM25, HNSW graph, the item cache) is built once, under this lock, not by each of them at once.
        self._derive_lock = threading.RLock()

    # ----------------------------------------------------------------- construction

    @classmethod
    def create(
        cls,
        directory: str | os.PathLike[str],
        embedder_id: str,
        dimension: int,
        index_type: IndexType = "auto",
        *,
        overwrite: bool = False,
    ) -> Index:
        """A new, empty index for `directory`. Nothing is written until `save()`.

        With `overwrite=True` an existing index there is replaced when this one is saved (and stays
        loadable until then, so an interrupted rebuild loses nothing).

        >>> idx = Index.create("/tmp/doctest-index", "hash-32", 32, overwrite=True)
        """
        path = Path(directory)
        if not overwrite and (path / MANIFEST).exists():
            raise ConfigError(
                f"An index already exists at {path}. Open it with Index.load, or rebuild it with "
                "`referat ingest --rebuild`."
            )
        idx = cls(path, embedder_id=embedder_id, dimension=dimension, index_type=index_type)
        if overwrite:  # segment numbers keep rising, so the new ones never collide with the old ones
            idx._next_segment = int(_read_manifest_or_empty(path).get("next_segment", 1))
        return idx

    @classmethod
    def load(cls, directory: str | os.PathLike[str], embedder_id: str | None = None) -> Index:
        """Load the index saved at `directory`; refuse it when it was built with another embedder.

        Raises `IndexMissing` (no index, or a segment it names is gone) and `IndexMismatch` (another embedder,
        an unknown format, inconsistent files).

        >>> Index.load("/nonexistent/index")
        Traceback (most recent call last):
        ...
        ingest.errors.IndexMissing: No index at /nonexistent/index — run `referat ingest PATH` first.
        """
        path = Path(directory)
        manifest = _read_manifest(path)
        version = manifest.get("format_version")
        if version not in READS_FORMATS:
            raise IndexMismatch(
                f"Index at {path} has format version {version}; this Referat reads versions "
                f"{', '.join(map(str, READS_FORMATS))}. Re-ingest with `referat ingest --rebuild`."
            )
        built_with = manifest["embedder_id"]
        if embedder_id is not None and embedder_id != built_with:
            raise IndexMismatch.of_embedder(path, built_with, embedder_id)
        idx = cls(
            path,
            embedder_id=built_with,
            dimension=int(manifest["dimension"]),
            index_type=manifest.get("index_type", "flat"),
            normalized=bool(manifest.get("normalized", True)),
        )
        idx._next_vid = int(manifest["next_id"])
        if version == 1:
            idx._load_format_1(manifest)
        else:
            idx._next_segment = int(manifest["next_segment"])
            for entry in manifest["segments"]:
                where = path / entry["name"]
                if not where.is_dir():
                    raise IndexMissing(
                        f"Index at {path} names segment {entry['name']}, which is missing. "
                        "Re-ingest with `referat ingest --rebuild`."
                    )
                segment = Segment(where, idx.dimension)
                dead = set(entry["dead"])
                idx._segments.append(segment)
                idx._dead[segment.name] = dead
                for doc_id, rows in segment.docs.items():
                    if doc_id in dead:
                        continue
                    if doc_id in idx._home:
                        raise IndexMismatch(
                            f"Index at {path} holds document {doc_id!r} in two segments. "
                            "Re-ingest with `referat ingest --rebuild`."
                        )
                    idx._home[doc_id] = segment
                    idx._docs[doc_id] = DocumentInfo.from_json(rows.info)
                    idx._n += rows.count
        if idx._n != manifest["n_chunks"]:
            raise IndexMismatch(
                f"Index at {path} is inconsistent ({idx._n} chunks, the manifest says {manifest['n_chunks']}). "
                "Re-ingest with `referat ingest --rebuild`."
            )
        graph = manifest.get("graph")
        if graph and idx.kind == "hnsw":
            idx._load_graph(path / graph)
        return idx

    @classmethod
    def open_or_create(
        cls, directory: str | os.PathLike[str], embedder: Embedder, index_type: IndexType = "auto"
    ) -> Index:
        """Load the index at `directory` (checked against `embedder`), or start an empty one there.

        >>> from rag.embed import HashEmbedder
        >>> idx = Index.open_or_create("/tmp/doctest-index-2", HashEmbedder(dimension=32))
        """
        path = Path(directory)
        if not (path / MANIFEST).exists():
            return cls.create(path, embedder.model_id, embedder.dimension, index_type)
        idx = cls.load(path, embedder.model_id)
        if idx.dimension != embedder.dimension:
            raise IndexMismatch(
                f"Index at {path} has dimension {idx.dimension}; {embedder.model_id} gives "
                f"{embedder.dimension}. Re-ingest with `referat ingest --rebuild`."
            )
        return idx

    # ----------------------------------------------------------------- reading

    def __len__(self) -> int:
        return self._n

    @property
    def kind(self) -> FaissKind:
        """The structure searches use: `index_type`, or for "auto" the one that suits the size.

        >>> Index("/tmp/x", embedder_id="e", dimension=8).kind
        'flat'
        """
        if self.index_type == "auto":
            return auto_kind(self._n)
        return self.index_type

    def vector_bytes(self) -> int:
        """Bytes of vectors a search reads: the float32 matrices (memory-mapped ones included, tombstoned rows
        too) plus, for HNSW, the serialised FAISS index."""
        matrices = sum(int(s.vectors.nbytes) for s in self._segments)
        matrices += sum(int(u.vectors.nbytes) for u in self._unsaved.values())
        if self.kind != "hnsw":
            return matrices
        faiss = _faiss_module()
        return matrices + int(faiss.serialize_index(self._faiss_index()).size)

    @property
    def revision(self) -> int:
        """Bumped on every change: derived structures (the BM25 index) rebuild when it moves."""
        return self._revision

    @property
    def chunks(self) -> Sequence[Chunk]:
        """All chunks, in vector order, read from disk as they are asked for (positions are stable until the
        next change; so is this view)."""
        return _Chunks(self)

    @property
    def vectors(self) -> np.ndarray:
        """The (n_chunks, dimension) float32 matrix, aligned with `chunks`. Read-only; a copy in memory unless
        the index is one saved segment without tombstones (then the memory map itself)."""
        blocks = self._lay().blocks
        parts = [np.asarray(m if rows is None else m[rows]) for m, rows, _ in blocks]
        if len(parts) == 1:
            view = parts[0].view()
        else:
            view = np.concatenate(parts) if parts else np.zeros((0, self.dimension), dtype=np.float32)
        view.flags.writeable = False
        return view

    @property
    def documents(self) -> Mapping[str, DocumentInfo]:
        return dict(self._docs)

    def items(self, doc_id: str) -> tuple[AgendaItem, ...]:
        """The document's agenda items in document order; () for an unknown document."""
        if doc_id not in self._home:
            return ()
        home = self._home[doc_id]
        if home is None:
            return self._unsaved[doc_id].items
        key = (home.name, doc_id)
        found = self._item_cache.get(key)
        if found is None:
            found = home.items(doc_id)
            with self._derive_lock:
                if len(self._item_cache) >= _ITEM_CACHE:
                    self._item_cache.pop(next(iter(self._item_cache)))
                self._item_cache[key] = found
        return found

    def item(self, doc_id: str, number: str | None) -> AgendaItem | None:
        """One agenda item (`number` None: the document's unnumbered part), or None."""
        for it in self.items(doc_id):
            if it.number == number:
                return it
        return None

    def chunks_of(self, doc_id: str) -> tuple[Chunk, ...]:
        if doc_id not in self._home:
            return ()
        home = self._home[doc_id]
        if home is None:
            return self._unsaved[doc_id].chunks
        rows = home.docs[doc_id]
        lines = home.chunk_lines(rows.start, rows.start + rows.count)
        return tuple(chunk_from_line(line) for line in lines.splitlines())

    def chunks_at(self, positions: Sequence[int]) -> list[Chunk]:
        """The chunks at these positions, in the order given (IndexError for one out of range).

        >>> Index.create("/tmp/doctest-index", "hash-32", 32, overwrite=True).chunks_at([])
        []
        """
        chunks = self.chunks
        return [chunks[int(p)] for p in positions]

    def positions_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Sorted positions (into `chunks`) of every chunk of these documents."""
        by_doc = self._lay().by_doc
        ranges = [np.arange(a, a + n, dtype=np.int64) for d in set(doc_ids) if d in by_doc for a, n in [by_doc[d]]]
        return np.sort(np.concatenate(ranges)) if ranges else np.zeros(0, dtype=np.int64)

    def search_dense(
        self, query_vec: np.ndarray, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` chunks nearest `query_vec` as (position in `chunks`, inner product), best first.

        `doc_ids` restricts the search to those documents' chunks. Flat: an exact numpy product over the
        memory-mapped vectors. Raises `ConfigError` for k <= 0, `IndexMismatch` for a wrong dimension.

        >>> from rag.embed import HashEmbedder
        >>> idx = Index.create("/tmp/doctest-index", "hash-32", 32, overwrite=True)
        >>> idx.search_dense(HashEmbedder(32).embed_query("x"), 5)
        []
        """
        return self._search_dense_at(query_vec, k, None if doc_ids is None else self.positions_of(doc_ids))

    def _search_dense_at(self, query_vec: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        """`search_dense` over the sorted positions `allowed` (None: every chunk)."""
        if k <= 0:
            raise ConfigError(f"k must be > 0, got {k}")
        q = np.ascontiguousarray(np.asarray(query_vec, dtype=np.float32).reshape(1, -1))
        if q.shape[1] != self.dimension:
            raise IndexMismatch(f"query vector has dimension {q.shape[1]}; the index has {self.dimension}")
        if not self._n:
            return []
        if allowed is not None:
            if len(allowed) == 0:
                return []
            if len(allowed) <= _EXACT_FILTER_LIMIT:
                scores = self._vectors_at(allowed) @ q[0]
                return [(int(allowed[i]), float(scores[i])) for i in _top_k(scores, k)]
        if self.kind == "flat":
            return self._search_flat(q, min(k, self._n), allowed)
        return self._search_hnsw(q, min(k, self._n), allowed)

    def search_lexical(
        self, question: str, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` chunks BM25 ranks best for `question` as (position in `chunks`, score), best first; only
        chunks with a positive score. `doc_ids` restricts the search to those documents' chunks.

        BM25 (`rag.lexical`) reads each chunk's citation header and text, plus the words of its document's
        file name, which often name the organisation ("refgen_pomosa_2010"). It is built in memory on the
        first search after a change (~0.1 s per 1,000 chunks). Raises `ConfigError` for k <= 0.
        """
        return self._search_lexical_at(question, k, None if doc_ids is None else self.positions_of(doc_ids))

    def _search_lexical_at(self, question: str, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if k <= 0:
            raise ConfigError(f"k must be > 0, got {k}")
        if not self._n or (allowed is not None and len(allowed) == 0):
            return []
        return self._lexical_index().search(question, k, positions=allowed)

    def _lexical_index(self) -> LexicalIndex:
        lexical = self._lexical
        if lexical is None or lexical[0] != self._revision:
            with self._derive_lock:
                lexical = self._lexical
                if lexical is None or lexical[0] != self._revision:
                    built = LexicalIndex.build(f"{c.embed_text}\n{file_words(c.doc_id)}" for c in self.chunks)
                    lexical = self._lexical = (self._revision, built)
        return lexical[1]

    def warm_up(self) -> None:
        """Build the in-memory search structures (BM25; the HNSW graph when used) now, not on the first search."""
        self._lexical_index()
        if self._n and self.kind == "hnsw":
            self._faiss_index()

    def without_closed(self) -> WithoutClosed:
        """This index as a reader without the right to closed items sees it (see `WithoutClosed`)."""
        return WithoutClosed(self)

    # ----------------------------------------------------------------- writing

    def upsert_document(self, document: Document, chunks: Sequence[Chunk], embedder: Embedder) -> int:
        """Add or replace one document's chunks and items; return how many passages were embedded.

        Nothing is embedded when the document is indexed unchanged. When it changed, its old chunks and
        items are replaced; passages whose text (header + text) is unchanged keep their stored vector.
        Raises `IndexMismatch` for another embedder, `ConfigError` for chunks of another document.

        >>> from rag.embed import HashEmbedder
        >>> emb = HashEmbedder(dimension=32)
        >>> idx = Index.create("/tmp/doctest-index", emb.model_id, emb.dimension, overwrite=True)
        >>> doc = Document("d1", "d1.txt", "tekst", (), content_hash="h1")
        >>> idx.upsert_document(doc, [], emb)
        0
        """
        self._check_embedder(embedder)
        doc_id = document.doc_id
        stray = [c.id for c in chunks if c.doc_id != doc_id]
        if stray:
            raise ConfigError(f"chunks {stray[:3]} do not belong to document {doc_id!r}")
        old_chunks = self.chunks_of(doc_id)
        old_info = self._docs.get(doc_id)
        if (
            old_info is not None
            and old_info.content_hash == document.content_hash
            and list(old_chunks) == list(chunks)
            and self.items(doc_id) == tuple(document.items)
            and _info_matches(old_info, document)
        ):
            return 0

        old_vectors = self._vectors_of(doc_id)
        known = {c.embed_text: old_vectors[i] for i, c in enumerate(old_chunks)}
        embedded = embed_missing(embedder, [c.embed_text for c in chunks], known, self.dimension)
        new_vectors = (
            np.stack([known[c.embed_text] for c in chunks]).astype(np.float32)
            if chunks
            else np.zeros((0, self.dimension), dtype=np.float32)
        )

        # Everything that can fail has run: from here on the in-memory index changes.
        if doc_id in self._docs:
            self._forget(doc_id)
        new_vids = np.arange(self._next_vid, self._next_vid + len(chunks), dtype=np.int64)
        self._next_vid += len(chunks)
        self._unsaved[doc_id] = _Unsaved(tuple(document.items), tuple(chunks), new_vids, new_vectors)
        self._home[doc_id] = None
        self._n += len(chunks)
        if self._faiss is not None and self.kind != "hnsw":
            self._faiss = None  # "auto" went flat: a graph kept now would miss what is added meanwhile
        if self._faiss is not None and len(chunks):
            self._faiss.add_with_ids(new_vectors, new_vids)
        self._docs[doc_id] = DocumentInfo(
            content_hash=document.content_hash,
            source=document.source,
            body=document.body,
            date=document.date,
            kind=document.kind,
            n_items=len(document.items),
            n_chunks=len(chunks),
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            head=document_head(document),
            closed=tuple(it.number for it in document.items if it.closed),
        )
        self._revision += 1
        return embedded

    def remove_document(self, doc_id: str) -> bool:
        """Forget a document (chunks, vectors, items). False when it was not indexed.

        The next `save()` rewrites the segments that held it or an earlier version of it (their other documents
        move to the new segment), so its text is gone from disk after that save."""
        if doc_id not in self._docs:
            return False
        # Every segment with a version of it: the live one, and those where an earlier version is tombstoned.
        self._purge |= {s.name for s in self._segments if doc_id in s.docs}
        self._forget(doc_id)
        del self._docs[doc_id]
        self._revision += 1
        return True

    def save(self) -> Path:
        """Commit the changes since the last save (see the module docstring); return the directory of the segment
        written, or of the index when there was nothing new to write.

        Writes the unsaved documents, and the other documents of segments that held a removed one, as one new
        segment and a new manifest; compacts instead (`compact()`) when the segments or their tombstoned rows
        pass MAX_SEGMENTS or DEAD_SHARE.
        """
        segments = len(self._segments) + bool(self._unsaved)
        on_disk = sum(len(s) for s in self._segments)
        dead = sum(s.docs[d].count for s in self._segments for d in self._dead.get(s.name, ()))
        if segments > MAX_SEGMENTS or (on_disk and dead > DEAD_SHARE * on_disk):
            return self.compact()
        root = self.directory
        root.mkdir(parents=True, exist_ok=True)
        previous = _named_in(root)
        # A segment that held a removed document is rewritten: its live documents move to the new segment.
        purged = [s for s in self._segments if s.name in self._purge]
        moved = [d for d, _ in self._live_docs() if self._home[d] in purged or self._home[d] is None]
        written = self._write_segment(root, moved) if moved else None
        held = [s for s in self._segments if s not in purged and len(self._dead.get(s.name, ())) < len(s.docs)]
        live = [*held, *([written] if written else [])]
        graph = self._save_graph(root, fresh=False)
        self._commit(root, live, graph)
        gone = {s.name for s in purged}
        self._clean(root, keep=(previous - gone) | {s.name for s in live} | ({graph} if graph else set()))
        if written is not None:
            self._adopt(written, live, moved)
        else:
            self._segments = live
        if purged:
            self._revision += 1  # the moved documents' chunks changed position
        return written.path if written else root

    def compact(self) -> Path:
        """Merge every live document into one new segment, commit it, and delete every other segment: removed and
        replaced documents' text is then gone from disk. Costs a write of the whole index; returns the segment.

        >>> idx = Index.create("/tmp/doctest-index", "hash-32", 32, overwrite=True)
        >>> idx.compact().name.startswith("s")
        True
        """
        root = self.directory
        root.mkdir(parents=True, exist_ok=True)
        written = self._write_segment(root, [d for d, _ in self._live_docs()])
        if self._gone.size:
            self._faiss = None  # the graph still holds the tombstoned vectors: built afresh without them
        graph = self._save_graph(root, fresh=True)
        self._commit(root, [written], graph)
        self._clean(root, keep={written.name} | ({graph} if graph else set()))
        self._dead = {}
        self._adopt(written, [written], self._home)
        return written.path

    # ----------------------------------------------------------------- internals

    def _load_format_1(self, manifest: dict[str, Any]) -> None:
        """Read a format-1 index (one version directory) into memory, as unsaved documents: the next save
        writes it as a segment."""
        data = self.directory / manifest["data"]
        if not data.is_dir():
            raise IndexMissing(
                f"Index at {self.directory} names data directory {manifest['data']}, which is missing. "
                "Re-ingest with `referat ingest --rebuild`."
            )
        chunks: dict[str, list[Chunk]] = {}
        vids: dict[str, list[int]] = {}
        with open(data / "chunks.jsonl", encoding="utf-8") as f:
            for line in f:
                chunk = chunk_from_line(line)
                chunks.setdefault(chunk.doc_id, []).append(chunk)
                vids.setdefault(chunk.doc_id, []).append(json.loads(line)["vid"])
        items: dict[str, list[AgendaItem]] = {}
        with open(data / "items.jsonl", encoding="utf-8") as f:
            for line in f:
                item = item_from_json(json.loads(line))
                items.setdefault(item.doc_id, []).append(item)
        vectors = np.load(data / "vectors.npy")
        n = sum(map(len, chunks.values()))
        if vectors.shape != (n, self.dimension):
            raise IndexMismatch(
                f"Index at {self.directory} is inconsistent ({n} chunks, vectors {vectors.shape}). "
                "Re-ingest with `referat ingest --rebuild`."
            )
        docs = {d: DocumentInfo.from_json(info) for d, info in manifest["documents"].items()}
        at = 0
        for doc_id in [*chunks, *(d for d in docs if d not in chunks)]:  # vector order: chunks are grouped
            mine = chunks.get(doc_id, [])
            self._unsaved[doc_id] = _Unsaved(
                tuple(items.get(doc_id, ())),
                tuple(mine),
                np.asarray(vids.get(doc_id, []), dtype=np.int64),
                vectors[at : at + len(mine)],
            )
            self._home[doc_id] = None
            at += len(mine)
        self._docs = docs
        self._n = n

    def _load_graph(self, path: Path) -> None:
        faiss = _faiss_module()
        if not path.is_file():
            return  # rebuilt on first use
        graph = faiss.deserialize_index(np.fromfile(path, dtype=np.uint8))
        ids = faiss.vector_to_array(graph.id_map).astype(np.int64)
        lay = self._lay()
        new = np.flatnonzero(~np.isin(lay.vids, ids))
        self._graph, self._graph_n = path.name, int(graph.ntotal)
        if new.size:  # added after the graph was saved
            graph.add_with_ids(np.ascontiguousarray(self._vectors_at(new)), lay.vids[new])
        self._gone = ids[~np.isin(ids, lay.vids)]
        self._faiss = graph

    def _manifest(self, segments: Sequence[Segment], graph: str | None) -> dict[str, Any]:
        faiss = _faiss_module()
        return {
            "format_version": FORMAT_VERSION,
            "embedder_id": self.embedder_id,
            "dimension": self.dimension,
            "normalized": self.normalized,
            "index_type": self.index_type,
            "hnsw": {"M": HNSW_M, "ef_search": HNSW_EF_SEARCH} if self.kind == "hnsw" else None,
            "n_chunks": self._n,
            "n_documents": len(self._docs),
            "next_id": self._next_vid,
            "next_segment": self._next_segment,
            "segments": [{"name": s.name, "dead": sorted(self._dead.get(s.name, ()))} for s in segments],
            "graph": graph,
            "versions": {
                "faiss": faiss.__version__,
                "numpy": np.__version__,
                "bm25s": _dist_version("bm25s"),
                "PyStemmer": _dist_version("PyStemmer"),
            },
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def _write_segment(self, root: Path, doc_ids: Sequence[str]) -> Segment:
        """Write these documents (in this order) as a new segment directory, fsynced and renamed into place."""
        name = f"s{self._next_segment:06d}-{secrets.token_hex(3)}"
        while (root / name).exists():  # left by a save killed before its commit, under the same number
            name = f"s{self._next_segment:06d}-{secrets.token_hex(3)}"
        self._next_segment += 1
        tmp = root / f".tmp-{name}"
        tmp.mkdir()
        n_rows = sum(self._docs[d].n_chunks for d in doc_ids)
        write_segment(tmp, (self._segment_doc(d) for d in doc_ids), self.dimension, n_rows=n_rows, sync=_fsync)
        _fsync_dir(tmp)
        os.rename(tmp, root / name)
        _fsync_dir(root)
        return Segment(root / name, self.dimension)

    def _segment_doc(self, doc_id: str) -> SegmentDoc:
        info = dataclasses.asdict(self._docs[doc_id])
        home = self._home[doc_id]
        if home is None:
            u = self._unsaved[doc_id]
            lines = [chunk_line(c, v) for c, v in zip(u.chunks, u.vids.tolist(), strict=True)]
            return SegmentDoc(doc_id, info, b"".join(map(item_line, u.items)), lines, u.vids, u.vectors)
        rows = home.docs[doc_id]
        end = rows.start + rows.count
        lines = home.chunk_lines(rows.start, end).splitlines(keepends=True)
        return SegmentDoc(
            doc_id, info, home.item_lines(doc_id), lines, home.vids[rows.start : end], home.vectors[rows.start : end]
        )

    def _save_graph(self, root: Path, *, fresh: bool) -> str | None:
        """The HNSW graph file the manifest names: the saved one while it is recent enough, else written anew."""
        if self.kind != "hnsw":
            return None
        index = self._faiss_index()
        added = index.ntotal - self._graph_n
        if not fresh and self._graph and (root / self._graph).is_file() and added <= GRAPH_STALE_SHARE * self._graph_n:
            return self._graph
        faiss = _faiss_module()
        name = f"g{self._next_segment:06d}-{secrets.token_hex(3)}.faiss"
        tmp = root / f".tmp-{name}"
        with open(tmp, "wb") as f:
            f.write(faiss.serialize_index(index).tobytes())
            _fsync(f)
        os.rename(tmp, root / name)
        self._graph, self._graph_n = name, int(index.ntotal)
        return name

    def _commit(self, root: Path, segments: Sequence[Segment], graph: str | None) -> None:
        staged = root / f".{MANIFEST}.{secrets.token_hex(3)}.tmp"
        with open(staged, "w", encoding="utf-8") as f:
            json.dump(self._manifest(segments, graph), f, ensure_ascii=False, indent=1)
            _fsync(f)
        os.replace(staged, root / MANIFEST)  # the commit point
        _fsync_dir(root)

    def _clean(self, root: Path, *, keep: set[str]) -> None:
        """Remove segments, graphs and half-written files that no manifest in `keep` needs."""
        for entry in root.iterdir():
            stale = (SEGMENT_NAME.fullmatch(entry.name) or _GRAPH_NAME.fullmatch(entry.name)) and entry.name not in keep
            if stale or entry.name.startswith((".tmp-", f".{MANIFEST}.")):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    def _adopt(self, written: Segment, segments: list[Segment], moved: Iterable[str]) -> None:
        """After a commit: the live documents are read from `segments`, those `moved` from `written`."""
        for doc_id in list(moved):
            self._home[doc_id] = written
        self._unsaved.clear()
        self._segments = segments
        self._dead = {s.name: self._dead.get(s.name, set()) for s in segments}
        self._purge = set()
        self._item_cache.clear()
        self._layout_of = -1  # positions are unchanged (`revision` stays), but they now lie in `written`

    def _check_embedder(self, embedder: Embedder) -> None:
        if embedder.model_id != self.embedder_id:
            raise IndexMismatch.of_embedder(self.directory, self.embedder_id, embedder.model_id)
        if embedder.dimension != self.dimension:
            raise IndexMismatch(
                f"Index at {self.directory} has dimension {self.dimension}; {embedder.model_id} gives "
                f"{embedder.dimension}. Re-ingest with `referat ingest --rebuild`."
            )

    def _forget(self, doc_id: str) -> None:
        """Drop the document's chunks and items (its entry in `_docs` is the caller's)."""
        home = self._home.pop(doc_id)
        self._item_cache.pop((home.name, doc_id), None) if home else None
        if home is None:
            vids = self._unsaved.pop(doc_id).vids
        else:
            self._dead.setdefault(home.name, set()).add(doc_id)
            rows = home.docs[doc_id]
            vids = home.vids[rows.start : rows.start + rows.count]
        self._n -= len(vids)
        if self._faiss is not None and len(vids):
            self._gone = np.concatenate([self._gone, vids])  # HNSW cannot remove: skipped when searching
        self._revision += 1

    def _live_docs(self) -> Iterator[tuple[str, int]]:
        """(document, chunk count) of every live document, in position order."""
        for segment in self._segments:
            dead = self._dead.get(segment.name, set())
            live = sorted((r.start, d) for d, r in segment.docs.items() if d not in dead)
            for _, d in live:
                yield d, segment.docs[d].count
        for d, u in self._unsaved.items():
            yield d, len(u.chunks)

    def _lay(self) -> _Layout:
        described = self._layout_of  # read before the layout: `_lay_out` sets the layout first
        layout = self._layout
        if layout is not None and described == self._revision:
            return layout
        with self._derive_lock:
            return self._lay_out()

    def _lay_out(self) -> _Layout:
        if self._layout is not None and self._layout_of == self._revision:
            return self._layout
        docs: list[str] = []
        starts: list[int] = []
        vids: list[np.ndarray] = []
        blocks: list[tuple[np.ndarray, np.ndarray | None, int]] = []
        by_doc: dict[str, tuple[int, int]] = {}
        pos = 0
        for segment in self._segments:
            dead = self._dead.get(segment.name, set())
            live = sorted((r.start, r.count, d) for d, r in segment.docs.items() if d not in dead and r.count)
            first = pos
            for _, count, d in live:
                docs.append(d)
                starts.append(pos)
                by_doc[d] = (pos, count)
                pos += count
            rows = None
            if sum(c for _, c, _ in live) != len(segment):
                rows = np.concatenate([np.arange(s, s + c) for s, c, _ in live]) if live else np.zeros(0, np.int64)
            vids.append(segment.vids if rows is None else segment.vids[rows])
            blocks.append((segment.vectors, rows, first))
        first = pos
        for d, u in self._unsaved.items():
            if len(u.chunks):
                docs.append(d)
                starts.append(pos)
                by_doc[d] = (pos, len(u.chunks))
                pos += len(u.chunks)
                vids.append(u.vids)
        if pos > first:
            blocks.append((np.concatenate([u.vectors for u in self._unsaved.values()]), None, first))
        self._layout = _Layout(
            tuple(docs),
            np.asarray([*starts, pos], dtype=np.int64),
            np.concatenate(vids) if vids else np.zeros(0, dtype=np.int64),
            tuple(blocks),
            by_doc,
        )
        self._layout_of = self._revision
        return self._layout

    def _chunk_at(self, position: int) -> Chunk:
        lay = self._lay()
        run = int(np.searchsorted(lay.starts, position, side="right")) - 1
        doc_id = lay.docs[run]
        offset = position - int(lay.starts[run])
        home = self._home[doc_id]
        if home is None:
            return self._unsaved[doc_id].chunks[offset]
        return home.chunk(home.docs[doc_id].start + offset)

    def _iter_chunks(self) -> Iterator[Chunk]:
        for doc_id in self._lay().docs:
            yield from self.chunks_of(doc_id)

    def _vectors_of(self, doc_id: str) -> np.ndarray:
        home = self._home.get(doc_id)
        if doc_id not in self._home:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if home is None:
            return self._unsaved[doc_id].vectors
        rows = home.docs[doc_id]
        return np.asarray(home.vectors[rows.start : rows.start + rows.count])

    def _vectors_at(self, positions: np.ndarray) -> np.ndarray:
        """The vectors at these sorted positions, (len(positions), dimension) float32 (read from the maps)."""
        parts = []
        lay = self._lay()
        for i, (matrix, rows, first) in enumerate(lay.blocks):
            end = lay.blocks[i + 1][2] if i + 1 < len(lay.blocks) else self._n
            a, b = np.searchsorted(positions, [first, end])
            local = positions[a:b] - first
            if len(local):
                parts.append(np.asarray(matrix[local if rows is None else rows[local]], dtype=np.float32))
        return np.concatenate(parts) if parts else np.zeros((0, self.dimension), dtype=np.float32)

    def _search_flat(self, q: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        """Exact search with FAISS's brute-force kernel straight on each (memory-mapped) matrix: no copy, and the
        same scores and order as an `IndexFlatIP` over the same vectors. Tombstoned rows (and, with `allowed`,
        the rows not allowed) are left out by an id selector over row numbers."""
        faiss = _faiss_module()
        found: list[tuple[float, int]] = []
        lay = self._lay()
        for i, (matrix, rows, first) in enumerate(lay.blocks):
            end = lay.blocks[i + 1][2] if i + 1 < len(lay.blocks) else self._n
            wanted = rows
            if allowed is not None:
                a, b = np.searchsorted(allowed, [first, end])
                local = allowed[a:b] - first
                if not len(local):
                    continue
                wanted = local if rows is None else rows[local]
            xb = np.ascontiguousarray(matrix, dtype=np.float32)  # a view of the map, not a copy
            kk = min(k, len(xb) if wanted is None else len(wanted))
            dist = np.empty((1, kk), dtype=np.float32)
            ids = np.empty((1, kk), dtype=np.int64)
            args = [faiss.swig_ptr(q), faiss.swig_ptr(xb), self.dimension, 1, len(xb), kk]
            args += [faiss.swig_ptr(dist), faiss.swig_ptr(ids)]
            sel = None if wanted is None else faiss.IDSelectorBatch(np.ascontiguousarray(wanted, dtype=np.int64))
            with _one_thread(faiss):
                faiss.knn_inner_product(*args, *([sel] if sel is not None else []))
            for row, score in zip(ids[0].tolist(), dist[0].tolist(), strict=True):
                if row >= 0:
                    found.append((score, first + (row if rows is None else int(np.searchsorted(rows, row)))))
        if len(lay.blocks) == 1:
            return [(p, score) for score, p in found]  # already best first
        found.sort(key=lambda t: (-t[0], t[1]))
        return [(p, score) for score, p in found[:k]]

    def _search_hnsw(self, q: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        faiss = _faiss_module()
        index = self._faiss_index()
        lay = self._lay()
        keep: list[Any] = []  # the selectors must outlive the search
        if allowed is not None:
            keep.append(faiss.IDSelectorBatch(lay.vids[allowed]))
        elif self._gone.size:
            keep += [faiss.IDSelectorBatch(self._gone)]
            keep.append(faiss.IDSelectorNot(keep[0]))
        params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
        if keep:
            params.sel = keep[-1]
        with _one_thread(faiss):
            dist, ids = index.search(q, k, params=params)
        found = [(int(v), float(s)) for v, s in zip(ids[0], dist[0], strict=True) if v != -1]
        if not found:
            return []
        positions = _positions_of_vids(lay.vids, np.asarray([v for v, _ in found], dtype=np.int64))
        return [(int(p), s) for p, (_, s) in zip(positions.tolist(), found, strict=True)]

    def _faiss_index(self) -> Any:
        """The HNSW graph over every live vector (built here when there is none)."""
        if self._faiss is not None:
            return self._faiss
        with self._derive_lock:
            return self._build_faiss()

    def _build_faiss(self) -> Any:
        if self._faiss is None:
            faiss = _faiss_module()
            base = faiss.IndexHNSWFlat(self.dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efSearch = HNSW_EF_SEARCH
            base.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index = faiss.IndexIDMap2(base)
            lay = self._lay()
            step = 50_000  # bounded copies out of the memory maps
            for start in range(0, self._n, step):
                positions = np.arange(start, min(self._n, start + step))
                index.add_with_ids(np.ascontiguousarray(self._vectors_at(positions)), lay.vids[positions])
            self._faiss = index
            self._gone = np.zeros(0, dtype=np.int64)
            self._graph_n = 0  # what is saved no longer matches: written again on save
        return self._faiss


class WithoutClosed:
    """An index as a reader without the right to closed agenda items sees it: every read and every search leaves
    the closed items (`AgendaItem.closed`) and their chunks out, in the search itself (its allowed positions),
    not by dropping them from results afterwards; counts (`len`, `DocumentInfo.n_items`/`n_chunks`) leave
    them out too. Positions are the index's own. Reads the index as it is at each call; writes go to it.

    >>> idx = Index.create("/tmp/doctest-index", "hash-32", 32, overwrite=True)
    >>> len(idx.without_closed())
    0
    """

    def __init__(self, index: Index) -> None:
        self.index = index
        self._hidden: _Hidden | None = None

    def __getattr__(self, name: str) -> Any:  # the rest (kind, vectors, compact) is the index's
        return getattr(self.index, name)

    @property
    def embedder_id(self) -> str:
        return self.index.embedder_id

    @property
    def dimension(self) -> int:
        return self.index.dimension

    @property
    def directory(self) -> Path:
        return self.index.directory

    @property
    def revision(self) -> int:
        return self.index.revision

    def __len__(self) -> int:
        return len(self.index) - len(self._closed().positions)

    @property
    def chunks(self) -> Sequence[Chunk]:
        """The open chunks by the index's positions: IndexError for a closed item's chunk; iterating skips them."""
        return _OpenChunks(self)

    def chunks_at(self, positions: Sequence[int]) -> list[Chunk]:
        """The chunks at these positions (found by this view's searches); IndexError for a closed item's chunk."""
        hidden = self._closed().positions
        if len(hidden) and np.isin(np.asarray(positions, dtype=np.int64), hidden).any():
            raise IndexError("a position asked for holds a closed item's chunk")
        return self.index.chunks_at(positions)

    @property
    def documents(self) -> Mapping[str, DocumentInfo]:
        return MappingProxyType(self._closed().documents)

    def items(self, doc_id: str) -> tuple[AgendaItem, ...]:
        return tuple(it for it in self.index.items(doc_id) if not it.closed)

    def item(self, doc_id: str, number: str | None) -> AgendaItem | None:
        found = self.index.item(doc_id, number)
        return None if found is None or found.closed else found

    def chunks_of(self, doc_id: str) -> tuple[Chunk, ...]:
        closed = self._closed().numbers.get(doc_id, frozenset())
        return tuple(c for c in self.index.chunks_of(doc_id) if c.number not in closed)

    def positions_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        return np.setdiff1d(self.index.positions_of(doc_ids), self._closed().positions, assume_unique=True)

    def search_dense(
        self, query_vec: np.ndarray, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        return self.index._search_dense_at(query_vec, k, self._allowed(doc_ids))

    def search_lexical(
        self, question: str, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        return self.index._search_lexical_at(question, k, self._allowed(doc_ids))

    def without_closed(self) -> WithoutClosed:
        return self

    def upsert_document(self, document: Document, chunks: Sequence[Chunk], embedder: Embedder) -> int:
        return self.index.upsert_document(document, chunks, embedder)

    def remove_document(self, doc_id: str) -> bool:
        return self.index.remove_document(doc_id)

    def save(self) -> Path:
        return self.index.save()

    def warm_up(self) -> None:
        self.index.warm_up()

    def _allowed(self, doc_ids: Collection[str] | None) -> np.ndarray | None:
        if doc_ids is not None:
            return self.positions_of(doc_ids)
        hidden = self._closed().positions
        if not len(hidden):
            return None
        return np.setdiff1d(np.arange(len(self.index), dtype=np.int64), hidden, assume_unique=True)

    def _closed(self) -> _Hidden:
        """What the closed items hide from this view, worked out once per revision of the index."""
        index = self.index
        if self._hidden is None or self._hidden.revision != index.revision:
            docs = dict(index.documents)
            numbers: dict[str, frozenset[str | None]] = {}
            parts = []
            for doc_id, info in index.documents.items():
                closed = info.closed
                if closed is None:  # saved before the closed numbers were kept: read the items
                    closed = tuple(it.number for it in index.items(doc_id) if it.closed)
                if not closed:
                    continue
                numbers[doc_id] = hide = frozenset(closed)
                mask = np.asarray([c.number in hide for c in index.chunks_of(doc_id)], dtype=bool)
                positions = index.positions_of([doc_id])
                parts.append(positions[mask] if len(positions) else positions)
                docs[doc_id] = dataclasses.replace(
                    info, n_items=info.n_items - len(hide), n_chunks=info.n_chunks - int(mask.sum()), closed=()
                )
            hidden = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
            self._hidden = _Hidden(index.revision, hidden, numbers, docs)
        return self._hidden


@dataclass(frozen=True)
class _Hidden:
    """What closed items hide at one revision: their chunks' positions, numbers per document, and the documents
    with them left out of their counts."""

    revision: int
    positions: np.ndarray  # sorted
    numbers: dict[str, frozenset[str | None]]
    documents: dict[str, DocumentInfo]


class _OpenChunks(Sequence[Chunk]):
    """`WithoutClosed.chunks`: the index's chunks by position, without the closed items' chunks."""

    def __init__(self, view: WithoutClosed) -> None:
        self._view = view

    def __len__(self) -> int:
        return len(self._view)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Chunk, ...]: ...
    def __getitem__(self, i: int | slice) -> Chunk | tuple[Chunk, ...]:
        if isinstance(i, slice):
            return tuple(self._view.chunks_at(range(*i.indices(len(self._view.index)))))
        return self._view.chunks_at([i])[0]

    def __iter__(self) -> Iterator[Chunk]:
        hidden = set(self._view._closed().positions.tolist())
        return (c for p, c in enumerate(self._view.index.chunks) if p not in hidden)


_ITEM_CACHE = 1024  # documents whose parsed items are kept (the assistant walks every document's items)


class _Chunks(Sequence[Chunk]):
    """`Index.chunks`: a sequence view that parses each chunk from disk when it is asked for."""

    def __init__(self, index: Index) -> None:
        self._index = index
        self._n = len(index)

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Chunk, ...]: ...
    def __getitem__(self, i: int | slice) -> Chunk | tuple[Chunk, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(self._n)))
        p = int(i) + self._n if i < 0 else int(i)
        if not 0 <= p < self._n:
            raise IndexError(f"chunk position {i} out of range for {self._n} chunks")
        return self._index._chunk_at(p)

    def __iter__(self) -> Iterator[Chunk]:
        return self._index._iter_chunks()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(other) == self._n and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]


def _positions_of_vids(vids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of `wanted` ids in `vids` (each present once). Ids rise with position unless a merge reordered
    them, so a binary search usually suffices."""
    if len(vids) < 2 or bool(np.all(vids[1:] > vids[:-1])):
        return np.searchsorted(vids, wanted)
    order = np.argsort(vids, kind="stable")
    return order[np.searchsorted(vids[order], wanted)]


def auto_kind(n_chunks: int) -> FaissKind:
    """The FAISS structure `index_type="auto"` uses for `n_chunks` chunks.

    >>> auto_kind(100_000), auto_kind(1_000_000)
    ('flat', 'hnsw')
    """
    return "hnsw" if n_chunks >= AUTO_HNSW_FROM else "flat"


def _info_matches(info: DocumentInfo, document: Document) -> bool:
    return (info.source, info.body, info.date, info.kind, info.head) == (
        document.source,
        document.body,
        document.date,
        document.kind,
        document_head(document),
    )


HEAD_CHARS = 300


def document_head(document: Document) -> str:
    """The text before the document's first item, whitespace folded, at most HEAD_CHARS characters.

    >>> from ingest.records import AgendaItem
    >>> it = AgendaItem("d", "1", "Valg", "1) Valg", (30, 37))
    >>> document_head(Document("d", "d.pdf", "Generalforsamling POMOSA 2022\\n1) Valg", (it,)))
    'Generalforsamling POMOSA 2022'
    """
    end = min((i.span[0] for i in document.items), default=HEAD_CHARS)
    return " ".join(document.text[: min(end, HEAD_CHARS)].split())


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    if len(scores) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        return part[np.argsort(-scores[part], kind="stable")]
    return np.argsort(-scores, kind="stable")


def _read_manifest(root: Path) -> dict[str, Any]:
    try:
        with open(root / MANIFEST, encoding="utf-8") as f:
            manifest: dict[str, Any] = json.load(f)
    except FileNotFoundError:
        raise IndexMissing(f"No index at {root} — run `referat ingest PATH` first.") from None
    return manifest


def _read_manifest_or_empty(root: Path) -> dict[str, Any]:
    try:
        return _read_manifest(root)
    except (IndexMissing, ValueError):
        return {}


def _named_in(root: Path) -> set[str]:
    """The segments, graph and (format 1) data directory the manifest at `root` names; empty when there is none."""
    manifest = _read_manifest_or_empty(root)
    names = {str(s["name"]) for s in manifest.get("segments", ())}
    names |= {str(manifest[key]) for key in ("graph", "data") if manifest.get(key)}
    return names


def _fsync(f: Any) -> None:
    f.flush()
    os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _one_thread(faiss: Any) -> Iterator[None]:
    """Search one query on one OpenMP thread. Splitting a single query's scan across threads costs more in
    synchronisation than it saves, and on a busy machine a preempted thread stalls the rest: measured with 2
    threads on 2 shared cores, flat search took 24 ms at 10k vectors (1.4 ms on one) and 48 ms at 100k (13 ms).
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _faiss_module() -> Any:
    """The faiss module, imported on first use (its bundled type stubs miss the search parameters)."""
    import faiss

    return faiss


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def file_words(doc_id: str) -> str:
    """The words of a document's file name, which often name the organisation ("refgen_pomosa_2010")."""
    return " ".join(re.split(r"[_\-]+", doc_id))
