"""Agenda items -> chunks for embedding. langchain-text-splitters stays inside this module.

Each section of an item is split on its own, so a chunk never straddles "Beslutning" and
"Sagsfremstilling"; every chunk carries the item's citation header and its span in the document.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.errors import ConfigError
from ingest.records import AgendaItem, Chunk, Document, chunk_id, item_label

# Danish sentence and clause boundaries before plain spaces; e5-small reads 512 tokens, and
# ~1,000 characters of Danish plus the header stay well below that.
_SHORT_LEAD = 300
_SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class ChunkConfig:
    size: int = 1000
    overlap: int = 150

    def __post_init__(self) -> None:
        if self.size <= 0:
            raise ConfigError(f"chunk size must be > 0, got {self.size}")
        if not 0 <= self.overlap < self.size:
            raise ConfigError(f"chunk overlap must be in [0, size), got {self.overlap}")


def item_header(document: Document, item: AgendaItem) -> str:
    """The short header every chunk of an item is embedded with.

    >>> from ingest.records import AgendaItem, Document
    >>> it = AgendaItem("d", "6", "Midttrafiks indtægtsfordelingsmodel", "...", (0, 3))
    >>> item_header(Document("d", "d.txt", "...", (it,), body="KD-Net", date="2021-01-22"), it)
    'KD-Net 22.01.2021, punkt 6: Midttrafiks indtægtsfordelingsmodel'
    """
    return f"{item_label(document.body, document.date, item.number)}: {item.title}"


def chunk_document(document: Document, config: ChunkConfig | None = None) -> list[Chunk]:
    """Split every item of `document` into chunks that together cover the item's text.

    >>> from ingest.records import AgendaItem, Document
    >>> it = AgendaItem("d", "1", "Godkendelse", "1. Godkendelse\\nGodkendt.", (0, 24))
    >>> [c.text for c in chunk_document(Document("d", "d.txt", it.text, (it,)))]
    ['1. Godkendelse\\nGodkendt.']
    """
    config = config or ChunkConfig()
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=config.size,
        chunk_overlap=config.overlap,
        separators=_SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=False,
    )
    chunks: list[Chunk] = []
    for item in document.items:
        header = item_header(document, item)
        for section_name, start, text in _parts(item):
            for piece in splitter.create_documents([text]):
                body = piece.page_content
                if not body.strip():
                    continue
                lead = len(body) - len(body.lstrip())
                offset = item.span[0] + start + piece.metadata["start_index"] + lead
                body = body.strip()
                chunks.append(
                    Chunk(
                        id=chunk_id(document.doc_id, item.number, len(chunks), body),
                        doc_id=document.doc_id,
                        number=item.number,
                        item_title=item.title,
                        section=section_name,
                        text=body,
                        header=header,
                        start=offset,
                        end=offset + len(body),
                        body=document.body,
                        date=document.date,
                        pages=document.pages_of(offset, offset + len(body)),
                    )
                )
    return chunks


def _parts(item: AgendaItem) -> list[tuple[str | None, int, str]]:
    """(section name, start offset within the item, text) covering the whole item text.

    Text before the first section (the heading, a case number) belongs to it, and a section's heading line
    to the section it opens, so nothing of the item is left unchunked and no chunk ends in the next
    section's heading.

    >>> from ingest.records import Section
    >>> secs = (Section("Sagsfremstilling", "Tekst.", 22, 28), Section("Beslutning", "Godkendt.", 40, 49))
    >>> text = "1. T\\nSagsfremstilling\\nTekst.\\nBeslutning\\nGodkendt."
    >>> it = AgendaItem("d", "1", "T", text, (0, 0), sections=secs)
    >>> [(name, text) for name, _, text in _parts(it)]
    [('Sagsfremstilling', '1. T\\nSagsfremstilling\\nTekst.'), ('Beslutning', '\\nBeslutning\\nGodkendt.')]
    """
    sections = sorted(item.sections, key=lambda s: s.start)
    if not sections:
        return [(None, 0, item.text)]
    parts: list[tuple[str | None, int, str]] = []
    lead_end = sections[0].start
    # A short lead (the heading line, a case number) joins the first section instead of
    # becoming a chunk that says nothing the header does not.
    first_start = 0 if lead_end <= _SHORT_LEAD else lead_end
    if first_start:
        parts.append((None, 0, item.text[:lead_end]))
    bounds = [first_start, *(s.end for s in sections[:-1]), len(item.text)]
    for i, s in enumerate(sections):
        start, end = bounds[i], max(bounds[i + 1], bounds[i])
        parts.append((s.name, start, item.text[start:end]))
    return parts
