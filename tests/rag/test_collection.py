"""A case over time, the newest treatment, counts over the collection and a conversation, through a real
`Assistant` over the fictional municipality (tests/rag/municipality.py; hash embedder, no LLM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer import Answer
from rag.assistant import Assistant, next_turn
from rag.cases import same_title
from rag.conversation import Reading, Turn
from rag.corpus import ingest_files
from rag.embed import HashEmbedder
from rag.index import Index
from tests.rag.municipality import BIKE, COMMITTEE, write_meetings


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("tarmvig")
    embedder = HashEmbedder(64)
    index = Index.open_or_create(root / "index", embedder)
    reports = ingest_files(write_meetings(root / "docs"), index, embedder)
    assert all(r.error is None for r in reports)
    return Assistant(root / "index", embedder)


def labels(a: Answer) -> list[str]:
    return [c.label for c in a.citations]


def test_a_case_number_links_the_items_across_meetings_and_bodies_oldest_first(assistant: Assistant) -> None:
    case = assistant.case("24/00100")
    assert case is not None and case.numbered and case.title == BIKE
    assert [(s.body, s.date) for s in case.steps] == [
        (COMMITTEE, "2024-02-12"), (COMMITTEE, "2024-04-15"), (COMMITTEE, "2024-06-10"),
        ("Økonomiudvalget", "2024-06-17"), ("Byrådet", "2024-06-24"),
    ]  # fmt: skip
    assert assistant.case("cykelstien langs Skolevej") == case
    assert assistant.case("99/99999") is None


def test_how_a_case_went_is_answered_as_its_timeline_every_step_cited(assistant: Assistant) -> None:
    a = assistant.ask("Hvordan er sagen om cykelstien langs Skolevej forløbet?")
    assert a.extractive and not a.abstained and len(a.citations) == 5
    assert a.text.startswith(f"Sagen »{BIKE}« (sagsnr. 24/00100) er behandlet på 5 møder:")
    assert "12.02.2024, Børne- og Skoleudvalget, punkt 1: udsat – »Udsat." in a.text
    assert "»Udvalget sendte planen for cykelstien i høring.«" in a.text  # a decision the register cannot classify


@pytest.mark.parametrize(
    "question", ["Hvad besluttede udvalget om cykelstien på det seneste møde?", "Hvad er status for cykelstien?"]
)
def test_the_newest_treatment_leads_and_says_what_it_supersedes(assistant: Assistant, question: str) -> None:
    a = assistant.ask(question)
    assert not a.abstained and "3,4 mio. kr." in a.text.split("\n\n")[0]
    assert "12.02.2024" in a.text and "afløser de tidligere" in a.text
    assert "plan for en cykelsti langs Skolevej. Planen omfatter" not in a.text  # the superseded plan is not quoted
    newest = labels(a)[0]
    if "udvalget" in question:  # the committee's own newest decision, not the council's
        assert newest == f"{COMMITTEE} 10.06.2024, punkt 1"
    else:
        assert newest == "Byrådet 24.06.2024, punkt 1"


def test_meetings_are_counted_from_the_index_each_cited(assistant: Assistant) -> None:
    a = assistant.ask(f"Hvor mange møder holdt {COMMITTEE} i 2024?")
    assert a.text.startswith(f"{COMMITTEE} holdt 3 møder i 2024: 12.02.2024")
    assert len(a.citations) == 3
    one = assistant.ask("Hvor mange møder holdt Økonomiudvalget i 2024?")
    assert one.text.startswith("Økonomiudvalget holdt 1 møde i 2024:")  # singular


def test_postponed_items_are_counted_from_the_register_in_the_right_number(assistant: Assistant) -> None:
    a = assistant.ask("Hvor mange sager blev udsat i 2024?")
    assert a.text.startswith("Ifølge beslutningsregistret har 1 punkt udfaldet »udsat«:")
    assert labels(a) == [f"{COMMITTEE} 12.02.2024, punkt 1"]


def test_items_of_a_meeting_are_counted(assistant: Assistant) -> None:
    a = assistant.ask(f"Hvor mange punkter behandlede {COMMITTEE} på mødet den 12. februar 2024?")
    assert a.text.startswith(f"{COMMITTEE} 12.02.2024: 4 punkter.")


def converse(assistant: Assistant, questions: list[str]) -> list[tuple[Reading, Answer]]:
    previous: Turn | None = None
    out = []
    for question in questions:
        events = list(assistant.converse_stream(question, previous))
        reading, answer = events[0], events[-1]
        assert isinstance(reading, Reading) and isinstance(answer, Answer)
        out.append((reading, answer))
        previous = next_turn(reading, answer) if reading.understood else previous
    return out


def test_a_follow_up_is_answered_about_the_previous_turns_item(assistant: Assistant) -> None:
    (_, first), (reading, price) = converse(
        assistant, [f"Hvad besluttede {COMMITTEE} om skolebusserne?", "Hvad koster det?"]
    )
    assert f"{COMMITTEE} 12.02.2024, punkt 2" in labels(first)
    assert reading.understood == "Hvad koster skolebusserne?"
    assert labels(price)[0] == f"{COMMITTEE} 12.02.2024, punkt 2" and "1,8 mio. kr." in price.text
    assert "450.000" not in price.text and "600.000" not in price.text  # not the tablets' or the playground's price


def test_a_follow_up_naming_the_next_body_is_answered_from_the_case_at_that_body(assistant: Assistant) -> None:
    _, (reading, council) = converse(
        assistant, [f"Hvad besluttede {COMMITTEE} om cykelstien i juni 2024?", "Hvad besluttede Byrådet så?"]
    )
    assert reading.understood == "Hvad besluttede Byrådet så om cykelstien?"
    assert labels(council)[0] == "Byrådet 24.06.2024, punkt 1" and "anlægsbevilling på 3,4 mio. kr." in council.text


def test_a_follow_up_with_nothing_to_follow_asks_back(assistant: Assistant) -> None:
    [(reading, a)] = converse(assistant, ["Hvad koster det?"])
    assert reading.understood is None and a.abstained and a.failed == ("unresolved",)
    assert a.text.startswith("Hvad henviser »det« til?")


def test_near_identical_titles_link_items_without_case_numbers() -> None:
    assert same_title("Budget 2024 - 1. behandling", "Budget 2024 - 2. behandling")
    assert not same_title("Budget 2024", "Regnskab 2023")


def test_a_case_without_numbers_is_linked_by_title_within_one_body(tmp_path: Path) -> None:
    for day, decided in (("10. januar 2024", "Udsat."), ("14. februar 2024", "Godkendt.")):
        text = f"Referat af bestyrelsesmøde i Grundejerforeningen Lærken, den {day}\n\nPunkt 1. Ny legeplads\n\n"
        text += f"Beslutning\n{decided}\n\nPunkt 2. Eventuelt\n\nBeslutning\nIntet.\n"
        (tmp_path / f"{day[-4:]}_{day.split()[1]}.txt").write_text(text, encoding="utf-8")
    embedder = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", embedder)
    ingest_files(sorted(tmp_path.glob("*.txt")), index, embedder)
    case = Assistant(tmp_path / "index", embedder).case("ny legeplads")
    assert case is not None and not case.numbered and [s.outcome for s in case.steps] == ["udsat", "godkendt"]
