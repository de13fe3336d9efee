"""Real documents: segmentation and metadata against a gold written by reading them (gold_real.json).

The documents live outside the repository in ../shared/realdocs and are never copied in; the tests skip
when that folder is absent. A document whose reader is not there yet (a format without a reader) or that
has no text layer (a pure scan without OCR) is left out of the figures and named in the report.

Print the per-document report with
    .venv/bin/python -m tests.ingest.test_real_documents
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.errors import DocumentError, UnsupportedFormat
from ingest.parse import parse_document
from ingest.records import Document

GOLD = Path(__file__).resolve().parent / "gold_real.json"
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "realdocs"
needs_realdocs = pytest.mark.skipif(not REAL.is_dir(), reason="shared/realdocs not present")

# the target: share of documents exact for items and titles, and right for body and date
TARGET = 0.95


@dataclass(frozen=True)
class Outcome:
    file: str
    skipped: str | None = None  # why the document could not be checked
    items_ok: bool = False
    body_ok: bool = False
    date_ok: bool = False
    detail: str = ""

    @property
    def meta_ok(self) -> bool:
        return self.body_ok and self.date_ok


def _norm(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip()


def _check(entry: dict[str, object], doc: Document) -> Outcome:
    want = [(str(n), _norm(str(t))) for n, t in entry["items"]]  # type: ignore[attr-defined]
    numbered = [i for i in doc.items if i.number is not None]
    got = [(str(i.number), _norm(i.title)) for i in numbered]
    problems: list[str] = []
    if got != want:
        missing = [w for w in want if w not in got]
        extra = [g for g in got if g not in want]
        problems.append(f"items: missing {missing}, extra {extra}")
    if numbered:
        last = numbered[-1]
        after = [i for i in doc.items[doc.items.index(last) + 1 :] if i.number is None]
        for phrase in entry.get("tail", []):  # type: ignore[attr-defined]
            if phrase in last.text or not any(phrase in i.text for i in after):
                problems.append(f"trailing part {phrase!r} not kept apart from item {last.number}")
    body_ok = doc.body == entry["body"]
    date_ok = doc.date == entry["date"]
    if not body_ok:
        problems.append(f"body {doc.body!r} != {entry['body']!r}")
    if not date_ok:
        problems.append(f"date {doc.date!r} != {entry['date']!r}")
    items_ok = not any(p.startswith(("items", "trailing")) for p in problems)
    return Outcome(str(entry["file"]), None, items_ok, body_ok, date_ok, "; ".join(problems))


@functools.cache
def outcomes() -> tuple[Outcome, ...]:
    """Parse every gold document once and compare it with its gold."""
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    out: list[Outcome] = []
    for entry in gold["documents"]:
        path = REAL / entry["file"]
        try:
            doc = parse_document(path)
        except UnsupportedFormat as exc:
            out.append(Outcome(entry["file"], skipped=f"no reader: {exc.reason}"))
            continue
        except DocumentError as exc:
            if entry.get("scan"):
                out.append(Outcome(entry["file"], skipped=f"scan without text: {exc.reason}"))
                continue
            out.append(Outcome(entry["file"], detail=f"unreadable: {exc}"))
            continue
        except Exception as exc:  # a reader's bug fails its document, not the whole report
            out.append(Outcome(entry["file"], detail=f"crashed: {type(exc).__name__}: {exc}"))
            continue
        out.append(_check(entry, doc))
    return tuple(out)


def report(results: tuple[Outcome, ...]) -> str:
    """Per-document pass/fail, then the figures per folder and overall."""
    lines = []
    for r in results:
        if r.skipped:
            lines.append(f"SKIP {r.file}: {r.skipped}")
        else:
            mark = "ok  " if r.items_ok and r.meta_ok else "FAIL"
            lines.append(f"{mark} {r.file}" + (f": {r.detail}" if r.detail else ""))
    checked = [r for r in results if not r.skipped]
    for folder in [*sorted({r.file.split("/")[0] for r in checked}), None]:
        rs = [r for r in checked if folder is None or r.file.startswith(folder + "/")]
        lines.append(
            f"{folder or 'all':8} n={len(rs):2}  items+titles {sum(r.items_ok for r in rs):2}/{len(rs)}"
            f"  body {sum(r.body_ok for r in rs):2}/{len(rs)}  date {sum(r.date_ok for r in rs):2}/{len(rs)}"
        )
    return "\n".join(lines)


@needs_realdocs
def test_gold_names_real_files_and_covers_every_folder() -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    files = [d["file"] for d in gold["documents"]]
    assert len(files) == len(set(files)) >= 25
    assert all((REAL / f).is_file() for f in files)
    assert {f.split("/")[0] for f in files} == {"pomosa", "imada", "aarhus", "greve"}


@needs_realdocs
def test_real_documents_meet_the_target() -> None:
    results = outcomes()
    checked = [r for r in results if not r.skipped]
    text = report(results)
    print(text)
    assert len(checked) >= 25, text
    items = sum(r.items_ok for r in checked) / len(checked)
    body = sum(r.body_ok for r in checked) / len(checked)
    date = sum(r.date_ok for r in checked) / len(checked)
    assert items >= TARGET, f"items+titles exact for {items:.0%} of documents\n{text}"
    assert body >= TARGET, f"body right for {body:.0%}\n{text}"
    assert date >= TARGET, f"date right for {date:.0%}\n{text}"


if __name__ == "__main__":
    print(report(outcomes()))
