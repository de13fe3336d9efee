"""Citations: the `[Body DD.MM.YYYY, punkt N]` labels in answers, parsed and verified in code.

A generated answer is only shown if every citation resolves to a source it was given and every
number, date and proper name in it occurs in the text of the items it cites.

`ItemRef` is the one way an agenda item is named past ingest: document id, item `number`, title, body and
meeting date, and the `label` a citation writes. The records that carry an item extend it rather than hold
it in a field, so `hit.number` and `source.label` read directly and its fields come first in every
constructor: `Source` (an item put in front of the model), `Citation` (an item an answer cites),
`rag.retrieve.ItemHit` (a retrieved item) and `rag.assistant.DecisionRow` (a row of the decision register).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.danish import date_dk
from ingest.records import item_label

CITATION_RE = re.compile(r"\[([^\[\]\n]{1,120}?),\s*(punkt\s+[\w.]+|indledning)\s*\]", re.IGNORECASE)
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_NAME_RE = re.compile(r"(?<![\w.])([A-ZÆØÅ][\wæøåÆØÅé-]{2,})")


@dataclass(frozen=True)
class ItemRef:
    """Which agenda item: `number` is None for a document's unnumbered opening.

    >>> ItemRef("003", "6", "Midttrafik", "KD-Net", "2021-01-22").label
    'KD-Net 22.01.2021, punkt 6'
    """

    doc_id: str
    number: str | None
    title: str
    body: str | None
    date: str | None

    @property
    def label(self) -> str:
        """The citation label, e.g. `KD-Net 22.01.2021, punkt 6`."""
        return item_label(self.body, self.date, self.number)


@dataclass(frozen=True)
class Source(ItemRef):
    """One agenda item put in front of the model (and cited by the answer)."""

    text: str  # the item's whole text: what cited facts are checked against
    decision: tuple[str, ...] = ()
    outcome: str = "ukendt"
    recommendation: str | None = None
    excerpts: tuple[str, ...] = ()  # the retrieved passages, best first
    similarity: float = 0.0  # the best dense (cosine) score of its retrieved passages
    pages: tuple[int, int] | None = None  # 1-based (first, last) page in a paged source
    context: str = ""  # the document's head: names the organisation an item belongs to


@dataclass(frozen=True)
class Citation(ItemRef):
    """One agenda item an answer cites."""

    @classmethod
    def of(cls, source: Source) -> Citation:
        return cls(source.doc_id, source.number, source.title, source.body, source.date)


@dataclass(frozen=True)
class Check:
    """The verdict on a generated answer: `ok` only with no problems at all."""

    citations: tuple[Citation, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.citations)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def find_citations(answer: str) -> list[tuple[str, str]]:
    """The raw `(who/when, where)` pairs of every bracketed citation in `answer`.

    >>> find_citations("KD-Net godkendte det [KD-Net 22.01.2021, punkt 6].")
    [('KD-Net 22.01.2021', 'punkt 6')]
    """
    return [(m.group(1).strip(), m.group(2).strip()) for m in CITATION_RE.finditer(answer)]


def resolve(citation: tuple[str, str], sources: Sequence[Source]) -> Source | None:
    """The source a citation names, or None. Exact label first, then date + item number."""
    label = _norm(f"{citation[0]}, {citation[1]}")
    for s in sources:
        if _norm(s.label) == label:
            return s
    where = _norm(citation[1])
    who = _norm(citation[0])
    matches = [s for s in sources if _norm(s.label).endswith(where) and (s.date is None or _label_date(s) in who)]
    return matches[0] if len(matches) == 1 else None


def relabel(answer: str, sources: Sequence[Source]) -> str:
    """`answer` with every citation that resolves written as its source's own label.

    `resolve` accepts a citation by date and item number, so a model may write the wrong body
    ("[Byrådet 03.06.2022, punkt 8]" for KD-Net's item); what the user reads must name the right one.

    >>> s = Source("d", "8", "Takstaftalen", "KD-Net", "2022-06-03", "...")
    >>> relabel("Det blev aftalt [Byrådet 03.06.2022, punkt 8].", [s])
    'Det blev aftalt [KD-Net 03.06.2022, punkt 8].'
    """

    def own(m: re.Match[str]) -> str:
        s = resolve((m.group(1).strip(), m.group(2).strip()), sources)
        return f"[{s.label}]" if s else m.group(0)

    return CITATION_RE.sub(own, answer)


def _label_date(s: Source) -> str:
    if not s.date:
        return ""
    return date_dk(s.date)


def strip_citations(answer: str) -> str:
    return CITATION_RE.sub("", answer)


def verify(answer: str, sources: Sequence[Source], *, question: str = "") -> Check:
    """Check `answer` against the sources it was given.

    Every citation must resolve; every number and proper name must occur in the cited items' text
    (or in the question, which the user wrote); an answer with no citation fails.

    >>> s = Source("d", "6", "Midttrafik", "KD-Net", "2021-01-22", "KD-Net godkendte 3 år.")
    >>> verify("KD-Net godkendte 3 år [KD-Net 22.01.2021, punkt 6].", [s]).ok
    True
    >>> verify("KD-Net godkendte 5 år [KD-Net 22.01.2021, punkt 6].", [s]).problems
    ('"5" står ikke i de citerede punkter',)
    """
    problems: list[str] = []
    cited: list[Source] = []
    for c in find_citations(answer):
        s = resolve(c, sources)
        if s is None:
            problems.append(f"henvisningen [{c[0]}, {c[1]}] passer ikke til nogen kilde")
        elif s not in cited:
            cited.append(s)
    if not cited and not problems:
        problems.append("svaret har ingen henvisninger")
    if cited:
        # The meeting dates count as known, the item numbers in the labels do not: "punkt 12" must not
        # vouch for "12 borgmestre".
        known = [
            *(s.text for s in cited),
            *(f"{s.body or ''} {_label_date(s)} {s.date or ''}" for s in cited),
            question,
        ]
        haystack = _norm(" ".join(known))
        bare = strip_citations(answer)
        for n in dict.fromkeys(_NUMBER_RE.findall(bare)):
            if _norm(n) not in haystack:
                problems.append(f'"{n}" står ikke i de citerede punkter')
        for name in dict.fromkeys(_proper_names(bare)):
            if _norm(name) not in haystack:
                problems.append(f'"{name}" står ikke i de citerede punkter')
    return Check(tuple(Citation.of(s) for s in cited), tuple(problems))


def _proper_names(text: str) -> list[str]:
    """Capitalised words that do not start a sentence: names of people, places and bodies."""
    names: list[str] = []
    for sentence in re.split(r"(?<=[.!?:])\s+|\n+", text):
        words = sentence.strip().lstrip("-•*»«\"' ").split(" ", 1)
        rest = words[1] if len(words) > 1 else ""
        names.extend(m.group(1) for m in _NAME_RE.finditer(rest))
    return names
