"""Facts of written Danish that every stage reads: month and weekday names, the date format of labels, and
the section headings of agenda items.

A leaf module: ingest and rag import these instead of keeping copies.
"""

from __future__ import annotations

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
