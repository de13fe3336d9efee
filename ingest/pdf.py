"""PDF: page-aware text from the text layer, read by OCR where a page is a scan.

The text comes from PDFium (`pypdfium2`), chosen by measuring pypdf, pdfplumber and pypdfium2 on the 32
real PDFs in shared/realdocs (15 LaTeX, 16 Word/print exports incl. 2 scans with an OCR layer, 1 table):
pypdf loses the spaces between words in whole LaTeX paragraphs ("Derholdesetgrilleventden15maj...", 6 of
15 files), pdfplumber cuts table rows across cells ("... og intern Sundhed og Vedtaget ...") and is 18x
slower; PDFium keeps words, keeps each table cell's text together, marks line-end hyphens, and is the
fastest (0.2 s for all 32 files against pypdf's 1.4 s and pdfplumber's 3.9 s). None of them expands a
ligature that a font maps to U+FB01 and so on; `normalise_text` does. PyMuPDF was not considered: AGPL.

Scans are read with tesseract's Danish model through `pytesseract`, on page images PDFium renders at
300 dpi: one process per page and no other tools (ocrmypdf would add Ghostscript and a rewritten PDF only to
extract its text again). A page is OCR'd when it has no text layer but an image covers much of it, or when
its text layer is a poor OCR of its own (many tokens such as "Dan{el", "Wo1l}iebel!"); the new text is kept
only where it is cleaner. OCR is bounded per document by `OCR_MAX_PAGES` and `OCR_BUDGET_S`.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.errors import DocumentError
from ingest.text import ReadResult, normalise_text

if TYPE_CHECKING:
    import pypdfium2

# Measured on this 2-core machine at 300 dpi, one thread: 1.3-3.9 s per A4 page (the 4-page pure scan in 8-9 s,
# the poor-layer page in 2-3 s), so the bounds hold one document to three minutes at most; a 200-page scan is
# read for its first ~60 pages and the rest are named in a warning.
OCR_DPI = 300
OCR_MAX_PAGES = 60
OCR_BUDGET_S = 180.0
OCR_LANGUAGE = "dan"
# "One column of text of variable sizes": minutes are set in one column. On the poor-layer scan the automatic
# layout (psm 3) cut one item number from its title ("(94" / ". Fastsættelse") and read "4." as "Å."; psm 4 kept
# all nine heading lines whole (two numbers still misread). Same text on the pure scan. Two columns would mix.
_PSM = "--psm 4"
_MAX_PIXELS = 40_000_000  # a poster-sized page is rendered smaller rather than as a 500 MB bitmap

SCAN_NEEDS_OCR = "scanned, no text layer; install tesseract-ocr-dan to read it"


def tesseract_available() -> bool:
    """Whether tesseract and its Danish language data are installed (Debian: `tesseract-ocr-dan`).

    >>> isinstance(tesseract_available(), bool)
    True
    """
    if shutil.which("tesseract") is None:
        return False
    import pytesseract

    try:
        return OCR_LANGUAGE in pytesseract.get_languages(config="")
    except (pytesseract.TesseractError, OSError, RuntimeError):
        return False


def read_pdf(name: str, data: bytes) -> ReadResult:
    """Read a PDF: its pages' text without running headers and footers, line-end hyphens mended, scans OCR'd.

    `page_starts[i]` is the offset in the text where page i + 1 begins.

    >>> from pathlib import Path
    >>> minutes = Path(__file__).parents[1] / "tests" / "ingest" / "fixtures" / "003_kdnet.pdf"
    >>> result = read_pdf(minutes.name, minutes.read_bytes())
    >>> len(result.page_starts), result.text[result.page_starts[1] :][:37]
    (16, '2. Godkendelse af referatet fra mødet')
    """
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise DocumentError(name, "is not a PDF file (it lacks the %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise DocumentError(name, "is a truncated or damaged PDF (no end-of-file marker); get a full copy")
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    warnings: list[str] = []
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise DocumentError(name, "is encrypted (password-protected); save an unprotected copy") from exc
        raise DocumentError(name, f"is a damaged PDF that cannot be read ({exc})") from exc
    try:
        # Many PDFs are "encrypted" only to restrict editing; PDFium opens them with the empty password.
        if pdfium_c.FPDF_GetSecurityHandlerRevision(doc.raw) != -1:
            warnings.append(f"{name}: PDF is encrypted with an empty password; read anyway")
        pages = _read_pages(name, doc, warnings)
    except pdfium.PdfiumError as exc:
        raise DocumentError(name, f"is a damaged PDF that cannot be read ({exc})") from exc
    finally:
        doc.close()
    texts = drop_page_furniture([_clean_page(p) for p in pages])
    text, starts = _join_pages(texts)
    empty = [i + 1 for i, t in enumerate(texts) if not t]
    if empty and text:
        warnings.append(f"{name}: pages without text: {', '.join(map(str, empty))}")
    return ReadResult(text, starts, tuple(warnings))


@dataclass(frozen=True)
class _Layer:
    text: str
    image_share: float  # the share of the page the largest image covers


def _read_pages(name: str, doc: pypdfium2.PdfDocument, warnings: list[str]) -> list[str]:
    layers = [_layer(doc[i]) for i in range(len(doc))]
    scans = [i for i, p in enumerate(layers) if _letters(p.text) < 20 and p.image_share >= 0.3]
    # A scanned page with an OCR layer of its own: re-read when that layer is garbled (a few % of tokens).
    poor = [
        i
        for i, p in enumerate(layers)
        if p.image_share >= 0.5 and len(p.text.split()) >= 20 and _garbled_share(p.text) >= 0.03
    ]
    texts = [p.text for p in layers]
    if not scans and not poor:
        if not any(_letters(t) for t in texts):
            raise DocumentError(name, "is empty: the PDF has no text layer, and no page is a scan to read by OCR")
        return texts
    if not tesseract_available():
        if not any(_letters(t) for i, t in enumerate(texts) if i not in scans):
            raise DocumentError(name, SCAN_NEEDS_OCR)
        if scans:
            warnings.append(f"{name}: {_pages(scans)} not read: {SCAN_NEEDS_OCR.replace('read it', 'read them')}")
        if poor:
            warnings.append(f"{name}: {_pages(poor)}: poor OCR text layer; install tesseract-ocr-dan to read it anew")
        return texts
    read, late, failed = _ocr(doc, sorted(scans + poor))
    replaced = []
    for i, ocr_text in read.items():
        if i in scans or _garbled_share(ocr_text) < _garbled_share(texts[i]):
            texts[i] = ocr_text
            replaced.append(i)
    if replaced:
        warnings.append(f"{name}: OCR (tesseract, Danish) read {_pages(replaced)}; check names and numbers")
    bound = f"{OCR_MAX_PAGES} pages or {OCR_BUDGET_S:.0f} s of OCR per document"
    # A poor-layer page left over keeps its own layer; only scans without one go unread.
    late = [i for i in late if i in scans]
    if late:
        warnings.append(f"{name}: {_pages(late)} not read: over the bound of {bound}")
    for i, reason in failed.items():
        warnings.append(f"{name}: page {i + 1}: OCR failed ({reason})")
    if not any(_letters(t) for t in texts):
        if late:
            raise DocumentError(name, f"is a scan; OCR found no text before the bound of {bound}")
        raise DocumentError(name, "is a scan in which OCR found no text")
    return texts


def _layer(page: pypdfium2.PdfPage) -> _Layer:
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        # All of the page's text, also what lies outside the page box (PDFium's bounded read would drop it).
        text = textpage.get_text_range()
    finally:
        textpage.close()
    # PDFium replaces a hyphen at a line end with U+FFFE (\x02 in its bounded read) and pulls the next line's
    # first word up; put the break back so one hyphenation rule decides for every source, OCR included.
    text = re.sub(r"[\ufffe\x02](?:\r?\n)?", "-\n", text)
    width, height = page.get_size()
    largest = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        left, bottom, right, top = obj.get_bounds()
        largest = max(largest, max(0.0, right - left) * max(0.0, top - bottom))
    return _Layer(text, min(1.0, largest / (width * height)) if width * height else 0.0)


def _ocr(doc: pypdfium2.PdfDocument, wanted: list[int]) -> tuple[dict[int, str], list[int], dict[int, str]]:
    """OCR the pages `wanted` within the bounds: their text, the pages left over, and why any page failed."""
    import pytesseract

    read: dict[int, str] = {}
    late: list[int] = []
    failed: dict[int, str] = {}
    start = time.monotonic()
    for i in wanted:
        left = OCR_BUDGET_S - (time.monotonic() - start)
        if len(read) >= OCR_MAX_PAGES or left <= 1:
            late.append(i)
            continue
        page = doc[i]
        width, height = page.get_size()
        scale = min(OCR_DPI / 72, math.sqrt(_MAX_PIXELS / max(1.0, width * height)))
        image = page.render(scale=scale, grayscale=True).to_pil()
        try:
            with _one_thread():
                read[i] = pytesseract.image_to_string(image, lang=OCR_LANGUAGE, config=_PSM, timeout=left)
        except pytesseract.TesseractError as exc:
            failed[i] = str(exc.message or exc.status)
        except RuntimeError as exc:  # pytesseract's timeout
            if "timeout" not in str(exc).lower():
                raise
            late.append(i)
    return read, late, failed


@contextmanager
def _one_thread() -> Iterator[None]:
    """Tesseract's OpenMP threads fight each other on a small machine: the 4-page scan took 52 s with them and
    16 s on one thread. pytesseract passes no environment of its own, so set the limit for the call only."""
    before = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = before or "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["OMP_THREAD_LIMIT"]


def _clean_page(text: str) -> str:
    return normalise_text(re.sub(r"(?<=\S) {2,}(?=\S)", " ", text))  # justified-text spacing


# Page-number lines: "3", "- 3 -", "Side 3", "Side 3 af 12", "s. 3", "3/12", "Page 3 of 12".
_PAGE_NUMBER = re.compile(
    r"[\s\-–—]*(?:(?:side|page|s\.)\s*)?\d{1,3}(?:\s*(?:af|of|/)\s*\d{1,3})?[\s\-–—]*", re.IGNORECASE
)
_PAGE_PHRASE = re.compile(r"\b(?:side|page)\s*\d+|\b\d+\s*(?:af|of)\s*\d+\b", re.IGNORECASE)
# "side 3 af 12" / "page 3 of 12" anywhere in a line at a page edge marks a footer even on a single page.
_PAGE_OF = re.compile(r"\b(?:side|page)\s*\d+\s*(?:af|of)\s*\d+\b", re.IGNORECASE)
# An agenda heading ("3.", "4)", "a )", "§ 5", "Punkt 7") or a list line ("• ...", "- ...") is never furniture,
# even when it repeats at page edges (every item may open with "a ) Ugentlig update").
_HEADING = re.compile(r"(?:§\s*\d|\d{1,3}\s*[.)](?:\s|$)|[^\W\d_]\s?\)\s|punkt\s+\d|[•▪◦*\-–]\s)", re.IGNORECASE)
_EDGE = 3  # lines at the top and at the bottom of a page where running headers and footers sit


def drop_page_furniture(pages: list[str]) -> list[str]:
    """Drop running headers and footers: lines at the top or bottom of most pages that are the same but for
    their numbers (page numbers, dates), and bare page-number lines. The first page keeps its header lines,
    since they may be the only place the document names its body or date.

    >>> pages = ["Referat 12. maj\\nPunkt 1\\nUdvalget\\nSide 1 af 2", "Referat 12. maj\\nbesluttede\\nSide 2 af 2"]
    >>> drop_page_furniture(pages)
    ['Referat 12. maj\\nPunkt 1\\nUdvalget', 'besluttede']
    """
    lines = [p.split("\n") for p in pages]
    texted = [i for i, p in enumerate(pages) if p.strip()]
    seen: Counter[str] = Counter()
    for i in texted:
        seen.update({_key(line) for _, line, _ in _edges(lines[i])})
    need = max(2, math.ceil(0.5 * len(texted)))

    def furniture(line: str) -> bool:
        key = _key(line)
        if seen[key] < need or not key or key.endswith(":"):
            return False
        if _HEADING.match(line.strip()) and not _PAGE_PHRASE.search(line):
            return False
        # In a short document a repeated line without any number may be content ("Godkendt").
        return len(texted) >= 3 or any(c.isdigit() for c in line)

    out = []
    first = texted[0] if texted else -1
    for i, page in enumerate(lines):
        drop = set()
        for j, line, top in _edges(page):
            running = furniture(line) or _PAGE_OF.search(line)
            if _PAGE_NUMBER.fullmatch(line) or (running and not (i == first and top)):
                drop.add(j)
        kept = "\n".join(line for j, line in enumerate(page) if j not in drop)
        out.append(re.sub(r"\n{3,}", "\n\n", kept).strip())
    return out


def _edges(page: list[str]) -> Iterator[tuple[int, str, bool]]:
    """The first and last lines of a page with text: (index, line, whether it is at the top)."""
    filled = [j for j, line in enumerate(page) if line.strip()]
    top = filled[:_EDGE]
    for j in top + [j for j in filled[-_EDGE:] if j not in top]:
        yield j, page[j], j in top


def _key(line: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", line)).strip().casefold()


# A word broken at a line end (or a page end, marked by \f): "regn-" / "vandsbassin".
_BROKEN = re.compile(r"(?P<a>[^\W\d_]+)-\n(?P<page>\f)?[ \t]*(?P<b>[^\W\d_]+)")
# "Teknik- og Miljøudvalget": a hyphen that shares the end of a compound with the next word stays.
_CONJUNCTIONS = frozenset({"og", "eller", "samt", "til", "som", "end", "henholdsvis", "hhv", "and", "or"})
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def mend_hyphenation(text: str) -> str:
    """Join words hyphenated at line ends where the joined word is one: it occurs elsewhere in the text, or the
    continuation is a lower-case word that is not a conjunction. A hyphen the text also writes mid-line
    ("NAT-IT") is kept; "Teknik-\\nog Miljøudvalget" and "Bjørn-\\nLarsen" are left as they are.

    >>> mend_hyphenation("et regn-\\nvandsbassin og Teknik-\\nog Miljøudvalget, Bjørn-\\nLarsen")
    'et regnvandsbassin og Teknik-\\nog Miljøudvalget, Bjørn-\\nLarsen'
    """
    known = {w.casefold() for w in _WORD.findall(_BROKEN.sub(" ", text))}

    def mend(m: re.Match[str]) -> str:
        a, b, page = m["a"], m["b"], m["page"] or ""
        if b.casefold() in _CONJUNCTIONS:
            return m.group()
        if f"{a}-{b}".casefold() in known:
            return f"{a}-{b}{page}"
        if (a + b).casefold() in known or b[0].islower():
            return f"{a}{b}{page}"
        return m.group()

    return _BROKEN.sub(mend, text)


def _join_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """One text from the pages, and where each page starts in it. A page break inside a sentence becomes a
    line break, not a blank line, so a decision that runs over a page stays one paragraph."""
    marked = mend_hyphenation("\n\f".join(pages))
    text = ""
    starts: list[int] = []
    line_ended = True
    for part in marked.split("\f"):
        ends_line = part.endswith("\n")
        part = part.removesuffix("\n")
        if text and part:
            if not line_ended:
                joiner = ""
            elif text[-1] in ".!?" and not part[0].islower():
                joiner = "\n\n"
            else:
                joiner = "\n"
            text += joiner
        starts.append(len(text))
        text += part
        if part:
            line_ended = ends_line
    return text, tuple(starts)


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


_JUNK = re.compile(r"[{}|\\€<>@#^~\[\]]|![^\W\d_]|[^\W\d_]\d+[^\W\d_]|[a-zæøå][A-ZÆØÅ]{1,2}[a-zæøå]")


def _garbled_share(text: str) -> float:
    """The share of words with OCR debris inside: brackets or "!" among letters, a digit between letters, an
    upper-case letter inside a lower-case word. Clean text scores 0-1 %; a poor OCR layer 5 % or more.

    >>> _garbled_share("Formand Dan{el }{errnansen berettede, Kaj Wo1l}iebel!")
    0.5
    """
    words = [w.strip(".,;:()\"'”“’?") for w in text.split() if any(c.isalpha() for c in w)]
    return sum(bool(_JUNK.search(w)) for w in words) / len(words) if words else 0.0


def _pages(indexes: list[int]) -> str:
    """ "page 3" or "pages 1, 2, 4" (1-based)."""
    numbers = ", ".join(str(i + 1) for i in indexes)
    return f"page {numbers}" if len(indexes) == 1 else f"pages {numbers}"
