"""Word (.docx): paragraphs and tables in document order, with Word's automatic list numbers rendered."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from ingest.errors import DocumentError
from ingest.text import ReadResult, human_size, normalise_text

# A .docx is a zip: its parts may unpack to at most this much (a "zip bomb" unpacks to gigabytes).
MAX_UNZIPPED_BYTES = 200_000_000
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(name: str, data: bytes) -> ReadResult:
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
            " ".join(_paragraph_text(p).strip() for p in tc.iter(f"{_W}p")).strip() for tc in tr.iterchildren(f"{_W}tc")
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
