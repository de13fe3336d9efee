"""Hybrid retrieval: dense (FAISS) + BM25 over chunks, fused, then aggregated to agenda items.

    question -> dense top-k_chunks  ┐
             -> BM25  top-k_chunks  ┴-> fuse (RRF or linear) -> group by (doc, item) -> top_k ItemHits

Both retrievers see the chunk's citation header ("KD-Net 22.01.2021, punkt 6: <title>") as well as its
text, so an item's title counts for every chunk of it; BM25 also sees the words of the document's file name,
which often name the organisation ("refgen_pomosa_2010"), so a preamble that names it does not win on that alone.
An item scores its best chunk plus
`item_bonus` times the next best (up to `max_chunks_per_item`): a second matching passage is evidence,
but a long item should not win on length alone.

Defaults (RRF k=30, dense weight 1.5, BM25 weight 1, no item bonus) were chosen on eval/dev.jsonl
with the multilingual-e5-small embedder: any bonus for extra chunks favoured long items and cost
about 0.1 hit@1; see eval/README.md for the table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ingest.danish import CASE_NUMBER
from ingest.errors import ConfigError, IndexMismatch
from ingest.records import AgendaItem, Chunk
from rag.citations import ItemRef
from rag.embed import Embedder
from rag.filters import Filters
from rag.stores import Store

Mode = Literal["hybrid", "dense", "bm25"]
Fusion = Literal["rrf", "linear"]


@dataclass(frozen=True)
class ChunkHit:
    """One retrieved chunk: its fused score and what each retriever said (rank 1 = best, None = missed)."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    dense_rank: int | None = None
    bm25_score: float | None = None
    bm25_rank: int | None = None

    @property
    def section(self) -> str | None:
        return self.chunk.section


@dataclass(frozen=True)
class ItemHit(ItemRef):
    """One retrieved agenda item: its fused score, its best chunks (best first) and the full item record."""

    score: float
    chunks: tuple[ChunkHit, ...]
    item: AgendaItem | None = None


class Retriever:
    """Finds the agenda items that answer a question.

    >>> from rag.embed import HashEmbedder
    >>> from rag.index import Index
    >>> emb = HashEmbedder(dimension=32)
    >>> r = Retriever(Index.create("/tmp/doctest-index", emb.model_id, 32, overwrite=True), emb)
    >>> r.retrieve("Hvad besluttede KD-Net om Midttrafik?")
    []
    """

    def __init__(
        self,
        index: Store,
        embedder: Embedder | None,
        *,
        mode: Mode = "hybrid",
        fusion: Fusion = "rrf",
        k_chunks: int = 50,
        rrf_k: int = 30,
        dense_weight: float = 1.5,
        bm25_weight: float = 1.0,
        item_bonus: float = 0.0,
        max_chunks_per_item: int = 3,
    ) -> None:
        if mode not in ("hybrid", "dense", "bm25"):
            raise ConfigError(f"mode must be 'hybrid', 'dense' or 'bm25', got {mode!r}")
        if fusion not in ("rrf", "linear"):
            raise ConfigError(f"fusion must be 'rrf' or 'linear', got {fusion!r}")
        if k_chunks <= 0:
            raise ConfigError(f"k_chunks must be > 0, got {k_chunks}")
        if rrf_k < 0:
            raise ConfigError(f"rrf_k must be >= 0, got {rrf_k}")
        if dense_weight < 0 or bm25_weight < 0 or dense_weight + bm25_weight == 0:
            raise ConfigError(f"weights must be >= 0 and not both 0, got dense={dense_weight}, bm25={bm25_weight}")
        if item_bonus < 0:
            raise ConfigError(f"item_bonus must be >= 0, got {item_bonus}")
        if max_chunks_per_item <= 0:
            raise ConfigError(f"max_chunks_per_item must be > 0, got {max_chunks_per_item}")
        if mode != "bm25":
            if embedder is None:
                raise ConfigError(f"mode {mode!r} needs an embedder; use mode='bm25' to search without one")
            if embedder.model_id != index.embedder_id:
                raise IndexMismatch.of_embedder(index.directory, index.embedder_id, embedder.model_id)
        self.index = index
        self.embedder = embedder
        self.mode: Mode = mode
        self.fusion: Fusion = fusion
        self.k_chunks = k_chunks
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.bm25_weight = bm25_weight
        self.item_bonus = item_bonus
        self.max_chunks_per_item = max_chunks_per_item

    def warm_up(self) -> None:
        """Build the index's search structures (BM25, HNSW) now rather than on the first question."""
        self.index.warm_up()

    def retrieve(self, question: str, *, top_k: int = 5, filters: Filters | None = None) -> list[ItemHit]:
        """The `top_k` agenda items most likely to answer `question`, best first.

        `filters` restrict the documents searched (see `rag.filters`); combine them with
        `filters_from_question(question)` to honour "i januar 2021" and the like.
        """
        if top_k <= 0:
            raise ConfigError(f"top_k must be > 0, got {top_k}")
        if not question.strip():
            raise ConfigError("question must not be empty")
        hits = self.retrieve_chunks(question, filters=filters)
        named = self._named_cases(question, filters)
        if named:
            # A case number names a case: its items lead (newest meeting first), whatever the embedding
            # of a bare number finds. Their passages are the chunks that hold the number.
            case_hits = [h for h in hits if (h.chunk.doc_id, h.chunk.number) in named]
            have = {(h.chunk.doc_id, h.chunk.number) for h in case_hits}
            missing = named - have
            positions = self.index.positions_of({d for d, _ in missing})
            extra = [  # in position order, reading only the named documents' chunks
                ChunkHit(c, 0.0) for c in self.index.chunks_at(positions.tolist()) if (c.doc_id, c.number) in missing
            ]
            ranked = self._items([*case_hits, *extra], len(named))
            ranked.sort(key=lambda h: h.date or "", reverse=True)
            rest = [h for h in self._items(hits, top_k + len(ranked)) if (h.doc_id, h.number) not in named]
            return [*ranked, *rest][:top_k]
        return self._items(hits, top_k)

    def _named_cases(self, question: str, filters: Filters | None) -> set[tuple[str, str | None]]:
        """(document id, item number) of the items whose case number the question names."""
        wanted = {m.group(0).upper() for m in CASE_NUMBER.finditer(question)}
        if not wanted:
            return set()
        docs = self.index.documents
        return {
            (doc_id, item.number)
            for doc_id, info in docs.items()
            if filters is None or filters.matches(doc_id=doc_id, body=info.body, date=info.date)
            for item in self.index.items(doc_id)
            if item.case_number and item.case_number.upper() in wanted
        }

    def retrieve_chunks(self, question: str, *, filters: Filters | None = None) -> list[ChunkHit]:
        """Fused chunk hits (up to about 2 x k_chunks), best first, before grouping into items."""
        doc_ids: list[str] | None = None
        if filters is not None and filters.active:
            doc_ids = [
                d
                for d, info in self.index.documents.items()
                if filters.matches(doc_id=d, body=info.body, date=info.date)
            ]
            if not doc_ids:
                return []
        if len(self.index) == 0:
            return []

        dense: list[tuple[int, float]] = []
        lexical: list[tuple[int, float]] = []
        if self.mode != "bm25":
            assert self.embedder is not None  # checked in __init__
            qvec = self.embedder.embed_query(question)
            dense = self.index.search_dense(qvec, self.k_chunks, doc_ids=doc_ids)
        if self.mode != "dense":
            lexical = self.index.search_lexical(question, self.k_chunks, doc_ids=doc_ids)

        fused = self._fuse(dense, lexical)
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        chunks = self.index.chunks_at([p for p, _ in ranked])  # one read for all hits
        d_at = {p: (r, s) for r, (p, s) in enumerate(dense, 1)}
        b_at = {p: (r, s) for r, (p, s) in enumerate(lexical, 1)}
        hits = []
        for (p, score), chunk in zip(ranked, chunks, strict=True):
            dr, ds = d_at.get(p, (None, None))
            br, bs = b_at.get(p, (None, None))
            hits.append(ChunkHit(chunk, score, ds, dr, bs, br))
        return hits

    def _fuse(self, dense: list[tuple[int, float]], lexical: list[tuple[int, float]]) -> dict[int, float]:
        if self.mode == "dense":
            return dict(dense)
        if self.mode == "bm25":
            return dict(lexical)
        out: dict[int, float] = {}
        if self.fusion == "rrf":
            for weight, ranked in ((self.dense_weight, dense), (self.bm25_weight, lexical)):
                for rank, (p, _) in enumerate(ranked, 1):
                    out[p] = out.get(p, 0.0) + weight / (self.rrf_k + rank)
            return out
        # Linear: each list's scores divided by its best (negatives clipped to 0), then weighted.
        # Not min-max: that would zero the last of every list, however close it came.
        for weight, ranked in ((self.dense_weight, dense), (self.bm25_weight, lexical)):
            for p, s in _by_max(ranked):
                out[p] = out.get(p, 0.0) + weight * s
        return out

    def _items(self, hits: Iterable[ChunkHit], top_k: int) -> list[ItemHit]:
        groups: dict[tuple[str, str | None], list[ChunkHit]] = {}
        for h in hits:  # already best first
            groups.setdefault((h.chunk.doc_id, h.chunk.number), []).append(h)
        scored = []
        for (doc_id, number), group in groups.items():
            best = tuple(group[: self.max_chunks_per_item])
            score = best[0].score + self.item_bonus * sum(h.score for h in best[1:])
            scored.append((score, doc_id, number, best))
        scored.sort(key=lambda t: -t[0])
        docs = self.index.documents
        out = []
        for score, doc_id, number, best in scored[:top_k]:
            info = docs.get(doc_id)
            first = best[0].chunk
            out.append(
                ItemHit(
                    doc_id=doc_id,
                    number=number,
                    title=first.item_title,
                    body=info.body if info else first.body,
                    date=info.date if info else first.date,
                    score=score,
                    chunks=best,
                    item=self.index.item(doc_id, number),
                )
            )
        return out


def _by_max(ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
    if not ranked:
        return []
    scores = np.maximum(np.array([s for _, s in ranked], dtype=np.float64), 0.0)
    top = float(scores.max())
    if top == 0:
        return [(p, 0.0) for p, _ in ranked]
    return [(p, float(s / top)) for (p, _), s in zip(ranked, scores, strict=True)]


def fuse_rankings(rankings: Sequence[Sequence[ItemHit]], *, top_k: int, k: int = 30) -> list[ItemHit]:
    """Reciprocal rank fusion of several rankings of items (Cormack et al. 2009; k as the Retriever's
    `rrf_k`). An item in more than one ranking is kept as first found; its score is the fused one.

    >>> a = ItemHit("d", "1", "A", None, None, 1.0, ())
    >>> b = ItemHit("d", "2", "B", None, None, 0.9, ())
    >>> [h.number for h in fuse_rankings([[a, b], [b]], top_k=2)]
    ['2', '1']
    """
    scores: dict[tuple[str, str | None], float] = {}
    first: dict[tuple[str, str | None], ItemHit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, 1):
            key = (hit.doc_id, hit.number)
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
            first.setdefault(key, hit)
    best = sorted(scores, key=lambda key: -scores[key])[:top_k]
    return [dataclasses.replace(first[key], score=scores[key]) for key in best]
