"""The web app end to end: `referat serve` driven by headless Debian Chromium through Playwright.

Uses the real embedder and LLM on an index built from data/sample in a temporary folder.
Screenshots of every step go to test-artifacts/ui/. Nothing downloads a browser: the system
Chromium at /usr/bin/chromium is used, and the test skips (saying so) when it is missing.

Set REFERAT_UI_TEST_INDEX to an already ingested sample index to skip the ~45 s ingest (it is copied).
The first question is also asked of an app served from the PostgreSQL store (a real server from
tests/conftest.py, data/sample ingested into it with `referat ingest --store URL`).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import fresh_database

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "ui"
REFERAT = Path(sys.executable).with_name("referat")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

UPLOAD_NAME = "byraadet_tarmvig_2023.txt"
UPLOAD_TEXT = """Referat af møde i Byrådet, Tarmvig Kommune, den 14. marts 2023

Tid og sted: Tirsdag den 14. marts 2023, kl. 17.00, Byrådssalen

Punkt 1. Godkendelse af dagsorden

Beslutning
Dagsordenen blev godkendt.

Punkt 2. Ny kunstig skøjtebane ved Tarmvig Havn

Sagsfremstilling
Forvaltningen foreslår at etablere en kunstig skøjtebane ved Tarmvig Havn om vinteren.
Anlægsudgiften er 4,2 mio. kr., og banen skal drives af Tarmvig Skøjteklub.

Indstilling
Det indstilles, at Byrådet godkender etableringen af skøjtebanen.

Beslutning
Byrådet godkendte etableringen af den kunstige skøjtebane ved Tarmvig Havn med en anlægsudgift på 4,2 mio. kr.
"""

ANSWER_TIMEOUT_MS = 240_000  # the default LLM needs up to a minute per answer on two cores


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"referat serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"referat serve did not answer {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _listening(pid: int) -> list[str]:
    """Local addresses the process `pid` listens on (TCP), from `ss -ltnp`."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    return [line.split()[3] for line in out.splitlines() if f"pid={pid}," in line]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("ui") / "index"
    given = os.environ.get("REFERAT_UI_TEST_INDEX")
    if given:
        shutil.copytree(given, target)
        return target
    subprocess.run(
        [str(REFERAT), "ingest", str(ROOT / "data" / "sample"), "--index", str(target)],
        check=True, cwd=ROOT, capture_output=True, timeout=600,
    )  # fmt: skip
    return target


@contextmanager
def _serving(where: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`referat serve` on a free port with `where` (`--index DIR` or `--store URL`): (its URL, its pid)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [str(REFERAT), "serve", *where, "--port", str(port)],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(url + "/config", proc, log)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, through one Playwright for the module (a second sync Playwright may not
    start while one runs)."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: install Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def _browsing(browser: object, url: str) -> Iterator[object]:
    """A page on the app at `url`, once its question box is there."""
    pg = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="da-DK")  # type: ignore[attr-defined]
    pg.goto(url)
    pg.wait_for_selector("#spoergsmaal textarea", timeout=60_000)
    yield pg
    pg.close()


@pytest.fixture(scope="module")
def server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with _serving(["--index", str(index_dir)], tmp_path_factory) as served:
        yield served


@pytest.fixture(scope="module")
def page(server: tuple[str, int], chromium: object) -> Iterator[object]:
    with _browsing(chromium, server[0]) as pg:
        yield pg


@pytest.fixture(scope="module")
def pg_store(pg_server: str) -> str:
    """A PostgreSQL database holding data/sample, ingested through the CLI."""
    url = fresh_database(pg_server, "referat_ui")
    subprocess.run(
        [str(REFERAT), "ingest", str(ROOT / "data" / "sample"), "--store", url],
        check=True, cwd=ROOT, capture_output=True, timeout=600,
    )  # fmt: skip
    return url


@pytest.fixture(scope="module")
def pg_page(pg_store: str, chromium: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with _serving(["--store", pg_store], tmp_path_factory) as served, _browsing(chromium, served[0]) as pg:
        yield pg


def _shot(pg: object, name: str) -> None:
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _ask(pg: object, question: str) -> None:
    box = pg.locator("#spoergsmaal textarea")  # type: ignore[attr-defined]
    box.fill(question)
    pg.locator("#send").click()  # type: ignore[attr-defined]


def test_served_only_on_loopback(server: tuple[str, int]) -> None:
    url, pid = server
    with urllib.request.urlopen(url + "/config", timeout=10) as r:
        assert r.status == 200
        assert b'"components"' in r.read()
    addresses = _listening(pid)
    assert addresses, "the server listens on nothing?"
    assert all(a.startswith("127.0.0.1:") for a in addresses), addresses


@pytest.mark.parametrize("store", ["file", "postgresql"])
def test_ask_shows_sources_then_answer_and_opens_card(store: str, request: pytest.FixtureRequest) -> None:
    pg = request.getfixturevalue("page" if store == "file" else "pg_page")
    _shot(pg, f"01_start_{store}")
    _ask(pg, "Hvad besluttede KD-Net om Midttrafik?")
    card = pg.locator('#kilder .kilde[data-label="KD-Net 22.01.2021, punkt 6"]')  # type: ignore[attr-defined]
    card.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "Midttrafik" in card.inner_text()
    link = pg.locator("#samtale a.kilde-link").first  # type: ignore[attr-defined]
    link.wait_for(timeout=ANSWER_TIMEOUT_MS)
    answer = pg.locator("#samtale").inner_text()  # type: ignore[attr-defined]
    assert "KD-Net 22.01.2021, punkt 6" in answer
    assert "indfasning" in answer  # the recorded decision: the phase-in over three years
    _shot(pg, f"02_svar_og_kilder_{store}")

    target = link.get_attribute("href")
    assert target and target.startswith("#kilde-")
    link.click()
    opened = pg.locator(f"{target} details[open] .kilde-tekst")  # type: ignore[attr-defined]
    opened.wait_for(timeout=10_000)
    assert "Midttrafik" in opened.inner_text()
    assert opened.locator("mark").count() >= 1  # the matched passage is highlighted
    card_box = pg.locator(target)  # type: ignore[attr-defined]
    card_box.scroll_into_view_if_needed()
    _shot(pg, f"03_kilde_aabnet_{store}")


def test_upload_then_find_it(page: object, tmp_path: Path) -> None:
    pg = page
    doc = tmp_path / UPLOAD_NAME
    doc.write_text(UPLOAD_TEXT, encoding="utf-8")
    pg.get_by_role("tab", name="Dokumenter").click()  # type: ignore[attr-defined]
    pg.locator("#upload input[type=file]").set_input_files(str(doc))  # type: ignore[attr-defined]
    pg.get_by_text(UPLOAD_NAME).first.wait_for(timeout=30_000)  # type: ignore[attr-defined]
    pg.locator("#indlaes").click()  # type: ignore[attr-defined]
    report = pg.locator("#indlaes-rapport")  # type: ignore[attr-defined]
    report.get_by_text("1 af 1 filer indlæst").wait_for(timeout=120_000)
    assert "2 punkter indlæst" in report.inner_text()
    # The documents are listed by body, date and their own title, not by file id.
    documents = pg.locator("#dokument-tabel")  # type: ignore[attr-defined]
    documents.get_by_text("Referat af møde i Byrådet, Tarmvig Kommune, den 14. marts 2023").first.wait_for(
        timeout=30_000
    )
    _shot(pg, "04_upload")

    pg.get_by_role("tab", name="Spørg").click()  # type: ignore[attr-defined]
    pg.locator("#forfra").click()  # type: ignore[attr-defined]
    pg.locator("#kilder .kilde").first.wait_for(state="detached", timeout=10_000)  # type: ignore[attr-defined]
    _ask(pg, "Hvad besluttede Byrådet om skøjtebanen ved Tarmvig Havn?")
    card = pg.locator('#kilder .kilde[data-label="Byrådet 14.03.2023, punkt 2"]')  # type: ignore[attr-defined]
    card.wait_for(timeout=ANSWER_TIMEOUT_MS)
    pg.locator("#samtale a.kilde-link").first.wait_for(timeout=ANSWER_TIMEOUT_MS)  # type: ignore[attr-defined]
    assert "skøjtebane" in pg.locator("#samtale").inner_text()  # type: ignore[attr-defined]
    _shot(pg, "05_spoerg_om_upload")

    # A question that is not about a decision goes through the LLM: the checked quotes are shown first,
    # cited, while the model has not finished; its summary streams in under them and is then kept under
    # them or dropped with the reason.
    from playwright.sync_api import expect

    pg.locator("#forfra").click()  # type: ignore[attr-defined]
    pg.locator("#kilder .kilde").first.wait_for(state="detached", timeout=10_000)  # type: ignore[attr-defined]
    asked = time.monotonic()
    _ask(pg, "Hvor stor er anlægsudgiften til skøjtebanen ved Tarmvig Havn?")
    chat = pg.locator("#samtale")  # type: ignore[attr-defined]
    chat.get_by_text("Fra dokumenterne", exact=False).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    quoted_after = time.monotonic() - asked
    early = chat.inner_text()
    _shot(pg, "06_citeret_svar_foerst")
    assert "4,2 mio" in early and "Byrådet 14.03.2023, punkt 2" in early
    assert "Modellen skriver et sammendrag" in early or "udkast" in early, early  # the summary is still to come
    pg.locator('#kilder .kilde[data-label="Byrådet 14.03.2023, punkt 2"]').wait_for(timeout=ANSWER_TIMEOUT_MS)  # type: ignore[attr-defined]
    expect(chat).not_to_contain_text("Modellen skriver et sammendrag", timeout=ANSWER_TIMEOUT_MS)
    expect(chat).not_to_contain_text("udkast", timeout=ANSWER_TIMEOUT_MS)
    final = chat.inner_text()
    answered_after = time.monotonic() - asked
    assert "4,2 mio" in final and "Udkast" not in final
    assert final.index("Fra dokumenterne") < max(final.find("Sammendrag fra modellen"), final.find("sammendrag blev"))
    print(f"quoted answer shown after {quoted_after:.1f} s, final after {answered_after:.1f} s")
    _shot(pg, "07_sammendrag_under_citaterne")


def test_a_follow_up_in_the_chat_is_read_against_the_previous_question(page: object) -> None:
    # The document uploaded by the test above; a two-turn conversation as a user types it.
    from playwright.sync_api import expect

    pg = page
    pg.get_by_role("tab", name="Spørg").click()  # type: ignore[attr-defined]
    pg.locator("#forfra").click()  # type: ignore[attr-defined]
    pg.locator("#kilder .kilde").first.wait_for(state="detached", timeout=10_000)  # type: ignore[attr-defined]
    _ask(pg, "Hvad besluttede Byrådet om skøjtebanen ved Tarmvig Havn?")
    chat = pg.locator("#samtale")  # type: ignore[attr-defined]
    chat.locator("a.kilde-link").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    _ask(pg, "Hvad koster den?")
    chat.get_by_text("Forstået som: Hvad koster skøjtebanen ved Tarmvig Havn?").wait_for(timeout=ANSWER_TIMEOUT_MS)
    expect(chat).not_to_contain_text("udkast", timeout=ANSWER_TIMEOUT_MS)
    expect(chat).not_to_contain_text("Modellen skriver et sammendrag", timeout=ANSWER_TIMEOUT_MS)
    last = chat.inner_text()
    assert "4,2 mio" in last and "Byrådet 14.03.2023, punkt 2" in last, last
    _shot(pg, "08_opfoelgende_spoergsmaal")


def test_briefing_and_decision_register(page: object) -> None:
    pg = page
    pg.get_by_role("tab", name="Overblik").click()  # type: ignore[attr-defined]
    pg.get_by_label("Emne").fill("Midttrafik")  # type: ignore[attr-defined]
    pg.get_by_role("button", name="Lav overblik").click()  # type: ignore[attr-defined]
    note = pg.locator("#overblik-tekst")  # type: ignore[attr-defined]
    note.get_by_text("Overblik: Midttrafik").wait_for(timeout=60_000)
    assert "KD-Net 22.01.2021, punkt 6" in note.inner_text()
    pg.get_by_role("button", name="Hent som Word (DOCX)").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    _shot(pg, "07_overblik")

    # The register is filled when the app opens, newest meeting first (data/sample's newest decisions are of
    # 21.02.2024; the upload above is of 2023); the filters narrow it to the meeting asked for.
    pg.get_by_role("tab", name="Beslutninger").click()  # type: ignore[attr-defined]
    table = pg.locator("#beslutninger-tabel")  # type: ignore[attr-defined]
    first_row = table.locator(".virtual-row").first  # Gradio draws the visible rows as divs
    first_row.wait_for(timeout=30_000)
    assert "21.02.2024" in first_row.inner_text()
    assert not pg.locator("#vis-alle input").is_checked()  # type: ignore[attr-defined]
    pg.get_by_label("Til dato").fill("2021-12-31")  # type: ignore[attr-defined]
    pg.get_by_role("button", name="Vis beslutninger").click()  # type: ignore[attr-defined]
    cell = table.get_by_text("Midttrafiks indtægtsfordelingsmodel").first
    cell.wait_for(timeout=30_000)
    cell.click()
    shown = pg.locator("#punkt .kilde-tekst")  # type: ignore[attr-defined]
    shown.wait_for(timeout=30_000)
    assert "indtægtsfordelingsmodel" in shown.inner_text()
    _shot(pg, "08_beslutninger")


def test_users_asking_at_once_are_answered_in_turn_and_see_their_place_in_the_queue(page: object) -> None:
    # One local model answers one question at a time: three users asking at once are served in the order they
    # asked, and those waiting see their place on the chat, in Danish.
    browser = page.context.browser  # type: ignore[attr-defined]
    questions = [
        "Hvor stort var FGU-institutionernes samlede underskud i 2021?",
        "Hvor mange medlemmer foreslår Aarhus, at det nye Sundhedssamarbejdsudvalg skal have?",
        "Hvem leder styregruppen for klimaprojektet DK2020 i Midtjylland?",
    ]
    users = []
    for _ in questions:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="da-DK")
        pg = context.new_page()
        pg.goto(page.url)  # type: ignore[attr-defined]
        pg.wait_for_selector("#spoergsmaal textarea", timeout=60_000)
        users.append(pg)
    for pg, q in zip(users, questions, strict=True):
        _ask(pg, q)
    last = users[-1].locator("#samtale .progress-text").filter(has_text="I kø: nr.").first
    last.wait_for(timeout=60_000)
    # Its place depends on how many questions the model had taken when it asked: any of 1-3.
    assert re.fullmatch(r"I kø: nr\. [123] af [123] · .*", last.inner_text().strip())
    _shot(users[-1], "09_i_koe")
    from playwright.sync_api import expect

    writing = re.compile("Søger i referaterne|svaret skrives|skriver et sammendrag|kontrolleres, når det er skrevet")
    for pg in users:  # every user gets a finished answer in the end
        pg.locator("#kilder .kilde").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        expect(pg.locator("#samtale")).not_to_contain_text(writing, timeout=ANSWER_TIMEOUT_MS)
    for pg in users:
        pg.context.close()
