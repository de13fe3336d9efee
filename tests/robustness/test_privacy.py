"""Private by default: the app binds 127.0.0.1 (another interface only when asked with --host), makes no
share link, turns analytics and telemetry off before Gradio and huggingface_hub are imported, and an
ingest + ask with the real models attempts no connection to any other machine (the served app under load is
checked the same way in test_served_app.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from robust_kit import ROKLUBBEN, ROOT
from typer.testing import CliRunner

from ingest.readers import MAX_FILE_BYTES
from rag.assistant import Assistant
from rag.embed import HashEmbedder
from ui import app as ui
from ui import cli

runner = CliRunner()


def test_launch_is_loopback_only_without_share_link_or_analytics(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_launch(self: gr.Blocks, **kwargs: Any) -> None:
        seen.update(kwargs, analytics=self.analytics_enabled, queue=self._queue.max_size)

    monkeypatch.setattr(gr.Blocks, "launch", fake_launch)
    ui.launch(Assistant(ROOT / "no-index", HashEmbedder(8)))
    assert seen["server_name"] == "127.0.0.1" and seen["share"] is False and seen["mcp_server"] is False
    assert seen["analytics"] is False and seen["max_file_size"] == MAX_FILE_BYTES
    assert seen["queue"] == 64  # a bounded queue: requests wait their turn, and a flood is turned away


@pytest.mark.parametrize(
    ("args", "host"),
    [([], "127.0.0.1"), (["--host", "0.0.0.0"], None), (["--host", "0.0.0.0", "--users", "{users}"], "0.0.0.0")],
)
def test_serve_binds_loopback_unless_told_otherwise_with_logins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], host: str | None
) -> None:
    from ui.users import Users

    monkeypatch.setenv("REFERAT_EMBEDDER", "hash-64")
    monkeypatch.setenv("REFERAT_LLM", "scripted")
    monkeypatch.delenv("REFERAT_USERS", raising=False)
    monkeypatch.chdir(tmp_path)  # no data/users.json here
    users = Users().with_user("anne", "en lang kode").save(tmp_path / "users.json")
    bound: list[str] = []
    monkeypatch.setattr(ui, "launch", lambda assistant, *, host, port, **kw: bound.append(host))
    argv = [a.format(users=users) for a in args]
    result = runner.invoke(cli.app, ["serve", "--index", str(tmp_path / "index"), "--port", "7999", *argv])
    if host is None:  # beyond this machine without logins: refused, saying what to do
        assert result.exit_code == 1 and bound == []
        assert "referat users add" in " ".join(result.output.split())
        return
    assert result.exit_code == 0, result.output
    assert bound == [host]


def test_analytics_telemetry_and_hub_are_off_before_gradio_is_imported() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADIO_", "HF_", "TRANSFORMERS_", "DO_NOT"))}
    probe = (
        "import ui.app, gradio.analytics as a, huggingface_hub.constants as h, json; "
        "print(json.dumps([a.analytics_enabled(), h.HF_HUB_OFFLINE, h.HF_HUB_DISABLE_TELEMETRY]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == [False, True, True]


@pytest.mark.slow
def test_ingest_and_ask_with_the_real_models_attempt_no_outside_connection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    attempts: list[Any] = []
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError("no network in this test")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: attempts.append(host) or [])
    doc = tmp_path / "roklubben.txt"
    doc.write_text(ROKLUBBEN, encoding="utf-8")
    index = str(tmp_path / "index")
    assert runner.invoke(cli.app, ["ingest", str(doc), "--index", index]).exit_code == 0
    monkeypatch.setenv("REFERAT_LLM", "smollm2-135m")  # any local GGUF: what is tested is the plumbing
    asked = runner.invoke(cli.app, ["ask", "Hvor meget fik Søholm Roklub til bådhuset?", "--index", index, "--json"])
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout)["answer"]
    assert attempts == []
