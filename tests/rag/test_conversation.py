"""Reading a follow-up against the previous turn (rag.conversation), as a table of real Danish follow-ups."""

from __future__ import annotations

import pytest

from rag.citations import Citation
from rag.conversation import Turn, own_topic, previous_topic, read, topic_phrase

BUSES = Turn(
    "Hvad besluttede Børne- og Skoleudvalget om skolebusserne?",
    "Hvad besluttede Børne- og Skoleudvalget om skolebusserne?",
    (Citation("bsu", "2", "Skolebusser til Nordskolen", "Børne- og Skoleudvalget", "2024-02-12"),),
    "Skolebusser til Nordskolen\nKontrakten om skolebusserne til Nordskolen koster 1,8 mio. kr. om året.",
)
MAST = Turn(
    "Hvad ville Klima-, Teknik- og Miljøudvalget i februar 2025 gøre med lejekontrakten for mobilmasten?",
    "Hvad ville Klima-, Teknik- og Miljøudvalget i februar 2025 gøre med lejekontrakten for mobilmasten?",
    (Citation("ktm", "9", "Mobilmast ved Greve Borgerhus", "Klima-, Teknik- og Miljøudvalget", "2025-02-06"),),
    "Mobilmast ved Greve Borgerhus\nKommunen mister en lejeindtægt på 60.000 kr. om året, hvis kontrakten opsiges.",
)


@pytest.mark.parametrize(
    ("question", "previous", "understood"),
    [
        # a pronoun stands for the previous topic
        ("Hvad koster det?", BUSES, "Hvad koster skolebusserne?"),
        ("Hvornår blev den godkendt?", BUSES, "Hvornår blev skolebusserne godkendt?"),
        ("Hvem foreslog det?", BUSES, "Hvem foreslog skolebusserne?"),
        # a new time or body asks the previous question again
        ("Og i 2022?", BUSES, "Hvad besluttede Børne- og Skoleudvalget om skolebusserne i 2022?"),
        ("Og Økonomiudvalget?", BUSES, "Hvad besluttede Økonomiudvalget om skolebusserne?"),
        ("Hvad med Byrådet?", BUSES, "Hvad besluttede Byrådet om skolebusserne?"),
        ("Og hvad sagde Økonomiudvalget?", BUSES, "Hvad sagde Økonomiudvalget om skolebusserne?"),
        # no topic of its own: the previous one is added
        ("Hvad besluttede Byrådet så?", BUSES, "Hvad besluttede Byrådet så om skolebusserne?"),
        ("Hvad er status nu?", BUSES, "Hvad er status nu for skolebusserne?"),
        # its own words, pointing back at what the previous answer cited
        (
            "Hvor meget mister kommunen i lejeindtægt om året?",
            MAST,
            "Hvor meget mister kommunen i lejeindtægt om året (om »Mobilmast ved Greve Borgerhus«) i februar 2025?",
        ),
        # parallel places and years
        (
            "Og i Norddjurs?",
            Turn("q", "Hvem skal som minimum deltage i møderne i Struer?"),
            "Hvem skal som minimum deltage i møderne i Norddjurs?",
        ),
        (
            "Og for 2023?",
            Turn("q", "Skulle der ændres noget, da Greve bestilte bustrafik hos Movia for 2026?"),
            "Skulle der ændres noget, da Greve bestilte bustrafik hos Movia for 2023?",
        ),
        # the previous answer's first item, by its place
        ("Hvad med den første?", BUSES, "Hvad besluttede Børne- og Skoleudvalget om Skolebusser til Nordskolen?"),
    ],
)
def test_a_follow_up_is_read_against_the_previous_turn(question: str, previous: Turn, understood: str) -> None:
    reading = read(question, previous)
    assert reading.followup and reading.understood == understood and reading.rewritten


@pytest.mark.parametrize(
    "question",
    [
        "Hvad besluttede KD-Net om Midttrafik?",
        "Hvor mange møder holdt Social- og Handicapudvalget i 2024?",
        "Hvad koster det nye rådhus i Tarmvig?",
    ],
)
def test_a_question_of_its_own_is_read_as_it_is(question: str) -> None:
    reading = read(question, BUSES)
    assert not reading.followup and reading.understood == question and not reading.rewritten


@pytest.mark.parametrize("question", ["Hvad koster det?", "Og i 2022?", "Hvad besluttede Byrådet så?"])
def test_a_follow_up_with_nothing_before_it_is_asked_back(question: str) -> None:
    reading = read(question, None)
    assert reading.understood is None and reading.ask_back and reading.ask_back.endswith("spørger om.")


def test_the_second_of_one_item_is_asked_back() -> None:
    reading = read("Hvad med den anden?", BUSES)
    assert reading.understood is None and "1 punkt" in (reading.ask_back or "")


def test_a_follow_up_about_the_same_thing_prefers_its_items_and_one_naming_a_body_does_not() -> None:
    assert read("Hvad koster det?", BUSES).same_items
    byraadet = read("Hvad besluttede Byrådet så?", BUSES)
    assert not byraadet.same_items and byraadet.bodies == ("Byrådet",)


def test_the_previous_topic_is_what_it_asked_about_else_the_title_it_cited() -> None:
    assert previous_topic(BUSES) == "skolebusserne"
    assert previous_topic(MAST) == "»Mobilmast ved Greve Borgerhus«"
    assert (
        topic_phrase("Blev studieturen til Bruxelles evalueret på mødet?")
        == "studieturen til Bruxelles evalueret på mødet"
    )


def test_own_topic_leaves_out_question_words_bodies_and_time() -> None:
    assert own_topic("Hvad anbefalede Sundheds- og Omsorgsudvalget så i januar?") == []
    assert own_topic("Og cykelstien?") == ["cykelsti"]


@pytest.mark.parametrize(
    "question",
    ["Hvilke sager blev godkendt i 2023?", "Hvor mange punkter behandlede Byrådet på mødet den 6. februar 2023?"],
)
def test_a_first_question_about_a_time_or_body_of_the_archive_is_answered_not_asked_back(question: str) -> None:
    reading = read(question, None)
    assert reading.ask_back is None and reading.understood == question


def test_a_count_of_a_meeting_in_a_conversation_stands_on_its_own() -> None:
    question = "Hvor mange punkter behandlede Byrådet på mødet den 15. maj 2023?"
    reading = read(question, BUSES)
    assert not reading.followup and reading.understood == question
