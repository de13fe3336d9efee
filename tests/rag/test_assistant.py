"""The assistant over a real temporary index (hash embedder, no LLM): retrieval feeds the answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.assistant import Assistant
from rag.corpus import expand_paths, ingest_files
from rag.embed import HashEmbedder
from rag.index import Index

MEETING_2021 = """Referat af møde i Byrådet, Tarmvig Kommune, den 14. marts 2021

Punkt 1. Skøjtebane ved Tarmvig Havn

Sagsfremstilling
Forvaltningen har undersøgt en kunstig skøjtebane ved havnen. Udgiften til en forundersøgelse er 200.000 kr.

Beslutning
Byrådet bestilte en forundersøgelse af skøjtebanen.

Punkt 2. Vintervedligeholdelse af veje

Beslutning
Byrådet godkendte planen for saltning af vejene.
"""

MEETING_2022 = """Referat af møde i Byrådet, Tarmvig Kommune, den 9. maj 2022

Punkt 1. Skøjtebane ved Tarmvig Havn

Sagsfremstilling
Forundersøgelsen af skøjtebanen viser en anlægsudgift på 4,2 mio. kr.

Beslutning
Byrådet godkendte anlægget af skøjtebanen ved havnen.

Punkt 2. Cykelstier

Beslutning
Byrådet godkendte to nye cykelstier.
"""


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("tarmvig")
    (root / "2021.txt").write_text(MEETING_2021, encoding="utf-8")
    (root / "2022.txt").write_text(MEETING_2022, encoding="utf-8")
    embedder = HashEmbedder(64)
    index = Index.open_or_create(root / "index", embedder)
    reports = ingest_files(expand_paths([root / "2021.txt", root / "2022.txt"]), index, embedder)
    assert [r.error for r in reports] == [None, None]
    return Assistant(root / "index", embedder)


def test_a_question_naming_two_meeting_years_is_answered_from_both(assistant: Assistant) -> None:
    a = assistant.ask("Hvad var udgiften til skøjtebanen ved havnen på møderne i 2021 og 2022?")
    assert not a.abstained
    assert [(c.date, c.number) for c in a.citations] == [("2021-03-14", "1"), ("2022-05-09", "1")]
    assert "200.000 kr." in a.text and "4,2 mio. kr." in a.text


def test_a_decision_question_naming_two_years_quotes_each_decision(assistant: Assistant) -> None:
    a = assistant.ask("Hvad besluttede Byrådet om skøjtebanen fra mødet i 2021 til mødet i 2022?")
    assert "bestilte en forundersøgelse" in a.text and "godkendte anlægget" in a.text
    assert [c.date for c in a.citations] == ["2021-03-14", "2022-05-09"]


def test_a_question_naming_one_year_is_answered_from_its_best_item_alone(assistant: Assistant) -> None:
    a = assistant.ask("Hvor stor er udgiften til en forundersøgelse af skøjtebanen i 2021?")
    assert [(c.date, c.number) for c in a.citations] == [("2021-03-14", "1")]
    assert "200.000 kr." in a.text


def test_a_year_that_dates_the_matter_does_not_hide_the_meeting_that_handled_it(assistant: Assistant) -> None:
    # The cycle paths were decided in 2022; "i 2021" here dates nothing about that meeting.
    found = assistant.retrieve("Hvor mange nye cykelstier fik byen i 2021?")
    assert ("2022-05-09", "2") in [(h.date, h.number) for h in found.hits]
    # With a meeting word the year dates the meeting: only 2021's items.
    on_meeting = assistant.retrieve("Hvad blev besluttet om cykelstier på mødet i 2021?")
    assert {h.date for h in on_meeting.hits} == {"2021-03-14"}


def test_a_year_naming_an_event_no_meeting_of_that_year_mentions_does_not_hide_the_announcing_meeting(
    tmp_path: Path,
) -> None:
    # "i 2026" with a meeting word dates a meeting; but the 2026 meetings never mention KKR Syd, which a
    # 2022 meeting announced: the year dates the event.
    announced = (
        MEETING_2022
        + "\nPunkt 3. Mødeplan\n\nSagsfremstilling\nKKR Syd holder konstituerende møde den 19. januar 2026.\n"
    )
    later = "Referat af møde i Byrådet, Tarmvig Kommune, den 12. januar 2026\n\nPunkt 1. Konstituering\n\n"
    later += "Beslutning\nByrådet valgte borgmester på sit konstituerende møde.\n"
    (tmp_path / "2022.txt").write_text(announced, encoding="utf-8")
    (tmp_path / "2026.txt").write_text(later, encoding="utf-8")
    embedder = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", embedder)
    ingest_files(expand_paths([tmp_path / "2022.txt", tmp_path / "2026.txt"]), index, embedder)
    found = Assistant(tmp_path / "index", embedder).retrieve("Hvornår holder KKR Syd sit konstituerende møde i 2026?")
    assert (found.hits[0].date, found.hits[0].number) == ("2022-05-09", "3")


def test_a_year_asked_about_leads_with_the_yearly_report_titled_by_it(tmp_path: Path) -> None:
    # Each year's complaints report is treated the year after: the 2024 meeting holds "... i 2023".
    for year in (2023, 2024):
        head = f"Referat af møde i Byrådet, Tarmvig Kommune, den 7. oktober {year + 1}\n\n"
        body = f"Punkt 1. Klagesager på det sociale område i {year}\n\nSagsfremstilling\n"
        body += f"Omgørelsesprocenten i klagesager på socialområdet var {year - 1990} % i {year}.\n"
        (tmp_path / f"{year}.txt").write_text(head + body, encoding="utf-8")
    embedder = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", embedder)
    ingest_files(expand_paths([tmp_path / "2023.txt", tmp_path / "2024.txt"]), index, embedder)
    found = Assistant(tmp_path / "index", embedder).retrieve("Hvad var omgørelsesprocenten i klagesager i 2024?")
    assert [h.title for h in found.hits] == [
        "Klagesager på det sociale område i 2024",
        "Klagesager på det sociale område i 2023",
    ]


def test_retrieval_brings_the_best_items_case_at_its_other_meetings_oldest_first(tmp_path: Path) -> None:
    meetings = {
        "ktm.txt": ("Klima-, Teknik- og Miljøudvalget", "4. maj 2023", "Ikke godkendt."),
        "oeu.txt": ("Økonomiudvalget", "5. juni 2023", "Anbefales."),
        "byr.txt": ("Byrådet", "19. juni 2023", "Godkendt."),
    }
    for name, (body, day, decided) in meetings.items():
        text = f"Referat af møde i {body}, Tarmvig Kommune, den {day}\n\nPunkt 1. Vejadgang til ny dagligvarebutik\n"
        text += f"Sagsnr.: 23/01234\n\nBeslutning\n{decided}\n\nPunkt 2. Eventuelt\n\nBeslutning\nIntet.\n"
        (tmp_path / name).write_text(text, encoding="utf-8")
    embedder = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", embedder)
    ingest_files(expand_paths([tmp_path / n for n in meetings]), index, embedder)
    found = Assistant(tmp_path / "index", embedder).retrieve("Vejadgang til ny dagligvarebutik", top_k=1)
    assert len(found.hits) == 1
    dates = ["2023-05-04", "2023-06-05", "2023-06-19"]  # the three meetings, oldest first
    assert [s.date for s in found.case] == [d for d in dates if d != found.hits[0].date]
    assert all(s.number == "1" for s in found.case)


def test_a_standing_items_case_number_brings_no_case(tmp_path: Path) -> None:
    # "Godkendelse af dagsorden" keeps one case number at every meeting of a body: it is no matter's history.
    for month in range(1, 9):
        text = f"Referat af møde i Økonomiudvalget, Tarmvig Kommune, den 10/{month} 2023\n\n"
        text += "Punkt 1. Godkendelse af dagsorden\nSagsnr.: 23/00001\n\nBeslutning\nGodkendt.\n"
        (tmp_path / f"oeu_{month}.txt").write_text(text, encoding="utf-8")
    embedder = HashEmbedder(64)
    index = Index.open_or_create(tmp_path / "index", embedder)
    ingest_files(expand_paths([tmp_path]), index, embedder)
    found = Assistant(tmp_path / "index", embedder).retrieve("Godkendelse af dagsorden", top_k=1)
    assert found.hits and found.hits[0].date and found.case == ()


def test_ingest_creates_the_index_and_a_gone_file_can_be_removed(tmp_path: Path) -> None:
    a = Assistant(tmp_path / "index", HashEmbedder(64))
    assert a.stale_documents([tmp_path]) == []  # no index yet
    (tmp_path / "marts.txt").write_text(MEETING_2021, encoding="utf-8")
    (report,) = a.ingest([tmp_path / "marts.txt"])
    assert report.doc_id == "marts" and report.error is None
    info, item = a.document("marts"), a.item("marts", "2")
    assert info is not None and info.date == "2021-03-14"
    assert item is not None and item.title == "Vintervedligeholdelse af veje"

    (tmp_path / "marts.txt").unlink()
    assert a.stale_documents([tmp_path]) == [("marts", str(tmp_path / "marts.txt"))]
    assert a.ingest([], remove=["marts"]) == []
    assert a.documents() == [] and Index.load(tmp_path / "index").documents == {}


CLOSED_2022 = (
    MEETING_2022
    + """
Punkt 3. Lukket punkt: Erstatning til Skøjteklubben Isfuglen

Sagsfremstilling
Skøjteklubben Isfuglen kræver 850.000 kr. i erstatning for den aflyste sæson.

Beslutning
Byrådet afviste kravet fra Skøjteklubben Isfuglen.
"""
)


def test_the_sibling_without_closed_items_shares_the_models_and_follows_the_parents_ingests(tmp_path: Path) -> None:
    from rag.generate import ScriptedGenerator

    made: list[ScriptedGenerator] = []

    def make() -> ScriptedGenerator:
        made.append(ScriptedGenerator(["Byrådet afviste kravet [Byrådet 09.05.2022, punkt 3]."]))
        return made[-1]

    full = Assistant(tmp_path / "index", HashEmbedder(64), generator_factory=make)
    reader = full.without_closed()
    (tmp_path / "maj.txt").write_text(CLOSED_2022, encoding="utf-8")
    full.ingest([tmp_path / "maj.txt"])
    question = "Hvad krævede Skøjteklubben Isfuglen i erstatning?"
    assert any("Isfuglen" in s.title for s in full.retrieve(question).sources)
    assert not any("Isfuglen" in f"{s.title} {s.text}" for s in reader.retrieve(question).sources)
    assert reader.item("maj", "3") is None and full.item("maj", "3") is not None
    assert [r.number for r in reader.decisions()] == ["1", "2"]
    answer = reader.ask("Hvor mange lukkede punkter var der i 2022?")
    assert "Isfuglen" not in answer.text and not answer.sources

    assert reader.generator is full.generator and len(made) == 1  # one model, loaded once
    assert reader._lock is full._lock and reader.embedder is full.embedder

    # An ingest through either reaches both: the reader's view follows the parent's reloaded index.
    closed = "\nPunkt 3. Lukket: Isfuglens gæld\n\nBeslutning\nByrådet eftergav ikke gælden.\n"
    (tmp_path / "marts.txt").write_text(MEETING_2021 + closed, encoding="utf-8")
    reader.ingest([tmp_path / "marts.txt"])
    assert full.document("marts") is not None and reader.document("marts") is not None
    assert full.item("marts", "3") is not None and reader.item("marts", "3") is None
    assert reader.document("marts").n_items == full.document("marts").n_items - 1  # type: ignore[union-attr]
    assert reader.remove_document("marts") and full.document("marts") is None

    # An ingest elsewhere (another process on the same index) reaches the reader once the parent reloads.
    Assistant(tmp_path / "index", HashEmbedder(64)).ingest([tmp_path / "marts.txt"])
    assert reader.document("marts") is None
    full.reload()
    assert reader.document("marts") is not None and reader.item("marts", "3") is None
