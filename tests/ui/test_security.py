"""Logins and closed items, against the real served app over HTTP on 127.0.0.1.

`referat serve` runs in a subprocess with a users file and the fakes of `tests/robustness/fake_referat.py`
(hash embedder, scripted LLM). The collection holds one closed case, "Salg af Ravnsholt Mølle" (sagsnr.
23/04711), treated behind closed doors at two meetings; its words (Ravnsholt, Kvistgaard, 4,35 mio.) appear
nowhere else. A user without the right to closed items asks for it by every path the app has and must get
none of it: not in an answer, its sources (whose cards hold the item's whole text), a count, a case's
history, a briefing, the register, an item shown by hand, or the documents' item counts. A user with the
right gets it by the same paths, so each check can fail. Logins themselves: a wrong password and a call
without a session are refused, uploads are for the admin group alone, and upload names cannot write
outside the upload area.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client, handle_file

from ui.users import Users

ROOT = Path(__file__).resolve().parents[2]
FAKE_REFERAT = ROOT / "tests" / "robustness" / "fake_referat.py"

# The closed items' words, and their citation labels: the open items are punkt 1 and 2 of each meeting.
CLOSED_WORDS = ("Ravnsholt", "Kvistgaard", "4,35", "punkt 3", "Lukket punkt")
PASSWORDS = {"lis": "lis-kode-123", "leder": "leder-kode-123", "sekretaer": "sekretaer-kode-123"}
GROUPS = {"lis": (), "leder": ("lukket",), "sekretaer": ("admin",)}
REGISTER: tuple[Any, ...] = ([], "", "", "Alle", True)  # filters, outcome, "Vis også punkter uden beslutning"
QUESTIONS = [
    "Hvad besluttede Økonomiudvalget om salget af Ravnsholt Mølle?",
    "Hvor meget bød Kvistgaard Ejendomme for Ravnsholt Mølle?",
    "Lukket punkt: Salg af Ravnsholt Mølle til Kvistgaard Ejendomme for 4,35 mio. kr.",
    "Hvad skete der i sag 23/04711?",
    "Hvordan er salget af Ravnsholt Mølle forløbet?",
    "Hvad er status på salget af Ravnsholt Mølle?",
    "Hvor mange lukkede punkter var der i 2023?",
    "Hvilke sager om salg blev godkendt i 2023?",
]


def _minutes(body: str, date_dk: str, items: list[tuple[str, str, str]], closed: tuple[str, str, str]) -> str:
    parts = [f"Referat af møde i {body}, Søholm Kommune, den {date_dk}", "", "Tid og sted: Kl. 16.00, Rådhuset", ""]
    for n, (title, case, decision) in enumerate(items, 1):
        parts += [f"Punkt {n}. {title}", "", "Sagsfremstilling", case, "", "Beslutning", decision, ""]
    title, case, decision = closed
    parts += [f"Punkt {len(items) + 1}. Lukket punkt: {title}", "Sagsnr. 23/04711", ""]
    parts += ["Sagsfremstilling", case, "", "Beslutning", decision, ""]
    return "\n".join(parts)


ØKONOMI = _minutes(
    "Økonomiudvalget",
    "4. september 2023",
    [
        ("Godkendelse af dagsorden", "Dagsordenen var udsendt.", "Dagsordenen blev godkendt."),
        (
            "Ny legeplads ved Østerby Skole",
            "Forældrerådet ønsker en legeplads ved skolen. Den koster 300.000 kr.",
            "Udvalget godkendte legepladsen ved Østerby Skole for 300.000 kr.",
        ),
    ],
    (
        "Salg af Ravnsholt Mølle",
        "Kvistgaard Ejendomme har budt 4,35 mio. kr. for Ravnsholt Mølle med tilhørende jord.",
        "Udvalget anbefalede salget af Ravnsholt Mølle til Kvistgaard Ejendomme for 4,35 mio. kr.",
    ),
)
BYRÅDET = _minutes(
    "Byrådet",
    "25. september 2023",
    [
        ("Godkendelse af dagsorden", "Dagsordenen var udsendt.", "Dagsordenen blev godkendt."),
        (
            "Budget 2024 for Søholm Kommune",
            "Budgetforslaget for 2024 har været i høring. Skatteprocenten er uændret.",
            "Byrådet godkendte budgettet for 2024 med uændret skatteprocent.",
        ),
    ],
    (
        "Salg af Ravnsholt Mølle",
        "Økonomiudvalget anbefaler salget af Ravnsholt Mølle til Kvistgaard Ejendomme for 4,35 mio. kr.",
        "Byrådet godkendte salget af Ravnsholt Mølle til Kvistgaard Ejendomme.",
    ),
)


@dataclass(frozen=True)
class Served:
    url: str
    root: Path
    uploads: Path
    question_log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERAT_")}
    return {**env, "REFERAT_FAKES": "1", "PYTHONPATH": str(ROOT), "REFERAT_THREADS": "1", **extra}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("logins")
    docs = root / "docs"
    docs.mkdir()
    (docs / "oekonomi.txt").write_text(ØKONOMI, encoding="utf-8")
    (docs / "byraadet.txt").write_text(BYRÅDET, encoding="utf-8")
    index = root / "index"
    ingest = [sys.executable, str(FAKE_REFERAT), "ingest", str(docs), "--index", str(index)]
    subprocess.run(ingest, env=_env(), check=True, timeout=120, capture_output=True)
    users = Users()
    for name, password in PASSWORDS.items():
        users = users.with_user(name, password, groups=GROUPS[name])
    users.save(root / "users.json")
    port = _free_port()
    cmd = [sys.executable, str(FAKE_REFERAT), "serve", "--index", str(index), "--port", str(port)]
    cmd += ["--users", str(root / "users.json"), "--question-log", str(root / "questions.jsonl")]
    log = open(root / "serve.log", "w")  # noqa: SIM115 - open for the server's whole life
    proc = subprocess.Popen(cmd, env=_env(GRADIO_TEMP_DIR=str(root / "uploads")), stdout=log, stderr=log, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except urllib.error.HTTPError:  # the login page answers: up
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((root / "serve.log").read_text()) from None
            time.sleep(0.3)
    yield Served(url, root, root / "uploads", root / "questions.jsonl")
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _client(served: Served, name: str) -> Client:
    return Client(
        served.url, auth=(name, PASSWORDS[name]), verbose=False, analytics_enabled=False, download_files=False
    )


@pytest.fixture(scope="module")
def lis(served: Served) -> Client:
    """A user without the right to closed items (no groups)."""
    return _client(served, "lis")


@pytest.fixture(scope="module")
def leder(served: Served) -> Client:
    """A user with the right to closed items (group lukket)."""
    return _client(served, "leder")


def _text(value: Any) -> str:
    """Everything a response holds, as one string to search."""
    return json.dumps(value, ensure_ascii=False)


def _mentions_closed(value: Any, *, asked: str = "") -> list[str]:
    """The closed items' words in `value`, less those of the question `asked` (an answer may repeat it)."""
    text = _text(value)
    return [w for w in CLOSED_WORDS if w in text and w not in asked]


def _raw_call(client: Client, api_name: str, data: list[Any], event_data: Any = None) -> dict[str, Any]:
    """Call one endpoint through Gradio's queue with `data` and `event_data` sent as given, not as the client
    would prepare them (it uploads local files it is given, and sends no event data); the final message."""
    fn_index = next(d["id"] for d in client.config["dependencies"] if d.get("api_name") == api_name)
    session = uuid.uuid4().hex
    body = {"data": data, "event_data": event_data, "fn_index": fn_index, "trigger_id": None, "session_hash": session}
    joined = httpx.post(client.sse_data_url, json=body, headers=client.headers, cookies=client.cookies, timeout=30)
    joined.raise_for_status()
    params = {"session_hash": session}
    with httpx.stream(
        "GET", client.sse_url, params=params, headers=client.headers, cookies=client.cookies, timeout=60
    ) as events:
        for line in events.iter_lines():
            if line.startswith("data:") and (msg := json.loads(line[5:]))["msg"] == "process_completed":
                return msg["output"] | {"success": msg.get("success")}
    raise AssertionError(f"{api_name}: no process_completed message")


def _ask(client: Client, question: str) -> tuple[str, str]:
    """The answer (the chat's last message, as text) and the source cards (HTML) for one question, asked
    on its own (a fresh session: no conversation to read it against)."""
    client.reset_session()
    chat, cards, _box, *_turn = client.predict(question, [], [], "", "", api_name="/on_ask")
    final = chat[-1]["content"]
    text = final if isinstance(final, str) else " ".join(p.get("text", "") for p in final)
    return text, cards


# ---------------------------------------------------------------------------------------------------------
# Closed items


@pytest.mark.parametrize("question", QUESTIONS)
def test_no_answer_or_source_card_gives_a_reader_without_the_right_a_closed_item(
    lis: Client, leder: Client, question: str
) -> None:
    answer, cards = _ask(lis, question)
    assert _mentions_closed(answer, asked=question) == [], answer
    assert _mentions_closed(cards) == [], cards


def test_a_reader_with_the_right_finds_the_closed_item_by_the_same_questions(leder: Client) -> None:
    for question in QUESTIONS[:6]:  # the count and the register: below
        _answer, cards = _ask(leder, question)
        assert "Ravnsholt" in cards, question  # the source card, with the item's whole text
    answer, _cards = _ask(leder, "Hvor mange lukkede punkter var der i 2023?")
    assert "2 lukkede punkter" in answer
    answer, cards = _ask(leder, "Hvilke sager om salg blev godkendt i 2023?")  # from the decision register
    assert "Ravnsholt" in answer and "Ravnsholt" in cards, (answer, cards)


def test_counts_leave_closed_items_out_for_a_reader_without_the_right(lis: Client, leder: Client) -> None:
    question = "Hvor mange lukkede punkter var der i 2023?"
    without, _ = _ask(lis, question)
    withit, _ = _ask(leder, question)
    assert "2 lukkede punkter" in withit
    assert "2 lukkede punkter" not in without and "punkt 3" not in without
    items_without, _ = _ask(lis, "Hvor mange dagsordenspunkter var der i 2023?")
    items_with, _ = _ask(leder, "Hvor mange dagsordenspunkter var der i 2023?")
    assert "6 punkter" in items_with and "4 punkter" in items_without, (items_with, items_without)


def test_the_register_the_case_history_and_the_briefing_leave_closed_items_out(lis: Client, leder: Client) -> None:
    for client, sees in ((lis, False), (leder, True)):
        table = client.predict(*REGISTER, api_name="/on_decisions")
        assert bool(_mentions_closed(table)) is sees
        for query in ("23/04711", "Ravnsholt Mølle", "salg af mølle til Kvistgaard"):
            head, rows, _item = client.predict(query, api_name="/on_case")
            assert bool(_mentions_closed([head, rows])) is sees, (query, head)
        topic = "Ravnsholt Mølle og Kvistgaard Ejendomme"
        brief, _md, _docx = client.predict(topic, [], "", "", api_name="/on_brief")
        assert bool(_mentions_closed(brief, asked=topic)) is sees, brief


def test_the_documents_list_counts_only_the_items_a_reader_may_see(lis: Client, leder: Client) -> None:
    def counts(client: Client) -> dict[str, str]:
        _bodies, docs, _choice, _table, _who = client.predict(*REGISTER, api_name="/on_load")
        return {row[0]: row[4] for row in docs["data"]}

    assert counts(leder) == {"Byrådet": "3", "Økonomiudvalget": "3"}
    assert counts(lis) == {"Byrådet": "2", "Økonomiudvalget": "2"}


def test_an_item_shown_by_hand_is_refused_when_closed(lis: Client, leder: Client) -> None:
    # What a click on a register row shows, asked for with a crafted row naming the closed item.
    row = ["Byrådet", "25.09.2023", "3", "x", "godkendt", "x", "byraadet"]
    for client, sees in ((lis, False), (leder, True)):
        shown = _raw_call(client, "on_select", [[row]], {"index": [0, 3], "value": "x", "row_value": row})
        assert shown["success"] and bool(_mentions_closed(shown["data"])) is sees, shown


def test_each_question_is_logged_with_who_asked_it(served: Served, lis: Client) -> None:
    _ask(lis, "Hvad kostede legepladsen ved Østerby Skole?")
    lines = [json.loads(line) for line in served.question_log.read_text(encoding="utf-8").splitlines()]
    assert {"time", "user", "question"} == set(lines[-1])
    assert lines[-1]["user"] == "lis" and lines[-1]["question"] == "Hvad kostede legepladsen ved Østerby Skole?"
    assert served.question_log.stat().st_mode & 0o077 == 0


# ---------------------------------------------------------------------------------------------------------
# Logins


def test_a_wrong_password_is_refused(served: Served) -> None:
    with pytest.raises(Exception, match=r"(?i)credentials|login|401|400"):
        Client(served.url, auth=("leder", "forkert-kode"), verbose=False, analytics_enabled=False)
    with pytest.raises(Exception, match=r"(?i)credentials|login|401|400"):
        Client(served.url, auth=("ukendt", PASSWORDS["leder"]), verbose=False, analytics_enabled=False)
    form = b"username=leder&password=forkert-kode"
    request = urllib.request.Request(f"{served.url}login", data=form, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "config", None),
        ("GET", "gradio_api/info", None),
        ("POST", "gradio_api/call/on_decisions", {"data": list(REGISTER)}),
        ("POST", "gradio_api/queue/join", {"data": ["x", [], [], "", "", None], "fn_index": 0, "session_hash": "s"}),
        ("POST", "gradio_api/upload", None),
    ],
)
def test_no_session_no_access(served: Served, method: str, path: str, body: Any) -> None:
    for cookie in (None, "access-token-unsecure-x=forfalsket"):
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(f"{served.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if cookie:
            request.add_header("Cookie", cookie)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401, (path, cookie)


def test_a_user_without_the_documents_right_cannot_upload_or_remove(
    served: Served, lis: Client, tmp_path: Path
) -> None:
    upload = tmp_path / "nyt_referat.txt"
    upload.write_text(ØKONOMI.replace("4. september", "2. oktober"), encoding="utf-8")
    with pytest.raises(Exception, match="ikke ret til at indlæse eller fjerne"):
        lis.predict([handle_file(str(upload))], *REGISTER, api_name="/on_ingest")
    _bodies, _docs, choice, _table, who = lis.predict(*REGISTER, api_name="/on_load")  # the session's choices
    assert "lis" in who and "byraadet" in {value for _label, value in choice["choices"]}
    with pytest.raises(Exception, match="ikke ret til at indlæse eller fjerne"):
        lis.predict("byraadet", *REGISTER, api_name="/on_remove")
    assert "byraadet" in _text(lis.predict(*REGISTER, api_name="/on_decisions"))


def _upload_raw(client: Client, filename: bytes, content: bytes) -> Any:
    """POST a file to Gradio's upload route with `filename` as the browser would send it, unsanitised."""
    boundary = "referat-grænse".encode().hex()
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="'.encode()
        + filename
        + b'"\r\nContent-Type: text/plain\r\n\r\n'
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = httpx.post(  # with the client's login cookie
        client.upload_url,
        content=body,
        headers={**client.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        cookies=client.cookies,
        timeout=30,
    )
    return response


@pytest.mark.parametrize(
    "filename",
    [b"../../../../tmp/referat_udenfor.txt", b"/tmp/referat_udenfor.txt", b"..%2F..%2Freferat_udenfor.txt",
     b"referat\x00udenfor.txt", b"..\\..\\referat_udenfor.txt"],
)  # fmt: skip
def test_upload_names_cannot_reach_outside_the_upload_area(served: Served, filename: bytes) -> None:
    admin = _client(served, "sekretaer")
    text = ØKONOMI.replace("Ny legeplads ved Østerby Skole", f"Ny legeplads {filename.hex()[:12]}")
    before = {p for p in served.root.parent.rglob("*") if "uploads" not in p.parts}
    response = _upload_raw(admin, filename, text.encode())
    if response.status_code == 200:  # stored under a neutralised name, inside the upload area: ingest it
        (stored,) = response.json()
        assert Path(stored).resolve().is_relative_to(served.uploads.resolve()), stored
        assert "\x00" not in stored and ".." not in Path(stored).parts and "/" not in Path(stored).name
        payload = {"path": stored, "meta": {"_type": "gradio.FileData"}, "orig_name": Path(stored).name}
        done = _raw_call(admin, "on_ingest", [[payload], *REGISTER])
        if done["success"]:
            assert "1 af 1 filer indlæst" in done["data"][0], done
        else:  # a name left starting with a dot: Gradio refuses to touch it, and nothing is ingested
            assert "Dotfiles" in done["error"], done
            assert filename.hex()[:12] not in _text(admin.predict(*REGISTER, api_name="/on_decisions"))
    else:
        assert response.status_code in (400, 422), response.text
    after = {p for p in served.root.parent.rglob("*") if "uploads" not in p.parts}
    assert not Path("/tmp/referat_udenfor.txt").exists()
    written = {p for p in after - before if not p.is_relative_to(served.root / "index")}
    assert written <= {served.question_log, served.root / "serve.log"}, written
    _bodies, _docs, choice, _table, _who = admin.predict(*REGISTER, api_name="/on_load")
    for _label, doc_id in choice["choices"]:  # a document id names no folder
        assert re.fullmatch(r"[\w][\w.-]*", doc_id) and ".." not in doc_id, doc_id


def test_a_file_outside_the_upload_area_is_not_ingested(served: Served, tmp_path: Path) -> None:
    admin = _client(served, "sekretaer")
    outside = tmp_path / "hemmeligt_referat.txt"
    outside.write_text(ØKONOMI.replace("Økonomiudvalget", "Hemmeligudvalget"), encoding="utf-8")
    for path in (str(outside), "/etc/passwd", f"{served.uploads}/../users.json"):
        payload = {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": Path(path).name}
        done = _raw_call(admin, "on_ingest", [[payload], *REGISTER])
        assert done["success"] is False, (path, done)
    bodies = {row[0] for row in admin.predict(*REGISTER, api_name="/on_decisions")["data"]}
    assert "Hemmeligudvalget" not in bodies


def test_the_admin_uploads_and_the_new_document_is_filtered_for_readers_at_once(
    served: Served, lis: Client, leder: Client, tmp_path: Path
) -> None:
    admin = _client(served, "sekretaer")
    upload = tmp_path / "oekonomi_oktober.txt"
    upload.write_text(
        ØKONOMI.replace("4. september", "2. oktober").replace("Ravnsholt", "Ravnsholt-Nord"), encoding="utf-8"
    )
    report, *_ = admin.predict([handle_file(str(upload))], *REGISTER, api_name="/on_ingest")
    assert "1 af 1 filer indlæst" in report
    _chat, cards = _ask(leder, "Hvad besluttede udvalget om Ravnsholt-Nord?")
    assert "Ravnsholt-Nord" in cards
    answer, cards = _ask(lis, "Hvad besluttede udvalget om Ravnsholt-Nord?")
    assert _mentions_closed(answer, asked="Ravnsholt-Nord") == [] and _mentions_closed(cards) == []
    table = lis.predict(*REGISTER, api_name="/on_decisions")
    assert "02.10.2023" in _text(table) and _mentions_closed(table) == []
