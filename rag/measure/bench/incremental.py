"""The incremental-save benchmark: adding one meeting to a large saved index against indexing it alone."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from ingest.errors import ConfigError
from rag.index import Index
from rag.measure.bench.records import AddOneBench, Clock
from rag.measure.bench.search import LookupEmbedder


def bench_add_one(
    index_dir: Path, meeting: Path, *, workdir: Path, repeats: int = 3, clock: Clock = time.perf_counter
) -> AddOneBench:
    """Time and bytes written to add `meeting` to the saved index at `index_dir`, against indexing it alone.

    Each side opens its index (`Index.load` of the large one; `Index.create` of an empty one), upserts the
    meeting and saves (fsynced); they run interleaved, `repeats` times, each time under a new document id so
    the large index grows by one meeting per repeat. Parsing, chunking and embedding are left out (the same on
    both sides): the meeting is parsed and chunked once, and a lookup embedder hands over random unit vectors
    made beforehand. Bytes written are the sizes of the files a save created or replaced, read from the index
    directory before and after. Raises `ConfigError` when the index was not built with a lookup embedder or
    `repeats` < 1. Usage: `bench_add_one(Path("/tmp/b/search-100000"), Path("data/sample/x.txt"), workdir=...)`.
    """
    from ingest.chunking import chunk_document
    from ingest.parse import parse_document

    if repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {repeats}")
    base = Index.load(index_dir)
    n_index, n_docs, dim = len(base), len(base.documents), base.dimension
    del base
    meetings = []
    for r in range(repeats):  # ids the index does not hold: an id it held would make the upsert a no-op
        document = parse_document(meeting, doc_id=f"bench-meeting-{n_docs}-{r}")
        meetings.append((document, chunk_document(document)))
    texts = sorted({c.embed_text for _, chunks in meetings for c in chunks})
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(texts), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    embedder = LookupEmbedder(dict(zip(texts, vectors, strict=True)), {}, dim)

    def add(r: int) -> tuple[float, int]:
        before = _files(index_dir)
        start = clock()
        idx = Index.load(index_dir, embedder.model_id)
        idx.upsert_document(*meetings[r], embedder)
        idx.save()
        took = clock() - start
        return took, _written(before, _files(index_dir))

    def alone(r: int) -> tuple[float, int]:
        target = workdir / f"alone-{n_docs}-{r}"  # a fresh directory: nothing of an earlier run is counted
        start = clock()
        idx = Index.create(target, embedder.model_id, dim, overwrite=True)
        idx.upsert_document(*meetings[r], embedder)
        idx.save()
        took = clock() - start
        return took, _written({}, _files(target))

    adds: list[tuple[float, int]] = []
    alones: list[tuple[float, int]] = []
    for r in range(repeats):
        if r % 2 == 0:
            alones.append(alone(r))
            adds.append(add(r))
        else:
            adds.append(add(r))
            alones.append(alone(r))
    return AddOneBench(
        n_index=n_index,
        n_chunks=len(meetings[0][1]),
        add_s=statistics.median(t for t, _ in adds),
        alone_s=statistics.median(t for t, _ in alones),
        add_bytes=int(statistics.median(b for _, b in adds)),
        alone_bytes=int(statistics.median(b for _, b in alones)),
        repeats=repeats,
        paired_ratio=statistics.median(a / b for (a, _), (b, _) in zip(adds, alones, strict=True) if b > 0),
    )


def _files(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under `root`: path -> (inode, size, modification time in ns)."""
    out = {}
    for p in root.rglob("*"):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(root))] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def _written(before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]) -> int:
    """Bytes of the files that are new or replaced in `after`.

    >>> _written({"a": (1, 10, 5)}, {"a": (1, 10, 5), "b": (2, 7, 6), "m": (3, 4, 6)})
    11
    """
    return sum(size for path, (ino, size, mtime) in after.items() if before.get(path) != (ino, size, mtime))
