"""The load benchmark: simulated users asking the served app at once, over real HTTP to 127.0.0.1.

`bench_load` starts `referat serve` as a subprocess on a free port (with the model in the app, or on a
llama.cpp server it starts too: `model_server`), waits until its models are loaded, then lets `users` threads
ask `per_user` questions each, one after another, through `gradio_client` (each thread its own browser
session), and records every question's time to its finished answer, its time in Gradio's queue, and every
error. Bounded: a question still unanswered at the deadline is cancelled and counted as an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.errors import ConfigError
from rag.measure.bench.cold_start import free_port
from rag.measure.bench.records import LoadBench
from rag.stores import shown

# What the app's ask handler is called in its HTTP API (`ui.app.ASK_API`).
ASK_API = "/on_ask"
Chat = list[dict[str, Any]]


def message_text(content: Any) -> str:
    """The text of a chat message's content as the client returns it: a string, or a list of parts.

    >>> message_text([{"type": "text", "text": "Ja"}, {"type": "text", "text": "."}])
    'Ja.'
    """
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return "".join(message_text(p) for p in content)
    if isinstance(content, Mapping):
        return str(content.get("text") or content.get("value") or "")
    return ""


def has_reply(chat: Chat) -> bool:
    """Whether the chat ends in a reply with text (what the app shows may still be a placeholder: pass the app's
    own check as `complete` to `ask_as_users`)."""
    return bool(chat) and chat[-1].get("role") == "assistant" and bool(message_text(chat[-1].get("content")).strip())


def spread_questions(path: Path, n: int) -> list[str]:
    """`n` questions spread evenly over a JSONL question set (its types come in runs), in set order."""
    lines = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise ConfigError(f"no questions in {path}")
    step = max(1, len(lines) // n)
    picked = lines[::step][:n]
    while len(picked) < n:  # a set smaller than n: go round again
        picked += lines[: n - len(picked)]
    return picked


def ask_as_users(
    url: str,
    questions: Sequence[Sequence[str]],
    *,
    timeout_s: float,
    complete: Callable[[Chat], bool] = has_reply,
    dropped: Callable[[Chat], str | None] = lambda _chat: None,
    begun: Callable[[Chat], bool] = has_reply,
    api_name: str = ASK_API,
) -> tuple[list[float], list[float], list[float], list[str], list[str], float]:
    """One thread per user, each asking its questions (`questions[u]`) one after another in its own session.

    Returns (seconds to each finished answer, to its first update that `begun` says shows an answer to read,
    and before its first update at all (in the queue); the errors; why summaries were dropped (`dropped(chat)`
    of each answer, where it says); wall seconds).
    An answer that is not `complete` counts as an error; so does one still unanswered `timeout_s` after the
    start (it is cancelled)."""
    from gradio_client import Client

    deadline = time.monotonic() + timeout_s
    latencies: list[float] = []
    waits: list[float] = []
    readable: list[float] = []
    errors: list[str] = []
    drops: list[str] = []
    lock = threading.Lock()

    def user(u: int, asked: Sequence[str]) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as e:
            with lock:
                errors.extend(f"user {u}: could not connect: {type(e).__name__}: {e}" for _ in asked)
            return
        for q in asked:
            t0 = time.monotonic()
            first: float | None = None
            shown: float | None = None
            try:
                job = client.submit(q, [], [], "", "", api_name=api_name)
                while not job.done():
                    outputs = job.outputs()
                    if first is None and outputs:
                        first = time.monotonic() - t0
                    if shown is None and outputs and begun(_chat_of(outputs[-1])):
                        shown = time.monotonic() - t0
                    if time.monotonic() > deadline:
                        job.cancel()
                        raise TimeoutError(f"no answer within the load test's {timeout_s:.0f} s")
                    time.sleep(0.02)
                result = job.result()
                took = time.monotonic() - t0
                chat = _chat_of(result)
                if not complete(chat):
                    raise ValueError(f"the last update is not a finished answer: {str(chat)[-300:]}")
            except Exception as e:
                with lock:
                    errors.append(f"user {u}: {q!r}: {type(e).__name__}: {str(e)[:300]}")
                continue
            why = dropped(chat)
            with lock:
                latencies.append(took)
                waits.append(first if first is not None else took)
                readable.append(shown if shown is not None else took)
                drops.extend([why] if why else [])

    start = time.monotonic()
    threads = [threading.Thread(target=user, args=(u, qs), name=f"user-{u}") for u, qs in enumerate(questions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + 30)  # a client past the deadline cancels within seconds
    return latencies, readable, waits, errors, drops, time.monotonic() - start


def _chat_of(output: Any) -> Chat:
    """The chat of one of the ask handler's updates (chat, sources, question box) as the client returns it."""
    chat = output[0] if isinstance(output, list | tuple) and output and not isinstance(output[0], dict) else output
    return list(chat) if isinstance(chat, list | tuple) else []


@contextmanager
def model_server(model: Path, *, threads: int, log: Path, alias: str = "local", n_ctx: int = 4096) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`) on `model` on a free port of
    127.0.0.1; yields its base URL once it lists its model, and stops it afterwards.

    It is started with `--interrupt_requests False`: by default a request that arrives while another streams
    cuts the streaming one short, which under load would end answers early instead of queueing them."""
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(threads)]
    cmd += ["--interrupt_requests", "False"]
    url = f"http://127.0.0.1:{port}/v1"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: _lists_models(url), proc, log, 180)
        yield url
    finally:
        _stop(proc)


@contextmanager
def served_app(
    index: Path, *, log: Path, env: Mapping[str, str] | None = None, store: str | None = None, timeout_s: float = 300
) -> Iterator[str]:
    """`referat serve --index INDEX` (`--store URL` when given) on a free port of 127.0.0.1; yields its URL
    once its models are loaded (it says "Klar") and its page answers, and stops it afterwards."""
    port = free_port()
    # `python -m ui.cli` from the tree this module was imported from: the app measured is the code measuring it
    # (the `referat` script may belong to another checkout's editable install).
    root = str(Path(__file__).resolve().parents[3])
    cmd = [sys.executable, "-m", "ui.cli", "serve", "--index", str(index), "--port", str(port)]
    if store:
        cmd += ["--store", store]
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1", "PYTHONPATH": path},
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        # Both: the models load in a thread beside the web server, and with small models they are ready first.
        _wait(lambda: b"Klar" in log.read_bytes() and _answers(url), proc, log, timeout_s)
        yield url
    finally:
        _stop(proc)


def bench_load(
    index: Path,
    questions: Sequence[str],
    *,
    users: int,
    per_user: int,
    config: str,
    llm: str,
    workdir: Path,
    threads: int,
    model_file: Path | None = None,
    store: str | None = None,
    timeout_s: float = 1800,
    complete: Callable[[Chat], bool] = has_reply,
    dropped: Callable[[Chat], str | None] = lambda _chat: None,
    begun: Callable[[Chat], bool] = has_reply,
) -> LoadBench:
    """`users` x `per_user` questions against `referat serve` on `index`: `config` "local" runs the model `llm`
    in the app; "server" runs `model_file` (the same GGUF) on a llama.cpp server the app reaches as
    `openai:local@URL`. User u asks `questions[u * per_user :][:per_user]` (the list is gone round as needed)."""
    if config not in ("local", "server"):
        raise ConfigError(f"a load configuration is 'local' or 'server', got {config!r}")
    if users < 1 or per_user < 1:
        raise ConfigError(f"users and questions per user must be >= 1, got {users} and {per_user}")
    wanted = users * per_user
    pool = [questions[i % len(questions)] for i in range(wanted)]
    by_user = [pool[u * per_user : (u + 1) * per_user] for u in range(users)]
    with (
        _llm_for(config, llm, model_file, threads=threads, workdir=workdir) as (env, name),
        served_app(index, log=workdir / f"serve-{config}.log", env=env, store=store) as url,
    ):
        latencies, readable, waits, errors, drops, wall = ask_as_users(
            url, by_user, timeout_s=timeout_s, complete=complete, dropped=dropped, begun=begun
        )
    return LoadBench(
        config=config,
        llm=name,
        store=shown(store) if store else "file index",  # a URL without its password
        users=users,
        per_user=per_user,
        answered=len(latencies),
        errors=tuple(errors),
        latency_s=tuple(round(x, 3) for x in latencies),
        queue_s=tuple(round(x, 3) for x in waits),
        wall_s=round(wall, 2),
        dropped=tuple(drops),
        first_answer_s=tuple(round(x, 3) for x in readable),
    )


@contextmanager
def _llm_for(
    config: str, llm: str, model_file: Path | None, *, threads: int, workdir: Path
) -> Iterator[tuple[dict[str, str], str]]:
    if config == "local":
        yield {"REFERAT_LLM": llm}, llm
        return
    if model_file is None:
        raise ConfigError(f"the 'server' load configuration needs the GGUF file of {llm!r} to serve")
    with model_server(model_file, threads=threads, log=workdir / "llama-server.log") as url:
        yield {"REFERAT_LLM": f"openai:local@{url}"}, f"{llm} on llama_cpp.server"


def _answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as r:
        return bool(r.status == 200)


def _lists_models(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/models", timeout=2) as r:
        return bool(json.load(r)["data"])


def _wait(ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise ConfigError(f"{proc.args!r} exited with {proc.returncode}:\n{_tail(log)}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise ConfigError(f"{proc.args!r} was not ready within {timeout_s:.0f} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-2000:]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
