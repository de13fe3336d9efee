"""The benchmark's measurements on fakes: the ratios it reports follow what it times."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from ingest.chunking import chunk_document
from ingest.errors import ConfigError
from ingest.parse import parse_document
from rag.answer import Answer, Checked
from rag.embed import HashEmbedder
from rag.generate import ScriptedGenerator
from rag.index import HNSW_EF_SEARCH, Index
from rag.measure.bench.answering import bench_first_answer, bench_generation, bench_prefix_cache
from rag.measure.bench.cold_start import bench_cold_start, free_port
from rag.measure.bench.embedding import (
    bench_embed,
    bench_ingest_speed,
    encoder_flops_per_token,
    matmul_gflops,
    spread_sample,
)
from rag.measure.bench.ingest import bench_ingest
from rag.measure.bench.records import (
    AddOneBench,
    AnnBench,
    BenchReport,
    ColdStartBench,
    EmbedBench,
    FirstAnswerBench,
    GenerationBench,
    IngestBench,
    IngestSpeedBench,
    Latency,
    PrefixCacheBench,
    ProductSearchBench,
)
from rag.measure.bench.search import bench_ann, bench_product_search, exact_top_k, recall_at_k, synthetic_vectors

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample"


class VirtualClock:
    """Time that moves only when a fake stream says so: exact, noise-free timings."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def paced(self, pieces: Iterator[str], *, first: float, each: float) -> Iterator[str]:
        for i, piece in enumerate(pieces):
            self.now += first if i == 0 else each
            yield piece


def test_synthetic_vectors_have_near_neighbours_and_queries_near_the_data() -> None:
    data, queries = synthetic_vectors(4000, 20, dim=64, seed=1)
    sims = data[:200] @ data.T
    np.fill_diagonal(sims[:, :200], -1)
    nearest, typical = np.sort(sims, axis=1)[:, -10], np.median(sims, axis=1)
    assert float(np.median(nearest - typical)) > 0.3  # clustered, not uniform
    assert float(np.min((queries @ data.T).max(axis=1))) > 0.5


def test_recall_counts_the_true_top_k() -> None:
    assert recall_at_k(np.array([[1, 2, 3], [4, 5, 6]]), np.array([[3, 2, 1], [7, 8, 9]]), k=3) == 0.5


def test_flat_is_exact_and_a_starved_hnsw_loses_recall() -> None:
    data, queries = synthetic_vectors(5000, 50, dim=32, seed=2)
    truth = exact_top_k(data, queries, 10)
    flat, good = bench_ann(data, queries, truth, m=16, ef_search=(128,))
    assert (flat.kind, flat.recall_at_10) == ("flat", 1.0)
    assert good.kind == "hnsw" and good.recall_at_10 >= 0.9
    assert flat.bytes == pytest.approx(5000 * 32 * 4, abs=1024) and good.bytes > flat.bytes
    (starved,) = bench_ann(data, queries, truth, m=2, ef_construction=4, ef_search=(1,), flat=False)
    assert starved.recall_at_10 < good.recall_at_10


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_product_search_runs_the_index_and_the_hybrid_retriever(tmp_path: Path, index_type: str) -> None:
    data, queries = synthetic_vectors(2000, 20, dim=32, seed=3)
    truth = exact_top_k(data, queries, 10)
    vocab = ["byråd", "budget", "skole", "bus", "tog", "kommune", "plan", "vej", "park", "sag"]
    r = bench_product_search(data, queries, truth, vocabulary=vocab, workdir=tmp_path, index_type=index_type, docs=7)  # type: ignore[arg-type]
    assert r.n == 2000 and r.index_type == index_type
    assert r.recall_at_10 == 1.0 if index_type == "flat" else r.recall_at_10 >= 0.9
    assert r.hybrid is not None and r.hybrid.n == 20 and r.dense.n == 20
    if index_type == "flat":  # searched in the memory-mapped matrix itself: no copy
        assert r.vector_bytes == 2000 * 32 * 4
    else:  # the matrix and HNSW's copy
        assert r.vector_bytes >= 2 * 2000 * 32 * 4
    assert r.rss_bytes is not None and r.rss_records_bytes is not None
    assert r.rss_records_bytes > 2000 * 90 * 2  # BM25 over ~90 words per chunk is not free
    if index_type == "flat":  # the search maps the vectors in
        assert r.rss_bytes - r.rss_records_bytes >= 0.9 * 2000 * 32 * 4


def test_ingest_overhead_is_pipeline_over_raw_on_the_same_chunks(tmp_path: Path) -> None:
    files = [SAMPLE / "003_fc010784cd8fe213.txt"]
    emb = HashEmbedder(dimension=32)
    seen: list[int] = []

    def slow_raw(texts: list[str]) -> np.ndarray:
        seen.append(len(texts))
        time.sleep(1.0)
        return emb.embed_passages(texts)

    r = bench_ingest(files, emb, slow_raw, repeats=2, workdir=tmp_path)
    n_chunks = len(chunk_document(parse_document(files[0])))
    assert r.n_chunks == n_chunks and seen[1:] == [n_chunks, n_chunks]
    assert r.encode_s >= 1.0 and r.overhead_ratio < 1.0  # the hash "model" is faster than the sleeping baseline
    assert r.outside_embed_s is not None and 0 < r.outside_embed_s < r.pipeline_s
    assert r.outside_embed_ratio is not None and 1.0 < r.outside_embed_ratio < 1.0 + r.pipeline_s / r.encode_s
    assert len(Index.load(tmp_path / "ingest-2")) == n_chunks


def test_generation_ratio_follows_the_decode_pace() -> None:
    clock = VirtualClock()
    reply = "Byrådet godkendte sagen [Byrådet 12.03.2019, punkt 4]."
    product = ScriptedGenerator(reply)
    raw = ScriptedGenerator(reply)

    def product_stream() -> Iterator[str]:
        return clock.paced(product.stream([], max_tokens=50), first=3.0, each=0.2)

    def raw_stream() -> Iterator[str]:
        return clock.paced(raw.stream([], max_tokens=50), first=2.0, each=0.1)

    g = bench_generation(product_stream, raw_stream, repeats=3, clock=clock)
    assert g.same_text and g.pieces == 7 and g.repeats == 3
    assert (g.product_ttft_s, g.raw_ttft_s) == (3.0, 2.0)
    assert g.speed_ratio == pytest.approx(0.5)


def test_prefix_cache_ratio_is_primed_over_cold_ttft() -> None:
    clock = VirtualClock()
    gen = ScriptedGenerator("Ja.")
    c = bench_prefix_cache(
        lambda: clock.paced(gen.stream([], max_tokens=1), first=8.0, each=0.0),
        lambda: clock.paced(gen.stream([], max_tokens=1), first=2.0, each=0.0),
        repeats=2,
        clock=clock,
    )
    assert (c.cold_ttft_s, c.primed_ttft_s, c.ttft_ratio) == (8.0, 2.0, 0.25)
    with pytest.raises(ConfigError, match="repeats"):
        bench_prefix_cache(lambda: iter(()), lambda: iter(()), repeats=0)


SERVER = (
    "import http.server, sys, time; time.sleep({delay}); "
    "s = http.server.HTTPServer(('127.0.0.1', {port}), http.server.SimpleHTTPRequestHandler); "
    "print('Klar: alt indlæst', file=sys.stderr, flush=True); s.serve_forever()"
)


def test_cold_start_times_the_page_and_the_ready_line(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-c", SERVER.format(delay=0.5, port=port)]
    r = bench_cold_start(cmd, f"http://127.0.0.1:{port}/", ready_pattern=r"^Klar\b", timeout_s=30)
    assert 0.5 <= r.page_s < 30 and r.ready_s is not None and r.ready_s >= 0.5
    with pytest.raises(ConfigError, match="exited with code 3"):
        bench_cold_start([sys.executable, "-c", "raise SystemExit(3)"], f"http://127.0.0.1:{free_port()}/")


def _report(**kw: object) -> BenchReport:
    lat = Latency(12.0, 20.0, 100)
    base: dict[str, object] = {
        "quick": True,
        "started": "2026-01-01T00:00:00+00:00",
        "wall_s": 600.0,
        "machine": "test",
        "ingest": IngestBench(5, 200, 12.0, 10.0, 0.5, 0.1, 2),
        "ann": (
            AnnBench(100_000, "flat", 0.1, lat, 1.0, 153_600_000),
            AnnBench(100_000, "hnsw", 30.0, Latency(1.0, 2.0, 100), 0.97, 180_000_000, m=32, ef_search=HNSW_EF_SEARCH),
        ),
        "product_search": (
            ProductSearchBench(100_000, "flat", lat, Latency(30.0, 40.0, 100), 1.0, 307_200_000, 400_000_000),
        ),
        "generation": GenerationBench(5.0, 5.0, 9.0, 10.0, 32, True, 2),
        "prefix_cache": PrefixCacheBench(8.0, 4.0, 900, 400, 2),
        "cold_start": ColdStartBench(9.5, 20.0),
        "embed": EmbedBench("int8", "torch", 100, 20_000, 4.0, 12.0, 3, 2.9, matmul_gflops=50.0, flops_per_token=5e7),
        "ingest_speed": IngestSpeedBench("greve", 2, 120, 10.0, 21.0, 2, 2.1),
        "first_answer": FirstAnswerBench((0.4, 0.6, 2.0), (30.0,), 3),
    }
    return BenchReport(**{**base, **kw})  # type: ignore[arg-type]


def test_summary_has_the_issue_figures_and_the_markdown_judges_them() -> None:
    report = _report()
    s = report.summary()
    assert s["ingest_overhead_ratio"] == 1.2 and s["search_p50_ms_100k"] == 12.0
    assert s["ann_recall_at_10"] == 0.97 and s["generation_speed_ratio"] == 0.9
    assert s["prefix_cache_ttft_ratio"] == 0.5 and s["cold_start_s"] == 9.5
    # 1M chunks use HNSW: the loaded 100k index scaled up, plus HNSW's graph over flat; vectors alone are
    # HNSW's measured bytes per vector plus the Index's own float32 matrix.
    assert s["memory_gb_1m"] == pytest.approx(4.0 + (1.8 - 1.536), abs=0.01)
    assert s["vector_memory_gb_1m"] == pytest.approx(1.8, abs=0.01)  # the Index's matrices are memory-mapped
    json.dumps(report.to_json())
    md = report.markdown(command="referat bench --quick")
    row = next(line for line in md.splitlines() if line.startswith("| `ingest_overhead_ratio`"))
    assert "**missed**" in row
    row = next(line for line in md.splitlines() if line.startswith("| `cold_start_s`"))
    assert "met" in row and "referat bench --quick" in md


def test_summary_has_the_speed_figures_a_user_feels() -> None:
    report = _report()
    s = report.summary()
    assert s["first_answer_p50_s"] == 0.6 and s["phrasing_first_token_p50_s"] == 30.0
    # 20,000 tokens in 4 s = 5,000 tokens/s; ceiling 50 GFLOP/s / 50 MFLOP per token = 1,000 tokens/s
    assert s["embed_speedup_ratio"] == 2.9 and s["embed_share_of_ceiling"] == 5.0
    assert s["ingest_speedup_ratio"] == 2.1 and s["ingest_chunks_per_s"] == 12.0
    md = report.markdown()
    verdicts = {
        key: next(line for line in md.splitlines() if line.startswith(f"| `{key}`"))
        for key in ("first_answer_p50_s", "embed_speedup_ratio", "ingest_speedup_ratio")
    }
    assert "met" in verdicts["first_answer_p50_s"] and "met" in verdicts["embed_speedup_ratio"]
    assert "**missed**" in verdicts["ingest_speedup_ratio"]
    assert "| `int8` | 4.00 | 25.0 | 5000 | 500% |" in md and "| `torch` | 12.00 | 8.3 | 1667 | 167% |" in md
    json.dumps(report.to_json())
    none = _report(embed=None, ingest_speed=None, first_answer=None).summary()
    assert none["first_answer_p50_s"] is None and none["embed_speedup_ratio"] is None
    assert none["ingest_speedup_ratio"] is None and none["embed_share_of_ceiling"] is None


class PacedEncoder:
    """A fake embedder whose encoding moves a `VirtualClock` by `per_text` seconds a text."""

    def __init__(self, clock: VirtualClock, per_text: float, model_id: str) -> None:
        self.clock, self.per_text, self.inner = clock, per_text, HashEmbedder(dimension=16)
        self.model_id, self.dimension = model_id, 16
        self.calls: list[int] = []

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        self.clock.now += self.per_text * len(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def test_embed_speedup_is_baseline_time_over_product_time_on_the_same_texts() -> None:
    clock = VirtualClock()
    fast, slow = PacedEncoder(clock, 0.01, "int8"), PacedEncoder(clock, 0.03, "torch")
    texts = [f"tekst {i}" for i in range(50)]
    e = bench_embed(
        texts, fast.embed_passages, slow.embed_passages, model="int8", baseline="torch", n_tokens=5000, clock=clock
    )
    assert fast.calls == slow.calls == [2, 50, 50, 50]  # warmed on two texts, then all of them each repeat
    assert e.speedup == pytest.approx(3.0) and e.passages_per_s == pytest.approx(100.0)
    assert e.tokens_per_s == pytest.approx(10_000.0) and e.ceiling_tokens_per_s is None
    with pytest.raises(ConfigError, match="no texts"):
        bench_embed([], fast.embed_passages, slow.embed_passages, model="a", baseline="b", n_tokens=0)


def test_ingest_speed_ingests_the_same_files_with_each_embedder(tmp_path: Path) -> None:
    clock = VirtualClock()
    fast, slow = PacedEncoder(clock, 0.01, "int8"), PacedEncoder(clock, 0.025, "torch")
    files = [SAMPLE / "003_fc010784cd8fe213.txt", SAMPLE / "000_266b1448cd742ca6.txt"]
    n_chunks = sum(len(chunk_document(parse_document(f))) for f in files)
    r = bench_ingest_speed(files, fast, slow, corpus="sample", repeats=2, workdir=tmp_path, clock=clock)
    assert (r.n_files, r.n_chunks, r.repeats) == (2, n_chunks, 2)
    assert r.paired_ratio == pytest.approx(2.5) and r.chunks_per_s == pytest.approx(100.0)
    assert sum(fast.calls[1:]) == sum(slow.calls[1:]) == 2 * n_chunks  # every chunk embedded on each run
    assert len(Index.load(tmp_path / "speed-4")) == n_chunks


def test_encoder_flops_count_the_matmuls_and_grow_with_the_sequence() -> None:
    config = {"hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 12}
    matmul_weights = 12 * (4 * 384 * 384 + 2 * 384 * 1536)
    assert encoder_flops_per_token(config, seq_len=0) == 2 * matmul_weights
    assert encoder_flops_per_token(config, seq_len=200) == 2 * matmul_weights + 2 * 12 * 2 * 384 * 200
    with pytest.raises(ConfigError, match="intermediate_size"):
        encoder_flops_per_token({"hidden_size": 384, "num_hidden_layers": 12}, seq_len=0)


def test_matmul_ceiling_is_flops_over_the_best_time() -> None:
    times = iter([0.0, 0.5, 1.0, 1.25, 2.0, 3.0])  # products of 0.5, 0.25 and 1.0 s: the best is 0.25
    assert matmul_gflops(n=100, repeats=3, clock=lambda: next(times)) == pytest.approx(2 * 100**3 / 0.25 / 1e9)


def test_spread_sample_keeps_the_shortest_and_the_longest() -> None:
    texts = ["x" * n for n in range(1, 101)]
    picked = spread_sample(texts, 5)
    assert [len(t) for t in picked] == [1, 26, 51, 75, 100]
    assert spread_sample(texts[:3], 5) == texts[:3]


def _answer(text: str) -> Answer:
    return Answer("q", text, (), ())


def test_first_answer_times_the_checked_answer_and_the_first_phrasing_token() -> None:
    clock = VirtualClock()
    closed: list[str] = []

    def ask(question: str) -> Iterator[object]:
        try:
            clock.now += 0.3  # retrieval
            yield "sources"  # what Assistant yields first (Retrieved): not an answer
            if question == "register":  # answered whole from the register: one final Answer
                clock.now += 0.2
                yield _answer("Udsat")
                return
            clock.now += 0.2
            yield Checked(_answer("citater"))
            clock.now += 20.0  # the model evaluates its prompt
            yield "Byrådet"
            clock.now += 5.0
            yield " godkendte"
            yield _answer("Byrådet godkendte")
        finally:
            closed.append(question)

    f = bench_first_answer(ask, ["a", "register", "b", "c"], phrase=2, clock=clock)
    assert f.first_answer_s == pytest.approx((0.5, 0.5, 0.5, 0.5)) and f.questions == 4
    # "register" has no phrasing: "a" and "b" are followed to the first token, "c" is not
    assert f.first_token_s == pytest.approx((20.5, 20.5))
    assert f.first_answer_p50_s == pytest.approx(0.5) and f.first_token_p50_s == pytest.approx(20.5)
    assert closed == ["a", "register", "b", "c"]  # each stream stopped where the timing ended
    assert clock.now == pytest.approx(0.5 * 4 + 20.0 * 2)  # nothing decoded past the first token
    with pytest.raises(ConfigError, match="without an answer"):
        bench_first_answer(lambda q: iter(["sources"]), ["a"])


def test_summary_leaves_out_what_was_not_run() -> None:
    s = _report(ingest=None, ann=(), product_search=(), generation=None).summary()
    assert s["ingest_overhead_ratio"] is None and s["search_p50_ms_100k"] is None and s["memory_gb_1m"] is None


def test_memory_at_1m_adds_hnsw_to_the_records_and_bm25_measured_at_100k() -> None:
    lat = Latency(12.0, 20.0, 100)
    # 100k flat: 250 MB after load + BM25, 400 MB after a search mapped the vectors in.
    measured = ProductSearchBench(100_000, "flat", lat, None, 1.0, 153_600_000, 400_000_000, 250_000_000)
    s = _report(product_search=(measured,)).summary()
    # At 1M "auto" searches HNSW (180 MB per 100k, its own copy of the vectors): 2.5 GB + 1.8 GB.
    assert s["memory_gb_1m"] == pytest.approx(2.5 + 1.8, abs=0.01)


def test_add_one_meeting_figures_are_ratios_against_indexing_it_alone() -> None:
    one = AddOneBench(100_000, 40, 0.30, 0.20, 330_000, 300_000, 3, paired_ratio=1.4)
    s = _report(add_one=one).summary()
    assert s["add_one_meeting_ratio"] == 1.4 and s["add_one_meeting_bytes_ratio"] == 1.1
    md = _report(add_one=one).markdown()
    assert "| `add_one_meeting_ratio` | 1.4 | <= 2 | met |" in md
    assert _report().summary()["add_one_meeting_ratio"] is None


def test_adding_one_meeting_to_a_big_index_writes_about_what_indexing_it_alone_writes(tmp_path: Path) -> None:
    from rag.measure.bench.incremental import bench_add_one

    data, queries = synthetic_vectors(3000, 5, dim=32, seed=4)
    truth = exact_top_k(data, queries, 10)
    vocab = ["byråd", "budget", "skole", "bus", "tog"]
    bench_product_search(data, queries, truth, vocabulary=vocab, workdir=tmp_path, hybrid=False, docs=10)
    big = tmp_path / "search-3000"
    r = bench_add_one(big, SAMPLE / "000_266b1448cd742ca6.txt", workdir=tmp_path, repeats=2)
    assert r.n_index == 3000 and r.n_chunks > 5 and r.repeats == 2
    assert r.alone_bytes > r.n_chunks * 32 * 4  # at least the vectors
    # The big index's earlier segment is neither rewritten nor counted; only the manifest is larger.
    assert r.alone_bytes <= r.add_bytes <= 1.1 * r.alone_bytes
    assert len(Index.load(big).documents) == 12
    again = bench_add_one(big, SAMPLE / "000_266b1448cd742ca6.txt", workdir=tmp_path, repeats=1)
    assert again.add_bytes >= again.alone_bytes  # new ids again: an id already held would add nothing
    assert len(Index.load(big).documents) == 13
