"""The cold-start benchmark: process start to the first HTTP 200 of `referat serve`."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

from ingest.errors import ConfigError
from rag.measure.bench.records import ColdStartBench


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def bench_cold_start(
    command: Sequence[str],
    url: str,
    *,
    ready_pattern: str | None = None,
    timeout_s: float = 180.0,
    env: dict[str, str] | None = None,
) -> ColdStartBench:
    """Start `command`, poll `url` until it answers 200; then wait for a stderr line matching `ready_pattern`.

    The process is terminated afterwards. Usage:
    `bench_cold_start(["referat", "serve", "--index", "data/index", "--port", "7999"], "http://127.0.0.1:7999/")`.
    """
    ready_at: list[float] = []
    pattern = re.compile(ready_pattern) if ready_pattern else None
    start = time.perf_counter()
    proc = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)

    def watch() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if pattern and not ready_at and pattern.search(line):
                ready_at.append(time.perf_counter() - start)

    threading.Thread(target=watch, daemon=True).start()
    try:
        page_s = _wait_http(url, proc, start, timeout_s)
        while pattern and not ready_at and proc.poll() is None and time.perf_counter() - start < timeout_s:
            time.sleep(0.1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return ColdStartBench(page_s=page_s, ready_s=ready_at[0] if ready_at else None)


def _wait_http(url: str, proc: subprocess.Popen[str], start: float, timeout_s: float) -> float:
    while time.perf_counter() - start < timeout_s:
        if proc.poll() is not None:
            raise ConfigError(f"{proc.args!r} exited with code {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise ConfigError(f"{url} did not answer within {timeout_s:.0f} s")
