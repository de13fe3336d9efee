"""An ingest run's progress: files and chunks counted from the reports, time left by bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.parse import parse_document
from rag.corpus import FileReport, expand_paths, ingest_files
from rag.embed import HashEmbedder
from rag.index import Index
from rag.ingest_progress import IngestMeter, IngestProgress

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _files(tmp_path: Path, sizes: list[int]) -> list[Path]:
    out = []
    for i, size in enumerate(sizes):
        f = tmp_path / f"{i}.txt"
        f.write_bytes(b"x" * size)
        out.append(f)
    return out


def test_time_left_follows_the_bytes_not_the_file_count(tmp_path: Path) -> None:
    small, big = _files(tmp_path, [100, 900])
    clock = Clock()
    meter = IngestMeter([small, big], clock=clock)
    start = meter.now()
    assert (start.files_done, start.fraction, start.eta_s, start.chunks_per_s) == (0, 0.0, None, None)
    clock.now = 1.0  # the model loading: no pace to show yet
    assert meter.now().chunks_per_s is None and meter.now().describe() == "0 af 2 filer · 0 tekststykker"
    clock.now = 2.0
    p = meter.file_done(FileReport(path=str(small), chunks=4, chunks_embedded=4))
    # a tenth of the bytes in 2 s: 18 s left, though half of the files are done
    assert (p.files_done, p.chunks_embedded, p.current) == (1, 4, str(small))
    assert p.fraction == pytest.approx(0.1) and p.eta_s == pytest.approx(18.0) and p.chunks_per_s == 2.0
    assert "1 af 2 filer" in p.describe() and "ca. 18 s tilbage" in p.describe()
    clock.now = 20.0
    done = meter.file_done(FileReport(path=str(big), chunks=36, chunks_embedded=36))
    assert (done.fraction, done.eta_s, done.chunks_embedded, done.chunks_per_s) == (1.0, 0.0, 40, 2.0)
    assert "tilbage" not in done.describe()


def test_unchanged_and_failed_files_count_as_done_without_chunks(tmp_path: Path) -> None:
    a, b = _files(tmp_path, [10, 10])
    meter = IngestMeter([a, b, tmp_path / "gone.txt"], clock=Clock())
    meter.file_done(FileReport(path=str(a), chunks=5, chunks_embedded=0, unchanged=True))
    meter.file_done(FileReport(path=str(tmp_path / "gone.txt"), error="cannot be read"))
    p = meter.file_done(FileReport(path=str(b), chunks=3, chunks_embedded=3))
    assert (p.files_done, p.files_total, p.chunks_embedded, p.bytes_done, p.bytes_total) == (3, 3, 3, 20, 20)


def test_empty_files_move_the_bar_by_count() -> None:
    assert IngestProgress(1, 4, 0, 0, 0, 1.0).fraction == 0.25
    assert IngestProgress(1, 4, 0, 0, 0, 1.0).eta_s is None


def test_the_meter_counts_what_ingest_files_embedded(tmp_path: Path) -> None:
    files = expand_paths([SAMPLE])[:2]
    emb = HashEmbedder(dimension=32)
    meter = IngestMeter(files)
    seen: list[IngestProgress] = []
    ingest_files(
        files, Index.open_or_create(tmp_path / "idx", emb), emb, on_file=lambda r: seen.append(meter.file_done(r))
    )
    chunks = [len(chunk_document(parse_document(f))) for f in files]
    assert [p.chunks_embedded for p in seen] == [chunks[0], chunks[0] + chunks[1]]
    assert [p.files_done for p in seen] == [1, 2] and seen[-1].bytes_done == sum(f.stat().st_size for f in files)
