"""`referat ARGS...` as the installed script runs it, with test-only instruments switched on by environment.

- `REFERAT_FAKES=1`: the registered fakes `hash-64` and `scripted` instead of E5 and llama.cpp (each piece
  it streams takes `REFERAT_FAKE_TOKEN_S` seconds, so answers take time and requests queue).
- `REFERAT_FAKE_EMBED_S`: seconds the hash embedder spends per passage (spreads an ingest out in time).
- `REFERAT_PHASES=FILE`: append one line `N<TAB>unix time<TAB>step` per step of an ingest (`parse NAME`,
  `save-begin`, each fsync, rename, replace and removal inside `Index.save`, `save-end`) to FILE, flushed,
  so a test that kills this process can tell which phase it hit.
- `REFERAT_STEP_S`: seconds each save step sleeps before running (widens the save window for kills).
- `REFERAT_DIE_AT=N`: SIGKILL this process itself just before the N-th step (1-based): a crash exactly
  between two writes of the atomic save.

Nothing here is product code: the CLI, ingest, index and app under test are the real ones.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui import cli  # noqa: E402

_phases = os.environ.get("REFERAT_PHASES")
_die_at = int(os.environ.get("REFERAT_DIE_AT") or 0)
_step_s = float(os.environ.get("REFERAT_STEP_S") or 0)
_steps = 0


def _mark(line: str) -> None:
    global _steps
    _steps += 1
    if _phases:
        with open(_phases, "a", encoding="utf-8") as f:
            f.write(f"{_steps}\t{time.time():.3f}\t{line}\n")
            f.flush()
            os.fsync(f.fileno())
    if _die_at and _steps == _die_at:
        os.kill(os.getpid(), signal.SIGKILL)


def _instrument_ingest() -> None:
    import shutil

    import rag.corpus
    import rag.index

    def step(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            _mark(f"{name} {Path(str(args[0])).name if args and isinstance(args[0], str | Path) else ''}".strip())
            if _step_s:
                time.sleep(_step_s)
            return fn(*args, **kwargs)

        return wrapped

    rag.index._fsync = step("fsync", rag.index._fsync)  # type: ignore[attr-defined]
    rag.index._fsync_dir = step("fsync-dir", rag.index._fsync_dir)  # type: ignore[attr-defined]
    os.rename = step("rename", os.rename)  # type: ignore[assignment]
    os.replace = step("replace", os.replace)  # type: ignore[assignment]
    shutil.rmtree = step("rmtree", shutil.rmtree)  # type: ignore[assignment]

    save = rag.index.Index.save

    def marked_save(self: Any) -> Path:
        _mark("save-begin")
        out = save(self)
        _mark("save-end")
        return out

    rag.index.Index.save = marked_save  # type: ignore[method-assign]
    parse = rag.corpus.parse_document

    def marked_parse(path: Path, **kwargs: Any) -> Any:
        _mark(f"parse {Path(path).name}")
        return parse(path, **kwargs)

    rag.corpus.parse_document = marked_parse  # type: ignore[assignment]


def _install_fakes() -> None:
    """The registered fakes by name, each slowed down as the environment asks (instruments, not product code)."""
    import rag.generate
    from rag.embed import HashEmbedder

    os.environ["REFERAT_EMBEDDER"] = "hash-64"
    os.environ["REFERAT_LLM"] = "scripted"
    embed_s = float(os.environ.get("REFERAT_FAKE_EMBED_S") or 0)
    token_s = float(os.environ.get("REFERAT_FAKE_TOKEN_S") or 0)
    embed_passages = HashEmbedder.embed_passages
    stream = rag.generate.ScriptedGenerator.stream

    def slow_embed_passages(self: HashEmbedder, texts: Sequence[str]) -> Any:
        time.sleep(embed_s * len(texts))
        return embed_passages(self, texts)

    def slow_stream(
        self: rag.generate.ScriptedGenerator,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        self.calls.clear()  # a long-running server must not keep every prompt
        for piece in stream(self, messages, max_tokens=max_tokens, stop=stop):
            time.sleep(token_s)
            yield piece

    HashEmbedder.embed_passages = slow_embed_passages  # type: ignore[method-assign]
    rag.generate.ScriptedGenerator.stream = slow_stream  # type: ignore[method-assign]


if __name__ == "__main__":
    if os.environ.get("REFERAT_FAKES") == "1":
        _install_fakes()
    if _phases or _die_at or _step_s:
        _instrument_ingest()
    sys.argv[0] = "referat"
    cli.app()
