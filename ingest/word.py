"""Word (.docx): the body's text in document order, as Word shows it.

Read: paragraphs, tables (row by row, see `ingest.web.render_table`), content controls (`w:sdt`, how
templates hold their fields: block-level in the body or a cell, around rows and cells, inside paragraphs,
nested), text boxes (each once, as its own paragraph after the paragraph that anchors it: Word stores a
text box twice, as DrawingML and as a VML fallback), footnotes and endnotes (as a paragraph after the one
that cites them, so they stay with their agenda item), inserted text of tracked changes, hyperlinks,
field results (a table of contents' lines), Word's automatic list numbers.
Left out: page headers and footers (running furniture, not item text), deleted and moved-away text of
tracked changes, field codes (`TOC \\o`, `PAGEREF`), comments, soft hyphens.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from ingest.errors import DocumentError
from ingest.text import ReadResult, human_size, normalise_text
from ingest.web import recurs_in, render_table

# A .docx is a zip: its parts may unpack to at most this much (a "zip bomb" unpacks to gigabytes).
MAX_UNZIPPED_BYTES = 200_000_000
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_REL_NOTES = {
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes": "footnote",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes": "endnote",
}
_NOTE_LABEL = {"footnote": "Fodnote", "endnote": "Slutnote"}

# Containers whose children are read as if they stood in the container's place (block, row, cell or run
# level): content controls, custom XML, tracked insertions and moves-to, hyperlinks, simple fields.
_TRANSPARENT = frozenset(
    f"{_W}{t}" for t in ("customXml", "smartTag", "ins", "moveTo", "hyperlink", "fldSimple", "bdo", "dir")
)
# Never text: tracked deletions and moves-away, properties, field codes, ruby annotations.
_SKIP = frozenset(
    f"{_W}{t}"
    for t in (
        "del",
        "moveFrom",
        "pPr",
        "rPr",
        "tblPr",
        "trPr",
        "tcPr",
        "sdtPr",
        "sdtEndPr",
        "instrText",
        "delText",
        "delInstrText",
        "fldData",
        "rt",
        "commentReference",
        "object",
    )
)


def read_docx(name: str, data: bytes) -> ReadResult:
    """Read a .docx file's body as normalised text.

    >>> read_docx("referat.docx", open("referat.docx", "rb").read()).text[:40]  # doctest: +SKIP
    'Referat af mødet i Teknik- og Miljøudval'
    """
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise DocumentError(name, f"is not a valid .docx file (BadZipFile: {exc})") from exc
    if unzipped > MAX_UNZIPPED_BYTES:
        reason = f"unpacks to {human_size(unzipped)}, over the limit of {human_size(MAX_UNZIPPED_BYTES)} (a zip bomb?)"
        raise DocumentError(name, reason)
    try:
        document = docx.Document(io.BytesIO(data))
        notes = _notes(document)
    except Exception as exc:  # python-docx and lxml raise a wide range of errors on damaged parts
        raise DocumentError(name, f"is not a valid .docx file ({type(exc).__name__}: {exc})") from exc
    body = document.element.body
    reader = _BodyReader(
        _Numbering(document),
        notes,
        _leader_styles(document),
        recurs_in(" ".join(t.text or "" for t in body.iter(f"{_W}t"))),
    )
    return ReadResult(normalise_text("\n\n".join(reader.blocks(body))))


def _notes(document: Any) -> dict[tuple[str, str], Any]:
    """Footnote and endnote elements by (kind, id); separators left out."""
    from lxml import etree

    out: dict[tuple[str, str], Any] = {}
    for rel in document.part.rels.values():
        kind = _REL_NOTES.get(rel.reltype)
        if kind is None or rel.is_external:
            continue
        root = etree.fromstring(rel.target_part.blob)
        for note in root.iterchildren(f"{_W}{kind}"):
            if note.get(f"{_W}type") in (None, "normal"):
                out[(kind, note.get(f"{_W}id", ""))] = note
    return out


class _BodyReader:
    """Walks WordprocessingML in document order. Field state spans paragraphs: a TOC field's result is
    many paragraphs long, and its code (`TOC \\o "1-3"`) is not text."""

    def __init__(
        self,
        numbering: _Numbering,
        notes: dict[tuple[str, str], Any],
        leader_styles: frozenset[str],
        recurs: Callable[[str], bool],
    ) -> None:
        self._numbering = numbering
        self._leader_styles = leader_styles
        self._notes = notes
        self._note_numbers: dict[str, int] = {}
        self._recurs = recurs
        self._fields: list[bool] = []  # one per open field: True while its code (not its result) runs

    def blocks(self, container: Any) -> Iterator[str]:
        """The paragraphs (and table blocks) of a body, cell, text box, note or content control."""
        for child in container.iterchildren():
            tag = child.tag
            if tag == f"{_W}p":
                yield from self._paragraph(child)
            elif tag == f"{_W}tbl":
                yield from render_table(list(self._rows(child)), self._recurs)
            elif tag == f"{_W}sdt":
                yield from self._sdt_content(child, self.blocks)
            elif tag in _TRANSPARENT:
                yield from self.blocks(child)
            elif tag == f"{_MC}AlternateContent":
                yield from self.blocks(_chosen(child))

    def _sdt_content(self, sdt: Any, read: Callable[[Any], Iterator[Any]]) -> Iterator[Any]:
        content = sdt.find(f"{_W}sdtContent")
        if content is not None:
            yield from read(content)

    def _rows(self, table: Any) -> Iterator[list[list[str]]]:
        for child in table.iterchildren():
            if child.tag == f"{_W}tr":
                if child.find(f"{_W}trPr/{_W}del") is None:  # a row deleted in tracked changes
                    yield list(self._cells(child))
            elif child.tag == f"{_W}sdt":
                yield from self._sdt_content(child, self._rows)
            elif child.tag in _TRANSPARENT:
                yield from self._rows(child)

    def _cells(self, row: Any) -> Iterator[list[str]]:
        for child in row.iterchildren():
            if child.tag == f"{_W}tc":
                yield [b.strip() for b in self.blocks(child) if b.strip()]
            elif child.tag == f"{_W}sdt":
                yield from self._sdt_content(child, self._cells)
            elif child.tag in _TRANSPARENT:
                yield from self._cells(child)

    def _paragraph(self, p: Any) -> Iterator[str]:
        out: list[str] = []
        after: list[Any] = []  # text boxes and notes anchored here, read once the paragraph is done
        self._inline(p, out, after)
        self._fields = [False for _ in self._fields]  # a field's code never runs past its paragraph
        text = "".join(out)
        page = _PAGE_AFTER_TAB.match(text)
        if page and self._has_leader(p):
            # Word draws a contents line's dots with a tab leader; written out, the segmenter sees contents.
            text = f"{page.group('title')} ..... {page.group('page')}"
        if text.strip():
            yield self._numbering.prefix(p) + text
        for item in after:
            if isinstance(item, str):
                yield item
            else:
                yield from self.blocks(item)

    def _has_leader(self, p: Any) -> bool:
        if p.find(f"{_W}pPr/{_W}tabs/{_W}tab[@{_W}leader]") is not None:
            return True
        style = p.find(f"{_W}pPr/{_W}pStyle")
        return style is not None and style.get(f"{_W}val", "") in self._leader_styles

    def _inline(self, node: Any, out: list[str], after: list[Any]) -> None:
        for child in node.iterchildren():
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == f"{_W}t" or tag == f"{_M}t":
                if not any(self._fields):
                    out.append((child.text or "").replace("\u00ad", ""))
            elif tag == f"{_W}fldChar":
                kind = child.get(f"{_W}fldCharType")
                if kind == "begin":
                    self._fields.append(True)
                elif kind == "separate" and self._fields:
                    self._fields[-1] = False
                elif kind == "end" and self._fields:
                    self._fields.pop()
            elif tag == f"{_W}tab" and not any(self._fields):
                out.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr") and not any(self._fields):
                out.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                out.append("-")
            elif tag in (f"{_W}footnoteReference", f"{_W}endnoteReference"):
                self._note(child, after)
            elif tag == f"{_MC}AlternateContent":
                self._inline(_chosen(child), out, after)
            elif tag in (f"{_W}drawing", f"{_W}pict"):
                after.extend(_text_boxes(child))
            elif tag == f"{_W}sdt":
                content = child.find(f"{_W}sdtContent")
                if content is not None:
                    self._inline(content, out, after)
            else:  # runs, and wrappers such as hyperlinks, insertions, smart tags, fields, math
                self._inline(child, out, after)

    def _note(self, ref: Any, after: list[Any]) -> None:
        kind = "footnote" if ref.tag == f"{_W}footnoteReference" else "endnote"
        note = self._notes.get((kind, ref.get(f"{_W}id", "")))
        if note is None:
            return
        number = self._note_numbers[kind] = self._note_numbers.get(kind, 0) + 1
        text = " ".join(b.strip() for b in self.blocks(note) if b.strip())
        if text:
            after.append(f"{_NOTE_LABEL[kind]} {number}: {text}")


_PAGE_AFTER_TAB = re.compile(r"^(?P<title>\S.*?)\t+(?P<page>\d{1,4})\s*$")
_CONTENTS_STYLE = re.compile(r"^(?:toc|indholdsfortegnelse|indhold)\s*\d$", re.IGNORECASE)


def _leader_styles(document: Any) -> frozenset[str]:
    """Paragraph styles that draw a tab leader (dots before a page number): Word's contents styles."""
    out: set[str] = set()
    for style in document.styles.element.iterchildren(f"{_W}style"):
        style_id = style.get(f"{_W}styleId", "")
        leader = style.find(f"{_W}pPr/{_W}tabs/{_W}tab[@{_W}leader]")
        if _CONTENTS_STYLE.match(style_id) or (leader is not None and leader.get(f"{_W}leader") != "none"):
            out.add(style_id)
    return frozenset(out)


def _chosen(alternate: Any) -> Any:
    """The branch of an `mc:AlternateContent` to read: the first choice (the modern DrawingML form) unless
    only the fallback (VML) holds text. Reading one branch is what keeps a text box from appearing twice."""
    choice = alternate.find(f"{_MC}Choice")
    fallback = alternate.find(f"{_MC}Fallback")
    if choice is None:
        return fallback if fallback is not None else alternate.makeelement(f"{_MC}Fallback")
    if fallback is not None and not _has_text(choice) and _has_text(fallback):
        return fallback
    return choice


def _has_text(node: Any) -> bool:
    return any((t.text or "").strip() for t in node.iter(f"{_W}t"))


def _text_boxes(node: Any) -> Iterator[Any]:
    """The outermost text-box contents inside a drawing or VML picture, in order."""
    for box in node.iter(f"{_W}txbxContent"):
        parent = box.getparent()
        while parent is not None and parent is not node and parent.tag != f"{_W}txbxContent":
            parent = parent.getparent()
        if parent is None or parent is node:
            yield box


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
