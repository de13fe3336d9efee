"""The embedding benchmarks: the product's embedder against the torch reference, raw and through ingest,
and the compute ceiling both are measured against."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import ConfigError
from rag.embed import Embedder
from rag.index import Index
from rag.measure.bench.ingest import interleaved
from rag.measure.bench.records import Clock, EmbedBench, IngestSpeedBench


def encoder_flops_per_token(config: Mapping[str, Any], *, seq_len: float) -> float:
    """FLOPs one token costs a BERT-style encoder: 2 per multiply-add of its matmuls.

    Per layer and token: the Q, K, V and output projections (4 h^2 weights), the feed-forward (2 h i weights)
    and attention's scores and weighted sum (2 h `seq_len` multiply-adds). The embedding table (a lookup, most
    of e5-small's 118M parameters) and layer norms, GELU and softmax (no matmul) are left out. `config` is the
    model's Hugging Face `config.json` (`hidden_size`, `intermediate_size`, `num_hidden_layers`).

    >>> e5_small = {"hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 12}
    >>> round(encoder_flops_per_token(e5_small, seq_len=0) / 1e6, 1)  # 2 x 21.2M matmul weights
    42.5
    """
    try:
        h, i, layers = int(config["hidden_size"]), int(config["intermediate_size"]), int(config["num_hidden_layers"])
    except KeyError as e:
        raise ConfigError(f"the encoder's config.json lacks {e.args[0]!r}: cannot count its FLOPs") from None
    per_layer = 4 * h * h + 2 * h * i + 2 * h * seq_len
    return 2.0 * layers * per_layer


def matmul_gflops(*, n: int = 1024, repeats: int = 5, clock: Clock = time.perf_counter) -> float:
    """GFLOP/s of the best of `repeats` numpy float32 (n, n) @ (n, n) products, with numpy's BLAS threads:
    what this machine's cores do in the densest work an encoder has (2 n^3 FLOPs a product)."""
    if n < 1 or repeats < 1:
        raise ConfigError(f"n and repeats must be >= 1, got {n} and {repeats}")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # BLAS threads start on the first call
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        a @ b
        best = min(best, clock() - start)
    return 2.0 * n**3 / best / 1e9 if best > 0 else float("inf")


def spread_sample(texts: Sequence[str], n: int) -> list[str]:
    """`n` of `texts` taken evenly along their length order, so the sample keeps the corpus's length mix.

    >>> spread_sample(["a", "bbbb", "cc", "ddd", "eeeee"], 3)
    ['a', 'ddd', 'eeeee']
    """
    if n < 1:
        raise ConfigError(f"n must be >= 1, got {n}")
    ordered = sorted(texts, key=len)
    if len(ordered) <= n:
        return ordered
    step = (len(ordered) - 1) / (n - 1) if n > 1 else 0.0
    return [ordered[round(k * step)] for k in range(n)]


def bench_embed(
    texts: Sequence[str],
    encode: Callable[[list[str]], Any],
    baseline_encode: Callable[[list[str]], Any],
    *,
    model: str,
    baseline: str,
    n_tokens: int,
    repeats: int = 3,
    matmul: float | None = None,
    flops_per_token: float | None = None,
    clock: Clock = time.perf_counter,
) -> EmbedBench:
    """Time `encode` against `baseline_encode` of all `texts`, interleaved (baseline first on even repeats).

    Both are warmed on a few texts first. Usage:
    `bench_embed(texts, int8.encode, torch.encode, model="int8", baseline="torch", n_tokens=n)`.
    """
    if repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {repeats}")
    if not texts:
        raise ConfigError("no texts to embed: the benchmark corpus yields no chunks")
    batch = list(texts)
    encode(batch[:2])
    baseline_encode(batch[:2])

    def timed(run: Callable[[list[str]], Any]) -> Callable[[], float]:
        def once() -> float:
            start = clock()
            run(list(batch))
            return clock() - start

        return once

    model_s, base_s = interleaved(timed(baseline_encode), timed(encode), repeats)
    return EmbedBench(
        model=model,
        baseline=baseline,
        n_passages=len(batch),
        n_tokens=n_tokens,
        model_s=statistics.median(model_s),
        baseline_s=statistics.median(base_s),
        repeats=repeats,
        paired_ratio=statistics.median(b / m for m, b in zip(model_s, base_s, strict=True) if m > 0),
        matmul_gflops=matmul,
        flops_per_token=flops_per_token,
    )


def bench_ingest_speed(
    files: Sequence[Path],
    embedder: Embedder,
    baseline: Embedder,
    *,
    corpus: str,
    repeats: int = 2,
    workdir: Path,
    clock: Clock = time.perf_counter,
) -> IngestSpeedBench:
    """`ingest_files(files)` into a fresh index with `embedder` against `baseline`, interleaved (baseline first
    on even repeats); both embedders are warmed first. Usage:
    `bench_ingest_speed(files, int8, torch, corpus="greve", repeats=2, workdir=Path("/tmp/b"))`."""
    from rag.corpus import ingest_files

    if repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {repeats}")
    if not files:
        raise ConfigError(f"no files of {corpus} to ingest")
    embedder.embed_passages(["passage"])
    baseline.embed_passages(["passage"])
    runs = 0
    chunks: list[int] = []

    def ingest_with(emb: Embedder) -> Callable[[], float]:
        def once() -> float:
            nonlocal runs
            runs += 1
            idx = Index.create(workdir / f"speed-{runs}", emb.model_id, emb.dimension, overwrite=True)
            start = clock()
            reports = ingest_files(files, idx, emb)
            took = clock() - start
            chunks.append(sum(r.chunks_embedded for r in reports))
            return took

        return once

    model_s, base_s = interleaved(ingest_with(baseline), ingest_with(embedder), repeats)
    return IngestSpeedBench(
        corpus=corpus,
        n_files=len(files),
        n_chunks=max(chunks),
        model_s=statistics.median(model_s),
        baseline_s=statistics.median(base_s),
        repeats=repeats,
        paired_ratio=statistics.median(b / m for m, b in zip(model_s, base_s, strict=True) if m > 0),
    )
