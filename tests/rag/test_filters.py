"""Filters on body, date and document, and the Danish time phrases that imply a date filter."""

from __future__ import annotations

import pytest

from ingest.errors import ConfigError
from rag.filters import Filters, filters_from_question


@pytest.mark.parametrize(
    ("question", "date_from", "date_to"),
    [
        ("Hvad besluttede KD-Net i 2021?", "2021-01-01", "2021-12-31"),
        ("Hvad skete der i løbet af 2020?", "2020-01-01", "2020-12-31"),
        ("Hvad besluttede KD-Net i januar 2021?", "2021-01-01", "2021-01-31"),
        ("Hvad blev drøftet i feb. 2024?", "2024-02-01", "2024-02-29"),
        ("Hvad skete der på mødet den 22. januar 2021?", "2021-01-22", "2021-01-22"),
        ("Referatet fra 22.01.2021", "2021-01-22", "2021-01-22"),
        ("Hvad besluttede man 22/1 2021?", "2021-01-22", "2021-01-22"),
        ("Hvad er sket fra 2020 til 2022?", "2020-01-01", "2022-12-31"),
        ("Sager mellem marts 2020 og juni 2021", "2020-03-01", "2021-06-30"),
        ("fra 1. januar 2020 til og med 31. marts 2021", "2020-01-01", "2021-03-31"),
        ("Hvad skete i perioden 2019-2020?", "2019-01-01", "2020-12-31"),
        ("Hvad skete i 2020 og 2021?", "2020-01-01", "2021-12-31"),
        ("Hvad er sket fra mødet i 2021 til mødet i juni 2022?", "2021-01-01", "2022-06-30"),
        ("Hvad blev besluttet på møder efter 2021?", "2022-01-01", None),
        ("Referater siden maj 2020", "2020-05-01", None),
        ("Hvad stod i referater før 1. marts 2022?", None, "2022-02-28"),
        ("møder til og med 2021", None, "2021-12-31"),
    ],
)
def test_time_phrases_become_date_filters(question: str, date_from: str | None, date_to: str | None) -> None:
    filters, q = filters_from_question(question)
    assert q == question
    assert (filters.date_from, filters.date_to) == (date_from, date_to)


@pytest.mark.parametrize(
    "question",
    [
        "Hvad er budgettet for 2021?",  # the 2021 budget is decided in 2020
        "Hvad skal være klar før 2022?",  # a deadline in the content, not the meeting date
        "Hvad skal ske efter 2021 med takstmodellen?",
        "Hvad skal ske før 1. marts 2022?",
        "Hvad er sket fra 1. marts 2021?",  # "since", not the meeting of that day
        "Status på sag 1-00-14-22",
        "Hvad skete der den 31. februar 2021?",  # no such day
        "Hvad besluttede KD-Net om Midttrafik?",
        "Strategi 2020-2022",
    ],
)
def test_ambiguous_or_absent_phrases_give_no_filter(question: str) -> None:
    assert filters_from_question(question)[0] == Filters()


def test_matches() -> None:
    f = Filters(bodies=("kd-net", "KKR"), date_from="2021-01-01", date_to="2021-12-31")
    assert f.matches(doc_id="a", body="KD-Net", date="2021-01-22")
    assert not f.matches(doc_id="a", body="PLO-M", date="2021-01-22")
    assert not f.matches(doc_id="a", body=None, date="2021-01-22")
    assert not f.matches(doc_id="a", body="KKR", date="2022-01-01")
    assert not f.matches(doc_id="a", body="KKR", date=None)  # undated: excluded under a date bound
    assert Filters().matches(doc_id="a", body=None, date=None)
    assert Filters(doc_ids=("a",)).matches(doc_id="a", body=None, date=None)
    assert not Filters(doc_ids=("a",)).matches(doc_id="b", body=None, date=None)


def test_validation_and_combining() -> None:
    with pytest.raises(ConfigError, match="ISO date"):
        Filters(date_from="22.01.2021")
    with pytest.raises(ConfigError, match="after date_to"):
        Filters(date_from="2022-01-01", date_to="2021-01-01")
    assert Filters(bodies=["KD-Net"]).bodies == ("KD-Net",)  # type: ignore[arg-type]

    explicit = Filters(bodies=("KD-Net",), date_from="2020-01-01", date_to="2020-12-31")
    asked = filters_from_question("i 2021")[0]
    assert explicit.or_else(asked) == explicit
    assert Filters(bodies=("KD-Net",)).or_else(asked) == Filters(
        bodies=("KD-Net",), date_from="2021-01-01", date_to="2021-12-31"
    )
