"""Read one meeting document into normalised plain text: which reader handles which file.

Every reader returns the same `ReadResult`; every failure is a `DocumentError` naming the file and the
reason, so a caller can report it per file and go on with the rest.

>>> from pathlib import Path
>>> result = read_document(Path("data/sample/001_727726ba28d7f673.txt"))  # doctest: +SKIP
>>> result.text.splitlines()[0]  # doctest: +SKIP
'REFERAT Udvalg for lighed i sundhed d. 21-02-2024'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.errors import DocumentError, UnsupportedFormat
from ingest.pdf import read_pdf
from ingest.portal import read_portal
from ingest.text import ReadResult, human_size, read_text
from ingest.web import read_html
from ingest.word import read_docx

__all__ = ["MAX_FILE_BYTES", "SUPPORTED_SUFFIXES", "ReadResult", "read_document", "unsupported_reason"]

# Larger files are refused before they are read. Minutes run to a few MB; a bigger file is nearly always a
# scan, an export of a whole archive or not minutes at all, and reading, segmenting and embedding it would
# hold the machine for a long time. The web app's upload limit is the same number.
MAX_FILE_BYTES = 20_000_000

_READERS: dict[str, Callable[[str, bytes], ReadResult]] = {
    ".txt": read_text,
    ".md": read_text,
    ".docx": read_docx,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
    ".json": read_portal,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)


def unsupported_reason(path: Path) -> str:
    """Why `path` is not read, and what to do about it.

    >>> unsupported_reason(Path("gammel.doc"))[:46]
    "unsupported file type '.doc' (save it as .docx"
    """
    suffix = path.suffix.lower()
    hint = " (save it as .docx)" if suffix in (".doc", ".rtf", ".odt") else ""
    return f"unsupported file type '{suffix or '(none)'}'{hint}; Referat reads {', '.join(SUPPORTED_SUFFIXES)}"


def read_document(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> ReadResult:
    """Read `path` by its extension and return its normalised text.

    Raises `UnsupportedFormat` for a type Referat does not read and `DocumentError` for a file that is
    missing, too large, empty, encrypted, damaged or not what its name says.

    >>> read_document(Path("minutes.exe"))  # doctest: +SKIP
    Traceback (most recent call last):
    ingest.errors.UnsupportedFormat: minutes.exe: unsupported file type '.exe'; Referat reads .txt, ...
    """
    name = str(path)
    if not path.exists():
        raise DocumentError(name, "does not exist")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise UnsupportedFormat(name, unsupported_reason(path))
    if not path.is_file():
        raise DocumentError(name, "is not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(
            name,
            f"is {human_size(size)} ({size} bytes), over the limit of {human_size(max_bytes)} ({max_bytes} bytes)",
        )
    if size == 0:
        raise DocumentError(name, "is empty (0 bytes)")
    data = path.read_bytes()
    result = reader(name, data)
    if not result.text.strip():
        raise DocumentError(name, "is empty: it holds no readable text")
    return result
