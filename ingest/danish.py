"""Facts of written Danish that every stage reads: month and weekday names, the date format of labels, the
section headings of agenda items, list markers and where a sentence ends.

A leaf module: ingest and rag import these instead of keeping copies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MONTH_NAMES: tuple[str, ...] = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
# Month name or abbreviation (as written in minutes: "22. jan. 2021", "3. sept 2020") -> month number.
MONTHS: dict[str, int] = {
    **{name: n for n, name in enumerate(MONTH_NAMES, 1)},
    **{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "okt": 10},
    **{"nov": 11, "dec": 12},
}
# A regex alternation of every key of MONTHS, longest first (so "marts" wins over "mar").
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
WEEKDAYS: tuple[str, ...] = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

# Canonical section name -> the headings (lower case, whole line) Danish agenda items use for it: the
# templates of municipal agenda portals and of Word/PDF minutes (KL, regions, associations). A heading not
# listed is not a section heading to the segmenter; the portal reader keeps unlisted template headings
# under their own words (ingest/portal.py).
SECTION_HEADINGS: dict[str, tuple[str, ...]] = {
    "Sagsfremstilling": (
        "sagsfremstilling",
        "supplerende sagsfremstilling",
        "sagsbeskrivelse",
        "supplerende sagsbeskrivelse",
        "sagens indhold",
        "fremstilling",
        "kort sagsfremstilling",
    ),
    "Beslutning": ("beslutning", "beslutninger", "afgørelse", "udvalgets beslutning"),
    "Referat": ("referat",),
    "Indstilling": (
        "indstilling",
        "indstillinger",
        "supplerende indstilling",
        "administrationens indstilling",
        "forvaltningens indstilling",
        "direktionens indstilling",
        "direktørens indstilling",
        "sekretariatets indstilling",
    ),
    "Resumé": ("resumé", "resume", "sammenfatning"),
    "Økonomi": ("økonomi", "økonomiske konsekvenser", "økonomiske forhold", "bevillingsmæssige konsekvenser"),
    "Lovgrundlag": ("lovgrundlag", "lovhjemmel", "retsgrundlag", "lovgivning", "hjemmel"),
    "Høring": ("høring", "høringssvar", "høringspligt"),
    "Vurdering": ("vurdering", "administrationens vurdering", "forvaltningens vurdering"),
    "Proces": ("proces", "videre proces", "det videre forløb", "videre forløb"),
    "Baggrund": ("baggrund", "sagens baggrund"),
    "Bilag": ("bilag", "bilagsfortegnelse", "bilagsliste"),
    "Konklusion": ("konklusion",),
    "Tidsplan": ("tidsplan",),
    "Kommunikation": ("kommunikation",),
    "Orientering": ("orientering",),
    "Sagsprocedure": ("sagsprocedure",),
    "Fraværende": ("fraværende", "afbud"),
    # Other meetings' treatment of the case: never this item's decision.
    "Sagens forløb": (
        "sagens forløb",
        "sagsforløb",
        "tidligere behandling",
        "tidligere beslutninger",
        "politisk behandling",
    ),
}
# A heading (lower case) -> its canonical section name.
SECTION_NAMES: dict[str, str] = {word: name for name, words in SECTION_HEADINGS.items() for word in words}


def date_dk(iso: str) -> str:
    """An ISO date as Danish labels write it.

    >>> date_dk("2021-01-22")
    '22.01.2021'
    """
    y, m, d = iso[:10].split("-")
    return f"{d}.{m}.{y}"


# ---------------------------------------------------------------------------------------------------
# Votes

# Party name (lower case) -> the list letter minutes record votes by ("Imod stemte: (A), (C) og (Ø)"): the
# letters of the parties registered for Danish national and local elections (Indenrigs- og
# Boligministeriet's register of party letters), with the short names the parties go by.
PARTIES: dict[str, str] = {
    "socialdemokratiet": "A", "socialdemokraterne": "A", "radikale": "B", "radikale venstre": "B",
    "konservative": "C", "det konservative folkeparti": "C", "nye borgerlige": "D", "sf": "F",
    "socialistisk folkeparti": "F", "liberal alliance": "I", "kristendemokraterne": "K", "moderaterne": "M",
    "dansk folkeparti": "O", "venstre": "V", "enhedslisten": "Ø", "alternativet": "Å",
    "danmarksdemokraterne": "Æ",
}  # fmt: skip


# A case number as portals and journals write it: digits joined by - / . ("23-013356", "1-00-14-22",
# "12/27845", "20-072985K").
CASE_NUMBER = re.compile(r"(?<![\w-])\d{1,4}(?:[-/.]\d{2,})+[A-Za-z]?(?![\w-])")


def plural(n: int, one: str, many: str) -> str:
    """Danish number agreement: `one` for exactly 1, else `many` ("1 møde", "0 møder", "2 møder").

    >>> f"1 {plural(1, 'punkt', 'punkter')}", f"3 {plural(3, 'punkt', 'punkter')}"
    ('1 punkt', '3 punkter')
    """
    return one if n == 1 else many


# A recorded vote or a minority's statement: "For stemte: (V), (D)", "(F) undlod at tage stilling",
# "Mindretalsudtalelse", "(Ø) ønsker tilført protokollen", "enstemmigt".
VOTE = re.compile(
    r"\bstemte\b|\bstemmer\b|\bstemmetal|\bundlod\b|\bmindretal\w*|\bflertal\w*|\benstemmig\w*|\bprotokollen\b",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------------
# Sentences

# Abbreviations after which a sentence never ends ("v. Jesper Kaas Schmidt", "bl.a. Aarhus").
_NEVER_FINAL = frozenset(
    """
    adm. afd. ang. bl.a. ca. dir. dvs. ekskl. evt. excl. f.eks. fmd. fx. hhv. iflg. ift. iht. inkl.
    incl. jf. jvf. kl. ml. mht. mhp. nr. pga. pkt. stk. tlf. v. vedr. vha. sml. ifm. i.f.t. m.h.t.
    m.h.p. p.t. pt. tilsv. gl. st. hr. fr. dr. prof. cand. mag.
    """.split()
)
# Abbreviations that can also end a sentence ("... udgør 342.000 kr. Aftalen er godkendt ...").
_MAYBE_FINAL = frozenset("kr. mio. mia. mv. m.v. m.fl. osv. etc. pct. mm. m.m.".split())
_MONTHS = frozenset(MONTH_NAMES)
# A list marker at the start of a line: "- ", "• ", "1. ", "a) ".
BULLET = re.compile(r"^\s*(?:[-–•*▪·]|\d{1,2}[.)]|[a-zæøå][.)])\s+")
_POINT_RANGE = re.compile(r"\d{1,2}\.?\s*[-–]\s*\d{1,2}[a-zæøå]?")
_TERMINATOR = re.compile(r"[.!?]+(?=\s|$)")
_OPENERS = "\"'»«“„(["


def split_sentences(text: str) -> list[str]:
    """Split Danish text into sentences, whitespace collapsed and list markers removed.

    A line break ends a sentence unless the next line continues it in lower case or the line ends in a
    comma or a word no sentence ends in (a PDF line or page break); a full stop ends one only before a
    capital letter, and not after an abbreviation, an initial, a list number or a day of the month.

    >>> split_sentences("Referat:\\nKD-Net godkendte bl.a. proces v. Jesper. Udvalget drøftede sagen.")
    ['Referat:', 'KD-Net godkendte bl.a. proces v. Jesper.', 'Udvalget drøftede sagen.']
    >>> split_sentences("Det blev aftalt den 22. Januar at\\n\\nfortsætte.\\n- 1. punkt")
    ['Det blev aftalt den 22. Januar at fortsætte.', '1. punkt']
    >>> split_sentences("Det blev aftalt, at medlemmer på\\nPederstrupvænget mødes.")
    ['Det blev aftalt, at medlemmer på Pederstrupvænget mødes.']
    """
    out: list[str] = []
    for unit in _units(text):
        out.extend(_split_unit(unit))
    return out


# A line ending in a comma or a word that cannot end a Danish sentence (a preposition, conjunction or
# article) goes on in the next line, even when that starts with a name: "medlemmer på\nPederstrupvænget".
_MID_SENTENCE = re.compile(
    r"(?:,|\s(?:af|at|de|den|der|det|efter|eller|en|et|for|fra|i|med|mellem|men|og|om|over|på|som|til|under|ved))$",
    re.IGNORECASE,
)


def _units(text: str) -> Iterable[str]:
    """Lines joined where a line break falls inside a sentence; bullets always start a unit."""
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        continues = (
            current
            and not BULLET.match(raw)
            and not current[-1].endswith((".", "!", "?", ":"))
            and (line[0].islower() or _MID_SENTENCE.search(current[-1]) is not None)
        )
        if continues:
            current.append(line)
        else:
            if current:
                yield " ".join(current)
            current = [line]
    if current:
        yield " ".join(current)


def _split_unit(unit: str) -> list[str]:
    unit = BULLET.sub("", unit, count=1) if BULLET.match(unit) else unit
    pieces: list[str] = []
    start = 0
    for m in _TERMINATOR.finditer(unit):
        if _ends_sentence(unit, m.start(), m.end()):
            pieces.append(unit[start : m.end()])
            start = m.end()
    pieces.append(unit[start:])
    return [p for p in (" ".join(x.split()) for x in pieces) if p]


def _ends_sentence(unit: str, stop: int, end: int) -> bool:
    rest = unit[end:].lstrip()
    if not rest:
        return True
    nxt = rest.lstrip(_OPENERS)[:1]
    if not (nxt.isupper() or (nxt.isdigit() and unit[stop] in "!?")):
        return False
    if unit[stop] in "!?":
        return True
    token = unit[:end].split()[-1].lstrip(_OPENERS).lower()
    if token in _NEVER_FINAL:
        return False
    if token in _MAYBE_FINAL:
        return True
    word = token.rstrip(".")
    if len(word) == 1 and word.isalpha():  # an initial: "Jens P. Hansen"
        return False
    if _POINT_RANGE.fullmatch(word):  # "1.-3. Anbefales.": the range belongs to the decision after it
        return False
    before = unit[: end - len(token)].split()[-1:] or [""]
    after_sentence = before[0].endswith((".", ":")) and before[0].lower() not in _NEVER_FINAL | _MAYBE_FINAL
    if word.isdigit() and len(word) <= 2 and after_sentence:
        return False  # a point number after a sentence: "1. Godkendt. 2. Anbefales ikke"
    if word.isdigit():
        next_word = rest.split()[0].strip(",.").lower()
        return next_word not in _MONTHS  # "den 3. Juni" vs "i 2021. Det ..." (list numbers are gone)
    return True
