"""Ingesting files into an index: parse -> chunk -> embed what changed -> save atomically.

Each file is handled on its own: a bad file is reported with its reason and the rest go on, whatever
the reader raised; the index is saved once at the end, so a crash leaves the previous index as it was.
Two files that would get the same document id in one run are not allowed to overwrite each other: the
second is reported. Folders skip hidden files, Word's `~$` lock files and sidecars; `on_skip` hears of
other files of a type Referat does not read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.chunking import chunk_document
from ingest.errors import ConfigError, DocumentError
from ingest.parse import parse_document
from ingest.readers import SUPPORTED_SUFFIXES
from rag.embed import Embedder
from rag.index import Index


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


def expand_paths(paths: Iterable[Path], *, on_skip: Callable[[Path], None] | None = None) -> list[Path]:
    """Files named directly, plus the supported files found (recursively) in named folders.

    A file named directly is always returned, even with an unsupported type, so that the reader
    can report it; folders contribute only files of a supported type, in a stable order. Of the files
    a folder holds, hidden files, Word's `~$name.docx` lock files and `.meta.json` sidecars are not
    documents; any other file of an unsupported type is passed to `on_skip`.
    """
    out: list[Path] = []
    for p in paths:
        if not p.is_dir():
            out.append(p)
            continue
        for f in sorted(f for f in p.rglob("*") if f.is_file()):
            if f.name.startswith((".", "~$")) or f.name.lower().endswith(".meta.json"):
                continue
            if f.suffix.lower() in SUPPORTED_SUFFIXES:
                out.append(f)
            elif on_skip:
                on_skip(f)
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
    seen: dict[str, Path] = {}  # document id -> the file of this run that has it
    for path in files:
        report = _ingest_one(path, index, embedder, seen)
        reports.append(report)
        if on_file:
            on_file(report)
    index.save()
    return reports


def _ingest_one(path: Path, index: Index, embedder: Embedder, seen: dict[str, Path]) -> FileReport:
    try:
        document = parse_document(path)
    except DocumentError as e:
        # A sidecar's problem names the sidecar, not the document.
        return FileReport(path=str(path), error=e.reason if e.path == str(path) else str(e))
    except ConfigError as e:  # a bad date or kind in the file's sidecar: this file's problem only
        return FileReport(path=str(path), error=str(e))
    except OSError as e:
        return FileReport(path=str(path), error=f"cannot be read ({e.strerror or e})")
    except Exception as e:  # a reader tripping over one strange file must not stop the rest of the run
        return FileReport(path=str(path), error=f"cannot be read ({type(e).__name__}: {e}); please report this file")
    first = seen.setdefault(document.doc_id, path)
    if first.resolve() != path.resolve():
        return FileReport(
            path=str(path),
            error=f"has the same document id {document.doc_id!r} as {first} (the id is the file name without "
            "its extension); rename one of them so that neither replaces the other",
        )
    warnings = document.warnings
    if index.has_document(document.doc_id, document.content_hash):
        return FileReport(
            path=str(path), doc_id=document.doc_id, items=len(document.items), unchanged=True, warnings=warnings
        )
    earlier = index.documents.get(document.doc_id)
    if earlier is not None and Path(earlier.source).resolve() != path.resolve():
        warnings += (f"replaces document {document.doc_id!r}, ingested earlier from {earlier.source}",)
    chunks = chunk_document(document)
    embedded = index.upsert_document(document, chunks, embedder)
    return FileReport(
        path=str(path),
        doc_id=document.doc_id,
        items=len(document.items),
        chunks_embedded=embedded,
        warnings=warnings,
    )
