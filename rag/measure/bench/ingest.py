"""The ingest benchmark: `ingest_files` against raw encoding of the same chunk texts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import ConfigError
from rag.embed import Embedder
from rag.index import Index
from rag.measure.bench.records import Clock, IngestBench


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

    pipe_s, raw_s = interleaved(raw, pipeline, repeats)
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


def interleaved(
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
