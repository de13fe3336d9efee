"""Agenda-portal JSON: one meeting per file, as municipal agenda portals serve it
(`https://<portal>/api/agenda/dagsorden/<møde-id>`).

The format states its structure, so nothing is guessed from layout: the body is `Udvalg.Navn`, the date
`Moede.Dato`, the items `Dagsordenpunkter[]` (`Punktnummer`, `Navn`, `SagsNummer`) and each item's text
one HTML field (`Felter[].Html`) holding its decision (`Beslutning`), its presentation (`Fremstilling`
with sub-sections such as Resume, Indstilling, Sagsbeskrivelse, Økonomiske konsekvenser) and often
`Sagens forløb`, which repeats what *other* meetings decided on the same case. That history is kept as a
section named "Sagens forløb", so the decision register (which reads Beslutning / Referat / Konklusion
only) never takes an earlier committee's decision for this meeting's.

What the portals get wrong, and what is done about it:

- Section headings come as `<h2>`, `<h3>` or `<h4>` with `<span>`/`<b>` inside (`<h3><b>I</b>ndstilling</h3>`),
  empty, or broken over a line (`Økonomiske\\nkonsekvenser`); they are recognised by their words, and a
  heading with words the portal templates do not use for sections (authors mark whole paragraphs as
  `<h4>`) stays text.
- Closed items are marked only by a `Lukket:` title (`IsOpen` is false for every item); their text is a
  bare decision without headings. An older template also puts the decision first without a heading,
  after the item's title repeated. Text before the first heading is the decision in both cases.
- Inline base64 images are dropped; tables are read row by row, lists item by item; entities, `\\r\\n`
  and line breaks inside sentences are normalised away.

>>> data = json.dumps({"Udvalg": {"Navn": "Økonomiudvalget"}, "Moede": {"Dato": "2024-03-05T17:00:00+01:00"},
...     "Dagsordenpunkter": [{"Punktnummer": "1", "Navn": "Godkendelse af dagsorden", "SagsNummer": "",
...     "Felter": [{"Html": "<h3>Beslutning</h3><p>Godkendt.</p>"}]}]}).encode()
>>> result = read_portal("meeting.json", data)
>>> result.body, result.date, result.kind, result.items[0].sections[0].text
('Økonomiudvalget', '2024-03-05', 'referat', 'Godkendt.')
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ingest.danish import MONTH_NAMES, SECTION_NAMES
from ingest.errors import DocumentError
from ingest.records import AgendaItem, Kind, Section
from ingest.text import ReadResult, normalise_text
from ingest.web import _html_depth

__all__ = ["read_portal"]

# Template headings with the same shape, kept under their own words: "Øvrige konsekvenser", "Miljøvurdering",
# "Handicappolitiske konsekvenser", "Øvrige forhold", "Beslutningskompetence".
_OTHER_SECTION = re.compile(
    r"^(?:[\wæøå-]+\s+)?(?:[\wæøå-]*(?:konsekvenser|forhold|vurdering|information|kompetence|"
    r"inddragelse|perspektiver|bemærkninger|oplysninger))$",
    re.IGNORECASE,
)
# "Beslutning i Økonomiudvalget den 12-09-2022", "Beslutning Byrådet 22/04/2024": a decision of a named
# meeting, this one's or an earlier one's.
_NAMED_DECISION = re.compile(r"^(?:beslutning|beslutninger|afgørelse)\b\s*(?:i|fra|på)?\s*(?P<rest>.+)$", re.I)
_DATE_NUMERIC = re.compile(r"\b(?P<d>\d{1,2})[-./](?P<m>\d{1,2})[-./](?P<y>\d{4})\b")
_DATE_WORDS = re.compile(r"\b(?P<d>\d{1,2})\.?\s+(?P<month>" + "|".join(MONTH_NAMES) + r")\s+(?P<y>\d{4})\b", re.I)
_CLOSED = re.compile(r"^\s*lukket(?:\s+punkt)?\s*[:.\-–]\s*", re.IGNORECASE)
# A decision the portal has not published: not a decision, and no sign that the meeting has minutes.
_NOT_RELEASED = re.compile(r"^\s*beslutning(?:en)?\s+(?:er\s+)?ikke\s+frigivet\W*$", re.IGNORECASE)
# Markers the rendered HTML carries in place of recognised headings; the private-use characters cannot
# occur in the normalised text of a real document.
_MARK = "\ue000"
_MARKER = re.compile(f"{_MARK}(\\d+){_MARK}")
# Real items nest a few dozen elements deep; deeper is hostile input and costs quadratic parse time.
_MAX_HTML_DEPTH = 400
_HEADING_TAGS = "h1,h2,h3,h4,h5,h6"
_HEADING_NAMES = frozenset(_HEADING_TAGS.split(","))
_TOP_LEVEL = ("Beslutning", "Sagsfremstilling")


@dataclass(frozen=True)
class _Part:
    """One section of an item as rendered: the heading as written, its canonical name, its text."""

    heading: str
    name: str
    text: str


def read_portal(name: str, data: bytes) -> ReadResult:
    """Read one agenda-portal meeting (JSON) into text, items with sections, body, date and kind.

    Raises `DocumentError` for JSON that is broken, not UTF-8, or not a portal meeting with items.

    >>> read_portal("x.json", b'[1, 2]')
    Traceback (most recent call last):
    ingest.errors.DocumentError: x.json: is a JSON list, not an agenda-portal meeting (an object with Dagsordenpunkter)
    """
    meeting = _load(name, data)
    raw_items = meeting["Dagsordenpunkter"]
    udvalg = _dict(meeting.get("Udvalg"))
    moede = _dict(meeting.get("Moede"))
    body = _clean_line(_str(udvalg.get("Navn"))) or None
    when, warnings = _meeting_time(name, moede)
    date = when.date().isoformat() if when else None

    rendered = [_read_item(name, k, raw, body=body, date=date) for k, raw in enumerate(raw_items)]
    kind: Kind = "referat" if any(_has_decision(parts) for _head, parts, _closed in rendered) else "dagsorden"

    head = _head_text(meeting, body=body, when=when, kind=kind)
    pieces: list[str] = [head]
    offset = len(head)
    items: list[AgendaItem] = []
    for (number, title, case_number, lines), parts, closed in rendered:
        item_text, sections = _item_text(lines, parts)
        start = offset + 2
        pieces.append(item_text)
        offset = start + len(item_text)
        items.append(
            AgendaItem(
                doc_id="",
                number=number,
                title=title,
                text=item_text,
                span=(start, offset),
                case_number=case_number,
                sections=sections,
                closed=closed,
            )
        )
    return ReadResult(
        text="\n\n".join(pieces),
        warnings=tuple(warnings),
        items=tuple(items),
        body=body,
        date=date,
        kind=kind,
    )


# ---------------------------------------------------------------------------------------------------
# The meeting


def _load(name: str, data: bytes) -> dict[str, Any]:
    try:
        meeting = json.loads(data)  # detects UTF-8/16/32 by the first bytes, as RFC 8259 allows
    except UnicodeDecodeError as exc:
        raise DocumentError(name, f"is not UTF-8 text, so not valid JSON ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise DocumentError(name, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise DocumentError(name, "is JSON nested too deeply to read (thousands of levels)") from None
    if isinstance(meeting, list):
        raise DocumentError(name, "is a JSON list, not an agenda-portal meeting (an object with Dagsordenpunkter)")
    if not isinstance(meeting, dict):
        what = type(meeting).__name__.replace("str", "string").replace("NoneType", "null")
        raise DocumentError(name, f"is a JSON {what}, not an agenda-portal meeting (an object with Dagsordenpunkter)")
    if "Dagsordenpunkter" not in meeting:
        raise DocumentError(name, "is JSON but not an agenda-portal meeting (no Dagsordenpunkter)")
    items = meeting["Dagsordenpunkter"]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DocumentError(name, "is not a readable agenda-portal meeting: Dagsordenpunkter is not a list of items")
    if not items:
        raise DocumentError(name, "is an agenda-portal meeting with no agenda items (Dagsordenpunkter is empty)")
    return meeting


def _meeting_time(name: str, moede: dict[str, Any]) -> tuple[dt.datetime | None, list[str]]:
    """The meeting's start in its own time zone (`Dato`, else `MeetingBeginUtc`, which carries an offset too)."""
    for key in ("Dato", "MeetingBeginUtc"):
        value = _str(moede.get(key)).strip()
        if not value:
            continue
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")), []
        except ValueError:
            return None, [f"{name}: the meeting date {value!r} ({key}) is not an ISO date; date left unknown"]
    return None, [f"{name}: the meeting states no date (Moede.Dato); date left unknown"]


def _head_text(meeting: dict[str, Any], *, body: str | None, when: dt.datetime | None, kind: str) -> str:
    """Body, date, place, participants and absentees, as a reader of the minutes would see them."""
    moede = _dict(meeting.get("Moede"))
    extraordinary = "ekstraordinær" in _str(moede.get("Navn")).lower()
    what = ("Referat" if kind == "referat" else "Dagsorden") + (" af ekstraordinært møde" if extraordinary else "")
    if meeting.get("TillaegsDagsorden") is True or moede.get("IsSupplementaryAgenda") is True:
        what = "Tillægsdagsorden"
    lines = [body or "Ukendt udvalg"]
    if when is not None:
        clock = f" kl. {when:%H.%M}" if (when.hour, when.minute) != (0, 0) else ""
        lines.append(f"{what} {when.day}. {MONTH_NAMES[when.month - 1]} {when.year}{clock}")
    else:
        lines.append(what)
    place = _clean_line(_str(moede.get("Sted")))
    if place:
        lines.append(f"Sted: {place}")
    present: list[str] = []
    cancelled: list[str] = []
    absent: list[str] = []
    for person in _dicts(moede.get("Moededeltagere")):
        who = _clean_line(_str(person.get("Name")))
        if not who:
            continue
        if person.get("Absent") is True:
            absent.append(who)
        elif person.get("ParticipationCancelled") is True:
            cancelled.append(who)
        else:
            present.append(who)
    for label, names in (("Deltagere", present), ("Afbud", cancelled), ("Fraværende", absent)):
        if names:
            lines.append(f"{label}: {', '.join(names)}")
    return normalise_text("\n".join(lines))


def _has_decision(parts: list[_Part]) -> bool:
    return any(p.name == "Beslutning" and p.text and not _NOT_RELEASED.match(p.text) for p in parts)


# ---------------------------------------------------------------------------------------------------
# One item

_ItemHead = tuple[str | None, str, str | None, list[str]]  # number, title, case number, head lines


def _read_item(
    name: str, index: int, raw: dict[str, Any], *, body: str | None, date: str | None
) -> tuple[_ItemHead, list[_Part], bool]:
    number = _clean_line(_str(raw.get("Punktnummer")) or _str(raw.get("Number"))) or None
    title = _clean_line(html.unescape(_str(raw.get("Navn")) or _str(raw.get("Caption"))))
    closed = bool(_CLOSED.match(title))
    if not title:
        title = f"Punkt {number}" if number else f"Punkt uden nummer ({index + 1}. på dagsordenen)"
    case_number = _clean_line(_str(raw.get("SagsNummer")) or _str(raw.get("CaseNumber"))) or None
    lines = [f"{number}. {title}" if number else title]
    if case_number:
        lines.append(f"Sagsnr.: {case_number}")
    by_reason: dict[str, list[str]] = {}
    for person in _dicts(raw.get("ExternalAgendaItemAttendees")):
        who = _clean_line(_str(person.get("Name")))
        if who:
            reason = _clean_line(_str(person.get("Reason"))) or "Deltager under punktet"
            by_reason.setdefault(reason, []).append(who)
    lines.extend(f"{reason}: {', '.join(names)}" for reason, names in by_reason.items())

    where = f"{name}, punkt {number or index + 1}"
    html_text = "\n".join(_str(f.get("Html")) for f in _dicts(raw.get("Felter")))
    parts = _html_parts(where, html_text, title=_CLOSED.sub("", title), body=body, date=date, closed=closed)
    attachments = [_clean_line(_str(b.get("Navn"))) for b in _dicts(raw.get("Bilag"))]
    if any(attachments):
        parts.append(_Part("Bilag", "Bilag", "\n".join(f"- {a}" for a in attachments if a)))
    return (number, title, case_number, lines), parts, closed


def _item_text(head_lines: list[str], parts: list[_Part]) -> tuple[str, tuple[Section, ...]]:
    """The item's text (its heading line, case number, then each section under its heading) and sections
    whose offsets index that text."""
    text = "\n".join(head_lines)
    sections: list[Section] = []
    for part in parts:
        if not part.text:
            continue
        text += f"\n\n{part.heading}\n"
        sections.append(Section(part.name, part.text, len(text), len(text) + len(part.text)))
        text += part.text
    return text, tuple(sections)


def _html_parts(where: str, text: str, *, title: str, body: str | None, date: str | None, closed: bool) -> list[_Part]:
    """The sections of one item's HTML. Text before the first heading is the decision when the item is
    closed or the headings that follow hold no Beslutning (the portal puts the decision first)."""
    from selectolax.lexbor import LexborHTMLParser

    depth = _html_depth(text)
    if depth > _MAX_HTML_DEPTH:
        raise DocumentError(where, f"holds HTML nested too deeply to read ({depth} elements inside each other)")
    root = LexborHTMLParser(text.replace(_MARK, "")).body
    if root is None:
        return []
    headings: list[tuple[str, str]] = []
    history_level = 0  # the level of a "Sagens forløb" heading met, while in that history
    for node in root.css(_HEADING_TAGS):
        if _inside_heading(node):  # `<h2><div><h2>Resume</h2></div></h2>`: the outer one is the heading
            continue
        words = " ".join(node.text(deep=True, separator="").split())
        found = _section_of(words, body=body, date=date)
        level = int((node.tag or "h9")[1])
        # Inside the history only a heading of the item's own top level (Beslutning, Fremstilling) ends it:
        # anything else there is part of what other meetings said.
        if history_level and found is not None and (found[1] not in _TOP_LEVEL or level > history_level):
            found = None
        if found is None:
            if not words:
                node.decompose()  # an empty heading (`<h3>&nbsp;</h3>`, an image-only `<h4>`)
            continue
        history_level = level if found[1] == "Sagens forløb" else 0
        node.replace_with(f"\n{_MARK}{len(headings)}{_MARK}\n")
        headings.append(found)
    out: list[str] = []
    try:
        _render(root, out)
    except RecursionError:
        raise DocumentError(where, "holds HTML nested too deeply to read") from None
    rendered = "".join(out)
    pieces = _MARKER.split(rendered)
    lead = _clean_block(pieces[0])
    lead = _drop_repeated_title(lead, title)
    parts: list[_Part] = []
    if lead:
        is_decision = closed or (bool(headings) and not any(n == "Beslutning" for _h, n in headings))
        name = "Beslutning" if is_decision else ("Indledning" if headings else "Sagsfremstilling")
        parts.append(_Part(name, name, lead))
    for index, body_text in zip(pieces[1::2], pieces[2::2], strict=True):
        heading, name = headings[int(index)]
        parts.append(_Part(heading, name, _clean_block(body_text)))
    return parts


def _inside_heading(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in _HEADING_NAMES:
            return True
        parent = parent.parent
    return False


def _section_of(words: str, *, body: str | None, date: str | None) -> tuple[str, str] | None:
    """(heading as written, section name) when `words` is a section heading, else None.

    >>> _section_of("Økonomiske konsekvenser", body=None, date=None)
    ('Økonomiske konsekvenser', 'Økonomi')
    >>> _section_of("Beslutning i Økonomiudvalget den 12-09-2022", body="Byråd", date="2022-09-26")[1]
    'Sagens forløb'
    >>> _section_of("Program for byrådsmødet:", body=None, date=None) is None
    True
    """
    heading = words.strip().rstrip(":").strip()
    if not heading or len(heading) > 60:
        return None
    key = heading.lower()
    if key in SECTION_NAMES:
        return heading, SECTION_NAMES[key]
    m = _NAMED_DECISION.match(heading)
    if m:
        return heading, ("Beslutning" if _is_this_meeting(m["rest"], body=body, date=date) else "Sagens forløb")
    if _OTHER_SECTION.match(heading) and heading[0].isupper():
        return heading, heading
    return None


def _is_this_meeting(named: str, *, body: str | None, date: str | None) -> bool:
    """Whether "Økonomiudvalget den 12-09-2022" (after "Beslutning i") names this meeting: its date when it
    gives one, else its body."""
    stated = _date_in(named)
    if stated is not None:
        return stated == date
    if not body:
        return False
    own = {body.lower(), re.sub(r"\s+\d{4}(?:\s*-\s*\d{4})?$", "", body.lower())}
    return any(o and o in named.lower() for o in own)


def _date_in(text: str) -> str | None:
    m = _DATE_NUMERIC.search(text)
    if m:
        day, month, year = int(m["d"]), int(m["m"]), int(m["y"])
    else:
        m = _DATE_WORDS.search(text)
        if not m:
            return None
        day, month, year = int(m["d"]), MONTH_NAMES.index(m["month"].lower()) + 1, int(m["y"])
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _drop_repeated_title(lead: str, title: str) -> str:
    """`lead` without a first line that only repeats the item's title (an older template starts so)."""
    first, _, rest = lead.partition("\n")
    if _fold(first) and _fold(first) == _fold(title):
        return rest.strip()
    return lead


def _fold(line: str) -> str:
    return " ".join(line.split()).strip(" .:").lower()


# ---------------------------------------------------------------------------------------------------
# Text

# The web reader's renderer (ingest/web.py) reshapes lines into item headings for the segmenter; an item's
# body needs none of that, only paragraphs, lists and table rows.
_PARAGRAPH_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 table ul ol pre blockquote dl section article".split())
_LINE_TAGS = frozenset("address div dd dt caption figcaption figure details summary hr main li".split())
_SKIP_TAGS = frozenset("-comment img script style svg object iframe template noscript".split())


def _render(node: Any, out: list[str]) -> None:
    """Append `node`'s visible text to `out`: blocks on their own lines, table rows one per line with
    tab-separated cells, list items as "- " / "1. " lines, images and scripts left out."""
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            out.append(re.sub(r"\s+", " ", child.text_content or ""))
        elif tag == "br":
            out.append("\n")
        elif tag in _SKIP_TAGS:
            continue
        elif tag in ("td", "th"):
            cell: list[str] = []
            _render(child, cell)
            out.append(" ".join("".join(cell).split()) + "\t")
        elif tag == "tr":
            row: list[str] = []
            _render(child, row)
            out.append("\n" + "".join(row).rstrip("\t"))
        elif tag in ("ol", "ul"):
            out.append("\n\n")
            number = _int(child.attributes.get("start"), 1) if tag == "ol" else 0
            for item in child.iter(include_text=False):
                if item.tag != "li":
                    _render(item, out)
                    continue
                out.append("\n" + (f"{number}. " if tag == "ol" else "- "))
                number += 1
                _render(item, out)
            out.append("\n\n")
        elif tag in _PARAGRAPH_TAGS or tag in _LINE_TAGS:
            sep = "\n\n" if tag in _PARAGRAPH_TAGS else "\n"
            out.append(sep)
            _render(child, out)
            out.append(sep)
        else:
            _render(child, out)


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def _clean_block(rendered: str) -> str:
    # Soft hyphens and zero-width characters sit inside words in portal HTML; left in, the word is not found.
    rendered = re.sub("[\u00ad\u200b\u200c\u200d\u2060]", "", rendered)
    return normalise_text(re.sub(r"\n[ \t]+", "\n", rendered))


def _clean_line(value: str) -> str:
    return " ".join(normalise_text(re.sub("[\u00ad\u200b\u200c\u200d\u2060]", "", value)).split())


def _str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> Iterable[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
