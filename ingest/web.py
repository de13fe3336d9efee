"""HTML pages and publishing-system exports: visible text in reading order, tables row by row."""

from __future__ import annotations

import codecs
import re
from typing import Any

from ingest.errors import DocumentError
from ingest.text import ReadResult, decode_text, normalise_text

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


def read_html(name: str, data: bytes) -> ReadResult:
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
