"""Ingesting files into an index: parse -> chunk -> embed what changed -> save atomically.

Each file is handled on its own: a bad file is reported with its reason and the rest go on, whatever
the reader raised; the index is saved once at the end, so a crash leaves the previous index as it was.
Folders skip hidden files, Word's `~$` lock files and sidecars; `on_skip` hears of other files of a type
Referat does not read.

Document identity (`document_id`): a document's id is its file name without the extension, unless another
file of that name, in another folder, already holds it (in the index, with its file still there, or
earlier in this run): then the folder's name is put in front (`2024-03-05_referat`), and a short hash of
the folder's path after that if even this is taken. So two exports both named `referat.txt` are both kept,
and each keeps its id on every later run. A file with the same bytes (and the same body and date) as one
already indexed, or earlier in this run, is a duplicate: reported, not indexed twice. When the file it
duplicates is gone (moved or renamed), the new file takes its place.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunking import chunk_document
from ingest.errors import ConfigError, DocumentError
from ingest.parse import parse_document, safe_doc_id
from ingest.readers import SUPPORTED_SUFFIXES
from ingest.records import Document
from rag.embed import Embedder
from rag.index import DocumentInfo
from rag.stores import Store


@dataclass(frozen=True)
class FileReport:
    """What happened to one input file: indexed (`doc_id`), left as it was (`unchanged`), a duplicate of
    another file (`duplicate_of`, not indexed) or refused (`error`, the reason)."""

    path: str
    doc_id: str | None = None
    items: int = 0
    chunks: int = 0
    chunks_embedded: int = 0
    unchanged: bool = False
    warnings: tuple[str, ...] = ()
    error: str | None = None
    duplicate_of: str | None = None  # the file with the same bytes that is indexed instead


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
    index: Store,
    embedder: Embedder,
    *,
    on_file: Callable[[FileReport], None] | None = None,
    by_name: bool = False,
) -> list[FileReport]:
    """Parse, chunk and index `files`; returns one report per file and saves the index once.

    `by_name=True` makes the file name alone the identity (uploads, whose folders are temporary): a file
    uploaded again under its name replaces the earlier upload.

    Usage: `ingest_files(expand_paths([Path("data/sample")]), open_or_create_store(dir, emb), emb)`.
    """
    reports: list[FileReport] = []
    run = _Run(index, by_name)
    for path in files:
        report = _ingest_one(path, index, embedder, run)
        reports.append(report)
        if on_file:
            on_file(report)
    index.save()
    return reports


def stale_documents(index: Store, folders: Iterable[Path]) -> list[tuple[str, str]]:
    """(document id, source) of indexed documents whose file lay under one of `folders` and is gone.

    Usage: `for doc_id, _ in stale_documents(index, [Path("referater")]): index.remove_document(doc_id)`.
    """
    roots = [f.resolve() for f in folders if f.is_dir()]
    out = []
    for doc_id, info in index.documents.items():
        source = Path(info.source).resolve()
        if any(source.is_relative_to(r) for r in roots) and not source.exists():
            out.append((doc_id, info.source))
    return out


@dataclass
class _Run:
    """What one ingest run has seen: ids and contents taken so far, and the index's own."""

    index: Store
    by_name: bool
    ids: dict[str, Path] = field(default_factory=dict)  # document id -> the file of this run that has it
    # (content hash, body, date) -> the first file of this run that had it
    contents: dict[tuple[str, str | None, str | None], Path] = field(default_factory=dict)
    # content hash -> ids of the documents the index held when the run began (one pass, not one per file)
    indexed: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for doc_id, info in self.index.documents.items():
            self.indexed.setdefault(info.content_hash, []).append(doc_id)

    def same_bytes(self, document: Document) -> list[tuple[str, DocumentInfo]]:
        """Other indexed documents with `document`'s bytes, as (id, what the index records)."""
        docs = self.index.documents
        ids = self.indexed.get(document.content_hash, ())
        return [(d, docs[d]) for d in ids if d != document.doc_id and d in docs]

    def document_id(self, path: Path) -> str:
        """The id `path` gets (see the module docstring)."""
        base = safe_doc_id(path.stem)
        if self.by_name:
            return base
        folder = path.resolve().parent
        digest = hashlib.sha256(str(folder).encode()).hexdigest()[:6]
        with_folder = safe_doc_id(f"{folder.name}_{path.stem}")
        for candidate in (base, with_folder, f"{with_folder}-{digest}"):
            if self._free_for(candidate, path):
                return candidate
        return f"{with_folder}-{digest}"

    def _free_for(self, doc_id: str, path: Path) -> bool:
        if doc_id in self.ids:
            return _same_file(self.ids[doc_id], path)
        info = self.index.documents.get(doc_id)
        if info is None:
            return True
        earlier = Path(info.source)
        return _same_file(earlier, path) or not earlier.exists()

    def duplicate_of(self, document: Document, path: Path) -> str | None:
        """The earlier file holding this document (same bytes, same body and date), when it is still there:
        this run's, or the index's."""
        key = (document.content_hash, document.body, document.date)
        first = self.contents.setdefault(key, path)
        if not _same_file(first, path):
            return str(first)
        for _, info in self.same_bytes(document):
            other = Path(info.source)
            if (info.body, info.date) == key[1:] and other.exists() and not _same_file(other, path):
                return info.source
        return None


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _ingest_one(path: Path, index: Store, embedder: Embedder, run: _Run) -> FileReport:
    doc_id = run.document_id(path)
    try:
        document = parse_document(path, doc_id=doc_id)
    except DocumentError as e:
        # A sidecar's problem names the sidecar, not the document.
        return FileReport(path=str(path), error=e.reason if e.path == str(path) else str(e))
    except ConfigError as e:  # a bad date or kind in the file's sidecar: this file's problem only
        return FileReport(path=str(path), error=str(e))
    except OSError as e:
        return FileReport(path=str(path), error=f"cannot be read ({e.strerror or e})")
    except Exception as e:  # a reader tripping over one strange file must not stop the rest of the run
        return FileReport(path=str(path), error=f"cannot be read ({type(e).__name__}: {e}); please report this file")
    # The index records where the file is as an absolute path: later runs, from any folder, can tell
    # whether it is still there (identity, duplicates, --prune).
    document = dataclasses.replace(document, source=str(path.resolve()))
    if (first := run.duplicate_of(document, path)) is not None:
        return FileReport(path=str(path), duplicate_of=first)
    run.ids[doc_id] = path
    warnings = document.warnings
    earlier = index.documents.get(doc_id)
    if earlier is not None and not _same_file(Path(earlier.source), path):
        warnings += (f"replaces document {doc_id!r}, ingested earlier from {earlier.source}",)
    for other_id, info in run.same_bytes(document):  # the same bytes, indexed from a file now gone
        if not Path(info.source).exists():
            index.remove_document(other_id)
            warnings += (f"takes the place of {other_id!r}, indexed from {info.source}, which is gone",)
    # Parsed and chunked again even when the file is unchanged: a newer Referat may read it better. The
    # index keeps what is unchanged (nothing is embedded again) and says whether anything changed.
    chunks = chunk_document(document)
    revision = index.revision
    embedded = index.upsert_document(document, chunks, embedder)
    return FileReport(
        path=str(path),
        doc_id=doc_id,
        items=len(document.items),
        chunks=len(chunks),
        chunks_embedded=embedded,
        unchanged=index.revision == revision,
        warnings=warnings,
    )
