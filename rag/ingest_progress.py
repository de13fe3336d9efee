"""Progress of an ingest run: files done, chunks embedded, chunks/s and the time left, for the CLI and the UI.

`IngestMeter` turns the `FileReport` that `ingest_files(on_file=...)` hands over after each file into an
`IngestProgress`. The time left is estimated by bytes, not by files: the files of one folder differ in size
by a factor of 10 or more (Greve's meetings: 6 kB to 600 kB), and a file's chunks, hence its embedding
time, grow with its size. Files left unchanged (nothing embedded) pass quickly; a run that re-ingests many
of them before new ones underestimates at first and corrects itself as the new files come.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.corpus import FileReport


@dataclass(frozen=True)
class IngestProgress:
    """Where an ingest run stands after `files_done` of `files_total` files (sizes in bytes, times in seconds)."""

    files_done: int
    files_total: int
    chunks_embedded: int
    bytes_done: int
    bytes_total: int
    elapsed_s: float
    current: str = ""  # the name of the file just done ("" before the first)

    @property
    def fraction(self) -> float:
        """The share of the run's bytes done, 0.0 to 1.0 (by files where the files are empty)."""
        if self.bytes_total > 0:
            return min(1.0, self.bytes_done / self.bytes_total)
        return self.files_done / self.files_total if self.files_total else 1.0

    @property
    def chunks_per_s(self) -> float | None:
        """Chunks embedded per second of the run so far (None before the first file is done)."""
        return self.chunks_embedded / self.elapsed_s if self.elapsed_s > 0 and self.files_done else None

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far in bytes per second; None until a file with bytes is done, 0 when
        all files are.

        >>> IngestProgress(1, 4, 30, 100, 400, 10.0).eta_s
        30.0
        """
        if self.files_done >= self.files_total:
            return 0.0
        if self.bytes_done <= 0 or self.elapsed_s <= 0:
            return None
        return (self.bytes_total - self.bytes_done) * self.elapsed_s / self.bytes_done

    def describe(self) -> str:
        """One line in Danish for a progress bar.

        >>> IngestProgress(12, 329, 1234, 5_000, 50_000, 100.0).describe()
        '12 af 329 filer · 1234 tekststykker · 12,3 tekststykker/s · ca. 15 min tilbage'
        """
        parts = [f"{self.files_done} af {self.files_total} filer", f"{self.chunks_embedded} tekststykker"]
        if (rate := self.chunks_per_s) is not None:
            parts.append(f"{rate:.1f} tekststykker/s".replace(".", ","))
        if (eta := self.eta_s) is not None and self.files_done < self.files_total:
            parts.append(f"ca. {_duration(eta)} tilbage")
        return " · ".join(parts)


class IngestMeter:
    """Counts an ingest run's progress; pass `meter.file_done` (or a function calling it) as `on_file`.

    Usage: `meter = IngestMeter(files); ingest_files(files, idx, emb, on_file=lambda r: show(meter.file_done(r)))`.
    """

    def __init__(self, files: Sequence[Path], *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._sizes = {str(f): _size(f) for f in files}
        self._total_files = len(files)
        self._clock = clock
        self._start = clock()
        self._files = 0
        self._chunks = 0
        self._bytes = 0

    @property
    def total_bytes(self) -> int:
        return sum(self._sizes.values())

    def now(self) -> IngestProgress:
        """The progress as it stands (before the first file: nothing done)."""
        return IngestProgress(
            self._files, self._total_files, self._chunks, self._bytes, self.total_bytes, self._clock() - self._start
        )

    def file_done(self, report: FileReport) -> IngestProgress:
        """Count the file `report` is about; returns the progress after it."""
        self._files += 1
        self._chunks += report.chunks_embedded
        self._bytes += self._sizes.get(report.path, 0)
        p = self.now()
        return IngestProgress(
            p.files_done, p.files_total, p.chunks_embedded, p.bytes_done, p.bytes_total, p.elapsed_s, report.path
        )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # unreadable: ingest reports it; it adds no bytes to wait for
        return 0


def _duration(seconds: float) -> str:
    """
    >>> _duration(42), _duration(170), _duration(3900)
    ('42 s', '3 min', '1 t 5 min')
    """
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} t {minutes % 60} min"
