"""Counts over the collection: meetings of a body in a period and the agenda items of meetings, counted from
the index's metadata, never from the top-k items retrieval finds. Every counted meeting or item is listed
and cited, so the reader can check the count. (Items with an outcome are counted from the register:
`rag.answer.list_register`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from ingest.danish import date_dk, plural
from rag.citations import Citation, Source
from rag.filters import Filters

# A listing longer than this names its first entries and says how many more there are.
MAX_LISTED = 40


def period_words(filters: Filters) -> str:
    """The period a count covers, in Danish: "i 2024", "fra 01.03.2023 til 30.06.2023", "" for all time.

    >>> period_words(Filters(date_from="2024-01-01", date_to="2024-12-31"))
    'i 2024'
    >>> period_words(Filters(date_from="2023-05-15", date_to="2023-05-15"))
    'den 15.05.2023'
    """
    lo, hi = filters.date_from, filters.date_to
    if lo and hi and lo[:4] == hi[:4] and lo[5:] == "01-01" and hi[5:] == "12-31":
        return f"i {lo[:4]}"
    if lo and hi and lo == hi:
        return f"den {date_dk(lo)}"
    if lo and hi:
        return f"fra {date_dk(lo)} til {date_dk(hi)}"
    if lo:
        return f"fra {date_dk(lo)}"
    return f"til {date_dk(hi)}" if hi else ""


def count_meetings(meetings: Sequence[Source], filters: Filters) -> tuple[str, list[Citation]]:
    """How many meetings, per body: `meetings` holds one source per meeting (its first item, which the
    count cites), in any order.

    >>> m = [Source("a", "1", "Dagsorden", "KTM", "2024-01-15", ""), Source("b", "1", "Dagsorden", "KTM",
    ...     "2024-03-11", "")]
    >>> print(count_meetings(m, Filters(date_from="2024-01-01", date_to="2024-12-31"))[0])
    KTM holdt 2 møder i 2024: 15.01.2024 [KTM 15.01.2024, punkt 1], 11.03.2024 [KTM 11.03.2024, punkt 1].
    """
    when = period_words(filters)
    if not meetings:
        return f"De indlæste dokumenter har ingen møder {when or 'for det, der spørges om'}.".replace("  ", " "), []
    ordered = sorted(meetings, key=lambda s: (s.body or "", s.date or ""))
    per_body = [(body, list(group)) for body, group in groupby(ordered, key=lambda s: s.body or "ukendt organ")]
    lines = []
    for body, group in per_body:
        n = len(group)
        dates = ", ".join(f"{date_dk(s.date) if s.date else 'uden dato'} [{s.label}]" for s in group[:MAX_LISTED])
        more = f" og {n - MAX_LISTED} flere" if n > MAX_LISTED else ""
        lines.append(f"{body} holdt {n} {plural(n, 'møde', 'møder')}{f' {when}' if when else ''}: {dates}{more}.")
    if len(per_body) > 1:
        total = len(meetings)
        head = f"I alt {total} {plural(total, 'møde', 'møder')}{f' {when}' if when else ''} i de indlæste dokumenter:"
        lines = [head, *(f"- {line}" for line in lines)]
    return "\n".join(lines), [Citation.of(s) for s in ordered[:MAX_LISTED]]


def count_items(items: Sequence[Source], filters: Filters, *, closed: bool = False) -> tuple[str, list[Citation]]:
    """How many agenda items the meetings in `items` had (numbered items only), each listed and cited,
    in meeting and item order; `closed` names them as items held behind closed doors.

    >>> it = [Source("a", "1", "Budget", "KTM", "2024-01-15", ""), Source("a", "2", "Cykelsti", "KTM",
    ...     "2024-01-15", "")]
    >>> print(count_items(it, Filters())[0])
    KTM 15.01.2024: 2 punkter.
    - punkt 1: Budget [KTM 15.01.2024, punkt 1]
    - punkt 2: Cykelsti [KTM 15.01.2024, punkt 2]
    """
    one, many = ("lukket punkt", "lukkede punkter") if closed else ("punkt", "punkter")
    numbered = [s for s in items if s.number]
    if not numbered:
        when = period_words(filters)
        return f"De indlæste dokumenter har ingen {many} {when or 'for det, der spørges om'}.", []
    meetings = [(k, list(g)) for k, g in groupby(numbered, key=lambda s: (s.body, s.date, s.doc_id))]
    lines = []
    for (body, date, _doc), group in meetings:
        n = len(group)
        lines.append(f"{body or 'ukendt organ'} {date_dk(date) if date else ''}: {n} {plural(n, one, many)}.")
        lines += [f"- punkt {s.number}: {s.title} [{s.label}]" for s in group[:MAX_LISTED]]
        if n > MAX_LISTED:
            lines.append(f"- og {n - MAX_LISTED} flere")
    if len(meetings) > 1:
        total = len(numbered)
        lines.insert(0, f"I alt {total} {plural(total, one, many)} på {len(meetings)} møder:")
    cited = [s for _k, group in meetings for s in group[:MAX_LISTED]]
    return "\n".join(lines), [Citation.of(s) for s in cited]
