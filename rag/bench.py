"""Benchmarks: ingest, search, answer and cold-start cost, each as a ratio against a baseline from the same run.

Machines here are shared and noisy, so every headline figure is a ratio against a baseline measured in
the same process, interleaved with the candidate (baseline, candidate, baseline, ...; medians):

| figure                    | candidate                                   | baseline                              |
|---------------------------|---------------------------------------------|---------------------------------------|
| `ingest_overhead_ratio`   | `ingest_files` (parse, chunk, embed, save)  | raw `SentenceTransformer.encode`       |
| `generation_speed_ratio`  | `LlamaCppGenerator.stream` tokens/s         | raw `Llama.create_chat_completion`     |
| `prefix_cache_ttft_ratio` | time to first token, static prefix primed   | the same prompt from an empty cache    |
| `ann_recall_at_10`        | HNSW top 10                                 | exact (flat) top 10                   |

`search_p50_ms_100k` is the median of `Index.search_dense(q, k=50)` (what `Retriever` asks for) on
100k synthetic chunks, with the index type the product picks at that size; the hybrid figure
(`Retriever.retrieve`: dense + BM25 + fusion + grouping, query embedding excluded) is reported next to it.
`cold_start_s` is process start to the first HTTP 200 of `referat serve` on an existing index.

Every measurement is a pure function returning a frozen record; `run` strings them together.
"""

from __future__ import annotations

import gc
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import ConfigError
from ingest.records import AgendaItem, Chunk, Document
from rag.embed import Embedder
from rag.index import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, Index, IndexType, auto_kind

DIMENSION = 384
K_CHUNKS = 50  # what Retriever asks the vector index for
Clock = Callable[[], float]


# --------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Latency:
    """p50 / p95 of repeated timings, in milliseconds."""

    p50_ms: float
    p95_ms: float
    n: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        """Summarise timings given in seconds.

        >>> Latency.of([0.001, 0.002, 0.003]).p50_ms
        2.0
        """
        if not seconds:
            raise ConfigError("no timings to summarise")
        ms = np.asarray(seconds, dtype=np.float64) * 1000.0
        return cls(round(float(np.percentile(ms, 50)), 3), round(float(np.percentile(ms, 95)), 3), len(ms))


@dataclass(frozen=True)
class IngestBench:
    """The ingest pipeline against raw encoding of the same chunk texts (medians over `repeats`)."""

    n_files: int
    n_chunks: int
    pipeline_s: float  # ingest_files into a fresh index: parse, chunk, embed, upsert, save
    encode_s: float  # the embedder's raw encode of the same embed texts
    parse_chunk_s: float  # of which parsing and chunking (measured on its own)
    save_s: float  # of which Index.save (measured on its own)
    repeats: int
    paired_ratio: float | None = None  # median of pipeline/raw over adjacent pairs (robust to load drift)
    outside_embed_s: float | None = None  # pipeline time not spent inside the embedder (median)

    @property
    def overhead_ratio(self) -> float:
        """Pipeline seconds per chunk / raw encode seconds per chunk (1.0 = no overhead): the median of the
        ratios of adjacent pipeline/raw pairs, which a machine's load drifting between runs moves less."""
        if self.paired_ratio is not None:
            return self.paired_ratio
        return self.pipeline_s / self.encode_s if self.encode_s > 0 else float("inf")

    @property
    def outside_embed_ratio(self) -> float | None:
        """(raw encode + pipeline time outside the embedder) / raw encode: the pipeline's own cost, without
        the load noise of comparing two separate encodes."""
        if self.outside_embed_s is None or self.encode_s <= 0:
            return None
        return (self.encode_s + self.outside_embed_s) / self.encode_s


@dataclass(frozen=True)
class AnnBench:
    """One FAISS index over `n` synthetic vectors: build time, query latency, recall and size."""

    n: int
    kind: str  # "flat" or "hnsw"
    build_s: float
    latency: Latency
    recall_at_10: float  # against the exact (flat) top 10; 1.0 for flat
    bytes: int  # serialised size of the FAISS index
    m: int | None = None
    ef_search: int | None = None

    @property
    def mb_per_100k(self) -> float:
        return self.bytes / self.n * 100_000 / 1e6


@dataclass(frozen=True)
class ProductSearchBench:
    """The product's search path on `n` synthetic chunks: `Index` (type chosen as the product does) and
    the hybrid `Retriever` (query embedding excluded: a lookup embedder hands over the query vectors)."""

    n: int
    index_type: str  # the FAISS structure the Index built ("flat" or "hnsw")
    dense: Latency  # Index.search_dense(q, k=50)
    hybrid: Latency | None  # Retriever.retrieve(question): dense + BM25 + RRF + grouping
    recall_at_10: float  # the first 10 of search_dense against the exact top 10
    vector_bytes: int  # the Index's float32 matrix + its serialised FAISS index
    rss_bytes: int | None  # resident memory of the saved index loaded for serving (Index + FAISS + BM25)


@dataclass(frozen=True)
class StreamTiming:
    """One streamed reply: time to first piece, total time, pieces (≈ tokens) and the text."""

    ttft_s: float
    total_s: float
    pieces: int
    text: str

    @property
    def tokens_per_s(self) -> float:
        """Decode speed after the first piece (prompt evaluation excluded)."""
        span = self.total_s - self.ttft_s
        return (self.pieces - 1) / span if self.pieces > 1 and span > 0 else 0.0


@dataclass(frozen=True)
class GenerationBench:
    """The product's generator against raw llama-cpp on the same prompt and model (medians)."""

    product_ttft_s: float
    raw_ttft_s: float
    product_tokens_per_s: float
    raw_tokens_per_s: float
    pieces: int
    same_text: bool  # greedy decoding: both must write the same reply
    repeats: int
    product_cold_ttft_s: float | None = None  # from an empty KV cache (the prompt evaluated in full)
    raw_cold_ttft_s: float | None = None

    @property
    def speed_ratio(self) -> float:
        return self.product_tokens_per_s / self.raw_tokens_per_s if self.raw_tokens_per_s > 0 else 0.0


@dataclass(frozen=True)
class PrefixCacheBench:
    """Time to first token for one prompt from an empty KV cache vs. with the static prefix primed."""

    cold_ttft_s: float
    primed_ttft_s: float
    prompt_tokens: int | None
    prefix_tokens: int | None
    repeats: int

    @property
    def ttft_ratio(self) -> float:
        """Primed / cold: below 1.0 means the primed prefix saves time."""
        return self.primed_ttft_s / self.cold_ttft_s if self.cold_ttft_s > 0 else float("inf")


@dataclass(frozen=True)
class ColdStartBench:
    """Process start to the first HTTP 200, and to the app's own "ready" line (models loaded)."""

    page_s: float
    ready_s: float | None


@dataclass(frozen=True)
class BenchReport:
    """Everything one `run` measured, plus how it was run."""

    quick: bool
    started: str
    wall_s: float
    machine: str
    ingest: IngestBench | None = None
    ann: tuple[AnnBench, ...] = ()
    product_search: tuple[ProductSearchBench, ...] = ()
    generation: GenerationBench | None = None
    prefix_cache: PrefixCacheBench | None = None
    cold_start: ColdStartBench | None = None
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """The headline figures (None where that part was not run)."""
        at_100k = next((p for p in self.product_search if p.n == 100_000), None)
        hnsw = [a for a in self.ann if a.kind == "hnsw" and a.ef_search == HNSW_EF_SEARCH]
        memory = self.memory_1m_bytes()
        vectors = self.vector_memory_1m_bytes()
        ann_100k = next((a for a in hnsw if a.n == 100_000), None) or (hnsw[-1] if hnsw else None)
        return {
            "ingest_overhead_ratio": _round(self.ingest.overhead_ratio if self.ingest else None),
            "ingest_outside_embed_ratio": _round(self.ingest.outside_embed_ratio if self.ingest else None),
            "search_p50_ms_100k": at_100k.dense.p50_ms if at_100k else None,
            "search_index_100k": at_100k.index_type if at_100k else None,
            "hybrid_p50_ms_100k": at_100k.hybrid.p50_ms if at_100k and at_100k.hybrid else None,
            "ann_recall_at_10": _round(ann_100k.recall_at_10 if ann_100k else None),
            "ann_recall_at_10_largest": _round(hnsw[-1].recall_at_10 if hnsw else None),
            "generation_speed_ratio": _round(self.generation.speed_ratio if self.generation else None),
            "prefix_cache_ttft_ratio": _round(self.prefix_cache.ttft_ratio if self.prefix_cache else None),
            "cold_start_s": _round(self.cold_start.page_s if self.cold_start else None, 2),
            "memory_gb_1m": _round(memory / 1e9 if memory else None, 2),
            "vector_memory_gb_1m": _round(vectors / 1e9 if vectors else None, 2),
            "quick": self.quick,
            "wall_s": round(self.wall_s, 1),
        }

    def memory_1m_bytes(self) -> float | None:
        """Serve-time memory of the product's index at 1M chunks: the resident memory of the largest loaded
        synthetic index (records, vectors, FAISS, BM25) per chunk, times 1M, plus the HNSW graph "auto" adds
        at that size where the measured index was flat."""
        measured = [p for p in self.product_search if p.rss_bytes]
        if not measured:
            return None
        at = max(measured, key=lambda p: p.n)
        per_chunk = at.rss_bytes / at.n if at.rss_bytes else 0.0
        if at.index_type == "flat" and auto_kind(1_000_000) == "hnsw":
            per_chunk += self._hnsw_extra_per_vector()
        return per_chunk * 1e6

    def vector_memory_1m_bytes(self) -> float | None:
        """The vectors alone at 1M chunks: the Index's float32 matrix plus the FAISS structure "auto" builds
        there (its measured bytes per vector at the largest size run)."""
        kind = auto_kind(1_000_000)
        ann = [a for a in self.ann if a.kind == kind and (kind == "flat" or a.ef_search == HNSW_EF_SEARCH)]
        if not ann:
            return None
        largest = max(ann, key=lambda a: a.n)
        return largest.bytes / largest.n * 1e6 + 1e6 * DIMENSION * 4

    def _hnsw_extra_per_vector(self) -> float:
        by_n: dict[int, dict[str, AnnBench]] = {}
        for a in self.ann:
            by_n.setdefault(a.n, {})[a.kind] = a
        pairs = [(n, k) for n, k in by_n.items() if {"flat", "hnsw"} <= set(k)]
        if not pairs:
            return 0.0
        n, k = max(pairs)
        return (k["hnsw"].bytes - k["flat"].bytes) / n

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary(), **asdict(self)}

    def markdown(self, *, command: str = "referat bench") -> str:
        """The results as Markdown: headline figures against the issue's targets, then the details."""
        s = self.summary()
        lines = [
            f"# Benchmarks ({'quick' if self.quick else 'full'} run, {self.started[:10]})",
            "",
            f"Reproduce: `{command}`  ",
            f"Machine: {self.machine}; wall time {self.wall_s / 60:.1f} min. Every ratio compares two things",
            "measured in this run, interleaved, on this machine.",
            "",
            "| figure | value | target | |",
            "|---|---|---|---|",
        ]
        targets: list[tuple[str, str, Callable[[Any], bool]]] = [
            ("ingest_overhead_ratio", "<= 1.10", lambda v: v <= 1.10),
            ("search_p50_ms_100k", "<= 50 ms", lambda v: v <= 50),
            ("ann_recall_at_10", ">= 0.95", lambda v: v >= 0.95),
            ("generation_speed_ratio", ">= 0.95", lambda v: v >= 0.95),
            ("prefix_cache_ttft_ratio", "< 1 (measurable cut)", lambda v: v < 0.95),
            ("cold_start_s", "<= 15 s", lambda v: v <= 15),
            ("memory_gb_1m", "<= 4 GB", lambda v: v <= 4),
        ]
        for key, target, ok in targets:
            v = s[key]
            verdict = "–" if v is None else ("met" if ok(v) else "**missed**")
            lines.append(f"| `{key}` | {'–' if v is None else v} | {target} | {verdict} |")
        if s["vector_memory_gb_1m"] is not None:
            lines.append(f"| `vector_memory_gb_1m` | {s['vector_memory_gb_1m']} | (of which vectors + FAISS) | |")
        if s["hybrid_p50_ms_100k"] is not None:
            lines.append(f"| `hybrid_p50_ms_100k` | {s['hybrid_p50_ms_100k']} | (dense + BM25, no query embedding) | |")
        lines.append("")
        if self.ingest:
            i = self.ingest
            lines += [
                "## Ingest",
                "",
                f"{i.n_files} files, {i.n_chunks} chunks, median of {i.repeats} interleaved runs.",
                "",
                "| | seconds | ms per chunk |",
                "|---|---|---|",
                f"| pipeline (`ingest_files`: parse, chunk, embed, upsert, save) | {i.pipeline_s:.2f} | "
                f"{i.pipeline_s / i.n_chunks * 1000:.1f} |",
                f"| raw `SentenceTransformer.encode`, same texts | {i.encode_s:.2f} | "
                f"{i.encode_s / i.n_chunks * 1000:.1f} |",
                f"| of the pipeline: parse + chunk | {i.parse_chunk_s:.2f} | |",
                f"| of the pipeline: save (fsynced) | {i.save_s:.2f} | |",
            ]
            if i.outside_embed_s is not None:
                lines.append(
                    f"| of the pipeline: everything outside the embedder | {i.outside_embed_s:.2f} | "
                    f"{i.outside_embed_s / i.n_chunks * 1000:.1f} |"
                )
            lines += [
                "",
                f"`ingest_overhead_ratio` is the median of the {i.repeats} adjacent pipeline/raw ratios"
                f" (ratio of medians: {i.pipeline_s / i.encode_s:.3f}); (raw + time outside the embedder) / raw = "
                f"{i.outside_embed_ratio or float('nan'):.3f}.",
                "",
            ]
        if self.ann:
            lines += [
                "## Vector search (synthetic clustered unit vectors, 384-d, FAISS, k=10, one query at a time)",
                "",
                "| chunks | index | M | efSearch | build s | p50 ms | p95 ms | recall@10 | MB per 100k |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
            for a in self.ann:
                lines.append(
                    f"| {a.n:,} | {a.kind} | {a.m or '–'} | {a.ef_search or '–'} | {a.build_s:.1f} | "
                    f"{a.latency.p50_ms:.2f} | {a.latency.p95_ms:.2f} | {a.recall_at_10:.3f} | {a.mb_per_100k:.0f} |"
                )
            lines.append("")
        if self.product_search:
            lines += [
                "## Product search path (`Index` with the type it picks, `Retriever` hybrid, k=50 chunks)",
                "",
                "| chunks | index | dense p50 / p95 ms | hybrid p50 / p95 ms | recall@10 | vector MB | RSS MB |",
                "|---|---|---|---|---|---|---|",
            ]
            for p in self.product_search:
                hyb = f"{p.hybrid.p50_ms:.1f} / {p.hybrid.p95_ms:.1f}" if p.hybrid else "–"
                rss = f"{p.rss_bytes / 1e6:.0f}" if p.rss_bytes else "–"
                lines.append(
                    f"| {p.n:,} | {p.index_type} | {p.dense.p50_ms:.2f} / {p.dense.p95_ms:.2f} | {hyb} | "
                    f"{p.recall_at_10:.3f} | {p.vector_bytes / 1e6:.0f} | {rss} |"
                )
            lines.append("")
        if self.generation or self.prefix_cache:
            lines += ["## Answering (same prompt, same GGUF, greedy)", "", "| | value |", "|---|---|"]
            if g := self.generation:
                lines += [
                    f"| product tokens/s (LlamaCppGenerator) | {g.product_tokens_per_s:.2f} |",
                    f"| raw tokens/s (Llama.create_chat_completion) | {g.raw_tokens_per_s:.2f} |",
                    f"| product / raw time to first token, prompt cached | {g.product_ttft_s:.2f} s / "
                    f"{g.raw_ttft_s:.2f} s |",
                    f"| pieces per reply; same text | {g.pieces}; {g.same_text} |",
                ]
                if g.product_cold_ttft_s is not None and g.raw_cold_ttft_s is not None:
                    lines.append(
                        f"| product / raw time to first token, empty cache | {g.product_cold_ttft_s:.2f} s / "
                        f"{g.raw_cold_ttft_s:.2f} s |"
                    )
            if c := self.prefix_cache:
                toks = f" ({c.prompt_tokens} prompt tokens, {c.prefix_tokens} in the static prefix)"
                lines += [
                    f"| time to first token, empty cache{toks} | {c.cold_ttft_s:.2f} s |",
                    f"| time to first token, static prefix primed | {c.primed_ttft_s:.2f} s |",
                ]
            lines.append("")
        if c2 := self.cold_start:
            ready = f"{c2.ready_s:.1f} s" if c2.ready_s is not None else "–"
            lines += [
                "## Cold start (`referat serve --index DIR` on the sample index)",
                "",
                f"Page answers after {c2.page_s:.1f} s; models loaded and prefix primed after {ready}.",
                "",
            ]
        if self.notes:
            lines += ["## Notes", "", *[f"- {n}" for n in self.notes], ""]
        return "\n".join(lines)


def _round(v: float | None, places: int = 3) -> float | None:
    return None if v is None else round(float(v), places)


# --------------------------------------------------------------------------------------------- ingest


def bench_ingest(
    files: Sequence[Path],
    embedder: Embedder,
    raw_encode: Callable[[list[str]], Any],
    *,
    repeats: int = 3,
    workdir: Path,
    clock: Clock = time.perf_counter,
) -> IngestBench:
    """Time `ingest_files` into a fresh index against `raw_encode` of the same chunk texts.

    Both are warmed first and run interleaved (raw first on even repeats, pipeline first on odd).
    Usage: `bench_ingest(files, emb, lambda t: st.encode(t), repeats=3, workdir=Path("/tmp/b"))`.
    """
    from ingest.chunking import chunk_document
    from ingest.parse import parse_document
    from rag.corpus import ingest_files

    if repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {repeats}")
    t0 = clock()
    docs = [parse_document(f) for f in files]
    texts = [c.embed_text for d in docs for c in chunk_document(d)]
    parse_chunk_s = clock() - t0
    if not texts:
        raise ConfigError("the benchmark corpus yields no chunks")
    raw_encode(texts[:4])  # warm both: the first calls pay for lazy loading
    embedder.embed_passages(texts[:4])

    runs = 0
    outside: list[float] = []

    def pipeline() -> float:
        nonlocal runs
        runs += 1
        idx = Index.create(workdir / f"ingest-{runs}", embedder.model_id, embedder.dimension, overwrite=True)
        timed = _TimedEmbedder(embedder, clock)
        start = clock()
        ingest_files(files, idx, timed)
        took = clock() - start
        outside.append(took - timed.seconds)
        return took

    def raw() -> float:
        start = clock()
        raw_encode(list(texts))
        return clock() - start

    pipe_s, raw_s = _interleaved(raw, pipeline, repeats)
    last = Index.load(workdir / f"ingest-{runs}")
    start = clock()
    last.save()
    save_s = clock() - start
    return IngestBench(
        n_files=len(files),
        n_chunks=len(texts),
        pipeline_s=statistics.median(pipe_s),
        encode_s=statistics.median(raw_s),
        parse_chunk_s=parse_chunk_s,
        save_s=save_s,
        repeats=repeats,
        paired_ratio=statistics.median(p / r for p, r in zip(pipe_s, raw_s, strict=True) if r > 0),
        outside_embed_s=statistics.median(outside),
    )


class _TimedEmbedder:
    """Passes everything to `inner`, adding up the seconds spent in `embed_passages`."""

    def __init__(self, inner: Embedder, clock: Clock) -> None:
        self._inner = inner
        self._clock = clock
        self.seconds = 0.0

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        start = self._clock()
        try:
            return self._inner.embed_passages(texts)
        finally:
            self.seconds += self._clock() - start

    def embed_query(self, text: str) -> np.ndarray:
        return self._inner.embed_query(text)


def _interleaved(
    baseline: Callable[[], float], candidate: Callable[[], float], repeats: int
) -> tuple[list[float], list[float]]:
    """Run both `repeats` times, alternating which goes first; returns (candidate, baseline) seconds."""
    cand: list[float] = []
    base: list[float] = []
    for r in range(repeats):
        if r % 2 == 0:
            base.append(baseline())
            cand.append(candidate())
        else:
            cand.append(candidate())
            base.append(baseline())
    return cand, base


# --------------------------------------------------------------------------------------------- search


def synthetic_vectors(n: int, n_queries: int, *, dim: int = DIMENSION, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered unit vectors (topics > subtopics > points) and queries drawn from the same clusters.

    Uniform random vectors make every neighbour equally far and ANN recall meaningless; here a point's
    nearest neighbours are the ~50 others of its subtopic, a query is a fresh point of a random subtopic.

    >>> data, queries = synthetic_vectors(1000, 5, dim=16)
    >>> data.shape, queries.shape, bool(np.allclose(np.linalg.norm(data, axis=1), 1.0, atol=1e-5))
    ((1000, 16), (5, 16), True)
    """
    if n < 1 or n_queries < 1:
        raise ConfigError(f"need n >= 1 and n_queries >= 1, got {n} and {n_queries}")
    rng = np.random.default_rng(seed)

    def unit(x: np.ndarray) -> np.ndarray:
        return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)

    def noise(rows: int) -> np.ndarray:
        return rng.standard_normal((rows, dim), dtype=np.float32) / np.float32(np.sqrt(dim))

    n_topics = max(4, n // 2000)
    n_sub = max(8, n // 50)
    topics = unit(noise(n_topics))
    subs = unit(topics[rng.integers(0, n_topics, n_sub)] + 0.7 * noise(n_sub))
    data = np.empty((n, dim), dtype=np.float32)
    step = 100_000  # bounded temporaries at 1M
    for start in range(0, n, step):
        rows = min(step, n - start)
        data[start : start + rows] = unit(subs[rng.integers(0, n_sub, rows)] + 0.6 * noise(rows))
    queries = unit(subs[rng.integers(0, n_sub, n_queries)] + 0.6 * noise(n_queries))
    return data, queries


def exact_top_k(data: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The exact top-`k` ids per query by inner product (the ground truth for recall)."""
    faiss = _faiss()
    flat = faiss.IndexFlatIP(data.shape[1])
    flat.add(data)
    _, ids = flat.search(queries, k)
    return np.asarray(ids)


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean share of the true top-k found in the first k results.

    >>> recall_at_k(np.array([[1, 2, 3]]), np.array([[1, 2, 4]]), k=3)
    0.6666666666666666
    """
    hits = [len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth, strict=True)]
    return float(np.mean(hits)) / k


def bench_ann(
    data: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    *,
    m: int = HNSW_M,
    ef_construction: int = HNSW_EF_CONSTRUCTION,
    ef_search: Sequence[int] = (HNSW_EF_SEARCH,),
    k: int = 10,
    flat: bool = True,
    clock: Clock = time.perf_counter,
) -> list[AnnBench]:
    """Flat vs HNSW over `data`: one query at a time on one thread (as the product searches), p50/p95,
    recall, size.

    `truth` is `exact_top_k(data, queries, k)`; one HNSW graph is built and searched at each `ef_search`.
    """
    faiss = _faiss()
    n, dim = data.shape
    out: list[AnnBench] = []
    if flat:
        start = clock()
        index = faiss.IndexFlatIP(dim)
        index.add(data)
        build_s = clock() - start
        lat, ids = _search_each(lambda q: index.search(q, k), queries, clock)
        size = int(faiss.serialize_index(index).size)
        del index
        out.append(AnnBench(n, "flat", build_s, lat, recall_at_k(ids, truth, k), size))
    start = clock()
    hnsw = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = ef_construction
    hnsw.add(data)
    build_s = clock() - start
    size = int(faiss.serialize_index(hnsw).size)
    for ef in ef_search:
        params = faiss.SearchParametersHNSW(efSearch=max(ef, k))

        def search(q: np.ndarray, params: Any = params) -> Any:
            return hnsw.search(q, k, params=params)

        lat, ids = _search_each(search, queries, clock)
        out.append(AnnBench(n, "hnsw", build_s, lat, recall_at_k(ids, truth, k), size, m=m, ef_search=ef))
    return out


def _search_each(search: Callable[[np.ndarray], Any], queries: np.ndarray, clock: Clock) -> tuple[Latency, np.ndarray]:
    faiss = _faiss()
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # as rag.index searches
    try:
        search(queries[:1])  # warm caches
        times: list[float] = []
        found: list[np.ndarray] = []
        for q in queries:
            start = clock()
            _, ids = search(q.reshape(1, -1))
            times.append(clock() - start)
            found.append(np.asarray(ids[0]))
    finally:
        faiss.omp_set_num_threads(threads)
    return Latency.of(times), np.stack(found)


class LookupEmbedder:
    """An `Embedder` that hands back precomputed vectors: text -> its row (passages), or the next query.

    Lets the product's `Index` and `Retriever` run on synthetic vectors without a model.
    """

    def __init__(self, passages: dict[str, np.ndarray], queries: dict[str, np.ndarray], dimension: int) -> None:
        self._passages = passages
        self._queries = queries
        self._dimension = dimension

    @property
    def model_id(self) -> str:
        return f"lookup-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return np.stack([self._passages[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._queries[text]


def synthetic_texts(n: int, vocabulary: Sequence[str], *, words: int = 90, seed: int = 0) -> list[str]:
    """`n` pseudo-passages of `words` words drawn Zipf-like from `vocabulary` (realistic BM25 postings).

    >>> len(synthetic_texts(3, ["byråd", "budget", "skole"], words=5)[0].split())
    6
    """
    if not vocabulary:
        raise ConfigError("synthetic_texts needs a non-empty vocabulary")
    rng = np.random.default_rng(seed)
    vocab = np.asarray(list(vocabulary), dtype=object)
    p = 1.0 / np.arange(1, len(vocab) + 1)
    picks = rng.choice(len(vocab), size=(n, words), p=p / p.sum())
    # A unique token per passage: real chunks differ, and the Index keys vectors by text.
    return [f"s{i} " + " ".join(vocab[row]) for i, row in enumerate(picks)]


def bench_product_search(
    data: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    *,
    vocabulary: Sequence[str],
    workdir: Path,
    index_type: IndexType = "auto",
    hybrid: bool = True,
    docs: int = 100,
    measure_rss: bool = True,
    clock: Clock = time.perf_counter,
) -> ProductSearchBench:
    """The product's `Index` (and hybrid `Retriever`) over `data` as chunks of `docs` synthetic documents.

    `truth` is the exact top 10 for `queries` (ids = row numbers of `data`).
    """
    from rag.retrieve import Retriever

    n, dim = data.shape
    texts = synthetic_texts(n, vocabulary, seed=n)
    questions = [" ".join(t.split()[1:6]) + f" q{i}" for i, t in enumerate(synthetic_texts(len(queries), vocabulary))]
    per_doc = -(-n // docs)
    batches: list[tuple[Document, list[Chunk]]] = []
    for d, start in enumerate(range(0, n, per_doc)):
        doc_id = f"doc{d:05d}"
        rows = range(start, min(n, start + per_doc))
        chunks = [
            Chunk(f"c{r}", doc_id, str(1 + (r - start) // 10), f"Punkt {r}", None, texts[r], f"Syntetisk {d}", 0, 1)
            for r in rows
        ]
        items = tuple(AgendaItem(doc_id, str(i), f"Punkt {i}", "", (0, 1)) for i in range(1, 2 + (len(rows) - 1) // 10))
        batches.append((Document(doc_id, f"{doc_id}.txt", "", items, content_hash=doc_id), chunks))
    passages = {c.embed_text: data[int(c.id[1:])] for _, chunks in batches for c in chunks}
    embedder = LookupEmbedder(passages, dict(zip(questions, queries, strict=True)), dim)
    idx = Index.create(workdir / f"search-{n}", embedder.model_id, dim, index_type)
    for document, chunks in batches:
        idx.upsert_document(document, chunks, embedder)
    del batches, passages
    row_of = {c.id: int(c.id[1:]) for c in idx.chunks}
    pos_to_row = np.asarray([row_of[c.id] for c in idx.chunks])

    def dense(q: np.ndarray) -> Any:
        return idx.search_dense(q, K_CHUNKS)

    dense(queries[0])  # builds the FAISS index
    times: list[float] = []
    found: list[list[int]] = []
    for q in queries:
        began = clock()
        hits = dense(q)
        times.append(clock() - began)
        found.append([int(pos_to_row[p]) for p, _ in hits[:10]])
    recall = recall_at_k(np.asarray(found), truth, 10)
    hyb: Latency | None = None
    if hybrid:
        retriever = Retriever(idx, embedder)
        retriever.retrieve(questions[0])  # builds BM25
        h_times = []
        for question in questions:
            began = clock()
            retriever.retrieve(question)
            h_times.append(clock() - began)
        hyb = Latency.of(h_times)
    rss = None
    if measure_rss:
        idx.save()
        rss = serve_memory(idx.directory)
    return ProductSearchBench(
        n=n,
        index_type=idx.kind,
        dense=Latency.of(times),
        hybrid=hyb,
        recall_at_10=recall,
        vector_bytes=idx.vector_bytes(),
        rss_bytes=rss,
    )


_SERVE_MEMORY = """
import gc, json, sys
from rag.index import Index
from rag.lexical import LexicalIndex

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * __import__("os").sysconf("SC_PAGE_SIZE")

import faiss, bm25s, Stemmer, numpy  # imports are not the index's memory
gc.collect(); before = rss()
idx = Index.load(sys.argv[1])
lexical = LexicalIndex.build([c.embed_text for c in idx.chunks])
gc.collect()
print(json.dumps({"rss": rss() - before, "n": len(idx)}))
"""


def serve_memory(index_dir: Path) -> int | None:
    """Resident memory a fresh process adds by loading the index at `index_dir` as `referat serve` holds it:
    records, vectors, FAISS and the BM25 index built from the chunks. None where /proc is missing."""
    if not Path("/proc/self/statm").exists():
        return None
    out = subprocess.run(
        [sys.executable, "-c", _SERVE_MEMORY, str(index_dir)], capture_output=True, text=True, check=True
    )
    rss: int = json.loads(out.stdout.strip().splitlines()[-1])["rss"]
    return rss


def _faiss() -> Any:
    import faiss

    return faiss


# --------------------------------------------------------------------------------------------- answering


def time_stream(pieces: Iterable[str], clock: Clock = time.perf_counter) -> StreamTiming:
    """Time a stream from the moment iteration starts (setup done when the iterable was made).

    >>> t = iter([0.0, 0.5, 0.6, 0.7, 0.7])
    >>> time_stream(["a", "b", "c"], clock=lambda: next(t))
    StreamTiming(ttft_s=0.5, total_s=0.7, pieces=3, text='abc')
    """
    it = iter(pieces)
    start = clock()
    first: float | None = None
    out: list[str] = []
    last = start
    for piece in it:
        last = clock()
        if first is None:
            first = last - start
        out.append(piece)
    end = clock() if first is None else last
    return StreamTiming(first if first is not None else end - start, end - start, len(out), "".join(out))


def bench_generation(
    product: Callable[[], Iterable[str]],
    raw: Callable[[], Iterable[str]],
    *,
    repeats: int = 3,
    clock: Clock = time.perf_counter,
) -> GenerationBench:
    """Product vs raw streaming on the same prompt. Each callable does its (untimed) setup, e.g.
    clearing the KV cache, and returns the stream; iteration is what is timed."""
    if repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {repeats}")
    p_runs: list[StreamTiming] = []
    r_runs: list[StreamTiming] = []
    for r in range(repeats):
        order = [(raw, r_runs), (product, p_runs)] if r % 2 == 0 else [(product, p_runs), (raw, r_runs)]
        for make, runs in order:
            runs.append(time_stream(make(), clock))
    return GenerationBench(
        product_ttft_s=statistics.median(t.ttft_s for t in p_runs),
        raw_ttft_s=statistics.median(t.ttft_s for t in r_runs),
        product_tokens_per_s=statistics.median(t.tokens_per_s for t in p_runs),
        raw_tokens_per_s=statistics.median(t.tokens_per_s for t in r_runs),
        pieces=int(statistics.median(t.pieces for t in p_runs)),
        same_text=all(p.text.strip() == r_.text.strip() for p, r_ in zip(p_runs, r_runs, strict=True)),
        repeats=repeats,
    )


def bench_prefix_cache(
    cold: Callable[[], Iterable[str]],
    primed: Callable[[], Iterable[str]],
    *,
    repeats: int = 3,
    prompt_tokens: int | None = None,
    prefix_tokens: int | None = None,
    clock: Clock = time.perf_counter,
) -> PrefixCacheBench:
    """Time to first token from an empty cache vs. with the static prefix primed (priming untimed)."""
    if repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {repeats}")
    cold_s: list[float] = []
    primed_s: list[float] = []
    for r in range(repeats):
        order = [(cold, cold_s), (primed, primed_s)] if r % 2 == 0 else [(primed, primed_s), (cold, cold_s)]
        for make, runs in order:
            runs.append(time_stream(make(), clock).ttft_s)
    return PrefixCacheBench(
        cold_ttft_s=statistics.median(cold_s),
        primed_ttft_s=statistics.median(primed_s),
        prompt_tokens=prompt_tokens,
        prefix_tokens=prefix_tokens,
        repeats=repeats,
    )


# --------------------------------------------------------------------------------------------- cold start


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def bench_cold_start(
    command: Sequence[str],
    url: str,
    *,
    ready_pattern: str | None = None,
    timeout_s: float = 180.0,
    env: dict[str, str] | None = None,
) -> ColdStartBench:
    """Start `command`, poll `url` until it answers 200; then wait for a stderr line matching `ready_pattern`.

    The process is terminated afterwards. Usage:
    `bench_cold_start(["referat", "serve", "--index", "data/index", "--port", "7999"], "http://127.0.0.1:7999/")`.
    """
    ready_at: list[float] = []
    pattern = re.compile(ready_pattern) if ready_pattern else None
    start = time.perf_counter()
    proc = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)

    def watch() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if pattern and not ready_at and pattern.search(line):
                ready_at.append(time.perf_counter() - start)

    threading.Thread(target=watch, daemon=True).start()
    try:
        page_s = _wait_http(url, proc, start, timeout_s)
        while pattern and not ready_at and proc.poll() is None and time.perf_counter() - start < timeout_s:
            time.sleep(0.1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return ColdStartBench(page_s=page_s, ready_s=ready_at[0] if ready_at else None)


def _wait_http(url: str, proc: subprocess.Popen[str], start: float, timeout_s: float) -> float:
    while time.perf_counter() - start < timeout_s:
        if proc.poll() is not None:
            raise ConfigError(f"{proc.args!r} exited with code {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise ConfigError(f"{url} did not answer within {timeout_s:.0f} s")


# --------------------------------------------------------------------------------------------- run


def corpus_vocabulary(files: Sequence[Path], *, limit: int = 20_000) -> list[str]:
    """Words of the corpus, most frequent first (for synthetic passages with realistic BM25 postings)."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for f in files:
        counts.update(re.findall(r"[^\W\d_]{2,}", f.read_text(encoding="utf-8", errors="replace").lower()))
    return [w for w, _ in counts.most_common(limit)]


def run(
    *,
    quick: bool,
    corpus: Path = Path("data/sample"),
    parts: Sequence[str] = ("ingest", "search", "answer", "cold"),
    progress: Callable[[str], None] = lambda _: None,
) -> BenchReport:
    """Run the benchmarks with the configured models (`REFERAT_EMBEDDER`, `REFERAT_LLM`).

    `quick`: ingest the smaller half of the corpus, search 10k and 100k chunks, 32-token replies; the full run
    ingests all of it, adds 1M chunks and 64-token replies. Usage: `print(run(quick=True).markdown())`.
    """
    unknown = set(parts) - {"ingest", "search", "answer", "cold"}
    if unknown:
        raise ConfigError(f"unknown benchmark parts {sorted(unknown)}; choose from ingest, search, answer, cold")
    from models.settings import Settings
    from rag.corpus import expand_paths

    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    settings = Settings.from_env()
    files = expand_paths([corpus])
    if not files:
        raise ConfigError(f"no documents in {corpus} to benchmark with")
    repeats = 3 if quick else 5
    notes: list[str] = []
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="referat-bench-") as tmp:
        work = Path(tmp)
        index_dir = work / "sample-index"
        embedder = _product_embedder(settings)
        if "ingest" in parts:
            progress("ingest: pipeline vs raw encode")
            st = embedder.warm_up()

            def raw_encode(texts: list[str]) -> Any:
                return st.encode(texts, prompt=embedder.passage_prompt, normalize_embeddings=True)

            # Quick: the smaller half of the corpus (the ratio is per chunk); full: all of it.
            some = sorted(files, key=lambda f: f.stat().st_size)[: len(files) // 2 + 1] if quick else files
            results["ingest"] = bench_ingest(some, embedder, raw_encode, repeats=3, workdir=work)
            progress(f"  {results['ingest']}")
        if "answer" in parts or "cold" in parts:
            from rag.corpus import ingest_files

            ingest_files(files, Index.open_or_create(index_dir, embedder), embedder)
        if "search" in parts:
            vocab = corpus_vocabulary(files)
            sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
            ann: list[AnnBench] = []
            product: list[ProductSearchBench] = []
            n_queries = 200 if quick else 300
            for n in sizes:
                progress(f"search: {n:,} synthetic chunks")
                data, queries = synthetic_vectors(n, n_queries, seed=n)
                truth = exact_top_k(data, queries, 10)
                ef = (HNSW_EF_SEARCH,) if n < 100_000 else (16, 32, HNSW_EF_SEARCH, 128)
                ann += bench_ann(data, queries, truth, ef_search=ef)
                done = [
                    f"{a.kind} ef={a.ef_search}: {a.latency.p50_ms} ms, {a.recall_at_10:.3f}" for a in ann if a.n == n
                ]
                progress("  " + "; ".join(done))
                if n <= 100_000:
                    product.append(bench_product_search(data, queries, truth, vocabulary=vocab, workdir=work))
                    progress(f"  {product[-1]}")
                del data
                gc.collect()
            results["ann"] = tuple(ann)
            results["product_search"] = tuple(product)
        if "answer" in parts:
            progress("answer: generator vs raw llama-cpp, prefix cache")
            gen, pc, note = _bench_answering(settings, embedder, index_dir, quick=quick, repeats=repeats)
            results["generation"], results["prefix_cache"] = gen, pc
            progress(f"  {gen}\n  {pc}")
            notes.append(note)
        if "cold" in parts:
            progress("cold start: referat serve")
            port = free_port()
            referat = Path(sys.executable).with_name("referat")
            cmd = [str(referat), "serve", "--index", str(index_dir), "--port", str(port)]
            results["cold_start"] = bench_cold_start(cmd, f"http://127.0.0.1:{port}/", ready_pattern=r"^Klar\b")
            progress(f"  {results['cold_start']}")
    return BenchReport(
        quick=quick,
        started=started,
        wall_s=time.perf_counter() - t0,
        machine=f"{os.cpu_count()} CPU cores, {sys.platform}, Python {sys.version.split()[0]}, "
        f"embedder {settings.embedder}, LLM {settings.llm}, {settings.threads} threads",
        notes=tuple(notes),
        **results,
    )


def _product_embedder(settings: Any) -> Any:
    from models.registry import resolve_embedder
    from rag.embed import SentenceTransformerEmbedder

    path = resolve_embedder(settings.embedder, settings=settings)
    return SentenceTransformerEmbedder(path, name=settings.embedder, threads=settings.threads)


def _bench_answering(
    settings: Any, embedder: Embedder, index_dir: Path, *, quick: bool, repeats: int
) -> tuple[GenerationBench, PrefixCacheBench, str]:
    from llama_cpp import Llama

    from models.registry import resolve_llm
    from rag.assistant import Assistant
    from rag.generate import LlamaCppGenerator
    from rag.prompt import build_messages, static_prefix

    question = "Hvad besluttede KD-Net om Midttrafiks indtægtsfordelingsmodel?"
    sources = Assistant(index_dir, embedder).retrieve(question).sources
    messages = build_messages(question, sources[:3])
    max_tokens = 32 if quick else 64
    model = resolve_llm(settings.llm, settings=settings)
    gen = LlamaCppGenerator(model, model_id=settings.llm, n_threads=settings.threads)
    llm = gen.warm_up()
    raw: Any = Llama(**gen.llama_kwargs())  # the same settings, without the product's wrapper

    def product() -> Iterator[str]:
        return gen.stream(messages, max_tokens=max_tokens)

    def raw_stream() -> Iterator[str]:
        chunks: Iterator[Any] = raw.create_chat_completion(
            messages=messages, stream=True, max_tokens=max_tokens, stop=[], temperature=gen.temperature, seed=gen.seed
        )
        return (p for c in chunks if (p := c["choices"][0]["delta"].get("content")))

    # The first call of each evaluates the whole prompt from an empty cache: one cold time to first token each.
    # Later calls find the prompt in their own KV cache (llama-cpp-python keeps the longest common prefix), so the
    # repeats compare decoding, which is where a wrapper could cost, without paying a prompt evaluation each.
    cold_raw = time_stream(raw_stream())
    cold_product = time_stream(product())
    generation = replace(
        bench_generation(product, raw_stream, repeats=repeats),
        product_cold_ttft_s=cold_product.ttft_s,
        raw_cold_ttft_s=cold_raw.ttft_s,
    )

    def cold() -> Iterator[str]:
        llm.reset()
        return gen.stream(messages, max_tokens=1)

    def primed() -> Iterator[str]:
        llm.reset()
        gen.prime(static_prefix())
        return gen.stream(messages, max_tokens=1)

    prompt_tokens = _chat_tokens(llm, messages)
    prefix_tokens = _chat_tokens(llm, static_prefix())
    cache = bench_prefix_cache(cold, primed, repeats=2, prompt_tokens=prompt_tokens, prefix_tokens=prefix_tokens)
    note = (
        f"Answer prompt: '{question}' with its top 3 retrieved items ({prompt_tokens} tokens); replies capped "
        f"at {max_tokens} tokens. Tokens/s: {repeats} interleaved calls each with the prompt in the KV cache; "
        "cold time to first token: one call each from an empty cache (raw first); prefix cache: 2 interleaved "
        "pairs, cache cleared before each."
    )
    return generation, cache, note


def _chat_tokens(llm: Any, messages: list[dict[str, str]]) -> int:
    """Prompt tokens of `messages` in ChatML, the template of both registered LLMs (Qwen, SmolLM2)."""
    from llama_cpp.llama_chat_format import format_chatml

    prompt: str = format_chatml(messages).prompt
    return len(llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
