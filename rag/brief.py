"""Briefing notes across meetings: background, decisions in date order, open points — every line cited.

Built from structure read in code (the decision register and the best-matching sentences), so each
sentence is a quotation from the item it cites; no model is needed and none can misattribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingest.danish import split_sentences
from rag.citations import Citation, Source
from rag.question import content_terms

OPEN_OUTCOMES = frozenset({"udsat", "drøftet", "ukendt"})
_STATUS = {"udsat": "udsat", "drøftet": "drøftet uden beslutning"}


@dataclass(frozen=True)
class Briefing:
    topic: str
    markdown: str
    citations: tuple[Citation, ...]


def _date_key(s: Source) -> str:
    return s.date or "9999"


def _best_sentences(topic: str, source: Source, n: int) -> list[str]:
    terms = set(content_terms(topic))
    texts = [*source.excerpts] or [source.text]
    scored = []
    for i, sentence in enumerate(dict.fromkeys(x for t in texts for x in split_sentences(t))):
        overlap = len(terms & set(content_terms(sentence)))
        if overlap and len(sentence) > 30:
            scored.append((-overlap, i, sentence.strip()))
    return [s for *_k, s in sorted(scored)[:n]]


def brief(topic: str, sources: Sequence[Source], *, background_items: int = 2) -> Briefing:
    """A Markdown briefing on `topic` from retrieved `sources` (best first).

    >>> s = Source("d", "6", "Midttrafik", "KD-Net", "2021-01-22", "Modellen giver et plus.",
    ...            decision=("KD-Net godkendte processen.",), outcome="godkendt",
    ...            excerpts=("Modellen giver et plus til regionen.",))
    >>> print(brief("modellen", [s]).markdown.splitlines()[0])
    # Overblik: modellen
    """
    lines = [f"# Overblik: {topic}", ""]
    if not sources:
        lines.append("Dokumenterne indeholder intet om emnet.")
        return Briefing(topic, "\n".join(lines), ())
    dated = sorted(sources, key=_date_key)
    meetings = {s.doc_id for s in sources}
    lines.append(
        f"_Bygger på {len(sources)} dagsordenspunkter fra {len(meetings)} møder/dokumenter. "
        "Hver linje er et citat fra det punkt, den henviser til._"
    )
    lines += ["", "## Baggrund", ""]
    for s in sources[:background_items]:
        for sentence in _best_sentences(topic, s, 2):
            lines.append(f"- »{sentence}« [{s.label}]")
    decided = [s for s in dated if s.decision and s.outcome not in OPEN_OUTCOMES]
    lines += ["", "## Beslutninger", ""]
    if decided:
        for s in decided:
            lines.append(f"- {s.title}: »{' '.join(s.decision)}« [{s.label}]")
    else:
        lines.append("- Ingen af de fundne punkter har en registreret beslutning.")
    open_points = [
        s
        for s in dated
        if (s.outcome in OPEN_OUTCOMES and s.outcome != "ukendt") or (s.outcome == "ukendt" and s.recommendation)
    ]
    lines += ["", "## Åbne punkter", ""]
    if open_points:
        for s in open_points:
            what = " ".join(s.decision) if s.decision else (s.recommendation or "")
            status = _STATUS.get(s.outcome, "ingen beslutning fundet")
            lines.append(f"- {s.title} ({status}): »{what.strip()}« [{s.label}]")
    else:
        lines.append("- Ingen udsatte eller uafklarede punkter blandt de fundne.")
    cites = tuple({Citation.of(s): None for s in sources})
    return Briefing(topic, "\n".join(lines) + "\n", cites)
