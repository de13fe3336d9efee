"""The search benchmarks: FAISS flat vs HNSW on synthetic vectors, and the product's `Index` and `Retriever`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import ConfigError
from ingest.records import AgendaItem, Chunk, Document
from rag.index import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, Index, IndexType
from rag.measure.bench.records import DIMENSION, K_CHUNKS, AnnBench, Clock, Latency, ProductSearchBench


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


def synthetic_collection(
    data: np.ndarray, queries: np.ndarray, vocabulary: Sequence[str], *, per_doc: int
) -> tuple[list[tuple[Document, list[Chunk]]], list[str], LookupEmbedder]:
    """`data`'s rows as chunks (id `c<row>`) of synthetic documents of `per_doc` chunks (10 to an item), one
    synthetic question text per row of `queries`, and an embedder that maps each passage and question to its
    row: (documents with their chunks, questions, embedder)."""
    n, dim = data.shape
    texts = synthetic_texts(n, vocabulary, seed=n)
    questions = [" ".join(t.split()[1:6]) + f" q{i}" for i, t in enumerate(synthetic_texts(len(queries), vocabulary))]
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
    return batches, questions, LookupEmbedder(passages, dict(zip(questions, queries, strict=True)), dim)


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
    batches, questions, embedder = synthetic_collection(data, queries, vocabulary, per_doc=-(-n // docs))
    idx = Index.create(workdir / f"search-{n}", embedder.model_id, dim, index_type)
    for document, chunks in batches:
        idx.upsert_document(document, chunks, embedder)
    del batches
    pos_to_row = np.asarray([int(c.id[1:]) for c in idx.chunks])

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
        rss_bytes=rss[1] if rss else None,
        rss_records_bytes=rss[0] if rss else None,
    )


_SERVE_MEMORY = """
import gc, json, sys
import numpy as np
from rag.index import Index
from rag.lexical import LexicalIndex

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * __import__("os").sysconf("SC_PAGE_SIZE")

import faiss, bm25s, Stemmer  # imports are not the index's memory
gc.collect(); before = rss()
idx = Index.load(sys.argv[1])
lexical = LexicalIndex.build(c.embed_text for c in idx.chunks)
gc.collect()
records = rss() - before
query = np.random.default_rng(0).standard_normal(idx.dimension).astype(np.float32)
idx.search_dense(query / np.linalg.norm(query), 50)
lexical.search("budget", 50)
gc.collect()
print(json.dumps({"rss": rss() - before, "records": records, "n": len(idx)}))
"""


def serve_memory(index_dir: Path) -> tuple[int, int] | None:
    """Resident memory a fresh process adds by loading the index at `index_dir` as `referat serve` holds it, as
    (after load + the BM25 index built from the chunks, after one dense and one BM25 search too): the second
    includes the vector pages a search maps in. None where /proc is missing."""
    if not Path("/proc/self/statm").exists():
        return None
    out = subprocess.run(
        [sys.executable, "-c", _SERVE_MEMORY, str(index_dir)], capture_output=True, text=True, check=True
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    return int(found["records"]), int(found["rss"])


def _faiss() -> Any:
    import faiss

    return faiss
