"""Turn one file into a `Document`: read it, segment it into agenda items, attach its metadata.

Metadata precedence: explicit arguments > a sidecar JSON file > detection from the text. The sidecar
sits next to the document as `<file>.meta.json` (`minutes.pdf.meta.json`) or `<stem>.meta.json`
(`minutes.meta.json`) and may hold any of `{"body": ..., "date": "YYYY-MM-DD", "kind": ...}`.

>>> from pathlib import Path
>>> doc = parse_document(Path("data/sample/003_fc010784cd8fe213.txt"))  # doctest: +SKIP
>>> doc.body, doc.date, doc.kind, len(doc.items)  # doctest: +SKIP
('KD-Net', '2021-01-22', 'referat', 21)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any, cast, get_args

from ingest.decisions import with_decision
from ingest.errors import ConfigError, DocumentError
from ingest.metadata import detect_metadata
from ingest.readers import MAX_FILE_BYTES, read_document
from ingest.records import AgendaItem, Document, Kind, content_hash
from ingest.segment import segment

KINDS: tuple[str, ...] = get_args(Kind)
# A closed item says so in its title, in every publishing system seen: "Lukket: Køb af grund", "Lukket punkt".
# ("Lukket vej ved skolen" is a title about a road.)
CLOSED_TITLE = re.compile(r"^\s*lukket(?:\s+punkt\b|\s*[:\-–])", re.IGNORECASE)
_UNSAFE = re.compile(r"[^\w.-]+")
_SAFE_ID = re.compile(r"^[\w][\w.-]{0,199}$")


def parse_document(
    path: Path,
    *,
    doc_id: str | None = None,
    body: str | None = None,
    date: str | None = None,
    kind: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> Document:
    """Read and segment `path`. Raises `DocumentError` for an unreadable file, `ConfigError` for a bad
    `date`/`kind`/`doc_id` (argument or sidecar).

    >>> doc = parse_document(Path("minutes.txt"), body="Byrådet", date="2024-03-05")  # doctest: +SKIP
    >>> doc.items[0].number, doc.items[0].title  # doctest: +SKIP
    ('1', 'Godkendelse af dagsorden')
    """
    path = Path(path)
    if doc_id is None:
        doc_id = safe_doc_id(path.stem)
    elif not _SAFE_ID.match(doc_id) or doc_id in (".", ".."):
        raise ConfigError(f"doc_id must be letters, digits, '_', '-' or '.', got {doc_id!r}")
    result = read_document(path, max_bytes=max_bytes)
    data = path.read_bytes()
    if result.items is not None:  # the format states its items: nothing to guess
        items = tuple(dataclasses.replace(i, doc_id=doc_id) for i in result.items)
        seg_warnings: tuple[str, ...] = ()
    else:
        segmentation = segment(result.text, doc_id)
        items, seg_warnings = segmentation.items, segmentation.warnings

    whole = len(items) == 1 and items[0].number is None  # nothing segmented: the head is unknown
    head_end = None if whole or not items else items[0].span[0]
    detected = detect_metadata(result.text, head_end=head_end)
    sidecar = _sidecar(path)
    final_body = _first(body, sidecar.get("body"), result.body, detected.body)
    final_date = _first(date, sidecar.get("date"), result.date, detected.date)
    final_kind = _first(kind, sidecar.get("kind"), result.kind)
    if final_kind is None:
        final_kind = _kind_from_decisions(items, final_body, detected.kind)
    document = Document(
        doc_id=doc_id,
        source=str(path),
        text=result.text,
        items=(),
        body=final_body,
        date=validate_date(final_date),
        kind=validate_kind(final_kind),
        content_hash=content_hash(data),
        warnings=result.warnings + seg_warnings,
        page_starts=result.page_starts,
    )
    items = tuple(
        dataclasses.replace(
            with_decision(i, body=final_body, kind=final_kind),
            pages=i.pages or document.pages_of(*i.span),
            closed=i.closed or bool(CLOSED_TITLE.match(i.title)),
        )
        for i in items
    )
    return dataclasses.replace(document, items=items)


def _kind_from_decisions(items: tuple[AgendaItem, ...], body: str | None, detected: str | None) -> str | None:
    """The kind detected from the text, unless its items record decisions: then the document is minutes.

    Associations and boards often keep the agenda's title ("Dagsorden for bestyrelsesmøde ...") on the
    minutes they fill in under each item; the decisions they record, not the title, say what it is.
    One item that records a decision read as minutes ("c) Godkendelse af referat ... Godkendt") is enough:
    the register never reads an agenda's own wording ("Det indstilles, at ... godkendes") as a decision,
    and on the five samples and shared/realdocs no agenda has such an item.
    """
    decided = sum(
        with_decision(i, body=body, kind="referat").decision.outcome not in ("ukendt", "ingen") for i in items
    )
    if detected != "referat" and decided >= 1:
        return "referat"
    return detected


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v is not None), None)


def safe_doc_id(name: str) -> str:
    """A document id safe in paths and URLs, made from a file name.

    >>> safe_doc_id("../../Referat byråd 5. marts (endelig)?")
    'Referat_byråd_5._marts_endelig'
    >>> safe_doc_id("..")[:4]
    'doc_'
    """
    name = unicodedata.normalize("NFC", name)
    cleaned = _UNSAFE.sub("_", name).strip("._-")
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"_{2,}", "_", cleaned))[:120]
    if not cleaned:
        return "doc_" + hashlib.sha256(name.encode()).hexdigest()[:12]
    return cleaned


def validate_date(value: str | None) -> str | None:
    """Return an ISO date (YYYY-MM-DD) unchanged; raise `ConfigError` naming anything else.

    >>> validate_date("2021-01-22")
    '2021-01-22'
    """
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ConfigError(f"date must be an ISO date YYYY-MM-DD, got {value!r}")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"date must be a real calendar date YYYY-MM-DD, got {value!r}") from None
    return value


def validate_kind(value: str | None) -> Kind | None:
    """Return a valid document kind; raise `ConfigError` naming anything else."""
    if value is None:
        return None
    if value not in KINDS:
        raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {value!r}")
    return cast(Kind, value)


def _sidecar(path: Path) -> dict[str, Any]:
    for candidate in (path.with_name(path.name + ".meta.json"), path.with_name(path.stem + ".meta.json")):
        if not candidate.is_file():
            continue
        try:
            data = json.loads(candidate.read_text(encoding="utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DocumentError(str(candidate), f"is not valid JSON ({exc}); fix or delete it") from exc
        if not isinstance(data, dict):
            raise DocumentError(str(candidate), 'must hold a JSON object like {"body": "...", "date": "..."}')
        unknown = set(data) - {"body", "date", "kind"}
        if unknown:
            raise DocumentError(str(candidate), f"has unknown keys {sorted(unknown)}; use body, date, kind")
        if "date" in data:
            try:
                validate_date(data["date"])
            except ConfigError as exc:
                raise ConfigError(f"{candidate}: {exc}") from None
        return data
    return {}
