"""HTML pages and publishing-system exports: visible text in reading order, tables row by row.

Publishing systems lay out an item heading in many ways: `<h2>5. Titel</h2>`, a number and a title in
separate spans (`<span class="nr">5</span><span class="titel">Titel</span>`), a `<br>` between them, a
`<dt>`/`<dd>` pair, or a table row `<td>5</td><td>Titel</td>`. Each is rendered as one heading line
(`5. Titel`, `Punkt 5: Titel`) that the segmenter recognises. A run of such rows whose titles recur
further on (or that carry page numbers) is a table of contents and stays tab-separated, as the
segmenter expects of contents rows. `render_table` holds the table rules; the Word reader uses it too.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Sequence
from typing import Any

from ingest.errors import DocumentError
from ingest.segment import section_heading
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
    """Read an HTML page or export as normalised text, page widgets (menus, cookie banners) left out.

    >>> read_html("m.html", b"<table><tr><td>5</td><td>Budget 2025</td></tr></table>").text
    '5. Budget 2025'
    """
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
        _render_html(root, out, recurs_in(root.text(deep=True, separator=" ")))
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


_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6 dt".split())
_STRUCTURE_TAGS = _BLOCK_TAGS | {"table", "td", "th", "tr", "thead", "tbody", "tfoot", "ol", "ul", "li", "dl"}


def _render_html(node: Any, out: list[str], recurs: Callable[[str], bool], *, in_heading: bool = False) -> None:
    inline: list[Any] = []  # a run of text and inline elements between blocks: one line as a reader sees it
    for child in node.iter(include_text=True):
        if child.tag not in _STRUCTURE_TAGS:
            inline.append(child)
            continue
        _render_inline(inline, out, recurs, in_heading=in_heading)
        inline = []
        _render_block(child, out, recurs)
    _render_inline(inline, out, recurs, in_heading=in_heading)


def _render_inline(nodes: list[Any], out: list[str], recurs: Callable[[str], bool], *, in_heading: bool) -> None:
    heading = _split_heading(nodes, in_heading=in_heading)
    if heading is not None:
        out.append("\n\n" + heading + "\n\n")
        return
    for child in nodes:
        tag = child.tag
        if tag == "-text":
            out.append(re.sub(r"\s+", " ", (child.text_content or "").replace("\u00ad", "")))
        elif tag == "br":
            out.append(" " if in_heading else "\n")
        elif tag not in ("-comment", "img"):
            _render_html(child, out, recurs, in_heading=in_heading)


def _render_block(child: Any, out: list[str], recurs: Callable[[str], bool]) -> None:
    tag = child.tag
    if tag == "table":
        rows = [[_paragraphs(cell, recurs) for cell in _cells(tr)] for tr in _rows(child)]
        out.append("\n\n" + "\n\n".join(render_table(rows, recurs)) + "\n\n")
    elif tag in ("td", "th", "tr", "thead", "tbody", "tfoot"):  # outside a <table>: read its text
        _render_html(child, out, recurs)
        out.append("\t" if tag in ("td", "th") else "\n")
    elif tag in ("ol", "ul"):
        out.append("\n\n")
        number = int(child.attributes.get("start") or 1) if tag == "ol" else 0
        for item in child.iter(include_text=False):
            if item.tag != "li":
                _render_html(item, out, recurs)
                continue
            out.append("\n" + (f"{number}. " if tag == "ol" else "- "))
            number += 1
            _render_html(item, out, recurs)
        out.append("\n\n")
    elif tag == "dl":
        out.append("\n\n")
        _render_definitions(child, out, recurs)
        out.append("\n\n")
    else:
        sep = "\n\n" if tag in _PARAGRAPH_TAGS else "\n"
        out.append(sep)
        _render_html(child, out, recurs, in_heading=tag in _HEADING_TAGS)
        out.append(sep)


def _split_heading(nodes: list[Any], *, in_heading: bool) -> str | None:
    """A line whose item number stands apart from its title ("<span>5</span><span>Titel</span>",
    "<h2>Punkt 5<br>Titel</h2>") as one heading line; None for any other line. Outside a heading
    element a "title" that ends a sentence is prose that starts with a number ("<b>5</b> borgere ...")."""
    pieces: list[str] = []
    for node in nodes:
        for d in node.traverse(include_text=True):
            if d.tag in _STRUCTURE_TAGS:
                return None
            if d.tag == "-text" and (d.text_content or "").strip():
                pieces.append((d.text_content or "").replace("\u00ad", "").strip())
    if len(pieces) < 2 or not _ITEM_NUMBER.match(pieces[0]):
        return None
    rendered: list[str] = []
    for node in nodes:
        if node.tag == "-text":
            rendered.append(node.text_content or "")
        elif node.tag == "br":
            rendered.append(" ")
        else:
            rendered.append(node.text(deep=True, separator=""))
    line = re.sub(r"\s+", " ", "".join(rendered).replace("\u00ad", "")).strip()
    if not line.startswith(pieces[0]):
        return None
    title = line[len(pieces[0]) :].strip()
    if not in_heading and title.endswith((".", "!", "?")):
        return None
    return heading_line(pieces[0], title)


def _rows(table: Any) -> list[Any]:
    """A table's own rows (not those of tables nested in its cells), in order."""
    rows: list[Any] = []
    for child in table.iter(include_text=False):
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(tr for tr in child.iter(include_text=False) if tr.tag == "tr")
    return rows


def _cells(tr: Any) -> list[Any]:
    return [cell for cell in tr.iter(include_text=False) if cell.tag in ("td", "th")]


def _paragraphs(node: Any, recurs: Callable[[str], bool]) -> list[str]:
    """A cell's text as paragraphs (blank-line separated blocks), whitespace tidied."""
    out: list[str] = []
    _render_html(node, out, recurs)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", "".join(out))
    return [p.strip() for p in re.split(r"\n{2,}", text) if p.strip()]


def _render_definitions(dl: Any, out: list[str], recurs: Callable[[str], bool]) -> None:
    """`<dt>5</dt><dd>Title</dd>` is an item heading; other terms and definitions are lines of their own."""
    term: str | None = None
    for child in dl.iter(include_text=False):
        if child.tag == "dt":
            if term is not None:
                out.append("\n" + term + "\n")
            term = _inline_text(child)
            continue
        text = "\n".join(_paragraphs(child, recurs))
        if term is not None:
            first, _, rest = text.partition("\n")
            heading = heading_line(term, first)
            if heading is not None:
                out.append("\n\n" + heading + "\n\n" + rest + "\n")
                term = None
                continue
            out.append("\n" + term + "\n")
            term = None
        out.append(text + "\n")
    if term is not None:
        out.append("\n" + term + "\n")


def _inline_text(node: Any) -> str:
    return re.sub(r"\s+", " ", node.text(deep=True, separator=" ").replace("\u00ad", "")).strip()


# --- item headings and tables (shared with the Word reader) ------------------------------------------

# A cell, span or <dt> that holds only an item's number: "5", "5.", "Punkt 5", "Pkt. 5:", "Nr. 412", "§ 3".
_ITEM_NUMBER = re.compile(
    r"^(?:(?P<label>punkt|pkt\.?|dagsordenspunkt|nr\.?|§)\s*)?(?P<num>\d{1,4}[a-z]?)\s*[.):]?$", re.IGNORECASE
)
_EXPLICIT_LABELS = ("punkt", "pkt", "dagsordenspunkt")
_TITLE_START = re.compile(r"^[\"'“«(]?[A-ZÆØÅÄÖÜÉ]")
_PAGE_NUMBER = re.compile(r"^(?:s\.\s*|side\s+)?\d{1,4}$", re.IGNORECASE)
_MAX_TITLE = 250


def heading_line(number: str, title: str) -> str | None:
    """An item number and title written apart (two cells, two spans) as one heading line, else None.

    >>> heading_line("Punkt 5", "Godkendelse af budget"), heading_line("5", "Godkendelse af budget")
    ('Punkt 5: Godkendelse af budget', '5. Godkendelse af budget')
    >>> heading_line("2024", "blev et godt år") is None
    True
    """
    m = _ITEM_NUMBER.match(number.strip())
    title = re.sub(r"\s+", " ", title).strip()
    if m is None or not title or len(title) > _MAX_TITLE:
        return None
    explicit = (m.group("label") or "").lower().startswith(_EXPLICIT_LABELS)
    if explicit and title[:1].isalnum():
        return f"Punkt {m.group('num')}: {title}"
    if _TITLE_START.match(title):
        return f"{m.group('num')}. {title}"
    return None


def recurs_in(text: str) -> Callable[[str], bool]:
    """A test of whether a title occurs at least twice in `text` (in a contents table and as a heading).

    >>> recurs_in("1 Budget ... 1. Budget 2025 ... Budget 2025")("Budget 2025")
    True
    """
    flat = _flat(text)

    def recurs(title: str) -> bool:
        key = _flat(title)[:40]
        return len(key) >= 3 and flat.count(key) >= 2

    return recurs


def _flat(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.replace("\u00ad", "")).lower().strip()


def render_table(rows: Sequence[Sequence[Sequence[str]]], recurs: Callable[[str], bool]) -> list[str]:
    """A table as text blocks. Each row is a list of cells, each cell its paragraphs.

    A "number | title" row is an item heading (`5. Title`), unless it belongs to a run of such rows that
    carry page numbers or whose titles `recurs` (a table of contents: kept as `N<TAB>Title<TAB>page`
    lines). A row whose first cell is a section name ("Beslutning" | text) becomes that heading and its
    text; a row of one cell is its paragraphs; any other row is one tab-separated line.

    >>> render_table([[["5"], ["Godkendelse af budget"]], [["Beslutning"], ["Godkendt.", "Enstemmigt."]]],
    ...              lambda title: False)
    ['5. Godkendelse af budget', 'Beslutning', 'Godkendt.', 'Enstemmigt.']
    >>> render_table([[["1"], ["Budget"], ["3"]], [["2"], ["Eventuelt"], ["9"]]], lambda title: False)
    ['1\\tBudget\\t3\\n2\\tEventuelt\\t9']
    """
    kept = [[list(cell) for cell in row if cell] for row in rows]
    kept = [row for row in kept if row]
    headings = [heading_line(row[0][0], row[1][0]) if len(row) >= 2 and len(row[0]) == 1 else None for row in kept]
    contents: set[int] = set()
    k = 0
    while k < len(kept):
        if headings[k] is None:
            k += 1
            continue
        end = k
        while end < len(kept) and headings[end] is not None:
            end += 1
        run = range(k, end)
        paged = any(len(kept[i]) >= 3 and _PAGE_NUMBER.match(" ".join(kept[i][-1])) for i in run)
        if paged or (len(run) >= 2 and 2 * sum(recurs(kept[i][1][0]) for i in run) >= len(run)):
            contents.update(run)
        k = end
    blocks: list[str] = []
    lines: list[str] = []
    for i, row in enumerate(kept):
        heading = None if i in contents else headings[i]
        label = len(row) == 2 and len(row[0]) == 1 and _is_section_label(row[0][0])
        if heading is None and not label and len(row) > 1:
            lines.append("\t".join(" ".join(cell) for cell in row))
            continue
        if lines:
            blocks.append("\n".join(lines))
            lines = []
        if heading is not None:
            blocks.append(heading)
            blocks.extend(row[1][1:])
            blocks.extend(p for cell in row[2:] for p in cell)
        else:
            blocks.extend(p for cell in row for p in cell)
    if lines:
        blocks.append("\n".join(lines))
    return blocks


def _is_section_label(text: str) -> bool:
    found = section_heading(text.strip())
    return found is not None and found[1] is not None and found[1] >= len(text.strip().rstrip(":"))
