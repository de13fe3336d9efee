"""Frozen records that cross module boundaries. A leaf module: imports nothing from the project.

Change a record with `dataclasses.replace`; never mutate one.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from typing import Literal

from ingest.danish import date_dk

Kind = Literal["dagsorden", "referat", "notat"]
Outcome = Literal["godkendt", "taget til efterretning", "drøftet", "besluttet", "udsat", "afvist", "ingen", "ukendt"]


@dataclass(frozen=True)
class Section:
    """A named part of an agenda item ("Sagsfremstilling", "Beslutning", "Referat", ...).

    `start`/`end` are offsets into the owning item's `text`.
    """

    name: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Decision:
    """What an agenda item records as decided (the decision register, filled at ingest)."""

    sentences: tuple[str, ...] = ()
    outcome: Outcome = "ukendt"
    recommendation: str | None = None

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


@dataclass(frozen=True)
class AgendaItem:
    """One agenda item (or one unnumbered part, e.g. a paper's introduction: `number` is None).

    `text` is the item's full text; `span` is its (start, end) in the owning document's normalised text.
    `pages` is the 1-based (first, last) page the item spans in a paged source (PDF), else None.
    `closed` marks an item held behind closed doors ("Lukket punkt", a portal's "Lukket:" title).
    """

    doc_id: str
    number: str | None
    title: str
    text: str
    span: tuple[int, int]
    presenters: tuple[str, ...] = ()
    case_number: str | None = None
    sections: tuple[Section, ...] = ()
    decision: Decision = field(default_factory=Decision)
    pages: tuple[int, int] | None = None
    closed: bool = False

    @property
    def sections_dict(self) -> dict[str, str]:
        """Section name -> text. A name that repeats within an item has its texts joined."""
        out: dict[str, str] = {}
        for s in self.sections:
            out[s.name] = f"{out[s.name]}\n\n{s.text}" if s.name in out else s.text
        return out


@dataclass(frozen=True)
class Document:
    """A parsed meeting document. `body`, `date` and `kind` are None when the text does not say."""

    doc_id: str
    source: str
    text: str
    items: tuple[AgendaItem, ...]
    body: str | None = None
    date: str | None = None  # ISO 8601, the meeting's date
    kind: Kind | None = None
    content_hash: str = ""
    warnings: tuple[str, ...] = ()
    page_starts: tuple[int, ...] = ()  # offsets in `text` where each PDF page begins (empty otherwise)

    def page_of(self, offset: int) -> int | None:
        """1-based page number holding `offset`, or None for documents without pages."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)

    def pages_of(self, start: int, end: int) -> tuple[int, int] | None:
        """1-based (first, last) page of the text between offsets `start` and `end`, or None without pages.

        >>> Document("d", "d.pdf", "a" * 30, (), page_starts=(0, 10, 20)).pages_of(5, 15)
        (1, 2)
        """
        first = self.page_of(start)
        last = self.page_of(max(start, end - 1))
        return None if first is None or last is None else (first, last)


@dataclass(frozen=True)
class Chunk:
    """A piece of one agenda item, with its provenance. `start`/`end` index the document's text;
    `pages` is the 1-based (first, last) page of a paged source, else None."""

    id: str
    doc_id: str
    number: str | None  # the agenda item's number (None: the part before the first item)
    item_title: str
    section: str | None
    text: str
    header: str
    start: int
    end: int
    body: str | None = None
    date: str | None = None
    pages: tuple[int, int] | None = None

    @property
    def embed_text(self) -> str:
        """What the embedder sees: the short citation header, then the passage."""
        return f"{self.header}\n{self.text}"


def chunk_id(doc_id: str, number: str | None, index: int, text: str) -> str:
    """Deterministic id, so re-ingesting the same text yields the same ids.

    >>> chunk_id("003", "6", 0, "KD-Net godkendte") == chunk_id("003", "6", 0, "KD-Net godkendte")
    True
    """
    h = hashlib.sha256(f"{doc_id}\x1f{number}\x1f{index}\x1f{text}".encode())
    return h.hexdigest()[:20]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def item_label(body: str | None, date: str | None, number: str | None) -> str:
    """The citation label used everywhere: `KD-Net 22.01.2021, punkt 6` (without brackets).

    Parts the document does not state are left out rather than invented.

    >>> item_label("KD-Net", "2021-01-22", "6")
    'KD-Net 22.01.2021, punkt 6'
    >>> item_label(None, None, None)
    'ukendt møde, indledning'
    """
    who = body or "ukendt møde"
    when = f" {date_dk(date)}" if date else ""
    where = f"punkt {number}" if number else "indledning"
    return f"{who}{when}, {where}"


def page_label(pages: tuple[int, int] | None) -> str:
    """Where a paged source's item stands: `s. 12` or `s. 12-13`; empty without pages.

    >>> page_label((12, 12)), page_label((12, 13)), page_label(None)
    ('s. 12', 's. 12-13', '')
    """
    if not pages:
        return ""
    first, last = pages
    return f"s. {first}" if first == last else f"s. {first}-{last}"
