"""A case over time: the agenda items that treat one matter at several meetings and bodies, oldest first.

Items are linked by case number (a portal's SagsNummer: "21-014439", "1-00-14-22", "12/27845") across
meetings and bodies, so a case goes committee -> Økonomiudvalget -> Byrådet as one timeline. A document
without case numbers links its items by a near-identical title within one body ("Budget 2024" at two
meetings of one board). A number one body treats at more than `STANDING_PER_YEAR` meetings in a year is a
standing item's ("Godkendelse af dagsorden"), not a matter's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from ingest.danish import CASE_NUMBER, date_dk, plural
from rag.answer import decision_passage, section_decision
from rag.citations import Citation, Source

# A standing item comes to every meeting ("Godkendelse af dagsorden"); a matter goes to each body a few
# times a year (Greve's Villa Sitka, the busiest real case in ../shared/realdocs/greve: 4 meetings of one
# body in a year).
STANDING_PER_YEAR = 6
# Titles this alike (difflib ratio, casefolded, numbering and punctuation dropped) name one matter;
# "Budget 2024 - 1. behandling" and "Budget 2024 - 2. behandling" are 0.95 alike, "Budget 2024" and
# "Regnskab 2023" 0.5.
SAME_TITLE = 0.9
_DECISION_CHARS = 300


@dataclass(frozen=True)
class Case:
    """One matter's agenda items, oldest meeting first. `key` is the case number, or the title that linked
    them when the documents have none."""

    key: str
    steps: tuple[Source, ...]

    @property
    def title(self) -> str:
        """The newest step's title: what the matter is called now."""
        return self.steps[-1].title if self.steps else ""

    @property
    def numbered(self) -> bool:
        """Whether `key` is a case number (else a title)."""
        return is_case_number(self.key)


def is_case_number(text: str) -> bool:
    """Whether `text` is a case number as portals write them.

    >>> is_case_number("21-014439"), is_case_number("12/27845"), is_case_number("Villa Sitka")
    (True, True, False)
    """
    return bool(CASE_NUMBER.fullmatch(text.strip()))


def same_title(a: str, b: str) -> bool:
    """Whether two agenda-item titles name one matter (`SAME_TITLE`).

    >>> same_title("Budget 2024 - 1. behandling", "Budget 2024 - 2. behandling")
    True
    >>> same_title("Budget 2024", "Regnskab 2023")
    False
    """
    x, y = _plain_title(a), _plain_title(b)
    return bool(x) and SequenceMatcher(None, x, y).ratio() >= SAME_TITLE


def _plain_title(title: str) -> str:
    return " ".join(re.sub(r"[^\wæøå ]+", " ", re.sub(r"^\s*\d+[.)]?\s*", "", title.casefold())).split())


def is_standing(steps: Iterable[Source]) -> bool:
    """Whether one body treats these items at more than `STANDING_PER_YEAR` meetings within one year."""
    per = Counter((s.body, (s.date or "")[:4]) for s in steps)
    return bool(per) and max(per.values()) > STANDING_PER_YEAR


def linked(seed: Source, seed_case: str | None, items: Iterable[tuple[Source, str | None]]) -> Case:
    """The case of `seed` among `items` ((item, its case number) pairs, the seed among them or not):
    the items with its case number, or, when it has none, those of its body with a near-identical title.
    Each meeting's item counts once; oldest first."""
    if seed_case:
        steps = [s for s, number in items if number == seed_case]
        key = seed_case
    else:
        steps = [s for s, number in items if not number and s.body == seed.body and same_title(s.title, seed.title)]
        key = seed.title
    unique = {(s.doc_id, s.number): s for s in [seed, *steps]}
    return Case(key, tuple(sorted(unique.values(), key=lambda s: (s.date or "", s.doc_id))))


def timeline(case: Case) -> tuple[str, list[Citation]]:
    """The case as a cited timeline in Danish: one line per meeting (date, body, item, outcome, decision).

    >>> a = Source("1", "7", "Cykelsti", "KTM", "2024-02-12", "...", decision=("Udsat.",), outcome="udsat")
    >>> b = Source("2", "4", "Cykelsti", "KTM", "2024-06-10", "...", decision=("Godkendt.",), outcome="godkendt")
    >>> print(timeline(Case("24-001", (a, b)))[0])
    Sagen »Cykelsti« (sagsnr. 24-001) er behandlet på 2 møder:
    - 12.02.2024, KTM, punkt 7: udsat – »Udsat.« [KTM 12.02.2024, punkt 7]
    - 10.06.2024, KTM, punkt 4: godkendt – »Godkendt.« [KTM 10.06.2024, punkt 4]
    """
    n = len(case.steps)
    ref = f" (sagsnr. {case.key})" if case.numbered else ""
    lines = [f"Sagen »{case.title}«{ref} er behandlet på {n} {plural(n, 'møde', 'møder')}:"]
    for s in case.steps:
        lines.append(f"- {step_line(s)} [{s.label}]")
    return "\n".join(lines), [Citation.of(s) for s in case.steps]


def step_line(s: Source) -> str:
    """One step of a timeline without its citation: "12.02.2024, KTM, punkt 7: udsat – »Udsat.«"."""
    s = section_decision(s)
    said = _short(decision_passage(s)) if s.decision else ""
    return f"{_brief_step(s)} – »{said}«" if said else _brief_step(s)


def _short(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _DECISION_CHARS:
        return text
    cut = text[:_DECISION_CHARS].rsplit(" ", 1)[0]
    return f"{cut} …"


def superseded(newest: Source, earlier: Sequence[Source]) -> tuple[str, list[Source]]:
    """The line that says the newest decision supersedes the treatments before it, and those treatments
    (each cited in the line); ("", []) when there were none.

    >>> a = Source("1", "7", "Cykelsti", "TU", "2024-02-12", "...", decision=("Udsat.",), outcome="udsat")
    >>> b = Source("2", "4", "Cykelsti", "TU", "2024-06-10", "...", decision=("Godkendt.",), outcome="godkendt")
    >>> print(superseded(b, [a])[0])
    Den seneste behandling (10.06.2024) afløser den tidligere: 12.02.2024, TU, punkt 7: udsat [TU 12.02.2024, punkt 7].
    """
    before = [s for s in earlier if (s.date or "") < (newest.date or "") and s != newest]
    if not before:
        return "", []
    when = date_dk(newest.date) if newest.date else ""
    steps = "; ".join(f"{_brief_step(s)} [{s.label}]" for s in before)
    which = "den tidligere" if len(before) == 1 else "de tidligere"
    return f"Den seneste behandling ({when}) afløser {which}: {steps}.", before


def _brief_step(s: Source) -> str:
    when = date_dk(s.date) if s.date else "uden dato"
    where = f"punkt {s.number}" if s.number else "indledning"
    outcome = "" if s.outcome in ("ukendt", "ingen") else f": {s.outcome}"
    return f"{when}, {s.body or 'ukendt organ'}, {where}{outcome}"
