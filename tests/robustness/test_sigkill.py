"""SIGKILL during `referat ingest`, at every step of the atomic save and at random moments, never leaves
an index that fails to load, loses an earlier document or holds half a document.

Each run is the real CLI in a subprocess (`fake_referat.py`: hash embedder, save steps instrumented).
Two kinds of kill:

- exact: the process kills itself just before step N, for every step of an ingest (each parse, each
  fsync, rename, manifest replace and clean-up inside `Index.save`);
- random: the test sends SIGKILL after a random delay while the ingest runs, with the save steps slowed
  so that a fair share of kills lands inside the save.

After every kill the index must load; the earlier document must be there unchanged; every document in it
must have exactly the chunks a clean ingest gives it; search must work; and a new ingest must finish the job.
Set REFERAT_KILL_RUNS for more random kills (default 6). The phases hit are printed (`pytest -s`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from robust_kit import HASH_DIMENSION, HAVNEN, ROKLUBBEN, ÆBLEHAVEN, fake_cli, fake_env, minutes

from rag.assistant import Assistant
from rag.embed import HashEmbedder
from rag.index import Index

RANDOM_KILLS = int(os.environ.get("REFERAT_KILL_RUNS") or 6)
SEED_DOC = "tidligere"


def _long_minutes(n: int) -> str:
    items = [
        (
            f"Anlægsprojekt nr. {i} i Ørby",
            f"Projekt {i} omfatter {i * 3} nye p-pladser og {i} cykelstativer ved skolen i Ørby. " * 6,
            f"Udvalget godkendte projekt {i} med en ramme på {i * 110}.000 kr.",
        )
        for i in range(1, n + 1)
    ]
    return minutes("Teknik- og Miljøudvalget", "30. januar 2024", items)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The documents, a seeded index holding one earlier document, and the reference: a clean ingest."""
    root = tmp_path_factory.mktemp("sigkill")
    docs = root / "docs"
    docs.mkdir()
    texts = {
        "aeblehaven.txt": ÆBLEHAVEN,
        "havnen.md": HAVNEN,
        "roklubben.txt": ROKLUBBEN,
        "anlaeg.txt": _long_minutes(40),
        "anlaeg2.txt": _long_minutes(25).replace("30. januar", "27. februar"),
    }
    for name, text in texts.items():
        (docs / name).write_text(text, encoding="utf-8")
    seed = root / "seed" / f"{SEED_DOC}.txt"
    seed.parent.mkdir()
    seed.write_text(
        minutes("Økonomiudvalget", "2. maj 2023", [("Budget", "Rammen er 1,2 mia.", "Godkendt.")]), encoding="utf-8"
    )
    seeded = root / "seeded"
    _run(seeded, [seed])
    reference = root / "reference"
    subprocess.run(["cp", "-r", str(seeded), str(reference)], check=True)
    phases = root / "phases.txt"
    _run(reference, [docs], REFERAT_PHASES=str(phases))
    steps = [line.split("\t")[2] for line in phases.read_text(encoding="utf-8").splitlines()]
    ref = Index.load(reference)
    return {
        "docs": docs,
        "seeded": seeded,
        "steps": steps,
        "chunks": {d: [c.id for c in ref.chunks_of(d)] for d in ref.documents},
        "items": {d: len(ref.items(d)) for d in ref.documents},
    }


def _run(index: Path, paths: list[Path], **env: str) -> None:
    done = subprocess.run(
        fake_cli("ingest", *map(str, paths), "--index", str(index)),
        env={**fake_env(), **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def _check(index: Path, setup: dict[str, object]) -> int:
    """The invariants after a crash; returns how many of the run's documents made it in."""
    idx = Index.load(index)
    chunks: dict[str, list[str]] = setup["chunks"]  # type: ignore[assignment]
    items: dict[str, int] = setup["items"]  # type: ignore[assignment]
    assert SEED_DOC in idx.documents
    for doc_id, info in idx.documents.items():
        got = [c.id for c in idx.chunks_of(doc_id)]
        assert got == chunks[doc_id], f"{doc_id}: {len(got)} chunks, a clean ingest gives {len(chunks[doc_id])}"
        assert info.n_chunks == len(got) and len(idx.items(doc_id)) == items[doc_id] == info.n_items
    assert len(idx) == sum(len(chunks[d]) for d in idx.documents)
    found = Assistant(index, HashEmbedder(HASH_DIMENSION)).retrieve("Hvad blev rammen for budgettet?")
    assert found.hits and any(h.doc_id == SEED_DOC for h in found.hits)
    return len(idx.documents) - 1


def _recover(index: Path, setup: dict[str, object]) -> None:
    _run(index, [setup["docs"]])  # type: ignore[list-item]
    assert _check(index, setup) == len(setup["chunks"]) - 1  # type: ignore[arg-type]
    leftovers = [p.name for p in index.iterdir() if p.name.startswith(".")]
    assert not leftovers, leftovers
    assert len([p for p in index.iterdir() if p.is_dir()]) <= 2


def _fresh(setup: dict[str, object], tmp: Path, name: str) -> Path:
    index = tmp / name
    subprocess.run(["cp", "-r", str(setup["seeded"]), str(index)], check=True)
    return index


def test_a_kill_before_any_step_of_an_ingest_loses_nothing(setup: dict[str, object], tmp_path: Path) -> None:
    steps: list[str] = setup["steps"]  # type: ignore[assignment]
    assert any(s.startswith("replace") for s in steps) and sum(s.startswith("parse") for s in steps) == 5

    def kill_at(n: int) -> tuple[str, int]:
        index = _fresh(setup, tmp_path, f"exact-{n}")
        done = subprocess.run(
            fake_cli("ingest", str(setup["docs"]), "--index", str(index)),
            env=fake_env(REFERAT_DIE_AT=str(n)), capture_output=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == -signal.SIGKILL, f"step {n} ({steps[n - 1]}): exit {done.returncode}"
        stored = _check(index, setup)
        if n > save:  # earlier kills leave the index untouched: nothing to recover from
            _recover(index, setup)
        return n, stored

    save = steps.index("save-begin")
    parses = [n for n, s in enumerate(steps, 1) if s.startswith("parse")]
    chosen = [parses[0], parses[-1], *range(save + 1, len(steps) + 1)]  # every step of the save
    with ThreadPoolExecutor(2) as pool:
        stored = dict(pool.map(kill_at, chosen))
    commit = next(n for n, s in enumerate(steps, 1) if s.startswith("replace"))  # the manifest swap
    # Killed before the manifest is replaced, the run has stored nothing; from then on, all of it.
    assert stored == {n: 0 if n <= commit else 5 for n in chosen}
    print(f"\nexact kills: {len(chosen)}, before steps {[steps[n - 1] for n in chosen]}")


def test_random_kills_during_ingest_lose_nothing(setup: dict[str, object], tmp_path: Path) -> None:
    rng = random.Random(8)
    env = fake_env(REFERAT_STEP_S="0.04", REFERAT_FAKE_EMBED_S="0.002")
    timing = _fresh(setup, tmp_path, "timing")
    _run(timing, [setup["docs"]], **env, REFERAT_PHASES=str(tmp_path / "timing.txt"))  # type: ignore[list-item]
    stamps = [float(line.split("\t")[1]) for line in (tmp_path / "timing.txt").read_text().splitlines()]
    span = stamps[-1] - stamps[0]  # from the first parse to the end of the save

    def kill_after(n: int) -> str:
        index = _fresh(setup, tmp_path, f"random-{n}")
        phases = tmp_path / f"phases-{n}.txt"
        delay = rng.uniform(0.0, span * 1.1)
        proc = subprocess.Popen(
            fake_cli("ingest", str(setup["docs"]), "--index", str(index)),
            env={**env, "REFERAT_PHASES": str(phases)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not phases.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # start-up (imports) is not what this test is about
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        lines = phases.read_text(encoding="utf-8").splitlines()
        _check(index, setup)
        _recover(index, setup)
        return _phase(lines[-1].split("\t")[2], proc.returncode)

    with ThreadPoolExecutor(2) as pool:
        hit = Counter(pool.map(kill_after, range(RANDOM_KILLS)))
    print(f"\nrandom kills: {sum(hit.values())} {dict(hit)}; first parse to saved: {span:.2f} s")
    assert sum(hit.values()) == RANDOM_KILLS


def _phase(last_step: str, returncode: int) -> str:
    if returncode == 0:
        return "after exit"
    if not last_step:
        return "start-up"
    if last_step.startswith("parse"):
        return "parse/embed"
    if last_step == "save-end":
        return "after save"
    return "save"
