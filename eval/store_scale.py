"""Both stores at N synthetic chunks: upsert time, dense p50 and recall@10, lexical p50 (k=50), as in eval/README.md
("Issue 18: PostgreSQL store"). Uses `referat bench`'s synthetic vectors and texts; needs a PostgreSQL server.

    python eval/pgserver_up.py /tmp/referat-pg &
    python eval/store_scale.py 20000 'postgresql://postgres:@/postgres?host=/tmp/referat-pg'

The PostgreSQL side goes into a new database `scale<N>` on that server (dropped first if it exists).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

from rag.measure.bench.search import exact_top_k, recall_at_k, synthetic_collection, synthetic_vectors
from rag.stores import open_or_create_store

ROOT = Path(__file__).resolve().parents[1]


def main(n: int, server: str, n_queries: int = 100, per_doc: int = 50) -> None:
    data, queries = synthetic_vectors(n, n_queries)
    truth = exact_top_k(data, queries, 10)
    words = (ROOT / "data" / "sample" / "003_fc010784cd8fe213.txt").read_text(encoding="utf-8").split()
    vocab = list(dict.fromkeys(w.strip(".,:;()»«").lower() for w in words if w.isalpha()))[:3000]
    batches, questions, emb = synthetic_collection(data, queries, vocab, per_doc=per_doc)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS scale{n}")
        conn.execute(f"CREATE DATABASE scale{n}")
    head, sep, query = server.partition("?")
    url = f"{head.rsplit('/', 1)[0]}/scale{n}{sep}{query}"
    for name, where in (("file", Path(tempfile.mkdtemp()) / "index"), ("postgresql", url)):
        store = open_or_create_store(where, emb)
        began = time.perf_counter()
        for document, chunks in batches:
            store.upsert_document(document, chunks, emb)
        store.save()
        ingest_s = time.perf_counter() - began
        store.warm_up()
        positions = store.positions_of(store.documents).tolist()
        row_of = {p: int(c.id[1:]) for p, c in zip(positions, store.chunks_at(positions), strict=True)}
        dense_ms, found = [], []
        for q in queries:
            began = time.perf_counter()
            hits = store.search_dense(q, 50)
            dense_ms.append((time.perf_counter() - began) * 1000)
            found.append([row_of[p] for p, _ in hits[:10]])
        lexical_ms = []
        for question in questions:
            began = time.perf_counter()
            store.search_lexical(question, 50)
            lexical_ms.append((time.perf_counter() - began) * 1000)
        recall = recall_at_k(np.asarray(found), truth, 10)
        print(
            f"{name:10s} n={n} ingest {ingest_s:7.1f} s  dense p50 {statistics.median(dense_ms):6.2f} ms "
            f"recall@10 {recall:.3f}  lexical p50 {statistics.median(lexical_ms):6.2f} ms",
            flush=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
