"""PDF: the text layer of each page, with the offset where each page starts."""

from __future__ import annotations

import io
import re

from ingest.errors import DocumentError
from ingest.text import ReadResult, normalise_text


def read_pdf(name: str, data: bytes) -> ReadResult:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise DocumentError(name, "is not a PDF file (it lacks the %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise DocumentError(name, "is a truncated or damaged PDF (no end-of-file marker); get a full copy")
    warnings: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" only to restrict editing and open with an empty password.
            if not reader.decrypt(""):
                raise DocumentError(name, "is encrypted (password-protected); save an unprotected copy")
            warnings.append(f"{name}: PDF is encrypted with an empty password; read anyway")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises a wide range of errors on corrupt input
        if not isinstance(exc, PdfReadError) and "crypt" in f"{type(exc).__name__} {exc}".lower():
            raise DocumentError(name, f"is encrypted and cannot be decrypted ({exc})") from exc
        reason = f"is a damaged PDF that cannot be read ({type(exc).__name__}: {exc})"
        raise DocumentError(name, reason) from exc
    if not any(p.strip() for p in pages):
        raise DocumentError(name, "is empty: the PDF has no text layer (a scan?); run OCR on it first")
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in pages:
        body = normalise_text(re.sub(r"(?<=\S) {2,}(?=\S)", " ", page))  # justified-text spacing
        if parts and body:
            offset += 2  # the "\n\n" joining this page to the previous text
        starts.append(offset)
        if body:
            parts.append(body)
            offset += len(body)
    empty = [i + 1 for i, p in enumerate(pages) if not p.strip()]
    if empty:
        warnings.append(f"{name}: pages without text: {', '.join(map(str, empty))}")
    return ReadResult("\n\n".join(parts), tuple(starts), tuple(warnings))
