"""Split a meeting document's text into agenda items, and each item into named sections.

How items are found, in order:

1. Table-of-contents rows (dotted leaders, or `N<TAB>Title` table rows) are marked; they are never items,
   but their titles count as evidence for a heading.
2. Every line shaped like an item heading (`6. Title`, `1.<TAB>Title`, `Punkt 1: Title`, markdown and
   `[bookmark: ...]` debris ignored) is a candidate, unless its "title" is a date (`3. juni 2022, ...`),
   starts in lower case or is far too long for a heading.
3. The items are the best chain of candidates whose numbers rise by one (small gaps cost a penalty).
   A candidate scores less when it sits in a run of consecutively numbered lines (a list, such as the
   themes listed in an introduction) and more when it stands alone or matches a contents entry. So the
   body's headings win over both the contents and numbered lists inside items.
4. Front matter (title, time and place, participants, contents) is not an item. Prose before the first
   item (a paper's introduction) becomes an unnumbered item titled by its own heading or "Indledning".
   A text with no recognisable items is kept as one unnumbered item, with a warning.

Titles keep any time of day they carry ("Pause (kl. 14.15-14.30)"): it is part of the heading as
written. Presenters (" v. Name og Name" at the end, possibly wrapped onto the next line) and trailing
dotted leaders are taken out of the title.

>>> seg = segment("1. Godkendelse af dagsorden v. Jesper Kaas Schmidt\\n\\nReferat: Godkendt\\n\\n"
...               "2. Eventuelt\\n\\nIntet.", "demo")
>>> [(i.number, i.title, i.presenters) for i in seg.items]
[('1', 'Godkendelse af dagsorden', ('Jesper Kaas Schmidt',)), ('2', 'Eventuelt', ())]
>>> seg.items[0].sections[0].name, seg.items[0].sections[0].text
('Referat', 'Godkendt')
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ingest.danish import MONTH_PATTERN, SECTION_NAMES
from ingest.records import AgendaItem, Section

_DEBRIS = re.compile(r"\[bookmark:[^\]]*\]|^#{1,6}\s+|^\s*>\s*")
_EMPHASIS = re.compile(r"^(\*{1,2}|_{1,2})(?P<inner>.+?)\1$")
_NUMBERED = re.compile(r"^(?P<num>\d{1,3})\s*\.(?!\d)\s*(?P<title>.+)$")
_PAREN = re.compile(r"^(?P<num>\d{1,3})\s*\)\s*(?P<title>\S.*)$")
_PUNKT = re.compile(r"^(?:punkt|pkt\.?|dagsordenspunkt)\s*(?P<num>\d{1,4})\s*[:.)–-]?\s+(?P<title>\S.*)$", re.I)
_PARAGRAPH = re.compile(r"^§\s*(?P<num>\d{1,4})\s*[:.)–-]?\s+(?P<title>\S.*)$")
# a number and a title in two table cells ("5<TAB>Title") outside a contents table
_CELL = re.compile(r"^(?P<num>\d{1,4})\t+(?P<title>[^\t]+?)(?:\t.*)?$")
# OCR reads a "1." at the start of a list as "I.", "i ." or "l."; only ever item 1
_OCR_ONE = re.compile(r"^(?P<num>[Iil|])\s*\.\s+(?P<title>[A-ZÆØÅ].*)$")
_LIST_LINE = re.compile(r"^\s*(?P<num>\d{1,3})\s*[.)]\s+\S")
_DATE_TITLE = re.compile(rf"^(?:d\.\s*)?(?:{MONTH_PATTERN})\b\.?", re.I)
_TOC_HEADER = re.compile(
    r"^(?:indholdsfortegnelse|indhold|dagsorden|dagsordenspunkter|oversigt over punkter)\s*:?$"
    r"|^(?:punkt|pkt\.?|nr\.?)\t",
    re.I,
)
_TOC_DOTTED = re.compile(r"^(?P<title>\S.*?)\s*(?:\.{3,}|…{2,}|(?:\. ){3,})\s*\t?\s*(?P<page>\d+)?$")
_TOC_ROW = re.compile(r"^(?:(?:punkt|pkt\.?)\s*)?(?P<num>\d{1,3})\.?\t+(?P<title>[^\t]+?)(?:\t.*)?$", re.I)
_CASE_NUMBER = re.compile(
    r"^(?:(?:sags?\s*nr\.?|sagsnummer|j\.\s*nr\.?|journal\s*nr\.?)\s*:?\s*)?"
    r"(?P<id>\d{1,2}-\d{1,2}-\d{1,3}-\d{2}|\d{2}\.\d{2}\.\d{2}(?:-[A-ZÆØÅ]\d{2})?-\d{1,3}-\d{2}"
    r"|\d{2,4}/\d{3,6})$",
    re.I,
)
_PRESENTER = re.compile(r"^(?P<title>.*?)\s+v[./]\s*(?P<names>[^()]*?)\s*\.?$")
_PARTICLES = frozenset({"von", "van", "de", "la", "af", "du", "der", "den"})
_CONNECTIVES = re.compile(
    r"(?:\b(?:og|i|af|for|til|om|med|mellem|fra|på|samt|ved|vedr\.|vedrørende|v\.|v/)|[-–,/])$", re.I
)
# a sub-item under an item ("a ) Valg af dirigent", "b) Budget", "3a. Tillæg"): part of its item
_SUB_ITEM = re.compile(r"^(?:[a-zæøå]\s?[.)]|\d{1,3}[a-z]\s?[.)])\s+\S")
# a wrapped heading fills its line; a short heading followed by a lower-case line is followed by text
_WRAP_WIDTH = 45
_ABBREVIATIONS = frozenset(
    "v vedr bl.a kl nr mio mia jf ca evt inkl ekskl pkt fmd dvs mht ift mv m.fl st dr hr fru f.eks "
    "pct stk mhp ang".split()
)
_SENTENCE_BREAK = re.compile(r"(?P<word>[\w.]+)[.!?]\s+[A-ZÆØÅ]")
_INTRO_HEADINGS = re.compile(
    r"^(?P<name>indledning|baggrund|resumé|resume|sammenfatning|formål|indledende bemærkninger)\s*:?$", re.I
)
_LABEL = re.compile(r"^[A-ZÆØÅ][\w .æøåÆØÅ/-]{0,30}:\s")

_SECTION_LINE = re.compile(
    r"^(?P<word>" + "|".join(sorted((re.escape(w) for w in SECTION_NAMES), key=len, reverse=True)) + r")"
    r"(?P<where>\s+(?:i|fra)\s+[^:\n]{1,80}?)?\s*(?::\s*(?P<rest>.*))?$",
    re.I,
)
_RECOMMENDS = re.compile(
    r"^(?:det\s+indstilles|(?:administrationen|direktionen|forvaltningen|sekretariatet|formandskabet|"
    r"borgmesteren|direktøren)\s+indstiller)\b",
    re.I,
)
_ATTACHMENT = re.compile(r"^(?:-\s*)?\./\.?(?:\s|$)")
# what closes the minutes after the last item: the minute-taker, approval and signature lines
_CLOSING = re.compile(
    r"^(?:(?:referent|referatfører|ref\.)\s*[:.–-]|godkendelse af referat(?:et)?\s*:?\s*$|"
    r"underskrift(?:er)?\b|dirigent\s*[/:–-]|_{8,})",
    re.I,
)
# a part of its own appended after the items: the chair's annual report, a service-info block
_APPENDED = re.compile(
    r"^(?:(?:formandens|bestyrelsens|formandskabets)\s+(?:års)?beretning|årsberetning|service\s*-?\s*info)\b",
    re.I,
)


@dataclass(frozen=True)
class Segmentation:
    """The agenda items found in one document, and what the segmenter wants a user to know."""

    items: tuple[AgendaItem, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    raw: str
    clean: str


@dataclass(frozen=True)
class _Candidate:
    index: int  # line index
    number: int
    title: str
    score: float
    explicit: bool = False
    scheme: str = "."
    run_on: bool = False  # the heading line went on into the item's text, cut off from the title


def segment(text: str, doc_id: str) -> Segmentation:
    """Find the agenda items in `text` (a document's normalised text).

    >>> seg = segment("Referat\\n\\nPunkt 1: Velkomst\\n\\nBeslutning\\n\\nGodkendt.", "x")
    >>> seg.items[0].number, seg.items[0].title, seg.items[0].sections_dict
    ('1', 'Velkomst', {'Beslutning': 'Godkendt.'})
    """
    lines = _split_lines(text)
    toc_lines, toc_titles = _table_of_contents(lines)
    candidates = _candidates(lines, toc_lines, toc_titles)
    chain = _best_chain(candidates)
    warnings: list[str] = []

    if not chain:
        body = text.strip()
        if not body:
            return Segmentation((), (f"{doc_id}: empty text; no agenda items",))
        start = len(text) - len(text.lstrip())
        first = next((ln.clean for ln in lines if ln.clean), "")
        title = first[:117] + "..." if len(first) > 120 else first
        item = AgendaItem(
            doc_id=doc_id,
            number=None,
            title=title,
            text=body,
            span=(start, start + len(body)),
            sections=_sections(body, 0),
        )
        return Segmentation((item,), (f"{doc_id}: no agenda items recognised; kept as one unnumbered item",))

    heads = [_heading(lines, c) for c in chain]
    starts = [h.start for h in heads]
    items: list[AgendaItem] = []
    intro = _introduction(lines, toc_lines, starts[0], doc_id, text)
    if intro is not None:
        items.append(intro)
    tail = _trailing_parts(lines, heads[-1].body_offset)
    ends = [*starts[1:], tail[0] if tail else len(text)]
    for k, head in enumerate(heads):
        body = text[head.start : ends[k]].rstrip()
        items.append(
            AgendaItem(
                doc_id=doc_id,
                number=str(head.number),
                title=head.title,
                text=body,
                span=(head.start, head.start + len(body)),
                presenters=head.presenters,
                case_number=head.case_number,
                sections=_sections(body, head.body_offset - head.start),
            )
        )
    for k, start in enumerate(tail):
        end = tail[k + 1] if k + 1 < len(tail) else len(text)
        body = text[start:end].rstrip()
        if body:
            first = body.split("\n", 1)[0].strip()
            items.append(
                AgendaItem(
                    doc_id=doc_id,
                    number=None,
                    title=first[:117] + "..." if len(first) > 120 else first,
                    text=body,
                    span=(start, start + len(body)),
                    sections=_sections(body, 0),
                )
            )
    warnings.extend(_toc_warnings(doc_id, heads, toc_titles))
    numbers = [h.number for h in heads]
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    if missing:
        warnings.append(f"{doc_id}: item numbers skip {', '.join(map(str, missing))}")
    return Segmentation(tuple(items), tuple(warnings))


# --- lines and contents -----------------------------------------------------------------------------


def _clean(raw: str) -> str:
    line = _DEBRIS.sub("", raw).strip()
    m = _EMPHASIS.match(line)
    return m.group("inner").strip() if m else line


def _split_lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw, _clean(raw)))
        pos += len(raw) + 1
    return out


def _toc_entry(line: _Line) -> tuple[int | None, str] | None:
    if "\t" in line.raw:
        m = _TOC_ROW.match(line.clean)
        if m:
            return int(m.group("num")), _strip_leaders(m.group("title"))
    m = _TOC_DOTTED.match(line.clean)
    if m and m.group("title"):
        num = _NUMBERED.match(m.group("title")) or _PUNKT.match(m.group("title"))
        if num:
            return int(num.group("num")), _strip_leaders(num.group("title"))
        return None, _strip_leaders(m.group("title"))
    return None


def _table_of_contents(lines: list[_Line]) -> tuple[set[int], dict[int | None, list[str]]]:
    """Line indexes that belong to a contents table, and its titles by number (None: unnumbered)."""
    toc: set[int] = set()
    titles: dict[int | None, list[str]] = {}
    run: list[tuple[int, tuple[int | None, str]]] = []
    blanks = 0

    def flush() -> None:
        if len(run) >= 2:
            for i, (num, title) in run:
                toc.add(i)
                titles.setdefault(num, []).append(title)
        run.clear()

    for i, line in enumerate(lines):
        if not line.clean:
            blanks += 1
            if blanks > 1:
                flush()
            continue
        blanks = 0
        entry = _toc_entry(line)
        if entry is not None:
            run.append((i, entry))
        elif _TOC_HEADER.match(line.clean) or _TOC_HEADER.match(line.raw.strip()):
            flush()
            toc.add(i)
        else:
            flush()
    flush()
    return toc, titles


def _strip_leaders(title: str) -> str:
    return re.sub(r"\s*(?:\.{2,}|…+|(?:\. ){2,}\.?)\s*\t?\s*\d*\s*$", "", title).strip()


def _norm(title: str) -> str:
    return re.sub(r"[^\wæøå]+", " ", title.lower()).strip()


def _toc_match(title: str, toc_titles: dict[int | None, list[str]]) -> float:
    t = _norm(_split_presenters(title)[0])
    best = 0.0
    for group in toc_titles.values():
        for entry in group:
            e = _norm(entry)
            if not e:
                continue
            if t == e or t.startswith(e) or e.startswith(t):
                return 1.0
            best = max(best, difflib.SequenceMatcher(None, t, e).ratio())
    return best


# --- candidates and the chain -----------------------------------------------------------------------


def _heading_match(clean: str) -> tuple[int, str, bool, str] | None:
    """(number, title, explicit, scheme) of a line shaped like an item heading, else None.

    `explicit` headings say they are items (`Punkt 4`, `§ 4`); `scheme` is how the number is written,
    so that the chain can prefer items numbered alike.
    """
    for pattern, explicit, scheme in (
        (_PUNKT, True, "punkt"),
        (_PARAGRAPH, True, "§"),
        (_NUMBERED, False, "."),
        (_PAREN, False, ")"),
        (_CELL, False, "cell"),
    ):
        m = pattern.match(clean)
        if m:
            return int(m.group("num")), m.group("title").strip(), explicit, scheme
    m = _OCR_ONE.match(clean)
    if m:
        return 1, m.group("title").strip(), False, "."
    return None


_VERB = re.compile(
    r"\b(?:er|var|blev|bliver|har|havde|skal|kan|vil|må|kunne|skulle|foreslår|ønsker|berettede|"
    r"besluttet|vedtaget|godkendt|valgt|genvalgt|[a-zæøå]{3,}ede)\b",
    re.I,
)
# where a heading can run on into the item's text on the same line
_RUN_ON = re.compile(r"(?<=[\w)])(?:\.\s*(?=[A-ZÆØÅ(])|:\s+(?=\S)|\s+[–-]\s+(?=\S))")


def _split_run_on(title: str) -> tuple[str, bool]:
    """Cut a heading that runs on into the item's text ("Valg til bestyrelsen: På valg er ...").

    Cut only where the part before reads as a heading (a few words, no verb) and the part after as a
    sentence (a verb, or a full stop after a few words), so "Dan Andersen - Fjernvarme Fyn" and
    "Lokalplan 12: Boliger ved Strandvejen" stay whole.

    >>> _split_run_on("Indkomne forslag. Bestyrelsen foreslår lavere fart på vejene.")
    ('Indkomne forslag', True)
    >>> _split_run_on("Dan Andersen - Fjernvarme Fyn")
    ('Dan Andersen - Fjernvarme Fyn', False)
    """
    for m in _RUN_ON.finditer(title):
        head, rest = title[: m.start()].strip(), title[m.end() :].strip()
        words = head.split()
        if not words or len(words) > 10 or _VERB.search(head):
            return title, False
        if m.group().startswith(".") and words[-1].lower() in _ABBREVIATIONS:
            continue
        rest_words = rest.split()
        if len(rest_words) >= 3 and (_VERB.search(" ".join(rest_words[:8])) or rest.endswith((".", "!", "?"))):
            return head, True
    return title, False


def _neighbour(lines: list[_Line], i: int, step: int) -> _Line | None:
    j = i + step
    while 0 <= j < len(lines):
        if lines[j].clean:
            return lines[j]
        j += step
    return None


def _candidates(lines: list[_Line], toc_lines: set[int], toc_titles: dict[int | None, list[str]]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for i, line in enumerate(lines):
        if i in toc_lines or not line.clean:
            continue
        match = _heading_match(line.clean)
        if match is None:
            continue
        number, title, explicit, scheme = match
        title, run_on = _split_run_on(_strip_leaders(title))
        first = title.lstrip("\"'“«*_")[:1]
        if not first or not (first.isupper() or (explicit and first.isalpha())):
            continue
        if _DATE_TITLE.match(title) or len(title) > 250 or len(title.split()) > 40:
            continue
        score = 1.0 + (0.5 if explicit else 0.0)
        for step in (-1, 1):
            near = _neighbour(lines, i, step)
            m = _LIST_LINE.match(near.clean) if near else None
            if m and abs(int(m.group("num")) - number) == 1:
                score -= 0.8  # one of a run of numbered lines: a list, not a heading
                break
        if title.endswith((",", ";", ":")):
            score -= 0.5
        if any(
            m.group("word").lower().rstrip(".") not in _ABBREVIATIONS
            and not m.group("word").isdigit()
            and len(m.group("word")) > 1
            for m in _SENTENCE_BREAK.finditer(title)
        ):
            score -= 0.5  # a sentence runs on: body text that happens to start with a number
        before = lines[i - 1].clean if i > 0 else ""
        after = lines[i + 1].clean if i + 1 < len(lines) else ""
        if (not before or _CASE_NUMBER.match(before)) and not after:
            score += 0.2
        if toc_titles and _toc_match(title, toc_titles) >= 0.8:
            score += 0.3
        out.append(_Candidate(i, number, title, score, explicit, scheme, run_on))
    return out


_GAP_PENALTY = 0.7
_MAX_GAP = 5
# "Punkt 412", "Punkt 415": an explicit heading may carry a running number over the year
_RUNNING_GAP_PENALTY = 0.05
_MAX_RUNNING_GAP = 200
_SCHEME_PENALTY = 0.6


def _best_chain(candidates: list[_Candidate]) -> list[_Candidate]:
    """The highest-scoring run of candidates, in document order, whose numbers rise (by one, ideally)."""
    if not candidates:
        return []
    best: list[float] = []
    back: list[int | None] = []
    for k, c in enumerate(candidates):
        start_cost = 0.0 if c.explicit else 0.3 * min(max(c.number - 1, 0), 3)
        score, prev = c.score - start_cost, None
        for j in range(k):
            p = candidates[j]
            gap = c.number - p.number
            if c.explicit and p.explicit and 1 <= gap <= _MAX_RUNNING_GAP:
                penalty = _RUNNING_GAP_PENALTY * min(gap - 1, 5)
            elif 1 <= gap <= _MAX_GAP:
                penalty = _GAP_PENALTY * (gap - 1)
            else:
                continue
            if p.scheme != c.scheme:
                penalty += _SCHEME_PENALTY  # a list numbered otherwise inside an item, not the next item
            s = best[j] + c.score - penalty
            if s > score:
                score, prev = s, j
        best.append(score)
        back.append(prev)
    end = max(range(len(candidates)), key=lambda k: best[k])
    chain: list[_Candidate] = []
    cursor: int | None = end
    while cursor is not None:
        chain.append(candidates[cursor])
        cursor = back[cursor]
    chain.reverse()
    if len(chain) == 1 and chain[0].score < 1.5:
        return []  # one numbered line is no agenda
    return chain


def _trailing_parts(lines: list[_Line], after: int) -> list[int]:
    """Where unnumbered parts start after the last item: its closing (minute-taker, approval, signature
    lines) and an appended report or info block, each its own part rather than text of "Eventuelt"."""
    starts: list[int] = []
    for i, line in enumerate(lines):
        if line.start < after or not line.clean:
            continue
        if not starts and _CLOSING.match(line.clean):
            starts.append(line.start)
        elif _APPENDED.match(line.clean) and len(line.clean.split()) <= 12 and not line.clean.endswith((".", ",")):
            prev = lines[i - 1] if i > 0 else None
            # a title block's first line ("Grundejerforeningen X") directly above the report's heading
            if prev is not None and prev.clean and len(prev.clean.split()) <= 4 and prev.start >= after:
                line = prev
            if not starts or line.start > starts[-1]:
                starts.append(line.start)
    return starts


# --- one heading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    number: int
    title: str
    presenters: tuple[str, ...]
    case_number: str | None
    start: int  # where the item starts (its case-number line when that comes first)
    body_offset: int  # where the item's body starts, after the heading lines


def _looks_like_names(text: str) -> bool:
    words = [w for w in re.split(r"[\s,/&]+", text.strip().rstrip(".")) if w and w != "og"]
    return 0 < len(words) <= 12 and all(w[0].isupper() or w in _PARTICLES for w in words)


def _is_structural(clean: str) -> bool:
    return bool(
        _SECTION_LINE.match(clean)
        or _RECOMMENDS.match(clean)
        or _CASE_NUMBER.match(clean)
        or _heading_match(clean)
        or _ATTACHMENT.match(clean)
        or _SUB_ITEM.match(clean)
    )


def _heading(lines: list[_Line], c: _Candidate) -> _Head:
    title = c.title
    last = c.index
    # a heading wrapped onto the following line(s); one that ran on into text has ended
    for _ in range(0 if c.run_on else 3):
        nxt = last + 1
        if nxt >= len(lines) or not lines[nxt].clean or _is_structural(lines[nxt].clean):
            break
        follow = lines[nxt].clean
        has_presenter = _split_presenters(title)[1] != ()
        if (
            _CONNECTIVES.search(title)
            or (follow[:1].islower() and len(lines[last].clean) >= _WRAP_WIDTH)
            or (not has_presenter and _PRESENTER.match(follow) and _split_presenters(follow)[1])
            or (has_presenter and _looks_like_names(follow) and len(follow.split()) <= 6)
        ):
            title = f"{title} {follow}"
            last = nxt
        else:
            break
    # a presenter's name pushed past a blank line: "... v." / "Thomas Lindberg"
    tail = re.search(r"\sv[./]\s*(?P<names>[^\s]*)$", title)
    if tail and len(tail.group("names").split()) <= 1:
        j = last + 1
        while j < len(lines) and not lines[j].clean:
            j += 1
        if (
            j < len(lines)
            and j - last <= 3
            and not _is_structural(lines[j].clean)
            and _looks_like_names(lines[j].clean)
            and len(lines[j].clean.split()) <= 4
        ):
            title = f"{title} {lines[j].clean}"
            last = j
    clean_title, presenters = _split_presenters(title)
    # case number on the line just before the heading, or within the next few lines
    case_number = None
    start = lines[c.index].start
    prev = _neighbour(lines, c.index, -1)
    if prev is not None and (m := _CASE_NUMBER.match(prev.clean)) and _gap(lines, prev, c.index) <= 2:
        case_number = m.group("id")
        start = prev.start
    body_line = last
    if case_number is None:
        j, seen = last + 1, 0
        while j < len(lines) and seen < 3:
            if lines[j].clean:
                seen += 1
                if m := _CASE_NUMBER.match(lines[j].clean):
                    case_number = m.group("id")
                    body_line = j
                    break
                if _heading_match(lines[j].clean):
                    break
            j += 1
    return _Head(c.number, clean_title, presenters, case_number, start, lines[body_line].end)


def _gap(lines: list[_Line], prev: _Line, index: int) -> int:
    return sum(1 for ln in lines if prev.end < ln.start < lines[index].start)


def _split_presenters(title: str) -> tuple[str, tuple[str, ...]]:
    title = re.sub(r"\s+", " ", _strip_leaders(title)).strip()
    m = _PRESENTER.match(title)
    if m:
        names_text = m.group("names").strip().rstrip(".")
        names = tuple(n.strip() for n in re.split(r"\s*(?:,|/|&|\bog\b)\s*", names_text) if n.strip())
        if not names_text:
            return m.group("title").strip(), ()
        if _looks_like_names(names_text) and all(len(n.split()) <= 5 for n in names):
            return m.group("title").strip(), names
    if title.endswith(":"):
        title = title[:-1].rstrip()
    if title.endswith(".") and not title.endswith(".."):
        last = title[:-1].split()[-1] if title[:-1].split() else ""
        if last.lower() not in _ABBREVIATIONS:
            title = title[:-1].rstrip()
    return title, ()


# --- introduction -----------------------------------------------------------------------------------


def _with_continuation(lines: list[_Line], i: int, end: int) -> str:
    """Line `i` with the lines that continue its sentence (a PDF wraps prose into short lines; a wrapped
    sentence goes on in lower case), up to offset `end`.

    >>> lines = _split_lines("Grundet restriktionerne blev mødet\\nudsat til august.\\nBestyrelsen")
    >>> _with_continuation(lines, 0, 100)
    'Grundet restriktionerne blev mødet udsat til august.'
    """
    out = lines[i].clean
    j = i + 1
    while j < len(lines) and lines[j].end <= end and lines[j].clean[:1].islower() and not out.endswith((".", "!", "?")):
        out = f"{out} {lines[j].clean}"
        j += 1
    return out


def _introduction(
    lines: list[_Line], toc_lines: set[int], first_start: int, doc_id: str, text: str
) -> AgendaItem | None:
    """Prose before the first item (a paper's introduction), or None for plain front matter."""
    front = [(i, ln) for i, ln in enumerate(lines) if ln.end <= first_start and ln.clean]
    heading: tuple[int, str] | None = None
    prose_at: int | None = None
    for i, line in front:
        if i in toc_lines:
            continue
        h = _INTRO_HEADINGS.match(line.clean)
        if h and heading is None:
            heading = (i, line.clean.rstrip(":").strip())
            continue
        prose = _with_continuation(lines, i, first_start)
        words = len(prose.split())
        sentences = prose.endswith((".", "!", "?", ":")) or _SENTENCE_BREAK.search(prose)
        if words >= 20 and sentences and not _LABEL.match(line.clean):
            prose_at = i
            break
    if prose_at is None:
        return None
    if heading is not None and heading[0] < prose_at:
        idx, title = heading
    else:
        idx, title = prose_at, "Indledning"
    start = lines[idx].start
    case_number = None
    prev = _neighbour(lines, idx, -1)
    if prev is not None and (m := _CASE_NUMBER.match(prev.clean)) and _gap(lines, prev, idx) <= 2:
        case_number = m.group("id")
        start = prev.start
    body = text[start:first_start].rstrip()
    offset = lines[idx].end - start if heading is not None and idx == heading[0] else lines[idx].start - start
    return AgendaItem(
        doc_id=doc_id,
        number=None,
        title=title,
        text=body,
        span=(start, start + len(body)),
        case_number=case_number,
        sections=_sections(body, offset),
    )


# --- sections ---------------------------------------------------------------------------------------


def section_heading(line: str) -> tuple[str, int | None] | None:
    """If `line` opens a section, its canonical name and where its text starts in the line.

    The offset is None when the whole line is content ("Det indstilles, at ..." or "./. Bilag 1").

    >>> section_heading("Referat: Godkendt")
    ('Referat', 9)
    >>> section_heading("Det indstilles, at KD-Net godkender dagsordenen")
    ('Indstilling', None)
    >>> section_heading("Referat af møde i KD-Net den 23. oktober 2020") is None
    True
    """
    clean = _clean(line)
    if not clean:
        return None
    if _RECOMMENDS.match(clean):
        return "Indstilling", None
    if _ATTACHMENT.match(clean):
        return "Bilag", None
    m = _SECTION_LINE.match(clean)
    if m is None or not clean[0].isupper():
        return None
    word = m.group("word").lower()
    name = SECTION_NAMES[word]
    where = m.group("where")
    if where and (name not in ("Beslutning", "Indstilling") or where.rstrip().endswith((".", "!", "?"))):
        return None
    rest = m.group("rest")
    if rest:
        return name, line.index(rest, line.index(":") + 1)
    return name, len(line)


def _sections(item_text: str, body_offset: int) -> tuple[Section, ...]:
    """Sections of one item; offsets are into `item_text`. Text before any heading is "Indledning"."""
    marks: list[tuple[str, int, int]] = []  # (name, heading start, text start)
    pos = 0
    current: str | None = None
    for raw in item_text.split("\n"):
        line_start = pos
        pos += len(raw) + 1
        if line_start < body_offset:
            continue
        found = section_heading(raw)
        if found is None:
            continue
        name, offset = found
        if name == "Bilag" and offset is None and current == "Bilag":
            continue  # more attachment lines under the same heading
        text_start = line_start if offset is None else line_start + offset
        marks.append((name, line_start, text_start))
        current = name
    out: list[Section] = []
    first_heading = marks[0][1] if marks else len(item_text)
    if body_offset < first_heading:
        _add_section(out, "Indledning", item_text, body_offset, first_heading)
    for k, (name, _, text_start) in enumerate(marks):
        end = marks[k + 1][1] if k + 1 < len(marks) else len(item_text)
        _add_section(out, name, item_text, text_start, end)
    return tuple(out)


def _add_section(out: list[Section], name: str, text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    s = start + (len(chunk) - len(chunk.lstrip()))
    out.append(Section(name, stripped, s, s + len(stripped)))


def _toc_warnings(doc_id: str, heads: list[_Head], toc_titles: dict[int | None, list[str]]) -> list[str]:
    numbered = {n: t[0] for n, t in toc_titles.items() if n is not None}
    if not numbered:
        return []
    differ = [
        str(h.number)
        for h in heads
        if h.number in numbered
        and difflib.SequenceMatcher(None, _norm(h.title), _norm(numbered[h.number])).ratio() < 0.6
    ]
    out = []
    if differ:
        out.append(
            f"{doc_id}: the table of contents differs from the body for item(s) {', '.join(differ)}; "
            "the body's headings were used"
        )
    if len(numbered) != len(heads):
        out.append(f"{doc_id}: the table of contents lists {len(numbered)} items, the body has {len(heads)}")
    return out
