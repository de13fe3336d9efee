"""Benchmarks: ingest, search, answer and cold-start cost, each as a ratio against a baseline from the same run.

Machines here are shared and noisy, so every headline figure is a ratio against a baseline measured in
the same process, interleaved with the candidate (baseline, candidate, baseline, ...; medians):

| figure                    | candidate                                   | baseline                              |
|---------------------------|---------------------------------------------|---------------------------------------|
| `ingest_overhead_ratio`   | `ingest_files` (parse, chunk, embed, save)  | raw `SentenceTransformer.encode`       |
| `generation_speed_ratio`  | `LlamaCppGenerator.stream` tokens/s         | raw `Llama.create_chat_completion`     |
| `prefix_cache_ttft_ratio` | time to first token, static prefix primed   | the same prompt from an empty cache    |
| `ann_recall_at_10`        | HNSW top 10                                 | exact (flat) top 10                   |
| `add_one_meeting_ratio`   | add one meeting to a saved 100k index, save | index that meeting alone, save        |

`search_p50_ms_100k` is the median of `Index.search_dense(q, k=50)` (what `Retriever` asks for) on
100k synthetic chunks, with the index type the product picks at that size; the hybrid figure
(`Retriever.retrieve`: dense + BM25 + fusion + grouping, query embedding excluded) is reported next to it.
`cold_start_s` is process start to the first HTTP 200 of `referat serve` on an existing index.
`add_one_meeting_ratio` (time) and `add_one_meeting_bytes_ratio` (bytes of files created or replaced) leave
parsing, chunking and embedding out: they are the same on both sides. `memory_gb_1m` extrapolates the
resident memory of a fresh process serving the saved 100k index to 1M chunks (see
`BenchReport.memory_1m_bytes` for the method).

Every measurement is a pure function returning a frozen record; `run` strings them together.
"""
