"""Which body met, on which date, and what kind of document this is — read from the document's head.

Only the head (the text before the first agenda item) is read, so a date or committee mentioned inside
an item is never taken for the meeting's. What the head does not say stays None.

Date choice: the meeting's date wins over the date the paper was written. A line about the meeting
("Mødedato ...", "Tid og sted: ...", "Referat af møde i ... den 22. januar 2021", "Til mødet i
Kontaktudvalget den 23. august 2019") is preferred; a bare "Dato 20-08-2019" is used only when no such
line exists. Lines about other meetings ("referatet fra mødet den ...") are skipped.

>>> detect_metadata("REFERAT Udvalg for lighed i sundhed d. 21-02-2024\\n\\nPunkt 1: Velkomst")
Metadata(body='Udvalg for lighed i sundhed', date='2024-02-21', kind='referat')
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ingest.danish import MONTH_PATTERN, MONTHS, WEEKDAYS
from ingest.records import Kind

_DATE_WORDS = re.compile(rf"\b(?P<d>\d{{1,2}})\.\s*(?P<m>{MONTH_PATTERN})\.?,?\s+(?P<y>\d{{4}})\b", re.I)
# 12.3.2019, 13/12-2024, 28/2 2022, 18/2 -2020
_DATE_NUMERIC = re.compile(r"(?<![\d./-])(?P<d>\d{1,2})[-./](?P<m>\d{1,2})(?:[-./]|\s+-?\s*)(?P<y>(?:19|20)\d{2})\b")
# "torsdag den 28. februar": a date without its year, which the document's years and the weekday settle
_DATE_NO_YEAR = re.compile(
    rf"(?:\b(?P<wd>{'|'.join(WEEKDAYS)})\s+)?\b(?:den|d\.)\s*(?P<d>\d{{1,2}})\.\s*(?P<m>{MONTH_PATTERN})\b"
    r"(?!\.?,?\s*\d{4})",
    re.I,
)
_YEAR = re.compile(r"(?<![\d./-])(?:19[89]\d|20\d{2})(?![\d.,/-]\d)")
_STARTS_WITH_DATE = re.compile(rf"^(?:(?:{'|'.join(WEEKDAYS)})\s+)?(?:den\s+|d\.\s*)?\d{{1,2}}[./]", re.I)
_DATE_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")

_MEETING_LABEL = re.compile(
    r"^\s*(?:mødedato|mødetidspunkt|dato for mødet|tid og sted|tidspunkt|tid|møde)\b\s*:?", re.I
)
_DOC_DATE_LABEL = re.compile(r"^\s*(?:dato|ajourført|opdateret|udarbejdet)\b\s*:?", re.I)
_OTHER_MEETING = re.compile(
    r"referatet?\s+(?:fra|af)\s+(?:det\s+)?(?:seneste\s+|forrige\s+)?møde|seneste møde|forrige møde|"
    r"næste møde|kommende møde|godkendelse af",
    re.I,
)
_MEETING_LINE = re.compile(r"mød(?:e|et|ets|es|er)\b|\bgeneralforsam\w*", re.I)

# (pattern, canonical name): tried in order on the head
_ALIASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"kommunaldirektørnetværk|\bKD-?Net\b", re.I), "KD-Net"),
    (re.compile(r"\bKKR\s+Midtjylland\b|\bKKR-Midtjylland\b|kommunekontaktråd(?:et)?\s+midtjylland", re.I),
     "KKR Midtjylland"),
    (re.compile(r"\bKontaktudvalget\b", re.I), "Kontaktudvalget"),
    (re.compile(r"\bRegionsrådet\b", re.I), "Regionsrådet"),
    (re.compile(r"\bByrådet\b", re.I), "Byrådet"),
    (re.compile(r"\bKommunalbestyrelsen\b", re.I), "Kommunalbestyrelsen"),
    (re.compile(r"\bBorgerrepræsentationen\b", re.I), "Borgerrepræsentationen"),
    (re.compile(r"\bForretningsudvalget\b", re.I), "Forretningsudvalget"),
    (re.compile(r"\bØkonomiudvalget\b", re.I), "Økonomiudvalget"),
    (re.compile(r"\bSundhedskoordinationsudvalget\b", re.I), "Sundhedskoordinationsudvalget"),
)  # fmt: skip
_NAMED_BODY = re.compile(
    r"\b(?P<body>(?:[A-ZÆØÅ][\wæøå]*-\s?og\s)?[A-ZÆØÅ][\wæøå-]*udvalg(?:et)?"
    r"|Udvalg(?:et)?\s+for\s+[^\n,.;:]+?"
    r"|KKR\s+[A-ZÆØÅ][\wæøå]+"
    r"|Region\s+[A-ZÆØÅ][\wæøå]+s\s+[\wæøå]+råd)"
    r"(?=\s+(?:den|d\.|\d)|\s*[,.;:\n]|\s*$)"
)
# an association's general meeting ("Generalforsamling: 9. februar 2010", also misspelt
# "Generalforsamsling"): the organ is the general meeting, named alike whether or not the association is
_GENERAL_MEETING = re.compile(r"\bgeneralforsam\w*", re.I)
# "Referat af bestyrelsesmøde i IMADA Fagråd", "møde i Grundejerforeningen Vestervang": the organisation
_MEETING_OF = re.compile(
    r"(?i:\w*møde)\s+i\s+(?P<body>[A-ZÆØÅ][\w&-]*(?:\s+(?:[A-ZÆØÅ][\w&-]*|for|og|i))*?)"
    r"(?=\s*(?:[,.;:\n]|$|\s(?:den|d\.|\d|[a-zæøå])))"
)
_BOARD = re.compile(r"\bbestyrelsesmøde\b", re.I)
_KIND_WORDS: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(r"^\W*(?:referat|beslutningsprotokol|protokol)\b", re.I), "referat"),
    (re.compile(r"\b(?:inspirationspapir|notat|baggrundsnotat|baggrundspapir|oplæg til drøftelse)\b", re.I),
     "notat"),
    (re.compile(r"^\W*(?:dagsorden|indkaldelse)\b", re.I), "dagsorden"),
    (re.compile(r"\breferat\s+(?:af|fra)\s+møde", re.I), "referat"),
)  # fmt: skip
_KIND_LINE = re.compile(r"^\W*(?:referat|dagsorden|beslutningsprotokol|indkaldelse)\b", re.I)
_HEAD_LIMIT = 3000
_FIRST_ITEM = re.compile(
    r"^(?:\[bookmark:[^\]]*\])*\s*(?:(?:punkt|pkt\.?)\s*1\b|1\s*\.\s*[A-ZÆØÅ])", re.I | re.MULTILINE
)
_DECISION_HEADING = re.compile(r"^(?:beslutning|referat)\b[^\n]{0,60}$|^referat:", re.I | re.MULTILINE)
_AGENDA_HEADING = re.compile(r"^(?:sagsfremstilling|indstilling|det indstilles)\b", re.I | re.MULTILINE)


@dataclass(frozen=True)
class Metadata:
    """The meeting's body ("KD-Net"), ISO date and document kind; None where the text does not say."""

    body: str | None = None
    date: str | None = None
    kind: Kind | None = None


def detect_metadata(text: str, *, head_end: int | None = None) -> Metadata:
    """Read body, meeting date and kind from the head of `text`.

    `head_end` is where the first agenda item starts, when the caller knows it (parse passes the
    segmenter's answer); otherwise the head ends at the first line that looks like item 1.

    >>> detect_metadata("Til mødet i Kontaktudvalget den 23. august 2019\\n\\nInspirationspapir ...\\n\\n"
    ...                 "Dato 20-08-2019")
    Metadata(body='Kontaktudvalget', date='2019-08-23', kind='notat')
    >>> detect_metadata("1. Velkomst\\n\\nSagsfremstilling\\n\\nVi mødes den 3. juni 2022.")
    Metadata(body=None, date=None, kind='dagsorden')
    """
    head = _head(text, head_end)
    lines = [ln.strip() for ln in head.split("\n") if ln.strip() and "\t" not in ln and "...." not in ln]
    return Metadata(body=_body(lines), date=_date(lines, _years(head, text)), kind=_kind(lines, text))


def _head(text: str, head_end: int | None) -> str:
    if head_end is None:
        m = _FIRST_ITEM.search(text)
        head_end = m.start() if m else len(text)
    head = text[: min(head_end, _HEAD_LIMIT)]
    return re.sub(r"\[bookmark:[^\]]*\]", "", head)


def parse_date(text: str) -> str | None:
    """The first valid Danish-written date in `text`, as ISO, or None.

    >>> parse_date("Mødedato Onsdag d. 21. februar 2024 kl. 09:00"), parse_date("d. 21-02-2024")
    ('2024-02-21', '2024-02-21')
    """
    found: list[tuple[int, str]] = []
    for pattern in (_DATE_WORDS, _DATE_NUMERIC, _DATE_ISO):
        for m in pattern.finditer(text):
            month = m.group("m")
            month_no = MONTHS[month.lower()] if not month.isdigit() else int(month)
            try:
                day = dt.date(int(m.group("y")), month_no, int(m.group("d")))
            except ValueError:
                continue
            found.append((m.start(), day.isoformat()))
    return min(found)[1] if found else None


def _date(lines: list[str], years: list[int]) -> str | None:
    for line in lines:
        if _MEETING_LABEL.match(line) and (d := parse_date(line) or _date_without_year(line, years)):
            return d
    for i, line in enumerate(lines):
        if _OTHER_MEETING.search(line) or _DOC_DATE_LABEL.match(line):
            continue
        about_meeting = bool(_MEETING_LINE.search(line))
        title_block = i < 2 or (i < 6 and _STARTS_WITH_DATE.match(line))
        if (about_meeting or title_block) and (d := parse_date(line)):
            return d
        if (about_meeting or i < 3) and (d := _date_without_year(line, years)):
            return d
    for line in lines:
        if _DOC_DATE_LABEL.match(line) and (d := parse_date(line)):
            return d
    return None


def _date_without_year(line: str, years: list[int]) -> str | None:
    """A meeting date written without its year ("torsdag den 28. februar"), given the years the
    document writes (the head's first). With a weekday, the one year among them (or the year after
    one of them, as minutes state last year's accounts) whose calendar has that weekday; without one,
    the head's year when it names exactly one.

    >>> _date_without_year("Referat torsdag den 28. februar kl. 19.30", [2018, 2019])
    '2019-02-28'
    """
    m = _DATE_NO_YEAR.search(line)
    if m is None or not years:
        return None
    month, day = MONTHS[m.group("m").lower()], int(m.group("d"))
    weekday = m.group("wd")
    if weekday is None:
        candidates = sorted(set(years[:1]))
    else:
        wanted = WEEKDAYS.index(weekday.lower())
        pool = sorted({y for y in years} | {y + 1 for y in years})
        candidates = []
        for year in pool:
            try:
                if dt.date(year, month, day).weekday() == wanted:
                    candidates.append(year)
            except ValueError:
                continue
    if len(candidates) != 1:
        return None
    try:
        return dt.date(candidates[0], month, day).isoformat()
    except ValueError:
        return None


def _years(head: str, text: str) -> list[int]:
    """Years written in the head, then in the rest of the text, each once, in order of appearance."""
    out: list[int] = []
    for source in (head, text):
        for m in _YEAR.finditer(source):
            year = int(m.group())
            if year not in out:
                out.append(year)
    return out


def _body(lines: list[str]) -> str | None:
    title_lines = lines[:4]
    # past the title lines, a name counts only on a line about the meeting or at the start of a line,
    # not inside a table cell or a sentence ("Vedtaget. Byrådet 25. juni")
    rest = [ln for ln in lines[4:] if _MEETING_LINE.search(ln) or _KIND_LINE.match(ln)]
    for scope in (title_lines, rest):
        for line in scope:
            for pattern, name in _ALIASES:
                m = pattern.search(line)
                if m and (scope is title_lines or m.start() == 0 or _MEETING_LINE.search(line)):
                    return name
        if any(_GENERAL_MEETING.search(line) for line in scope):
            return "Generalforsamlingen"
        for line in scope:
            m = _NAMED_BODY.search(line)
            if m and not _OTHER_MEETING.search(line):
                return m.group("body").strip()
        for line in scope:
            m = _MEETING_OF.search(line)
            if m and not _OTHER_MEETING.search(line):
                return m.group("body").strip()
        if any(_BOARD.search(line) for line in scope):
            return "Bestyrelsen"
    return None


def _kind(lines: list[str], text: str) -> Kind | None:
    for line in lines[:6]:
        for pattern, kind in _KIND_WORDS:
            if pattern.search(line):
                return kind
    if _DECISION_HEADING.search(text):
        return "referat"
    if _AGENDA_HEADING.search(text):
        return "dagsorden"  # items with a case presentation and no decisions: an agenda
    return None
