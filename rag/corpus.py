"""Ingesting files into an index: parse -> chunk -> embed what changed -> save atomically.

Each file is handled on its own: a bad file is reported with its reason and the rest go on; the
index is saved once at the end, so a crash leaves the previous index as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.chunking import chunk_document
from ingest.errors import DocumentError
from ingest.parse import parse_document
from rag.embed import Embedder
from rag.index import Index

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")


@dataclass(frozen=True)
class FileReport:
    """What happened to one input file."""

    path: str
    doc_id: str | None = None
    items: int = 0
    chunks_embedded: int = 0
    unchanged: bool = False
    warnings: tuple[str, ...] = ()
    error: str | None = None


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus the supported files found (recursively) in named folders.

    A file named directly is always returned, even with an unsupported type, so that the reader
    can report it; folders contribute only files of a supported type, in a stable order.
    """
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and not f.name.startswith(".")
                )
            )
        else:
            out.append(p)
    return out


def ingest_files(
    files: Iterable[Path],
    index: Index,
    embedder: Embedder,
    *,
    on_file: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Parse, chunk and index `files`; returns one report per file and saves the index once.

    Usage: `ingest_files(expand_paths([Path("data/sample")]), Index.open_or_create(dir, emb), emb)`.
    """
    reports: list[FileReport] = []
    for path in files:
        report = _ingest_one(path, index, embedder)
        reports.append(report)
        if on_file:
            on_file(report)
    index.save()
    return reports


def _ingest_one(path: Path, index: Index, embedder: Embedder) -> FileReport:
    try:
        document = parse_document(path)
    except DocumentError as e:
        return FileReport(path=str(path), error=e.reason)
    except OSError as e:
        return FileReport(path=str(path), error=f"cannot be read ({e.strerror or e})")
    if index.has_document(document.doc_id, document.content_hash):
        return FileReport(
            path=str(path), doc_id=document.doc_id, items=len(document.items), unchanged=True,
            warnings=document.warnings,
        )
    chunks = chunk_document(document)
    embedded = index.upsert_document(document, chunks, embedder)
    return FileReport(
        path=str(path),
        doc_id=document.doc_id,
        items=len(document.items),
        chunks_embedded=embedded,
        warnings=document.warnings,
    )
