"""Metadata filters for retrieval, and the Danish time phrases in a question that imply one.

A filter is applied per document (body, meeting date, id). A document with no known date is excluded
whenever a date bound applies: we cannot show it belongs to the period, and answering from a meeting
of unknown date when the user asked about a period would cite the wrong thing.

`filters_from_question` only turns *unambiguous* phrases into date filters, because a wrong filter
hides the answer entirely while a missed one merely leaves ranking to retrieval:

- a day: "den 22. januar 2021", "22.01.2021", "22/1 2021", "2021-01-22"
- a month or a year introduced by "i" / "i løbet af": "i januar 2021", "i 2021", "i 2020 og 2021";
  several of them ("fra mødet i 2021 til mødet i 2022") span from the first to the last
- a range: "fra 2020 til 2022", "mellem marts 2020 og juni 2021", "i perioden 2020-2022"
- open-ended bounds ("efter", "siden", "før", "inden", "fra og med", "til og med") only right after a
  meeting word ("møder efter 2021", "referater før 1. marts 2022"). On their own they usually state a
  deadline inside the content ("hvad skal være klar før 2022?"), not when the meeting was held.

Not extracted: a bare year ("budget 2021" is decided in 2020), "for 2021", and relative phrases
("i år", "sidste måned") that need today's date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol, TypeVar

from ingest.danish import MONTH_PATTERN, MONTHS
from ingest.errors import ConfigError

_MONTH = f"(?:{MONTH_PATTERN})\\b\\.?"
_YEAR = r"(?:19|20)\d\d"
_DAY_WORDS = rf"(?:den\s+|d\.\s*)?\d{{1,2}}\.?\s+{_MONTH}\s+{_YEAR}"
_DAY_NUMERIC = rf"\d{{1,2}}\.\d{{1,2}}\.{_YEAR}|\d{{1,2}}/\d{{1,2}}[-\s]{_YEAR}|{_YEAR}-\d\d-\d\d"
_DAY = rf"(?:{_DAY_WORDS}|{_DAY_NUMERIC})"
_POINT = rf"(?:{_DAY}|{_MONTH}\s+{_YEAR}|{_YEAR})"  # a day, a month or a year
_B = r"(?<![\w-])"  # word start that is not inside "1-00-14-22"
_E = r"(?![\w-])"
_MEETING = r"(?:møde|mødet|møder|møderne|mødets|referat|referatet|referater|referaterne|dagsorden|dagsordener)"

_RANGE = re.compile(rf"{_B}(?:fra|mellem)\s+({_POINT})\s+(?:til|og)\s+(?:og\s+med\s+)?({_POINT}){_E}")
_PERIOD = re.compile(rf"{_B}i\s+(?:perioden|årene)\s+({_YEAR})\s*[-–]\s*({_YEAR}){_E}")
_IN_TWO = re.compile(rf"{_B}i\s+(?:løbet\s+af\s+)?({_YEAR})\s+og\s+({_YEAR}){_E}")
_ON_DAY = re.compile(rf"{_B}({_DAY}){_E}")
_IN_POINT = re.compile(rf"{_B}i\s+(?:løbet\s+af\s+)?((?:{_MONTH}\s+)?{_YEAR}){_E}")
_AFTER_BOUND_WORD = re.compile(r"(?:efter|siden|før|inden|med|til|fra|senest|indtil)\s+$")
_MEETING_OF = re.compile(rf"{_MEETING}\s+fra\s+$")
_BOUND = re.compile(
    rf"{_B}{_MEETING}\s+(?:(?:afholdt|holdt)\s+)?(efter|siden|før|inden|fra\s+og\s+med|til\s+og\s+med)\s+"
    rf"({_POINT}){_E}"
)


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to documents of some bodies, a date range (ISO dates, inclusive) or ids.

    Empty fields do not restrict. Bodies compare case-insensitively.

    >>> f = Filters(bodies=("kd-net",), date_from="2021-01-01", date_to="2021-12-31")
    >>> f.matches(doc_id="003", body="KD-Net", date="2021-01-22")
    True
    >>> f.matches(doc_id="003", body="KD-Net", date=None)
    False
    """

    bodies: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    doc_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept lists from callers (CLI options, JSON) but keep the record hashable.
        object.__setattr__(self, "bodies", tuple(self.bodies))
        object.__setattr__(self, "doc_ids", tuple(self.doc_ids))
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None:
                try:
                    date.fromisoformat(value)
                except (TypeError, ValueError):
                    raise ConfigError(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}") from None
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ConfigError(f"date_from must not be after date_to, got {self.date_from} > {self.date_to}")

    @property
    def active(self) -> bool:
        return bool(self.bodies or self.doc_ids or self.date_from or self.date_to)

    @property
    def has_dates(self) -> bool:
        return bool(self.date_from or self.date_to)

    def matches(self, *, doc_id: str, body: str | None, date: str | None) -> bool:
        """Whether a document with this id, body and meeting date passes. Undated fails a date bound."""
        if self.doc_ids and doc_id not in self.doc_ids:
            return False
        if self.bodies and (body is None or body.casefold() not in {b.casefold() for b in self.bodies}):
            return False
        if self.has_dates:
            if not date:
                return False
            day = date[:10]
            if self.date_from and day < self.date_from:
                return False
            if self.date_to and day > self.date_to:
                return False
        return True

    def or_else(self, other: Filters) -> Filters:
        """These filters, with the fields they leave open taken from `other`.

        Dates count as one field, so an explicit range is never narrowed by one read from the question.

        >>> Filters(bodies=("KD-Net",)).or_else(Filters(date_from="2021-01-01")).date_from
        '2021-01-01'
        """
        dated = self if self.has_dates else other
        return Filters(
            bodies=self.bodies or other.bodies,
            date_from=dated.date_from,
            date_to=dated.date_to,
            doc_ids=self.doc_ids or other.doc_ids,
        )


def filters_from_question(question: str) -> tuple[Filters, str]:
    """Date filters implied by an unambiguous Danish time phrase in `question`; the question unchanged.

    >>> filters_from_question("Hvad besluttede KD-Net i januar 2021?")[0]
    Filters(bodies=(), date_from='2021-01-01', date_to='2021-01-31', doc_ids=())
    >>> filters_from_question("Hvad skal være klar før 2022?")[0].active
    False
    """
    q = question.lower()
    span: tuple[date, date] | None = None
    if m := _RANGE.search(q) or _PERIOD.search(q) or _IN_TWO.search(q):
        a, b = _point(m.group(1)), _point(m.group(2))
        span = (a[0], b[1]) if a and b and a[0] <= b[1] else None
    elif m := _BOUND.search(q):
        return _bound(" ".join(m.group(1).split()), _point(m.group(2))), question
    elif (m := _ON_DAY.search(q)) and (
        not _AFTER_BOUND_WORD.search(q[: m.start()]) or _MEETING_OF.search(q[: m.start()])
    ):
        # "før 1. marts 2022" is a content deadline, but "referatet fra 22.01.2021" names a meeting.
        span = _point(m.group(1))
    elif points := [p for m in _IN_POINT.finditer(q) if (p := _point(m.group(1)))]:
        # "fra mødet i 2021 til mødet i 2022" names two meetings: the span covers both.
        span = (min(p[0] for p in points), max(p[1] for p in points))
    if span is None:
        return Filters(), question
    return Filters(date_from=span[0].isoformat(), date_to=span[1].isoformat()), question


def time_phrases(question: str) -> list[str]:
    """The time phrases in `question` as written, in order ("i 2022", "den 15. maj 2023", "fra 2021 til
    2022"): what a follow-up replaces ("Og i 2023?").

    >>> time_phrases("Hvad besluttede KD-Net om Midttrafik i januar 2021?")
    ['i januar 2021']
    """
    spans: list[tuple[int, int]] = []
    for pattern in (_RANGE, _PERIOD, _IN_TWO, _BOUND, _ON_DAY, _IN_POINT):
        for m in pattern.finditer(question.lower()):
            if not any(a <= m.start() < b or m.start() <= a < m.end() for a, b in spans):
                spans.append((m.start(), m.end()))
    return [question[a:b].strip() for a, b in sorted(spans)]


def dates_the_meeting(question: str) -> bool:
    """True when the question's time phrase plainly dates a meeting: a named day, or a meeting word in the
    question ("mødet i juni 2022", "møder efter 2021", "referatet fra 22.01.2021").

    Otherwise a year or month often dates what the item is about, not the meeting that handled it:
    "indberetninger om magtanvendelse i 2023" are reported at a meeting in 2024, "et udvidelsesforslag
    til 2024" is made in 2023, "efter at en lastbil kørte ind i den i januar 2025" is decided in August.
    Such a phrase only prefers meetings of that time (see `Assistant.retrieve`); it does not hide others.

    >>> dates_the_meeting("Hvad blev besluttet på mødet i juni 2022?"), dates_the_meeting("Hvad skete der i 2023?")
    (True, False)
    >>> dates_the_meeting("Hvad besluttede KD-Net den 22. januar 2021?")
    True
    """
    q = question.lower()
    return bool(re.search(rf"{_B}{_MEETING}", q) or _ON_DAY.search(q))


def named_years(question: str) -> list[str]:
    """The distinct years of the meetings a question names ("i 2021", "fra 2021 til 2022", "i 2021 og 2022").

    Two or more mean the question spans meetings, and its answer should draw on each year named. A
    period ("i perioden 2020-2022") names no meeting in particular.

    >>> named_years("Hvordan har arbejdet udviklet sig fra KD-Net-mødet i 2021 til mødet i 2022?")
    ['2021', '2022']
    >>> named_years("Hvad besluttede KD-Net i januar 2021 om budget 2022?")
    ['2021']
    """
    q = question.lower()
    found = [m.group(i) for pattern in (_RANGE, _IN_TWO) for m in pattern.finditer(q) for i in (1, 2)]
    found += [m.group(1) for m in _IN_POINT.finditer(q)]
    return sorted({y for x in found for y in re.findall(_YEAR, x)})


_MONTH_IN = re.compile(rf"{_B}i\s+(?:løbet\s+af\s+)?({MONTH_PATTERN})\b(?:\s+({_YEAR}))?")


def named_months(question: str) -> list[str]:
    """The distinct meeting months ("YYYY-MM") a question names when it names two or more ("i maj og igen i
    august 2023": a month without a year takes the next year written after it); else [].

    >>> named_months("Hvordan gik det, da udvalget behandlede den i maj og igen i august 2023?")
    ['2023-05', '2023-08']
    >>> named_months("Hvad besluttede KD-Net i januar 2021?")
    []
    """
    q = question.lower()
    found = list(_MONTH_IN.finditer(q))
    months: list[str] = []
    for m in found:
        year = m.group(2) or next((x.group(2) for x in found if x.start() > m.start() and x.group(2)), None)
        if year:
            months.append(f"{year}-{MONTHS[m.group(1)]:02d}")
    months = list(dict.fromkeys(months))
    return months if len(months) > 1 else []


class _Dated(Protocol):
    @property
    def date(self) -> str | None: ...


D = TypeVar("D", bound=_Dated)


def first_of_period(items: Iterable[D], period: str) -> D | None:
    """The first of `items` (best first) whose meeting was held in `period`: a year ("2021") or a month
    ("2021-01")."""
    return next((x for x in items if (x.date or "").startswith(period)), None)


def _bound(word: str, p: tuple[date, date] | None) -> Filters:
    if p is None:
        return Filters()
    if word == "efter":
        return Filters(date_from=(p[1] + timedelta(days=1)).isoformat())
    if word in ("siden", "fra og med"):
        return Filters(date_from=p[0].isoformat())
    if word in ("før", "inden"):
        return Filters(date_to=(p[0] - timedelta(days=1)).isoformat())
    return Filters(date_to=p[1].isoformat())  # "til og med"


def _point(text: str) -> tuple[date, date] | None:
    """The first and last day a day, month or year expression covers; None if it is no real date."""
    text = re.sub(r"^(?:den\s+|d\.\s*)", "", text.strip())
    try:
        if m := re.fullmatch(rf"(\d{{1,2}})\.?\s+({_MONTH})\s+(\d{{4}})", text):
            d = date(int(m.group(3)), MONTHS[m.group(2).rstrip(".")], int(m.group(1)))
            return d, d
        if m := re.fullmatch(r"(\d{1,2})[./](\d{1,2})[.\-\s/](\d{4})", text):
            d = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            return d, d
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            d = date.fromisoformat(text)
            return d, d
        if m := re.fullmatch(rf"({_MONTH})\s+(\d{{4}})", text):
            year, month = int(m.group(2)), MONTHS[m.group(1).rstrip(".")]
            first = date(year, month, 1)
            nxt = date(year + month // 12, month % 12 + 1, 1)
            return first, nxt - timedelta(days=1)
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 1, 1), date(int(text), 12, 31)
    except ValueError:  # "31. februar 2021"
        return None
    return None
