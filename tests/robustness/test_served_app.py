"""The served web app under load and as a neighbour on a staff machine: 8 clients x 5 questions through
Gradio's API all succeed, in the queue, with the server's memory bounded; it listens on 127.0.0.1 only;
uploads are limited in size and type; and it never reaches for the network.

`referat serve` runs in a subprocess with the fakes of `fake_referat.py` (hash embedder, a scripted LLM that
takes 10 ms a word, so answers overlap and queue) and the network guard of `netguard/` on its path.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from gradio_client.utils import Status
from robust_kit import HAVNEN, ROKLUBBEN, ROOT, ÆBLEHAVEN, fake_cli, fake_env

from ingest.readers import MAX_FILE_BYTES

NETGUARD = Path(__file__).with_name("netguard")
CLIENTS, QUESTIONS = 8, 5
ASK = [
    "Hvad besluttede udvalget om renoveringen af Æblehavens Børnehave?",
    "Hvor meget bevilgede udvalget til badebroen ved Søholm Havn?",
    "Hvad blev der besluttet om affaldssortering i sommerhusområderne?",
    "Hvor meget fik Søholm Roklub til sit nye bådhus?",
    "Hvornår holder Søholm Svømmehal åbent til kl. 21?",
]


@dataclass(frozen=True)
class Server:
    url: str
    port: int
    pid: int
    netlog: Path
    root: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("served")
    docs = root / "docs"
    docs.mkdir()
    for name, text in {"aeblehaven.txt": ÆBLEHAVEN, "havnen.txt": HAVNEN, "roklubben.txt": ROKLUBBEN}.items():
        (docs / name).write_text(text, encoding="utf-8")
    index = root / "index"
    subprocess.run(fake_cli("ingest", str(docs), "--index", str(index)), env=fake_env(), check=True, timeout=120)
    port = _free_port()
    env = fake_env(
        REFERAT_FAKE_TOKEN_S="0.01",
        REFERAT_NETLOG=str(root / "net.log"),
        PYTHONPATH=f"{NETGUARD}{os.pathsep}{ROOT}",
        GRADIO_TEMP_DIR=str(root / "uploads"),
    )
    log = open(root / "serve.log", "w")  # noqa: SIM115 - open for the server's whole life
    proc = subprocess.Popen(
        fake_cli("serve", "--index", str(index), "--port", str(port)), env=env, stdout=log, stderr=log, cwd=root
    )  # in its own folder: a data/users.json in the checkout would turn logins on
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((root / "serve.log").read_text()) from None
            time.sleep(0.3)
    yield Server(url, port, proc.pid, root / "net.log", root)
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def _client(server: Server) -> Client:
    return Client(server.url, verbose=False, analytics_enabled=False, download_files=False)


def _answer(client: Client, question: str) -> tuple[Any, set[Status]]:
    job = client.submit(question, [], [], "", "", api_name="/on_ask")
    seen: set[Status] = set()
    while not job.done():
        seen.add(job.status().code)
        time.sleep(0.01)
    return job.result(timeout=120), seen


def test_eight_clients_five_questions_each_all_answered(server: Server) -> None:
    _answer(_client(server), ASK[0])  # warm: index, BM25 and models loaded
    baseline = _rss_mb(server.pid)
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_mb(server.pid))
            time.sleep(0.05)

    def one_client(n: int) -> list[tuple[Any, set[Status]]]:
        client = _client(server)
        return [_answer(client, ASK[(n + i) % len(ASK)]) for i in range(QUESTIONS)]

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [r for rs in pool.map(one_client, range(CLIENTS)) for r in rs]
    seconds = time.perf_counter() - t0
    stop.set()
    sampler.join()

    assert len(results) == CLIENTS * QUESTIONS
    for (chat, cards, box), _ in results:
        assert box == "" and chat[0]["role"] == "user"
        final = chat[-1]["content"]
        text = final if isinstance(final, str) else " ".join(p.get("text", "") for p in final)
        assert text and not text.startswith("_"), text  # the checked answer, not a progress line
        assert 'class="kilde"' in cards
    grown = peak[0] - baseline
    print(f"\n{len(results)} answers in {seconds:.1f} s; server RSS {baseline:.0f} MB -> peak {peak[0]:.0f} MB")
    assert grown < 150, f"server memory grew {grown:.0f} MB under {CLIENTS} clients"


def test_the_server_listens_on_loopback_only(server: Server) -> None:
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if state == "0A" and int(port, 16) == server.port:  # 0A: LISTEN
                listening.append(address)
    assert listening and set(listening) <= {"0100007F", "00000000000000000000000001000000"}, listening


def test_uploads_are_limited_in_size_and_type(server: Server, tmp_path: Path) -> None:
    client = _client(server)
    big = tmp_path / "stort_referat.txt"
    with open(big, "wb") as f:
        f.write(ÆBLEHAVEN.encode() * (MAX_FILE_BYTES // len(ÆBLEHAVEN.encode()) + 10))
    exe = tmp_path / "referat.exe"
    exe.write_bytes(b"MZ" + os.urandom(1000))
    good = tmp_path / "ny.txt"
    good.write_text(HAVNEN.replace("12. september", "10. oktober"), encoding="utf-8")

    register = ([], "", "", "Alle", False)  # the register's filters, refreshed after an ingest
    with pytest.raises(Exception, match=r"(?i)file size|too large|413|exceeds"):
        client.predict([handle_file(str(big))], *register, api_name="/on_ingest")
    with pytest.raises(Exception, match=r"(?i)invalid file type"):
        client.predict([handle_file(str(exe))], *register, api_name="/on_ingest")
    report, *_ = client.predict([handle_file(str(good))], *register, api_name="/on_ingest")
    assert "1 af 1 filer indlæst" in report
    stored = [p for p in (server.root / "uploads").rglob("*") if p.is_file()]
    assert stored and all(p.stat().st_size <= MAX_FILE_BYTES for p in stored)  # the big one never landed
    assert all(p.stat().st_mode & 0o077 == 0 for p in stored)  # copies readable by their owner only
    decisions = client.predict(*register, api_name="/on_decisions")
    assert not any(row[-1] == "referat" for row in decisions["data"])  # the .exe never reached the index


def test_nothing_reached_for_the_network(server: Server) -> None:
    assert server.netlog.parent.exists()
    attempts = server.netlog.read_text().splitlines() if server.netlog.exists() else []
    assert attempts == []
