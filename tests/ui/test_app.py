"""The web app's formatting and handlers, without a browser or real models.

A scripted assistant drives the streaming chat handler; a real `Assistant` over a hash embedder
(no LLM) drives upload, briefing and the decision register on a temporary index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from ingest.errors import ModelUnavailable
from rag.answer import Answer, Checked
from rag.assistant import Assistant, Retrieved
from rag.citations import Citation, Source
from rag.conversation import Turn, read
from rag.embed import HashEmbedder
from rag.filters import Filters
from rag.index import DocumentInfo
from rag.ingest_progress import IngestProgress
from ui import app as ui

MIDTTRAFIK = Source(
    doc_id="003",
    number="6",
    title="Midttrafiks indtægtsfordelingsmodel",
    body="KD-Net",
    date="2021-01-22",
    text="Indledning. Modellen indfases over tre år. Slut.",
    decision=("KD-Net godkendte processen og den foreslåede indfasning.",),
    outcome="godkendt",
    excerpts=("Modellen indfases over tre år.",),
)
EVIL = Source(
    doc_id="666",
    number="1",
    title="<script>alert('titel')</script>",
    body="Byrådet",
    date="2023-03-14",
    text="Før <img src=x onerror=alert(1)> efter.",
    excerpts=("<img src=x onerror=alert(1)>",),
)


class ScriptedAssistant:
    """Yields what `Assistant.converse_stream` yields: the reading (a question read as itself, or the scripted
    `understood`), sources, draft tokens, then the final answer."""

    def __init__(self, answer_text: str, tokens: tuple[str, ...] = ("KD-Net ", "godkendte")) -> None:
        self.answer_text = answer_text
        self.tokens = tokens
        self.filters: list[Filters] = []

    def converse_stream(self, question: str, previous: Turn | None, *, filters: Filters | None = None) -> Iterator[Any]:
        self.previous = previous
        reading = read(question, previous)
        yield reading
        yield from self.ask_stream(reading.understood or question, filters=filters)

    def ask_stream(self, question: str, *, filters: Filters | None = None) -> Iterator[Any]:
        self.filters.append(filters or Filters())
        yield Retrieved(question, (), (MIDTTRAFIK,), filters or Filters(), 0.01)
        yield from self.tokens
        yield Answer(question, self.answer_text, (Citation.of(MIDTTRAFIK),), (MIDTTRAFIK,))


# -- formatting ------------------------------------------------------------------------------


def test_card_has_anchor_decision_and_whole_item_with_passage_marked() -> None:
    card = ui.source_card(1, MIDTTRAFIK, "Hvad besluttede KD-Net om Midttrafik?")
    assert 'id="kilde-1"' in card
    assert 'data-label="KD-Net 22.01.2021, punkt 6"' in card
    assert "22.01.2021 · punkt 6" in card
    assert "Beslutning (godkendt):</b> KD-Net godkendte processen" in card
    assert "<details><summary>Vis hele punktet</summary>" in card
    assert "Indledning. <mark>Modellen indfases over tre år.</mark> Slut." in card


def test_card_escapes_document_text() -> None:
    card = ui.source_card(2, EVIL)
    assert "<script>" not in card and "<img" not in card
    assert "&lt;script&gt;" in card and "&lt;img src=x onerror=alert(1)&gt;" in card
    assert "Ingen beslutning fundet" in card


def test_cards_numbered_in_order_and_empty_message() -> None:
    html = ui.source_cards([MIDTTRAFIK, EVIL])
    assert html.index('id="kilde-1"') < html.index('id="kilde-2"')
    assert "Kilder (2)" in html
    assert "Ingen punkter passer" in ui.source_cards([])


def test_citations_link_to_their_card_and_unknown_ones_stay_text() -> None:
    text = "Godkendt [KD-Net 22.01.2021, punkt 6] men ikke [Byrådet 01.01.2020, punkt 9] <b>x</b>."
    linked = ui.link_citations(text, [EVIL, MIDTTRAFIK])
    assert '<a href="#kilde-2" class="kilde-link">[KD-Net 22.01.2021, punkt 6]</a>' in linked
    assert "[Byrådet 01.01.2020, punkt 9]" in linked and "#kilde-1" not in linked
    assert "&lt;b&gt;x&lt;/b&gt;" in linked


def test_abstained_and_extractive_answers_say_so() -> None:
    abstain = Answer("q", "Det står ikke i dokumenterne.", (), (MIDTTRAFIK,), abstained=True)
    assert "nærmeste punkter" in ui.format_answer(abstain, [MIDTTRAFIK])
    why = Answer("q", "Det står ikke i dokumenterne.", (), (), abstained=True, problems=("punktet nævner ingen *FGU*",))
    assert "Hvorfor: punktet nævner ingen \\*FGU\\*" in ui.format_answer(why, [])
    fallback = Answer("q", "»x« [KD-Net 22.01.2021, punkt 6]", (), (), extractive=True, problems=("p",))
    shown = ui.format_answer(fallback, [MIDTTRAFIK])
    assert "bestod ikke kontrollen" in shown and 'href="#kilde-1"' in shown


# -- chat handler ----------------------------------------------------------------------------


def test_ask_streams_sources_first_then_draft_then_linked_answer() -> None:
    a = ScriptedAssistant("KD-Net godkendte processen [KD-Net 22.01.2021, punkt 6].")
    steps = list(ui.ask(a, "Hvad besluttede KD-Net om Midttrafik?", [], ["KD-Net"], "2021-01-01", ""))
    history, cards, box, _turn = steps[0]
    assert history[-1]["content"] == ui.SEARCHING and cards == ui.NO_SOURCES and box == ""
    history, cards, _, _turn = steps[1]
    assert 'id="kilde-1"' in cards and history[-1]["content"] == ui.WRITING
    assert steps[2][0][-1]["content"].startswith(ui.DRAFT)
    assert steps[3][0][-1]["content"].endswith("KD-Net godkendte")
    final = steps[-1][0]
    assert [m["role"] for m in final] == ["user", "assistant"]
    assert '<a href="#kilde-1" class="kilde-link">' in final[-1]["content"]
    assert a.filters == [Filters(bodies=("KD-Net",), date_from="2021-01-01")]


QUOTED = Answer(
    "q", "Fra dokumenterne: »Modellen indfases over tre år.« [KD-Net 22.01.2021, punkt 6]",
    (Citation.of(MIDTTRAFIK),), (MIDTTRAFIK,), extractive=True,
)  # fmt: skip


class QuotingAssistant(ScriptedAssistant):
    """Yields what `Assistant.ask_stream` yields with a model: sources, the checked quotes, the summary's
    tokens, then the final answer."""

    def __init__(self, final: Answer) -> None:
        super().__init__(final.text, tokens=("Over ", "tre år."))
        self.final = final

    def ask_stream(self, question: str, *, filters: Filters | None = None) -> Iterator[Any]:
        yield Retrieved(question, (), (MIDTTRAFIK,), filters or Filters(), 0.01)
        yield Checked(QUOTED)
        yield from self.tokens
        yield self.final


def test_ask_shows_the_checked_quotes_first_then_the_summary_under_them() -> None:
    summary = "Modellen indfases over tre år [KD-Net 22.01.2021, punkt 6]."
    kept = Answer("q", f"{summary}\n\n{QUOTED.text}", QUOTED.citations, (MIDTTRAFIK,), summary=summary)
    asked = ui.ask(QuotingAssistant(kept), "Hvor hurtigt indfases modellen?", [])
    steps = [h[-1]["content"] for h, _c, _b, _t in asked]
    checked, first_token, last_token, final = steps[2:]
    assert checked.startswith("Fra dokumenterne: »Modellen indfases") and 'href="#kilde-1"' in checked
    assert checked.endswith(ui.SUMMARY_PENDING)
    assert first_token.index("Fra dokumenterne") < first_token.index(ui.SUMMARY_DRAFT) and first_token.endswith("Over ")
    assert last_token.endswith("Over tre år.")
    assert (
        final.index("Fra dokumenterne")
        < final.index(ui.SUMMARY_KEPT)
        < final.index("Modellen indfases over tre år <a href")
    )
    assert "udkast" not in final and final.count('class="kilde-link"') == 2


def test_a_dropped_summary_leaves_the_quotes_with_the_reason() -> None:
    dropped = Answer(
        "q", QUOTED.text, QUOTED.citations, (MIDTTRAFIK,), extractive=True, problems=("svaret har ingen henvisninger",)
    )
    final = list(ui.ask(QuotingAssistant(dropped), "Hvor hurtigt indfases modellen?", []))[-1][0][-1]["content"]
    assert final.startswith("Fra dokumenterne: »Modellen indfases")
    assert "_Modellens sammendrag blev droppet: svaret har ingen henvisninger._" in final
    assert "Over tre år" not in final and "Sammendrag fra modellen" not in final


def test_ask_keeps_earlier_turns() -> None:
    a = ScriptedAssistant("Svar [KD-Net 22.01.2021, punkt 6].", tokens=())
    earlier = [{"role": "user", "content": "før"}, {"role": "assistant", "content": "svar før"}]
    final = list(ui.ask(a, "igen?", earlier))[-1][0]
    assert len(final) == 4 and final[0]["content"] == "før"


def test_a_follow_up_is_read_against_the_previous_turn_and_the_reading_is_shown() -> None:
    a = ScriptedAssistant("Svar [KD-Net 22.01.2021, punkt 6].", tokens=())
    *_, (history, _cards, _box, turn) = ui.ask(a, "Hvad besluttede KD-Net om Midttrafik?", [])
    assert turn == Turn(
        "Hvad besluttede KD-Net om Midttrafik?", "Hvad besluttede KD-Net om Midttrafik?", (Citation.of(MIDTTRAFIK),),
        f"{MIDTTRAFIK.title}\n{MIDTTRAFIK.text}",
    )  # fmt: skip
    *_, (history, _cards, _box, after) = ui.ask(a, "Hvad koster det?", history, previous=turn)
    assert a.previous == turn and a.filters[-1] == Filters()
    assert history[-1]["content"].startswith("_Forstået som: Hvad koster Midttrafik?_")
    assert after is not None and after.understood == "Hvad koster Midttrafik?"


def test_a_follow_up_without_a_previous_turn_asks_what_it_refers_to() -> None:
    a = ScriptedAssistant("x", tokens=())
    a.converse_stream = lambda q, previous, filters=None: Assistant.converse_stream(a, q, previous)  # type: ignore
    *_, (history, _cards, _box, turn) = ui.ask(a, "Hvad koster det?", [])
    assert "Hvad henviser »det« til?" in history[-1]["content"] and turn is None


def test_typing_start_forfra_clears_the_conversation() -> None:
    a = ScriptedAssistant("x", tokens=())
    earlier = [{"role": "user", "content": "før"}, {"role": "assistant", "content": "svar før"}]
    turn = Turn("før", "før")
    assert list(ui.ask(a, "Start forfra", earlier, previous=turn)) == [([], ui.NO_SOURCES, "", None)]


def test_starting_over_while_an_answer_streams_stops_it() -> None:
    a = ScriptedAssistant("Svar [KD-Net 22.01.2021, punkt 6].", tokens=("KD-Net ", "godkendte"))
    restarted = False
    stream = ui.ask(a, "Hvad besluttede KD-Net om Midttrafik?", [], stopped=lambda: restarted)
    next(stream), next(stream)  # searching, then the sources
    restarted = True
    assert list(stream) == [([], ui.NO_SOURCES, "", None)]  # the old answer and its turn do not come back


@pytest.mark.parametrize(
    ("question", "date_from", "message"),
    [("", "", "Skriv et spørgsmål"), ("Hvad?", "22-01-2021", "Ugyldigt filter")],
)
def test_ask_rejects_empty_question_and_bad_dates(question: str, date_from: str, message: str) -> None:
    with pytest.raises(gr.Error, match=message):
        list(ui.ask(ScriptedAssistant("x"), question, [], None, date_from, ""))


def test_start_over_empties_chat_sources_question_and_filters() -> None:
    assert ui.start_over() == ([], ui.NO_SOURCES, "", [], "", "", None)


# -- with a real assistant over a temporary index ---------------------------------------------

TARMVIG = """Referat af møde i Byrådet, Tarmvig Kommune, den 14. marts 2023

Punkt 1. Godkendelse af dagsorden

Beslutning
Dagsordenen blev godkendt.

Punkt 2. Ny kunstig skøjtebane ved Tarmvig Havn

Sagsfremstilling
Forvaltningen foreslår en kunstig skøjtebane ved Tarmvig Havn. Anlægsudgiften er 4,2 mio. kr.

Beslutning
Byrådet godkendte etableringen af den kunstige skøjtebane ved Tarmvig Havn.
"""


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    return Assistant(tmp_path / "index", HashEmbedder(64))


@pytest.fixture
def uploaded(assistant: Assistant, tmp_path: Path) -> str:
    good = tmp_path / "tarmvig.txt"
    good.write_text(TARMVIG, encoding="utf-8")
    bad = tmp_path / "tom.txt"
    bad.write_text("", encoding="utf-8")
    progress: list[IngestProgress] = []
    report = ui.ingest_uploads(assistant, [str(good), str(bad)], on_progress=progress.append)
    assert [(p.files_done, p.files_total) for p in progress] == [(0, 2), (1, 2), (2, 2)]
    # tarmvig.txt's chunks are counted; the empty file adds none and no bytes
    assert progress[0].chunks_embedded == 0 and progress[1].chunks_embedded == progress[2].chunks_embedded > 0
    assert progress[1].bytes_done == progress[2].bytes_done == good.stat().st_size == progress[0].bytes_total
    assert progress[-1].fraction == 1.0 and progress[-1].eta_s == 0.0
    return report


def test_upload_reports_each_file_and_is_searchable_at_once(assistant: Assistant, uploaded: str) -> None:
    assert "1 af 2 filer indlæst" in uploaded
    assert "**OK** tarmvig.txt: 2 punkter indlæst" in uploaded
    assert "**FEJL** tom.txt:" in uploaded
    assert ui.body_choices(assistant) == ["Byrådet"]
    found = assistant.retrieve("skøjtebane Tarmvig Havn")
    assert found.sources[0].label == "Byrådet 14.03.2023, punkt 2"
    steps = list(ui.ask(assistant, "Hvad besluttede Byrådet om skøjtebanen?", []))
    assert 'data-label="Byrådet 14.03.2023, punkt 2"' in steps[-1][1]
    assert "godkendte etableringen" in steps[-1][0][-1]["content"]


def test_upload_without_files_is_an_error(assistant: Assistant) -> None:
    with pytest.raises(gr.Error, match="Vælg"):
        ui.ingest_uploads(assistant, [])


def test_body_choices_without_an_index_is_empty(assistant: Assistant) -> None:
    assert ui.body_choices(assistant) == []


def test_briefing_downloads_as_markdown_and_docx(assistant: Assistant, uploaded: str, tmp_path: Path) -> None:
    import docx

    md, md_path, docx_path = ui.make_brief(assistant, "skøjtebane", [], "", "", out_dir=tmp_path)
    assert md.startswith("# Overblik: skøjtebane")
    assert Path(md_path).read_text(encoding="utf-8") == md
    paragraphs = [p.text for p in docx.Document(docx_path).paragraphs]
    assert paragraphs[0] == "Overblik: skøjtebane"
    assert any("[Byrådet 14.03.2023, punkt 2]" in p for p in paragraphs)


def test_decision_table_filters_and_a_row_opens_its_item(assistant: Assistant, uploaded: str) -> None:
    rows = ui.decision_rows(assistant, ["Byrådet"], "", "", ui.ALL)
    assert [r[2] for r in rows] == ["1", "2"]
    assert rows[1][:5] == ["Byrådet", "14.03.2023", "2", "Ny kunstig skøjtebane ved Tarmvig Havn", "godkendt"]
    assert ui.decision_rows(assistant, ["KD-Net"], "", "", ui.ALL) == []
    shown = ui.selected_item(assistant, rows, [1, 3])
    assert "Anlægsudgiften er 4,2 mio. kr." in shown and "Beslutning (godkendt)" in shown
    assert ui.selected_item(assistant, rows, [0, 0], row_value=rows[1]) == shown


# A later meeting of the same body, with a closing line after its last item (an unnumbered part that decides
# nothing), and an agenda for a meeting after that (its items decide nothing yet).
MAY = """Referat af møde i Byrådet, Tarmvig Kommune, den 9. maj 2023

Tid og sted: Tirsdag den 9. maj 2023, kl. 17.00, Byrådssalen

Punkt 1. Godkendelse af dagsorden

Beslutning
Dagsordenen blev godkendt.

Punkt 2. Orientering om skøjtebanens første sæson

Beslutning
Byrådet tog orienteringen til efterretning.

Punkt 10. Salg af grund ved Tarmvig Havn

Beslutning
Byrådet godkendte salget af grunden.

Referent: Jens Hansen
"""
JUNE_AGENDA = """Dagsorden til møde i Byrådet, Tarmvig Kommune, den 13. juni 2023

Punkt 1. Godkendelse af dagsorden

Indstilling
Det indstilles, at dagsordenen godkendes.

Punkt 2. Budget 2024

Sagsfremstilling
Forvaltningen fremlægger forslaget til budget 2024.
"""


@pytest.fixture
def meetings(assistant: Assistant, uploaded: str, tmp_path: Path) -> Assistant:
    """The March minutes (uploaded), the May minutes and the June agenda, all of Byrådet."""
    may = tmp_path / "tarmvig_maj.txt"
    may.write_text(MAY, encoding="utf-8")
    june = tmp_path / "dagsorden_juni.txt"
    june.write_text(JUNE_AGENDA, encoding="utf-8")
    assert "2 af 2 filer indlæst" in ui.ingest_uploads(assistant, [may, june])
    return assistant


def _numbers(rows: list[list[str]]) -> list[tuple[str, str]]:
    return [(r[1], r[2]) for r in rows]


def test_register_shows_the_newest_meeting_first_and_its_items_in_order(meetings: Assistant) -> None:
    rows = ui.decision_rows(meetings, [], "", "", ui.ALL)
    assert _numbers(rows) == [
        ("09.05.2023", "1"), ("09.05.2023", "2"), ("09.05.2023", "10"),
        ("14.03.2023", "1"), ("14.03.2023", "2"),
    ]  # fmt: skip


def test_register_leaves_out_items_that_decide_nothing_unless_asked(meetings: Assistant) -> None:
    shown = ui.decision_rows(meetings, [], "", "", ui.ALL)
    assert all(r[4] != "ingen" and r[2] != "-" for r in shown)
    everything = ui.decision_rows(meetings, [], "", "", ui.ALL, True)
    # The register puts a meeting's unnumbered parts before its items.
    assert _numbers(everything) == [
        ("13.06.2023", "1"), ("13.06.2023", "2"),
        ("09.05.2023", "-"), ("09.05.2023", "1"), ("09.05.2023", "2"), ("09.05.2023", "10"),
        ("14.03.2023", "1"), ("14.03.2023", "2"),
    ]  # fmt: skip
    # Choosing the outcome "ingen" is asking for them: the agenda's items and the minutes' closing line.
    nothing = ui.decision_rows(meetings, [], "", "", "ingen")
    assert _numbers(nothing) == [("13.06.2023", "1"), ("13.06.2023", "2"), ("09.05.2023", "-")]
    assert _numbers(ui.decision_rows(meetings, [], "", "", "taget til efterretning")) == [("09.05.2023", "2")]


def test_register_filters_by_date_and_a_row_opens_its_item_after_the_reorder(meetings: Assistant) -> None:
    rows = ui.decision_rows(meetings, ["Byrådet"], "2023-04-01", "", ui.ALL)
    assert _numbers(rows) == [("09.05.2023", "1"), ("09.05.2023", "2"), ("09.05.2023", "10")]
    assert ui.decision_rows(meetings, [], "2023-01-01", "2023-03-31", ui.ALL)[1][3] == (
        "Ny kunstig skøjtebane ved Tarmvig Havn"
    )
    everything = ui.decision_rows(meetings, [], "", "", ui.ALL, True)
    opened = ui.selected_item(meetings, everything, [6, 2])  # 14.03.2023, punkt 1
    assert "14.03.2023 · punkt 1" in opened and "Dagsordenen blev godkendt." in opened
    shown = ui.selected_item(meetings, everything, [0, 0], row_value=everything[5])  # 09.05.2023, punkt 10
    assert "09.05.2023 · punkt 10" in shown and "godkendte salget af grunden" in shown
    closing = ui.selected_item(meetings, everything, [2, 0])
    assert "indledning" in closing and "Referent: Jens Hansen" in closing


def test_register_without_an_index_is_empty(assistant: Assistant) -> None:
    assert ui.decision_rows(assistant, [], "", "", ui.ALL) == []


def test_documents_read_by_body_date_and_title_not_by_file_id(meetings: Assistant) -> None:
    rows = ui.document_rows(meetings)
    assert [r[: len(ui.DOCUMENT_HEADERS)] for r in rows] == [
        ["Byrådet", "13.06.2023", "Dagsorden til møde i Byrådet, Tarmvig Kommune, den 13. juni 2023", "Dagsorden",
         "2", "dagsorden_juni.txt"],
        ["Byrådet", "09.05.2023", "Referat af møde i Byrådet, Tarmvig Kommune, den 9. maj 2023", "Referat", "4",
         "tarmvig_maj.txt"],
        ["Byrådet", "14.03.2023", "Referat af møde i Byrådet, Tarmvig Kommune, den 14. marts 2023", "Referat", "2",
         "tarmvig.txt"],
    ]  # fmt: skip
    assert [r[-1] for r in rows] == ["dagsorden_juni", "tarmvig_maj", "tarmvig"]
    assert ui.shown_documents(rows) == [r[:-1] for r in rows]
    assert all("tarmvig_maj" not in cell for r in ui.shown_documents(rows) for cell in r[:5])
    assert ui.document_choices(rows)[1] == (
        "Byrådet · 09.05.2023 · Referat af møde i Byrådet, Tarmvig Kommune, den 9. maj 2023",
        "tarmvig_maj",
    )
    assert "Fjernet" in ui.remove_document(meetings, ui.document_choices(rows)[1][1])
    assert [r[1] for r in ui.document_rows(meetings)] == ["13.06.2023", "14.03.2023"]


def test_two_documents_that_read_the_same_are_told_apart_by_file_name() -> None:
    rows = [
        ["Byrådet", "14.03.2023", "Referat", "Referat", "2", "marts.pdf", "marts"],
        ["Byrådet", "14.03.2023", "Referat", "Referat", "2", "marts_rettet.pdf", "marts_rettet"],
        ["KD-Net", "", "Referat", "Referat", "3", "kd.pdf", "kd"],
    ]
    assert ui.document_choices(rows) == [
        ("Byrådet · 14.03.2023 · Referat (marts.pdf)", "marts"),
        ("Byrådet · 14.03.2023 · Referat (marts_rettet.pdf)", "marts_rettet"),
        ("KD-Net · Referat", "kd"),
    ]


def _info(head: str, source: str = "/upload/byraadet_marts.pdf") -> DocumentInfo:
    return DocumentInfo("hash", source, "Byrådet", "2023-03-14", "referat", 2, 2, "", head)


@pytest.mark.parametrize(
    ("head", "opening", "title"),
    [
        ("Byråd 2022-2025 Referat 15. maj 2023 kl. 19.00 Sted: Byrådssalen Deltagere: John T. Olsen", None,
         "Byråd 2022-2025 Referat 15. maj 2023"),
        ("REFERAT Udvalg for lighed i sundhed d. 21-02-2024 Mødedato Onsdag d. 21. februar 2024 kl. 09:00", None,
         "REFERAT Udvalg for lighed i sundhed d. 21-02-2024"),
        ("Generalforsamling: 9. februar 2010 på Næsbyhovedskoven. Der var mødt 62 personer i alt", None,
         "Generalforsamling: 9. februar 2010 på Næsbyhovedskoven"),
        ("Dagsorden for bestyrelsesmøde i IMADA Fagråd Dagsorden for bestyrelsesmøde i IMADA Fagråd 13. December, "
         "2024 kl. 13.00 i Saunaen", None, "Dagsorden for bestyrelsesmøde i IMADA Fagråd 13. December, 2024"),
        ("Til mødet i Kontaktudvalget den 23. august 2019 Inspirationspapir til dialogen i Kontaktudvalget om den "
         "politiske forståelse mellem Socialdemokratiet", None,
         "Til mødet i Kontaktudvalget den 23. august 2019 Inspirationspapir til dialogen i Kontaktudvalget om …"),
        ("", "Sager på vej – Sundhed og Omsorg 2025", "Sager på vej – Sundhed og Omsorg 2025"),
        ("", None, "byraadet_marts"),
    ],
)  # fmt: skip
def test_document_title_is_the_documents_own_opening(head: str, opening: str | None, title: str) -> None:
    assert ui.document_title(_info(head), opening) == title
    assert len(ui.document_title(_info(head), opening)) <= ui.TITLE_CHARS + 2


def test_a_document_without_items_is_titled_by_its_first_line(assistant: Assistant, tmp_path: Path) -> None:
    notes = tmp_path / "noter_123.txt"
    notes.write_text("Sager på vej – Sundhed og Omsorg 2025\nTil: Udvalget\nSag om plejehjem.\n", encoding="utf-8")
    ui.ingest_uploads(assistant, [notes])
    assert ui.document_rows(assistant)[0][2] == "Sager på vej – Sundhed og Omsorg 2025"


def _handler(demo: gr.Blocks, name: str, event: str) -> tuple[Any, list[Any]]:
    """The function `demo` runs on `event` (named `name`) and its inputs' values as they start out."""
    fns = [f for f in demo.fns.values() if f.name == name and any(t[1] == event for t in f.targets)]
    assert len(fns) == 1, f"{name} on {event}: {fns}"
    return fns[0], [c.value for c in fns[0].inputs]


def _outputs(fn: Any, values: tuple[Any, ...]) -> dict[str, Any]:
    """Output values by elem_id (or by kind for a State)."""
    return {c.elem_id or type(c).__name__: v for c, v in zip(fn.outputs, values, strict=True)}


def test_the_app_opens_with_the_register_documents_and_bodies_filled(meetings: Assistant) -> None:
    fn, inputs = _handler(ui.build_app(meetings), "on_load", "load")
    out = _outputs(fn, fn.fn(*inputs))
    register = ui.decision_rows(meetings, [], "", "", ui.ALL)
    assert out["beslutninger-tabel"] == register and out["State"] == register
    assert out["beslutninger-tabel"][0][1] == "09.05.2023"
    assert out["dokument-tabel"] == ui.shown_documents(ui.document_rows(meetings))
    assert [v for _label, v in out["fjern-valg"]["choices"]] == ["dagsorden_juni", "tarmvig_maj", "tarmvig"]
    assert out["organ"]["choices"] == ["Byrådet"]


def test_the_checkbox_and_the_outcome_refill_the_register(meetings: Assistant) -> None:
    demo = ui.build_app(meetings)
    checkbox = next(c for c in demo.blocks.values() if getattr(c, "elem_id", None) == "vis-alle")
    assert isinstance(checkbox, gr.Checkbox) and checkbox.value is False
    assert checkbox.label == "Vis også punkter uden beslutning"
    for trigger, (outcome, show_all) in {"vis-alle": (ui.ALL, True), "udfald": ("ingen", False)}.items():
        fns = [
            f for f in demo.fns.values()
            if f.name == "on_decisions" and any(demo.blocks[t[0]].elem_id == trigger for t in f.targets)
        ]  # fmt: skip
        assert len(fns) == 1, trigger
        table, state = fns[0].fn([], "", "", outcome, show_all)
        assert ("13.06.2023", "1") in _numbers(table) and state == table


def test_removing_and_ingesting_refresh_bodies_documents_and_register(meetings: Assistant, tmp_path: Path) -> None:
    demo = ui.build_app(meetings)
    fn, _inputs = _handler(demo, "on_remove", "click")
    out = _outputs(fn, fn.fn("tarmvig_maj", [], "", "", ui.ALL, False))
    assert "Fjernet" in out["fjern-rapport"]
    assert _numbers(out["beslutninger-tabel"]) == [("14.03.2023", "1"), ("14.03.2023", "2")]
    assert [r[1] for r in out["dokument-tabel"]] == ["13.06.2023", "14.03.2023"]
    assert out["organ"]["choices"] == ["Byrådet"]

    other = tmp_path / "kd_net.txt"
    other.write_text(TARMVIG.replace("Byrådet, Tarmvig Kommune", "KD-Net").replace("Byrådet", "KD-Net"), "utf-8")
    fn, _inputs = _handler(demo, "on_ingest", "click")
    out = _outputs(fn, fn.fn([str(other)], ["KD-Net"], "", "", ui.ALL, False, progress=lambda *a, **k: None))
    assert out["organ"]["choices"] == ["Byrådet", "KD-Net"]
    assert {r[0] for r in out["beslutninger-tabel"]} == {"KD-Net"}
    assert "KD-Net" in {r[0] for r in out["dokument-tabel"]}


def test_build_app_loads_nothing() -> None:
    class Untouchable:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"build_app touched assistant.{name}")

    demo = ui.build_app(Untouchable())
    assert isinstance(demo, gr.Blocks)


@pytest.mark.parametrize("at_once", [1, ui.PARALLEL_ANSWERS])
def test_answers_and_ingests_share_one_limit_and_the_ask_handler_has_an_api_name(at_once: int) -> None:
    demo = ui.build_app(Assistant(Path("unused"), HashEmbedder(8)), answers_at_once=at_once)
    fns = [f for f in demo.fns.values() if f.name in ("on_ask", "on_ingest")]
    assert len(fns) == 3  # asked by the button, by Enter; the ingest
    assert {(f.concurrency_id, f.concurrency_limit) for f in fns} == {("model", at_once)}
    assert ui.ASK_API in {f.api_name for f in fns}


def test_a_local_model_answers_one_at_a_time_and_a_model_server_in_parallel(tmp_path: Path) -> None:
    from rag.generate import LlamaCppGenerator, OpenAIGenerator

    def with_model(generator: Any) -> Assistant:
        return Assistant(tmp_path, HashEmbedder(8), generator_factory=lambda: generator)

    local = LlamaCppGenerator(tmp_path / "missing.gguf")  # never loaded: only its class is asked
    assert ui.answer_concurrency(with_model(local)) == 1
    server = OpenAIGenerator("qwen", "http://127.0.0.1:9/v1")
    assert ui.answer_concurrency(with_model(server)) == ui.PARALLEL_ANSWERS

    def missing() -> Any:
        raise ModelUnavailable("No GGUF model: run `referat models provision`")

    assert ui.answer_concurrency(Assistant(tmp_path, HashEmbedder(8), generator_factory=missing)) == 1


def test_a_library_error_is_shown_with_its_message(uploaded: str, tmp_path: Path) -> None:
    other = Assistant(tmp_path / "index", HashEmbedder(32))  # the index was built with hash-64
    with pytest.raises(gr.Error, match="was built with hash-64"):
        ui.document_rows(other)
    with pytest.raises(gr.Error, match="was built with hash-64"):
        ui.decision_rows(other, [], "", "", ui.ALL)
