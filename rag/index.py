"""The vector index: chunk vectors in FAISS plus the chunk and agenda-item records, saved as one unit.

On disk an index is a directory:

    data/index/
      manifest.json          # the commit point: manifest + the name of the live data directory
      v000007-3f9a1c/        # one immutable, complete version
        chunks.jsonl         # one Chunk per line (+ its FAISS id), in vector order
        items.jsonl          # one AgendaItem per line (sections, decision, span ...)
        vectors.npy          # float32 (n_chunks, dimension), L2-normalised
        faiss.index          # the serialised FAISS index over the same vectors

`save()` writes a new version directory next to the live one, fsyncs it, then atomically replaces
`manifest.json` (os.replace) to point at it. A crash or SIGKILL at any moment leaves either the old or
the new manifest, and both point at complete directories. Old versions are removed after the swap
(the previous one is kept, so a reader that has just read the old manifest can still finish loading,
unless a document was removed or replaced since: then its text must not stay on disk).
One writer at a time is assumed.

Chunk vectors are keyed in FAISS by int64 ids handed out from a counter kept in the manifest.
`index_type="flat"` keeps an `IndexIDMap2(IndexFlatIP)` (exact), `"hnsw"` puts an `IndexHNSWFlat` inside
the IDMap (removal then rebuilds the graph from `vectors.npy`). `"auto"`, the default for new indexes, is
flat below `AUTO_HNSW_FROM` chunks and HNSW from there on, switching (one rebuild) when the index grows
past it or shrinks below it. Indexes saved as "flat" or "hnsw" load and stay what they were.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import shutil
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ingest.errors import ConfigError, IndexMismatch, IndexMissing
from ingest.records import AgendaItem, Chunk, Decision, Document, Section
from rag.embed import Embedder

FORMAT_VERSION = 1
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
# Below this many allowed vectors a filtered search is an exact numpy product over the subset:
# exact, and HNSW's recall drops when a selector rejects most of the graph.
_EXACT_FILTER_LIMIT = 20_000
_VERSION = re.compile(r"v\d{6}-[0-9a-f]{6}")


@dataclass(frozen=True)
class DocumentInfo:
    """What the index records about one ingested document (the manifest's `documents` entries)."""

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
        self._chunks: list[Chunk] = []
        self._vids = np.zeros(0, dtype=np.int64)
        self._vectors = np.zeros((0, dimension), dtype=np.float32)
        self._docs: dict[str, DocumentInfo] = {}
        self._items: dict[str, tuple[AgendaItem, ...]] = {}
        self._next_vid = 0
        self._faiss: Any = None  # built lazily; None also means "stale, rebuild from _vectors"
        self._faiss_kind: FaissKind | None = None  # what _faiss is, once built
        self._revision = 0
        self._cache_revision = -1
        self._pos_by_doc: dict[str, list[int]] = {}
        self._pos_by_vid: dict[int, int] = {}
        self._chunks_view: tuple[Chunk, ...] = ()
        self._forgotten = False  # a document was removed or replaced since the last save

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
        return cls(path, embedder_id=embedder_id, dimension=dimension, index_type=index_type)

    @classmethod
    def load(cls, directory: str | os.PathLike[str], embedder_id: str | None = None) -> Index:
        """Load the index saved at `directory`; refuse it when it was built with another embedder.

        >>> Index.load("/nonexistent/index")
        Traceback (most recent call last):
        ...
        ingest.errors.IndexMissing: No index at /nonexistent/index — run `referat ingest PATH` first.
        """
        path = Path(directory)
        manifest = _read_manifest(path)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatch(
                f"Index at {path} has format version {manifest.get('format_version')}; this Referat reads "
                f"version {FORMAT_VERSION}. Re-ingest with `referat ingest --rebuild`."
            )
        built_with = manifest["embedder_id"]
        if embedder_id is not None and embedder_id != built_with:
            raise IndexMismatch.of_embedder(path, built_with, embedder_id)
        data = path / manifest["data"]
        if not data.is_dir():
            raise IndexMissing(
                f"Index at {path} names data directory {manifest['data']}, which is missing. "
                "Re-ingest with `referat ingest --rebuild`."
            )
        idx = cls(
            path,
            embedder_id=built_with,
            dimension=int(manifest["dimension"]),
            index_type=manifest.get("index_type", "flat"),
            normalized=bool(manifest.get("normalized", True)),
        )
        idx._next_vid = int(manifest["next_id"])
        idx._docs = {d: DocumentInfo(**info) for d, info in manifest["documents"].items()}
        vids: list[int] = []
        with open(data / "chunks.jsonl", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                vids.append(rec.pop("vid"))
                if rec.get("pages"):
                    rec["pages"] = tuple(rec["pages"])
                if "item_number" in rec:  # indexes saved before the field was named `number`
                    rec["number"] = rec.pop("item_number")
                idx._chunks.append(Chunk(**rec))
        idx._vids = np.asarray(vids, dtype=np.int64)
        idx._vectors = np.load(data / "vectors.npy")
        items: dict[str, list[AgendaItem]] = {d: [] for d in idx._docs}
        with open(data / "items.jsonl", encoding="utf-8") as f:
            for line in f:
                item = _item_from_json(json.loads(line))
                items.setdefault(item.doc_id, []).append(item)
        idx._items = {d: tuple(v) for d, v in items.items()}
        faiss = _faiss_module()
        idx._faiss = faiss.deserialize_index(np.fromfile(data / "faiss.index", dtype=np.uint8))
        inner = faiss.downcast_index(idx._faiss.index) if hasattr(idx._faiss, "index") else idx._faiss
        idx._faiss_kind = "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"
        n = len(idx._chunks)
        if idx._vectors.shape != (n, idx.dimension) or idx._faiss.ntotal != n or n != manifest["n_chunks"]:
            raise IndexMismatch(
                f"Index at {path} is inconsistent ({n} chunks, vectors {idx._vectors.shape}, "
                f"{idx._faiss.ntotal} in FAISS). Re-ingest with `referat ingest --rebuild`."
            )
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
        return len(self._chunks)

    @property
    def kind(self) -> FaissKind:
        """The FAISS structure searches use: `index_type`, or for "auto" the one that suits the size.

        >>> Index("/tmp/x", embedder_id="e", dimension=8).kind
        'flat'
        """
        if self.index_type == "auto":
            return auto_kind(len(self._chunks))
        return self.index_type

    def vector_bytes(self) -> int:
        """Bytes the vectors hold in memory: the float32 matrix plus the FAISS index built over it."""
        faiss = _faiss_module()
        return int(self._vectors.nbytes) + int(faiss.serialize_index(self._faiss_index()).size)

    @property
    def revision(self) -> int:
        """Bumped on every change: derived structures (the BM25 index) rebuild when it moves."""
        return self._revision

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        """All chunks, in vector order (positions are stable until the next change)."""
        self._refresh_caches()
        return self._chunks_view

    @property
    def vectors(self) -> np.ndarray:
        """The (n_chunks, dimension) float32 matrix, aligned with `chunks`. Read-only."""
        view = self._vectors.view()
        view.flags.writeable = False
        return view

    @property
    def documents(self) -> Mapping[str, DocumentInfo]:
        return dict(self._docs)

    def items(self, doc_id: str) -> tuple[AgendaItem, ...]:
        """The document's agenda items in document order; () for an unknown document."""
        return self._items.get(doc_id, ())

    def item(self, doc_id: str, number: str | None) -> AgendaItem | None:
        """One agenda item (`number` None: the document's unnumbered part), or None."""
        for it in self._items.get(doc_id, ()):
            if it.number == number:
                return it
        return None

    def chunks_of(self, doc_id: str) -> tuple[Chunk, ...]:
        self._refresh_caches()
        return tuple(self._chunks[p] for p in self._pos_by_doc.get(doc_id, ()))

    def positions_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Sorted positions (into `chunks`) of every chunk of these documents."""
        self._refresh_caches()
        pos = [p for d in doc_ids for p in self._pos_by_doc.get(d, ())]
        return np.asarray(sorted(pos), dtype=np.int64)

    def search_dense(
        self, query_vec: np.ndarray, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` chunks nearest `query_vec` as (position in `chunks`, inner product), best first.

        `doc_ids` restricts the search to those documents' chunks.

        >>> from rag.embed import HashEmbedder
        >>> idx = Index.create("/tmp/doctest-index", "hash-32", 32, overwrite=True)
        >>> idx.search_dense(HashEmbedder(32).embed_query("x"), 5)
        []
        """
        if k <= 0:
            raise ConfigError(f"k must be > 0, got {k}")
        q = np.ascontiguousarray(np.asarray(query_vec, dtype=np.float32).reshape(1, -1))
        if q.shape[1] != self.dimension:
            raise IndexMismatch(f"query vector has dimension {q.shape[1]}; the index has {self.dimension}")
        if not self._chunks:
            return []
        if doc_ids is not None:
            allowed = self.positions_of(doc_ids)
            if len(allowed) == 0:
                return []
            if len(allowed) <= _EXACT_FILTER_LIMIT:
                scores = self._vectors[allowed] @ q[0]
                top = _top_k(scores, k)
                return [(int(allowed[i]), float(scores[i])) for i in top]
        faiss = _faiss_module()
        index = self._faiss_index()
        kk = min(k, len(self._chunks))
        params = None
        if doc_ids is not None:
            sel = faiss.IDSelectorBatch(self._vids[allowed])
            params = (
                faiss.SearchParametersHNSW(sel=sel, efSearch=max(HNSW_EF_SEARCH, kk))
                if self._faiss_kind == "hnsw"
                else faiss.SearchParameters(sel=sel)
            )
        elif self._faiss_kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, kk))
        with _one_thread(faiss):
            dist, ids = index.search(q, kk, params=params)
        self._refresh_caches()
        return [(self._pos_by_vid[int(v)], float(s)) for v, s in zip(ids[0], dist[0], strict=True) if v != -1]

    # ----------------------------------------------------------------- writing

    def upsert_document(self, document: Document, chunks: Sequence[Chunk], embedder: Embedder) -> int:
        """Add or replace one document's chunks and items; return how many passages were embedded.

        Nothing is embedded when the document is indexed unchanged. When it changed, its old chunks and
        items are replaced; passages whose text (header + text) is unchanged keep their stored vector.

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
        self._refresh_caches()
        old_pos = self._pos_by_doc.get(doc_id, [])
        old_chunks = [self._chunks[p] for p in old_pos]
        old_info = self._docs.get(doc_id)
        if (
            old_info is not None
            and old_info.content_hash == document.content_hash
            and old_chunks == list(chunks)
            and self._items.get(doc_id, ()) == tuple(document.items)
            and _info_matches(old_info, document)
        ):
            return 0

        known = {c.embed_text: self._vectors[p] for c, p in zip(old_chunks, old_pos, strict=True)}
        missing = list(dict.fromkeys(c.embed_text for c in chunks if c.embed_text not in known))
        if missing:
            fresh = np.asarray(embedder.embed_passages(missing), dtype=np.float32)
            if fresh.shape != (len(missing), self.dimension):
                raise IndexMismatch(
                    f"{embedder.model_id} returned vectors of shape {fresh.shape}; "
                    f"expected {(len(missing), self.dimension)}"
                )
            known.update(zip(missing, _normalised(fresh), strict=True))
        new_vectors = (
            np.stack([known[c.embed_text] for c in chunks]).astype(np.float32)
            if chunks
            else np.zeros((0, self.dimension), dtype=np.float32)
        )

        # Everything that can fail has run: from here on the in-memory index changes.
        self._forgotten |= doc_id in self._docs
        self._drop(doc_id)
        new_vids = np.arange(self._next_vid, self._next_vid + len(chunks), dtype=np.int64)
        self._next_vid += len(chunks)
        self._chunks.extend(chunks)
        self._vids = np.concatenate([self._vids, new_vids])
        self._vectors = np.concatenate([self._vectors, new_vectors])
        if self._faiss is not None and self._faiss_kind != self.kind:
            self._faiss = None  # "auto" crossed AUTO_HNSW_FROM: rebuilt as the other kind on next use
        if self._faiss is not None and len(chunks):
            self._faiss.add_with_ids(new_vectors, new_vids)
        self._items[doc_id] = tuple(document.items)
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
        )
        self._revision += 1
        return len(missing)

    def remove_document(self, doc_id: str) -> bool:
        """Forget a document (chunks, vectors, items). False when it was not indexed."""
        if doc_id not in self._docs:
            return False
        self._drop(doc_id)
        self._forgotten = True
        del self._docs[doc_id]
        self._items.pop(doc_id, None)
        self._revision += 1
        return True

    def save(self) -> Path:
        """Write the index atomically (see the module docstring); return the new version's directory."""
        faiss = _faiss_module()
        root = self.directory
        root.mkdir(parents=True, exist_ok=True)
        previous = _current_data(root)
        number = int(previous[1:7]) + 1 if previous and previous[1:7].isdigit() else 1
        name = f"v{number:06d}-{secrets.token_hex(3)}"
        tmp = root / f".tmp-{name}"
        tmp.mkdir()
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c, vid in zip(self._chunks, self._vids.tolist(), strict=True):
                f.write(json.dumps({"vid": vid, **dataclasses.asdict(c)}, ensure_ascii=False) + "\n")
            _fsync(f)
        with open(tmp / "items.jsonl", "w", encoding="utf-8") as f:
            for doc_id in self._docs:
                for it in self._items.get(doc_id, ()):
                    f.write(json.dumps(dataclasses.asdict(it), ensure_ascii=False) + "\n")
            _fsync(f)
        with open(tmp / "vectors.npy", "wb") as f:
            np.save(f, self._vectors)
            _fsync(f)
        with open(tmp / "faiss.index", "wb") as f:
            f.write(faiss.serialize_index(self._faiss_index()).tobytes())
            _fsync(f)
        _fsync_dir(tmp)
        os.rename(tmp, root / name)
        _fsync_dir(root)

        manifest = self._manifest(name)
        staged = root / f".{MANIFEST}.{secrets.token_hex(3)}.tmp"
        with open(staged, "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=1)
            _fsync(f)
        os.replace(staged, root / MANIFEST)  # the commit point
        _fsync_dir(root)

        # The previous version is kept for a reader that has just read the old manifest, unless it holds
        # text that was removed or replaced: removed means gone from disk.
        keep = {name} if self._forgotten else {name, previous}
        self._forgotten = False
        for entry in root.iterdir():
            stale_version = entry.is_dir() and _VERSION.fullmatch(entry.name) and entry.name not in keep
            stale_tmp = entry.name.startswith((".tmp-", f".{MANIFEST}."))
            if stale_version or stale_tmp:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        return root / name

    # ----------------------------------------------------------------- internals

    def _manifest(self, data: str) -> dict[str, Any]:
        faiss = _faiss_module()
        return {
            "format_version": FORMAT_VERSION,
            "data": data,
            "embedder_id": self.embedder_id,
            "dimension": self.dimension,
            "normalized": self.normalized,
            "index_type": self.index_type,
            "hnsw": {"M": HNSW_M, "ef_search": HNSW_EF_SEARCH} if self._faiss_kind == "hnsw" else None,
            "n_chunks": len(self._chunks),
            "next_id": self._next_vid,
            "versions": {
                "faiss": faiss.__version__,
                "numpy": np.__version__,
                "bm25s": _dist_version("bm25s"),
                "PyStemmer": _dist_version("PyStemmer"),
            },
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "documents": {d: dataclasses.asdict(info) for d, info in self._docs.items()},
        }

    def _check_embedder(self, embedder: Embedder) -> None:
        if embedder.model_id != self.embedder_id:
            raise IndexMismatch.of_embedder(self.directory, self.embedder_id, embedder.model_id)
        if embedder.dimension != self.dimension:
            raise IndexMismatch(
                f"Index at {self.directory} has dimension {self.dimension}; {embedder.model_id} gives "
                f"{embedder.dimension}. Re-ingest with `referat ingest --rebuild`."
            )

    def _drop(self, doc_id: str) -> None:
        self._refresh_caches()
        gone = self._pos_by_doc.get(doc_id)
        if not gone:
            return
        keep = np.ones(len(self._chunks), dtype=bool)
        keep[gone] = False
        removed_vids = self._vids[~keep]
        self._chunks = [c for c, k in zip(self._chunks, keep.tolist(), strict=True) if k]
        self._vids = self._vids[keep]
        self._vectors = self._vectors[keep]
        if self._faiss is not None:
            if self._faiss_kind == "flat" and self.kind == "flat":
                self._faiss.remove_ids(removed_vids)
            else:
                self._faiss = None  # HNSW cannot remove: rebuilt from _vectors on next use
        self._revision += 1
        self._refresh_caches()

    def _faiss_index(self) -> Any:
        if self._faiss is not None and self._faiss_kind != self.kind:
            self._faiss = None
        if self._faiss is None:
            faiss = _faiss_module()
            kind = self.kind
            if kind == "hnsw":
                base = faiss.IndexHNSWFlat(self.dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
                base.hnsw.efSearch = HNSW_EF_SEARCH
                base.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            else:
                base = faiss.IndexFlatIP(self.dimension)
            index = faiss.IndexIDMap2(base)
            if len(self._chunks):
                index.add_with_ids(np.ascontiguousarray(self._vectors), self._vids)
            self._faiss = index
            self._faiss_kind = kind
        return self._faiss

    def _refresh_caches(self) -> None:
        if self._cache_revision == self._revision:
            return
        by_doc: dict[str, list[int]] = {}
        for p, c in enumerate(self._chunks):
            by_doc.setdefault(c.doc_id, []).append(p)
        self._pos_by_doc = by_doc
        self._pos_by_vid = {v: p for p, v in enumerate(self._vids.tolist())}
        self._chunks_view = tuple(self._chunks)
        self._cache_revision = self._revision


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


def _normalised(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    if len(scores) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        return part[np.argsort(-scores[part], kind="stable")]
    return np.argsort(-scores, kind="stable")


def _item_from_json(d: dict[str, Any]) -> AgendaItem:
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


def _read_manifest(root: Path) -> dict[str, Any]:
    try:
        with open(root / MANIFEST, encoding="utf-8") as f:
            manifest: dict[str, Any] = json.load(f)
    except FileNotFoundError:
        raise IndexMissing(f"No index at {root} — run `referat ingest PATH` first.") from None
    return manifest


def _current_data(root: Path) -> str | None:
    try:
        return str(_read_manifest(root)["data"])
    except (IndexMissing, KeyError, ValueError):
        return None


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
