"""Read one meeting document (.txt/.md, .docx, .pdf, .html/.htm) into normalised plain text.

Every reader returns the same `ReadResult`; every failure is a `DocumentError` naming the file and the
reason, so a caller can report it per file and go on with the rest.

>>> from pathlib import Path
>>> result = read_document(Path("data/sample/001_727726ba28d7f673.txt"))  # doctest: +SKIP
>>> result.text.splitlines()[0]  # doctest: +SKIP
'REFERAT Udvalg for lighed i sundhed d. 21-02-2024'
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import DocumentError, UnsupportedFormat

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")
# Larger files are refused before they are read. Minutes run to a few MB; a bigger file is nearly always a
# scan, an export of a whole archive or not minutes at all, and reading, segmenting and embedding it would
# hold the machine for a long time. The web app's upload limit is the same number.
MAX_FILE_BYTES = 20_000_000
# A .docx is a zip: its parts may unpack to at most this much (a "zip bomb" unpacks to gigabytes).
MAX_UNZIPPED_BYTES = 200_000_000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[\u00a0\u2007\u202f]")
_TRAILING_WS = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class ReadResult:
    """A document's normalised text.

    `page_starts` holds the offset in `text` where each PDF page begins (empty for other formats);
    `warnings` are things a user may want to know but that did not stop the read.
    """

    text: str
    page_starts: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()


_BOOKMARKS = re.compile(r"\[bookmark:[^\]\n]*\]")


def normalise_text(text: str) -> str:
    """NFC, `\\n` line ends, plain spaces, no control characters, runs of blank lines collapsed to one.

    >>> normalise_text("Møde\\r\\n\\u00a0\\r\\n\\r\\n\\r\\nPunkt 1\\x0c")
    'Møde\\n\\nPunkt 1'
    """
    text = unicodedata.normalize("NFC", text)
    # Word-to-text converters leave "[bookmark: Punkt288669]" anchors; they are not the document's words.
    text = _BOOKMARKS.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = _CONTROL.sub("", text)
    text = _TRAILING_WS.sub("", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def read_document(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> ReadResult:
    """Read `path` by its extension and return its normalised text.

    Raises `UnsupportedFormat` for a type Referat does not read and `DocumentError` for a file that is
    missing, too large, empty, encrypted, damaged or not what its name says.

    >>> read_document(Path("minutes.exe"))  # doctest: +SKIP
    Traceback (most recent call last):
    ingest.errors.UnsupportedFormat: minutes.exe: unsupported file type '.exe'; Referat reads .txt, ...
    """
    name = str(path)
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        hint = " (save it as .docx)" if suffix in (".doc", ".rtf", ".odt") else ""
        raise UnsupportedFormat(
            name,
            f"unsupported file type '{suffix or '(none)'}'{hint}; "
            f"Referat reads {', '.join(SUPPORTED_SUFFIXES)}",
        )
    if not path.is_file():
        raise DocumentError(name, "does not exist or is not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(
            name,
            f"is {_human(size)} ({size} bytes), over the limit of {_human(max_bytes)} ({max_bytes} bytes)",
        )
    if size == 0:
        raise DocumentError(name, "is empty (0 bytes)")
    data = path.read_bytes()
    result = reader(name, data)
    if not result.text.strip():
        raise DocumentError(name, "is empty: it holds no readable text")
    return result


def _human(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n} bytes"


# --- plain text -------------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(name: str, data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode text bytes: a BOM wins, then UTF-8, then the Western single-byte code pages.

    Danish files that are not UTF-8 are nearly always cp1252 (or its subset latin-1), so the guess is
    restricted to those: an open guess picks cp1250 for short texts and turns "ø" into "ř".

    >>> decode_text("x.txt", "Mødet blev hævet".encode("cp1252"))
    ('Mødet blev hævet', ('x.txt: decoded as cp1252 (not UTF-8)',))
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), ()
            except UnicodeDecodeError as exc:
                reason = f"has a {encoding} byte-order mark but is not valid {encoding}: {exc}"
                raise DocumentError(name, reason) from exc
    if b"\x00" in data:
        utf16 = _bomless_utf16(data)
        if utf16 is None:
            raise DocumentError(name, "holds binary data (NUL bytes), not text")
        return utf16, (f"{name}: decoded as UTF-16 without a byte-order mark",)
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp1252", "latin_1", "iso8859_15"]).best()
    encoding = best.encoding if best is not None else "latin_1"
    text = data.decode("cp1252" if encoding == "cp1252" else encoding, errors="strict")
    if best is None and _junk_ratio(text) > 0.01:
        raise DocumentError(name, "does not look like text in any known encoding (binary data?)")
    label = {"latin_1": "latin-1", "iso8859_15": "latin-9"}.get(encoding, encoding)
    return text, (f"{name}: decoded as {label} (not UTF-8)",)


def _bomless_utf16(data: bytes) -> str | None:
    """`data` decoded as UTF-16 when it plainly is: Danish text in UTF-16 has a NUL in nearly every other
    byte (the high byte of each Latin letter), on the same side throughout; binary data does not.

    >>> _bomless_utf16("Møde i Ældrerådet".encode("utf-16-le"))
    'Møde i Ældrerådet'
    >>> _bomless_utf16(bytes(range(40))) is None
    True
    """
    if len(data) % 2:
        return None
    for encoding, high in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
        if high.count(0) >= 0.9 * len(high):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return text if _junk_ratio(text) <= 0.01 else None
    return None


def _junk_ratio(text: str) -> float:
    if not text:
        return 0.0
    junk = sum(1 for c in text if (unicodedata.category(c) == "Cc" and c not in "\n\r\t\f") or c == "\ufffd")
    return junk / len(text)


def _read_text(name: str, data: bytes) -> ReadResult:
    text, warnings = decode_text(name, data)
    if _junk_ratio(text) > 0.01:
        raise DocumentError(name, "does not look like text (too many control characters; binary data?)")
    return ReadResult(normalise_text(text), (), warnings)


# --- PDF --------------------------------------------------------------------------------------------


def _read_pdf(name: str, data: bytes) -> ReadResult:
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


# --- DOCX -------------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _read_docx(name: str, data: bytes) -> ReadResult:
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise DocumentError(name, f"is not a valid .docx file (BadZipFile: {exc})") from exc
    if unzipped > MAX_UNZIPPED_BYTES:
        reason = f"unpacks to {_human(unzipped)}, over the limit of {_human(MAX_UNZIPPED_BYTES)} (a zip bomb?)"
        raise DocumentError(name, reason)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx and lxml raise a wide range of errors on damaged parts
        raise DocumentError(name, f"is not a valid .docx file ({type(exc).__name__}: {exc})") from exc
    numbering = _Numbering(document)
    blocks: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            text = _paragraph_text(child)
            prefix = numbering.prefix(child)
            if text.strip():
                blocks.append(prefix + text)
        elif child.tag == f"{_W}tbl":
            rows = list(_table_rows(child))
            if rows:
                blocks.append("\n".join(rows))
    return ReadResult(normalise_text("\n\n".join(blocks)))


def _paragraph_text(p: Any) -> str:
    out: list[str] = []
    for node in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if node.tag == f"{_W}t":
            out.append(node.text or "")
        elif node.tag == f"{_W}tab":
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _table_rows(tbl: Any) -> Iterator[str]:
    for tr in tbl.iter(f"{_W}tr"):
        cells = [
            " ".join(_paragraph_text(p).strip() for p in tc.iter(f"{_W}p")).strip()
            for tc in tr.iterchildren(f"{_W}tc")
        ]
        if any(cells):
            yield "\t".join(cells)


class _Numbering:
    """Renders Word's automatic list numbers, which python-docx leaves out of `paragraph.text`."""

    def __init__(self, document: Any) -> None:
        self._formats: dict[tuple[str, int], tuple[str, str, int]] = {}
        self._counters: dict[tuple[str, int], int] = {}
        self._style_numbering: dict[str, Any] = {}
        for style in document.styles.element.iterchildren(f"{_W}style"):
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            if num_pr is not None:
                self._style_numbering[style.get(f"{_W}styleId", "")] = num_pr
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for an in root.iterchildren(f"{_W}abstractNum"):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in an.iterchildren(f"{_W}lvl"):
                ilvl = int(lvl.get(f"{_W}ilvl", "0"))
                fmt = _val(lvl, "numFmt") or "decimal"
                text = _val(lvl, "lvlText") or f"%{ilvl + 1}."
                start = int(_val(lvl, "start") or "1")
                levels[ilvl] = (fmt, text, start)
            abstract[an.get(f"{_W}abstractNumId", "")] = levels
        for num in root.iterchildren(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            for ilvl, spec in abstract.get(ref.get(f"{_W}val", ""), {}).items():
                self._formats[(num.get(f"{_W}numId", ""), ilvl)] = spec

    def prefix(self, p: Any) -> str:
        num_id, ilvl = self._num_pr(p)
        if num_id is None or (num_id, ilvl) not in self._formats:
            return ""
        fmt, text, start = self._formats[(num_id, ilvl)]
        if fmt == "bullet":
            return "- "
        if fmt == "none":
            return ""
        count = self._counters.get((num_id, ilvl), start - 1) + 1
        self._counters[(num_id, ilvl)] = count
        for deeper in [k for k in self._counters if k[0] == num_id and k[1] > ilvl]:
            del self._counters[deeper]

        def level_value(m: re.Match[str]) -> str:
            level = int(m.group(1)) - 1
            if level == ilvl:
                return str(count)
            return str(self._counters.get((num_id, level), 1))

        return re.sub(r"%(\d)", level_value, text) + " "

    def _num_pr(self, p: Any) -> tuple[str | None, int]:
        ppr = p.find(f"{_W}pPr")
        num_pr = ppr.find(f"{_W}numPr") if ppr is not None else None
        if num_pr is None and ppr is not None:
            style = ppr.find(f"{_W}pStyle")
            if style is not None:
                num_pr = self._style_numbering.get(style.get(f"{_W}val", ""))
        if num_pr is None:
            return None, 0
        num_id = _val(num_pr, "numId")
        if num_id in (None, "0"):
            return None, 0
        return num_id, int(_val(num_pr, "ilvl") or "0")


def _val(el: Any, child: str) -> str | None:
    node = el.find(f"{_W}{child}")
    return None if node is None else node.get(f"{_W}val")


# --- HTML -------------------------------------------------------------------------------------------

_DROP_TAGS = (
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "noscript",
    "iframe",
    "template",
    "svg",
    "button",
    "dialog",
)
_WIDGET = re.compile(r"cookie|consent|gdpr|share|social|breadcrumb|menu|navbar|skip-?link", re.IGNORECASE)
_BLOCK_TAGS = frozenset(
    "address article blockquote body caption dd details div dl dt fieldset figcaption figure h1 h2 h3 h4 h5 "
    "h6 hr li main ol p pre section summary table tbody thead tfoot tr ul".split()
)
_PARAGRAPH_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 table ul ol pre blockquote dl section article".split())


# Real pages nest a few dozen elements deep. Parsing time grows with the square of the depth (200,000
# nested <div>s, 1.2 MB, take minutes), and rendering recurses once per level.
_MAX_HTML_DEPTH = 400
_HTML_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*?(/?)>")
# Void elements, and elements whose end tag may be left out (`<p>`, `<li>` ...): they do not nest.
_FLAT_TAGS = frozenset(
    "area base br col embed hr img input link meta source track wbr p li dt dd tr td th option thead tbody "
    "tfoot colgroup caption rb rt rp optgroup".split()
)


def _html_depth(text: str) -> int:
    """How deep the elements of `text` nest, counted from its tags (before the costly parse).

    >>> _html_depth("<div><p>a<p>b<div><br><span>c</span></div></div>")
    3
    """
    depth = deepest = 0
    for m in _HTML_TAG.finditer(text):
        if m.group(3) or m.group(2).lower() in _FLAT_TAGS:
            continue
        depth = max(depth - 1, 0) if m.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _read_html(name: str, data: bytes) -> ReadResult:
    from selectolax.lexbor import LexborHTMLParser

    text, warnings = _decode_html(name, data)
    depth = _html_depth(text)
    if depth > _MAX_HTML_DEPTH:
        reason = f"is HTML nested too deeply to read ({depth} elements inside each other; real pages use < 100)"
        raise DocumentError(name, reason)
    tree = LexborHTMLParser(text)
    root = tree.body or tree.root
    if root is None:
        raise DocumentError(name, "is empty: the HTML has no body")
    for node in root.css(",".join(_DROP_TAGS)):
        node.decompose()
    for node in root.css("[class], [id], [role], [aria-label]"):
        attrs = node.attributes
        marker = " ".join(str(attrs.get(k) or "") for k in ("class", "id", "role", "aria-label"))
        if _WIDGET.search(marker) or (attrs.get("role") or "") in ("navigation", "banner", "contentinfo"):
            node.decompose()
    out: list[str] = []
    try:
        _render_html(root, out)
    except RecursionError:  # deep nesting the tag count did not see (end tags left out)
        reason = "is HTML nested too deeply to read (hundreds of elements inside each other)"
        raise DocumentError(name, reason) from None
    rendered = re.sub(r"\n[ ]+", "\n", "".join(out))  # inline whitespace left at line starts
    return ReadResult(normalise_text(rendered), (), warnings)


def _decode_html(name: str, data: bytes) -> tuple[str, tuple[str, ...]]:
    head = data[:2048].decode("ascii", errors="ignore")
    declared = re.search(r"""charset\s*=\s*["']?([\w-]+)""", head, re.IGNORECASE)
    if declared and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode(declared.group(1)), ()
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(name, data)


def _render_html(node: Any, out: list[str]) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            out.append(re.sub(r"\s+", " ", child.text_content or ""))
        elif tag == "br":
            out.append("\n")
        elif tag in ("td", "th"):
            cell: list[str] = []
            _render_html(child, cell)
            out.append(re.sub(r"\s+", " ", "".join(cell)).strip() + "\t")
        elif tag == "tr":
            row: list[str] = []
            _render_html(child, row)
            out.append("\n" + "".join(row).rstrip("\t"))
        elif tag in ("ol", "ul"):
            out.append("\n\n")
            number = int(child.attributes.get("start") or 1) if tag == "ol" else 0
            for item in child.iter(include_text=False):
                if item.tag != "li":
                    _render_html(item, out)
                    continue
                out.append("\n" + (f"{number}. " if tag == "ol" else "- "))
                number += 1
                _render_html(item, out)
            out.append("\n\n")
        elif tag in _BLOCK_TAGS:
            sep = "\n\n" if tag in _PARAGRAPH_TAGS else "\n"
            out.append(sep)
            _render_html(child, out)
            out.append(sep)
        elif tag in ("-comment", "img"):
            continue
        else:
            _render_html(child, out)


_READERS: dict[str, Callable[[str, bytes], ReadResult]] = {
    ".txt": _read_text,
    ".md": _read_text,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
    ".html": _read_html,
    ".htm": _read_html,
}
