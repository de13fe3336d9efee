"""Several users at once: questions read the index in parallel, an ingest changes it alone, and a generator is
called concurrently only when it says it may (`concurrent_calls`). Fakes that sleep and record overlap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from rag.assistant import Assistant
from rag.corpus import expand_paths, ingest_files
from rag.embed import HashEmbedder
from rag.generate import Message
from rag.index import Index
from rag.locks import ReadWriteLock

MEETING = """Referat af møde i Byrådet, Tarmvig Kommune, den {day}. marts 2021

Punkt 1. Skøjtebane ved Tarmvig Havn

Sagsfremstilling
Forvaltningen har undersøgt en kunstig skøjtebane ved havnen. Udgiften til en forundersøgelse er 200.000 kr.

Beslutning
Byrådet bestilte en forundersøgelse af skøjtebanen.

Punkt 2. Vintervedligeholdelse af veje

Sagsfremstilling
Forvaltningen foreslår en ny plan for saltning af vejene i vinteren.

Beslutning
Byrådet godkendte planen for saltning af vejene.
"""
# Questions the model phrases an answer to (a decision question is answered by quoting the decision alone).
QUESTIONS = [
    "Hvad var udgiften til en forundersøgelse af skøjtebanen?",
    "Hvad foreslår forvaltningen om saltning af vejene?",
    "Hvad har forvaltningen undersøgt ved havnen?",
    "Hvad handler planen for vintervedligeholdelse om?",
]


class Overlap:
    """Counts how many threads are inside at once, and the most there ever were."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.entered = 0

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.entered += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1


class SleepyGenerator:
    """A `Generator` that takes `seconds` per reply and records how many replies were being written at once."""

    model_id = "sleepy"

    def __init__(self, *, concurrent: bool, seconds: float = 0.15) -> None:
        self.concurrent_calls = concurrent
        self.seconds = seconds
        self.inside = Overlap()

    def stream(self, messages: list[Message], *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        with self.inside:
            time.sleep(self.seconds)
            yield "Byrådet godkendte planen."


def _index(root: Path, embedder: HashEmbedder, n: int = 2) -> Path:
    files = []
    for day in range(1, n + 1):
        f = root / f"byraad_{day:02d}.txt"
        f.write_text(MEETING.format(day=day), encoding="utf-8")
        files.append(f)
    index = Index.open_or_create(root / "index", embedder)
    assert all(r.error is None for r in ingest_files(expand_paths(files), index, embedder))
    return root / "index"


def _at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run `jobs` in threads started together; their results (an exception is re-raised here)."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = jobs[i]()
        except BaseException as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


@pytest.mark.parametrize("concurrent", [True, False], ids=["model-server", "local-model"])
def test_a_generator_is_called_concurrently_only_when_it_says_it_may(tmp_path: Path, concurrent: bool) -> None:
    embedder = HashEmbedder(64)
    generator = SleepyGenerator(concurrent=concurrent)
    assistant = Assistant(_index(tmp_path, embedder), embedder, generator_factory=lambda: generator)
    answers = _at_once([partial(assistant.ask, q) for q in QUESTIONS * 2])
    assert generator.inside.entered == len(answers)  # every answer was phrased by the model
    if concurrent:
        assert generator.inside.most > 1
    else:
        assert generator.inside.most == 1
    assert assistant.parallel_answers is concurrent


def test_an_ingest_never_overlaps_a_question_reading_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = HashEmbedder(64)
    generator = SleepyGenerator(concurrent=True, seconds=0.05)
    assistant = Assistant(_index(tmp_path, embedder), embedder, generator_factory=lambda: generator)
    reads, writes = Overlap(), Overlap()
    crossed: list[str] = []

    def watched(method: Callable[..., Any], mine: Overlap, other: Overlap, what: str) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            with mine:
                if other.now:
                    crossed.append(what)
                time.sleep(0.01)  # long enough for the other side to come in, were it let
                result = method(*args, **kwargs)
                if other.now:
                    crossed.append(what)
                return result

        return run

    monkeypatch.setattr(Index, "search_dense", watched(Index.search_dense, reads, writes, "search"))
    monkeypatch.setattr(Index, "items", watched(Index.items, reads, writes, "items"))
    monkeypatch.setattr(Index, "upsert_document", watched(Index.upsert_document, writes, reads, "upsert"))
    monkeypatch.setattr(Index, "remove_document", watched(Index.remove_document, writes, reads, "remove"))
    more = tmp_path / "more"
    more.mkdir()
    for day in range(10, 14):
        (more / f"byraad_{day}.txt").write_text(MEETING.format(day=day), encoding="utf-8")

    def ingest() -> int:
        time.sleep(0.02)  # a question or two first, so the ingest has readers to wait for
        return len(assistant.ingest(expand_paths([more])))

    def remove() -> bool:
        time.sleep(0.05)
        return assistant.remove_document(assistant.documents()[0][0])

    results = _at_once([ingest, remove, *[partial(assistant.ask, q) for q in QUESTIONS * 3]])
    assert results[0] == 4 and results[1] is True
    assert writes.entered >= 5 and reads.entered > len(QUESTIONS)
    assert crossed == []
    assert reads.most > 1  # questions still read alongside each other


def test_readers_share_the_lock_and_a_writer_waits_for_them_and_goes_before_later_readers() -> None:
    lock = ReadWriteLock()
    order: list[str] = []
    first_in, release_first = threading.Event(), threading.Event()

    def first_reader() -> None:
        with lock.reading():
            order.append("reader 1 in")
            first_in.set()
            release_first.wait(5)
            order.append("reader 1 out")

    def writer() -> None:
        with lock.writing():
            order.append("writer")

    def late_reader() -> None:
        with lock.reading():
            order.append("reader 2")

    t1 = threading.Thread(target=first_reader)
    t1.start()
    first_in.wait(5)
    with lock.reading():  # another reader gets in alongside the first
        assert lock.readers == 2
    tw = threading.Thread(target=writer)
    tw.start()
    while not lock._writers_waiting:  # the writer is waiting for reader 1
        time.sleep(0.001)
    t2 = threading.Thread(target=late_reader)
    t2.start()
    time.sleep(0.05)
    assert order == ["reader 1 in"]  # neither the writer nor the later reader got in
    release_first.set()
    for t in (t1, tw, t2):
        t.join(5)
    assert order == ["reader 1 in", "reader 1 out", "writer", "reader 2"]


def test_the_closed_items_view_waits_for_its_parents_ingests(tmp_path: Path) -> None:
    embedder = HashEmbedder(64)
    assistant = Assistant(
        _index(tmp_path, embedder), embedder, generator_factory=lambda: SleepyGenerator(concurrent=True)
    )
    reader = assistant.without_closed()
    assert reader.index_lock is assistant.index_lock and reader._lock is assistant._lock
    with assistant.index_lock.writing():
        asked = threading.Thread(target=reader.retrieve, args=(QUESTIONS[0],))
        asked.start()
        asked.join(0.2)
        assert asked.is_alive()  # the reader waits while the parent writes
    asked.join(10)
    assert not asked.is_alive()
