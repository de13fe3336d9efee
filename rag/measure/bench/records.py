"""The benchmark's records: one frozen result per measurement, and the report that strings them together."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ingest.errors import ConfigError
from rag.index import HNSW_EF_SEARCH, auto_kind

DIMENSION = 384
K_CHUNKS = 50  # what Retriever asks the vector index for
Clock = Callable[[], float]


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
    vector_bytes: int  # the Index's float32 matrices (memory-mapped) + for HNSW its serialised FAISS index
    rss_bytes: int | None  # resident memory of the saved index loaded for serving, after a search (all of it)
    rss_records_bytes: int | None = None  # the same, after loading and building BM25, before any search


@dataclass(frozen=True)
class AddOneBench:
    """Adding one meeting to a saved index of `n_index` chunks against indexing it alone (medians; open the
    index, upsert, save; parsing, chunking and embedding left out)."""

    n_index: int
    n_chunks: int  # the meeting's
    add_s: float
    alone_s: float
    add_bytes: int  # bytes of the files the save created or replaced
    alone_bytes: int
    repeats: int
    paired_ratio: float | None = None  # median of add/alone over adjacent pairs

    @property
    def time_ratio(self) -> float:
        if self.paired_ratio is not None:
            return self.paired_ratio
        return self.add_s / self.alone_s if self.alone_s > 0 else float("inf")

    @property
    def bytes_ratio(self) -> float:
        return self.add_bytes / self.alone_bytes if self.alone_bytes > 0 else float("inf")


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
class EmbedBench:
    """The product's embedder against the torch reference encoding the same real chunk texts, interleaved.

    Times are medians over `repeats` of one raw `encode` of all `n_passages` texts (E5's "passage: " prompt,
    normalised). `n_tokens` counts what the model reads (prompt included, truncated as the model truncates).
    The ceiling: `matmul_gflops` is what this machine's cores do in a large numpy float32 matmul, and
    `flops_per_token` what the encoder's matmuls cost per token (`embedding.encoder_flops_per_token`).
    """

    model: str
    baseline: str
    n_passages: int
    n_tokens: int
    model_s: float
    baseline_s: float
    repeats: int
    paired_ratio: float  # median over adjacent pairs of baseline seconds / model seconds
    matmul_gflops: float | None = None
    flops_per_token: float | None = None

    @property
    def speedup(self) -> float:
        """How many times the product's passages/s the baseline's is (above 1.0: the product is faster)."""
        return self.paired_ratio

    @property
    def passages_per_s(self) -> float:
        return self.n_passages / self.model_s if self.model_s > 0 else 0.0

    @property
    def baseline_passages_per_s(self) -> float:
        return self.n_passages / self.baseline_s if self.baseline_s > 0 else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.n_tokens / self.model_s if self.model_s > 0 else 0.0

    @property
    def baseline_tokens_per_s(self) -> float:
        return self.n_tokens / self.baseline_s if self.baseline_s > 0 else 0.0

    @property
    def ceiling_tokens_per_s(self) -> float | None:
        """Tokens/s if every matmul FLOP of the encoder ran at the float32 matmul microbenchmark's pace."""
        if not self.matmul_gflops or not self.flops_per_token:
            return None
        return self.matmul_gflops * 1e9 / self.flops_per_token

    def share_of_ceiling(self, tokens_per_s: float) -> float | None:
        """`tokens_per_s` as a share of `ceiling_tokens_per_s` (0.5 = half of it)."""
        ceiling = self.ceiling_tokens_per_s
        return tokens_per_s / ceiling if ceiling else None


@dataclass(frozen=True)
class IngestSpeedBench:
    """`ingest_files` into a fresh index with the product's embedder against the torch reference, on the
    same files, interleaved (medians over `repeats`)."""

    corpus: str
    n_files: int
    n_chunks: int
    model_s: float
    baseline_s: float
    repeats: int
    paired_ratio: float  # median over adjacent pairs of baseline seconds / model seconds

    @property
    def chunks_per_s(self) -> float:
        return self.n_chunks / self.model_s if self.model_s > 0 else 0.0

    @property
    def baseline_chunks_per_s(self) -> float:
        return self.n_chunks / self.baseline_s if self.baseline_s > 0 else 0.0


@dataclass(frozen=True)
class FirstAnswer:
    """One question: seconds to the first checked answer, and to the phrasing's first token (None: not
    followed that far, or no phrasing came)."""

    answer_s: float
    token_s: float | None


@dataclass(frozen=True)
class FirstAnswerBench:
    """How long a user waits, models warm, from asking (`Assistant.ask_stream`) to the first checked answer
    on screen, and to the first token of the model's phrasing under it (seconds, measured outside the product)."""

    first_answer_s: tuple[float, ...]  # one per question
    first_token_s: tuple[float, ...]  # one per question followed as far as the phrasing's first token
    questions: int

    @property
    def first_answer_p50_s(self) -> float:
        return float(np.percentile(self.first_answer_s, 50)) if self.first_answer_s else float("nan")

    @property
    def first_answer_p95_s(self) -> float:
        return float(np.percentile(self.first_answer_s, 95)) if self.first_answer_s else float("nan")

    @property
    def first_token_p50_s(self) -> float | None:
        return float(np.percentile(self.first_token_s, 50)) if self.first_token_s else None


@dataclass(frozen=True)
class LoadBench:
    """Simulated users asking the served app at once over HTTP: each question's seconds to its finished answer
    and before its first update (its wait in Gradio's queue), and every error."""

    config: str  # "local": the model runs in the app; "server": on a llama.cpp server the app calls
    llm: str
    store: str
    users: int
    per_user: int
    answered: int
    errors: tuple[str, ...]
    latency_s: tuple[float, ...]  # one per answered question
    queue_s: tuple[float, ...]
    wall_s: float
    dropped: tuple[str, ...] = ()  # why a summary was dropped, one per answer whose summary was (failed checks too)
    first_answer_s: tuple[float, ...] = ()  # to the first update with an answer to read (checked quotes, a draft)

    @property
    def asked(self) -> int:
        return self.users * self.per_user

    def percentile(self, q: float, *, queue: bool = False, first: bool = False) -> float | None:
        """The `q`th percentile (0-100) of the answer times (`queue`: of the waits; `first`: of the times to the
        first answer to read), None when none came.

        >>> LoadBench("local", "m", "f", 1, 2, 2, (), (1.0, 3.0), (0.0, 1.0), 4.0).percentile(50)
        2.0
        """
        values = self.queue_s if queue else self.first_answer_s if first else self.latency_s
        return float(np.percentile(values, q)) if values else None


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
    add_one: AddOneBench | None = None
    embed: EmbedBench | None = None
    ingest_speed: IngestSpeedBench | None = None
    first_answer: FirstAnswerBench | None = None
    load: tuple[LoadBench, ...] = ()
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
            "first_answer_p50_s": _round(self.first_answer.first_answer_p50_s if self.first_answer else None, 2),
            "phrasing_first_token_p50_s": _round(self.first_answer.first_token_p50_s if self.first_answer else None, 2),
            "embed_speedup_ratio": _round(self.embed.speedup if self.embed else None, 2),
            "embed_share_of_ceiling": _round(
                self.embed.share_of_ceiling(self.embed.tokens_per_s) if self.embed else None
            ),
            "ingest_speedup_ratio": _round(self.ingest_speed.paired_ratio if self.ingest_speed else None, 2),
            "ingest_chunks_per_s": _round(self.ingest_speed.chunks_per_s if self.ingest_speed else None, 1),
            "memory_gb_1m": _round(memory / 1e9 if memory else None, 2),
            "add_one_meeting_ratio": _round(self.add_one.time_ratio if self.add_one else None),
            "add_one_meeting_bytes_ratio": _round(self.add_one.bytes_ratio if self.add_one else None),
            "vector_memory_gb_1m": _round(vectors / 1e9 if vectors else None, 2),
            "load_errors": sum(len(x.errors) for x in self.load) if self.load else None,
            **{f"load_{x.config}_p50_s": _round(x.percentile(50), 2) for x in self.load},
            **{f"load_{x.config}_p95_s": _round(x.percentile(95), 2) for x in self.load},
            **{f"load_{x.config}_first_answer_p50_s": _round(x.percentile(50, first=True), 2) for x in self.load},
            "quick": self.quick,
            "wall_s": round(self.wall_s, 1),
        }

    def memory_1m_bytes(self) -> float | None:
        """Serve-time memory of the product's index at 1M chunks, extrapolated from the largest synthetic index
        measured (a fresh process that loads it, builds BM25 and searches once):

        - records and BM25: the resident memory after load + BM25, per chunk, times 1M;
        - vectors: at 1M "auto" searches HNSW, which holds its own copy of the vectors and never reads the
          Index's memory-mapped matrices: HNSW's measured serialised bytes per vector (largest size run) times
          1M. Where the measured index was searched as at 1M, its own resident growth from the search instead.

        Results measured before the split (no `rss_records_bytes`): the whole resident memory per chunk, plus
        the HNSW graph over flat."""
        measured = [p for p in self.product_search if p.rss_bytes]
        if not measured:
            return None
        at = max(measured, key=lambda p: p.n)
        assert at.rss_bytes is not None
        if at.rss_records_bytes is None:
            per_chunk = at.rss_bytes / at.n
            if at.index_type == "flat" and auto_kind(1_000_000) == "hnsw":
                per_chunk += self._hnsw_extra_per_vector()
            return per_chunk * 1e6
        vectors = (at.rss_bytes - at.rss_records_bytes) / at.n
        if at.index_type != auto_kind(1_000_000):
            kind = auto_kind(1_000_000)
            runs = [a for a in self.ann if a.kind == kind and (kind == "flat" or a.ef_search == HNSW_EF_SEARCH)]
            if runs:
                largest = max(runs, key=lambda a: a.n)
                vectors = largest.bytes / largest.n
        return (at.rss_records_bytes / at.n + vectors) * 1e6

    def vector_memory_1m_bytes(self) -> float | None:
        """The vectors alone at 1M chunks: the FAISS structure "auto" builds there (its measured bytes per vector
        at the largest size run). The Index's float32 matrices are memory-mapped and not read by HNSW search."""
        kind = auto_kind(1_000_000)
        ann = [a for a in self.ann if a.kind == kind and (kind == "flat" or a.ef_search == HNSW_EF_SEARCH)]
        if not ann:
            return None
        largest = max(ann, key=lambda a: a.n)
        return largest.bytes / largest.n * 1e6

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
            ("first_answer_p50_s", "<= 1 s", lambda v: v <= 1.0),
            ("embed_speedup_ratio", ">= 2.5x torch", lambda v: v >= 2.5),
            ("ingest_speedup_ratio", ">= 2.5x torch", lambda v: v >= 2.5),
            ("memory_gb_1m", "<= 4 GB", lambda v: v <= 4),
            ("add_one_meeting_ratio", "<= 2", lambda v: v <= 2),
            ("add_one_meeting_bytes_ratio", "<= 2", lambda v: v <= 2),
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
                f"| raw `encode` of the embedder's model, same texts | {i.encode_s:.2f} | "
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
                "| chunks | index | dense p50 / p95 ms | hybrid p50 / p95 ms | recall@10 | vector MB | RSS MB "
                "(loaded + BM25 / after a search) |",
                "|---|---|---|---|---|---|---|",
            ]
            for p in self.product_search:
                hyb = f"{p.hybrid.p50_ms:.1f} / {p.hybrid.p95_ms:.1f}" if p.hybrid else "–"
                rss = f"{p.rss_bytes / 1e6:.0f}" if p.rss_bytes else "–"
                if p.rss_records_bytes:
                    rss = f"{p.rss_records_bytes / 1e6:.0f} / {rss}"
                lines.append(
                    f"| {p.n:,} | {p.index_type} | {p.dense.p50_ms:.2f} / {p.dense.p95_ms:.2f} | {hyb} | "
                    f"{p.recall_at_10:.3f} | {p.vector_bytes / 1e6:.0f} | {rss} |"
                )
            lines.append("")
        if a1 := self.add_one:
            lines += [
                f"## Adding one meeting ({a1.n_chunks} chunks) to a saved {a1.n_index:,}-chunk index",
                "",
                f"Median of {a1.repeats} interleaved runs; each opens the index, upserts the meeting and saves",
                "(fsynced); parsing, chunking and embedding are left out (precomputed vectors). Bytes: files the save",
                "created or replaced.",
                "",
                "| | seconds | bytes written |",
                "|---|---|---|",
                f"| into the {a1.n_index:,}-chunk index | {a1.add_s:.3f} | {a1.add_bytes:,} |",
                f"| alone, into an empty index | {a1.alone_s:.3f} | {a1.alone_bytes:,} |",
                f"| ratio | {a1.time_ratio:.2f} (median of paired ratios) | {a1.bytes_ratio:.2f} |",
                "",
            ]
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
        if e := self.embed:
            ceiling = e.ceiling_tokens_per_s
            lines += [
                f"## Embedding ({e.n_passages} real chunk texts, {e.n_tokens:,} tokens, "
                f"median of {e.repeats} interleaved)",
                "",
                "| embedder | seconds | passages/s | tokens/s | of ceiling |",
                "|---|---|---|---|---|",
            ]
            for name, secs, pps, tps in (
                (e.model, e.model_s, e.passages_per_s, e.tokens_per_s),
                (e.baseline, e.baseline_s, e.baseline_passages_per_s, e.baseline_tokens_per_s),
            ):
                share = e.share_of_ceiling(tps)
                lines.append(
                    f"| `{name}` | {secs:.2f} | {pps:.1f} | {tps:.0f} | {'–' if share is None else f'{share:.0%}'} |"
                )
            lines.append("")
            lines.append(f"`embed_speedup_ratio` is the median of the {e.repeats} adjacent baseline/product ratios.")
            if ceiling is not None and e.matmul_gflops and e.flops_per_token:
                lines.append(
                    f"Ceiling: {e.matmul_gflops:.1f} GFLOP/s (numpy float32 matmul on this machine) / "
                    f"{e.flops_per_token / 1e6:.1f} MFLOP per token (the encoder's matmuls, embedding table "
                    f"excluded) = {ceiling:.0f} tokens/s."
                )
            lines.append("")
        if i2 := self.ingest_speed:
            lines += [
                f"## Ingest speed ({i2.n_files} files of `{i2.corpus}`, {i2.n_chunks} chunks, "
                f"median of {i2.repeats} interleaved)",
                "",
                "| embedder | seconds | chunks/s |",
                "|---|---|---|",
                f"| product | {i2.model_s:.1f} | {i2.chunks_per_s:.2f} |",
                f"| torch reference | {i2.baseline_s:.1f} | {i2.baseline_chunks_per_s:.2f} |",
                "",
                f"`ingest_speedup_ratio` is the median of the {i2.repeats} adjacent torch/product ratios.",
                "",
            ]
        if f := self.first_answer:
            tok = f"{f.first_token_p50_s:.2f} s" if f.first_token_p50_s is not None else "–"
            lines += [
                "## First answer (`Assistant.ask_stream`, models warm, sample index)",
                "",
                f"{f.questions} questions: first checked answer p50 {f.first_answer_p50_s:.2f} s, "
                f"p95 {f.first_answer_p95_s:.2f} s; the model's phrasing, first token p50 {tok} "
                f"({len(f.first_token_s)} questions followed that far).",
                "",
            ]
        if self.load:
            first = self.load[0]
            lines += [
                f"## Load ({first.users} users x {first.per_user} questions at once, `referat serve` over HTTP)",
                "",
                "Each user is a thread with its own session (`gradio_client`) asking its questions one after another;",
                "seconds from sending a question to its finished answer (sources, checked answer, the model's summary",
                "and its check), to the first update with an answer to read (the checked quotes or decision), and",
                "before its first update at all (waiting in the app's queue). Polled every 20 ms.",
                "",
                "| model | store | answered | errors | finished p50 / p95 / max | answer to read p50 / p95 | "
                "queue wait p50 / p95 | wall s |",
                "|---|---|---|---|---|---|---|---|",
            ]

            def pair(x: LoadBench, **which: bool) -> str:
                return f"{x.percentile(50, **which) or 0:.1f} / {x.percentile(95, **which) or 0:.1f}"

            for x in self.load:
                done = f"{pair(x)} / {max(x.latency_s, default=0):.1f}"
                lines.append(
                    f"| {x.llm} ({x.config}) | {x.store} | {x.answered} of {x.asked} | {len(x.errors)} | {done} | "
                    f"{pair(x, first=True) if x.first_answer_s else '–'} | {pair(x, queue=True)} | {x.wall_s:.0f} |"
                )
            lines.append("")
            lines += [f"- error: {e}" for x in self.load for e in x.errors[:10]]
            for x in self.load:
                if x.dropped:
                    reasons = "; ".join(f"{n} x {r}" for r, n in Counter(x.dropped).most_common(5))
                    lines.append(f"- {x.config}: {len(x.dropped)} answers came without the model's summary: {reasons}")
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
