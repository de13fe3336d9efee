"""Plain text: decoding bytes to text, the normalisation every reader applies, and the `ReadResult` all
readers return. A leaf of `ingest`: the format readers (`pdf`, `word`, `web`, `portal`) build on it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from ingest.errors import DocumentError
from ingest.records import AgendaItem, Kind

# Control characters, zero-width characters (space, non-joiner, joiner, word joiner, Mongolian vowel
# separator), direction marks and the byte-order mark: invisible, but they split a word for search.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u180e\u200b-\u200f\u2028\u2029\u2060-\u2064\ufeff]")
# No-break, figure, narrow and typographic spaces (en, em, thin, hair ...) and the ideographic space.
_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# A soft hyphen marks where a word may break: at a line end it joins the two halves, elsewhere it is invisible.
_SOFT_HYPHEN = re.compile(r"\u00ad(?:[ \t]*(?:\r\n|\r|\n)[ \t]*)?")
# NFKC only where it mends text: ligatures (Alphabetic Presentation Forms, "ﬁ" -> "fi") and full- and
# half-width forms. Blanket NFKC would change what readers see: "½" -> "1⁄2", "m²" -> "m2", "…" -> "...".
_COMPATIBILITY = re.compile(r"[\ufb00-\ufb4f\uff00-\uffef]+")
# LaTeX without T1 fonts sets "å" as a spacing ring before the letter; text extraction gives "p˚a" or "p˚ a".
_SPACING_RING = re.compile(r"\u02da ?([aA])")
_TRAILING_WS = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class ReadResult:
    """A document's normalised text, and what the file itself states about its structure.

    `page_starts` holds the offset in `text` where each page begins (empty for formats without pages);
    `warnings` are things a user may want to know but that did not stop the read. A format that states
    its agenda items and meeting (an agenda portal's JSON) sets `items` (their spans index `text`; doc ids
    are filled in by the caller) and `body`/`date`/`kind`; these then win over detection from the text.
    """

    text: str
    page_starts: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    items: tuple[AgendaItem, ...] | None = None
    body: str | None = None
    date: str | None = None  # ISO 8601
    kind: Kind | None = None


_BOOKMARKS = re.compile(r"\[bookmark:[^\]\n]*\]")


def normalise_text(text: str) -> str:
    """NFC, `\\n` line ends, plain spaces, no control or zero-width characters, ligatures and soft hyphens
    resolved, runs of blank lines collapsed to one.

    >>> normalise_text("Møde\\r\\n\\u00a0\\r\\n\\r\\n\\r\\nPunkt 1\\x0c")
    'Møde\\n\\nPunkt 1'
    >>> normalise_text("Tra\\ufb01kudvalget: regn\\u00ad\\nvandsbassin\\u200b, 2\\u00a0m² og ½ time")
    'Trafikudvalget: regnvandsbassin, 2 m² og ½ time'
    """
    text = _COMPATIBILITY.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = _SPACING_RING.sub(lambda m: "\u00e5" if m.group(1) == "a" else "\u00c5", text)
    text = unicodedata.normalize("NFC", text)
    # Word-to-text converters leave "[bookmark: Punkt288669]" anchors; they are not the document's words.
    text = _BOOKMARKS.sub("", text)
    text = _SOFT_HYPHEN.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = _CONTROL.sub("", text)
    text = _TRAILING_WS.sub("", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def human_size(n: int) -> str:
    """A byte count as a person reads it.

    >>> human_size(2_500_000), human_size(512)
    ('2.5 MB', '512 bytes')
    """
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n} bytes"


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
    if best is None and junk_ratio(text) > 0.01:
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
            return text if junk_ratio(text) <= 0.01 else None
    return None


def junk_ratio(text: str) -> float:
    if not text:
        return 0.0
    junk = sum(1 for c in text if (unicodedata.category(c) == "Cc" and c not in "\n\r\t\f") or c == "\ufffd")
    return junk / len(text)


def read_text(name: str, data: bytes) -> ReadResult:
    text, warnings = decode_text(name, data)
    if junk_ratio(text) > 0.01:
        raise DocumentError(name, "does not look like text (too many control characters; binary data?)")
    return ReadResult(normalise_text(text), (), warnings)
