"""Facts of written Danish that every stage reads: month and weekday names, and the date format of labels.

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


def date_dk(iso: str) -> str:
    """An ISO date as Danish labels write it.

    >>> date_dk("2021-01-22")
    '22.01.2021'
    """
    y, m, d = iso[:10].split("-")
    return f"{d}.{m}.{y}"
