"""`ReadWriteLock`: questions read the index together; an ingest or a removal changes it alone.

The textbook writer-preferring readers–writer lock on one `threading.Condition`: any number of readers at once,
or one writer with no reader; a writer that is waiting goes before readers that arrive after it, so a steady
stream of questions cannot keep an ingest waiting for ever (and questions wait for at most one write).

Reading is re-entrant per thread (a public read that calls another holds the lock once), and the thread that
writes may also read. Neither is held across a `yield`: a Gradio handler's generator can resume on another
thread, where the first thread's hold is not known. A thread that reads must not start writing (it would wait
for itself).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Many readers at once, or one writer alone; waiting writers go first.

    >>> lock = ReadWriteLock()
    >>> with lock.reading(), lock.reading():  # re-entrant for the thread that reads
    ...     lock.readers
    1
    >>> with lock.writing(), lock.reading():  # the writer may read what it writes
    ...     lock.writer
    True
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0  # threads reading now
        self._writer = False  # a thread is writing now
        self._writers_waiting = 0
        self._mine = threading.local()  # this thread's reading depth, and whether it is the writer

    @property
    def readers(self) -> int:
        """How many threads are reading now."""
        return self._readers

    @property
    def writer(self) -> bool:
        """Whether a thread is writing now."""
        return self._writer

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the lock for reading: wait while a thread writes or a writer waits, then read alongside others."""
        mine = self._mine
        if getattr(mine, "depth", 0) or getattr(mine, "writing", False):
            mine.depth = getattr(mine, "depth", 0) + 1
            try:
                yield
            finally:
                mine.depth -= 1
            return
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        mine.depth = 1
        try:
            yield
        finally:
            mine.depth = 0
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the lock alone: wait until the readers in flight are done (new readers wait behind this)."""
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        self._mine.writing = True
        try:
            yield
        finally:
            self._mine.writing = False
            with self._cond:
                self._writer = False
                self._cond.notify_all()
