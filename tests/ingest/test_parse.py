"""parse_document: reading, segmenting and metadata put together, with sidecars and safe ids."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from ingest.errors import ConfigError, DocumentError
from ingest.parse import parse_document, safe_doc_id, validate_date
from ingest.records import Document

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KD_NET = SAMPLE / "003_fc010784cd8fe213.txt"


@pytest.mark.parametrize(
    ("stem", "count", "body", "date", "kind"),
    [
        ("000_266b1448cd742ca6", 12, None, None, "dagsorden"),
        ("001_727726ba28d7f673", 6, "Udvalg for lighed i sundhed", "2024-02-21", "referat"),
        ("002_1f999e237a1b970f", 7, "Kontaktudvalget", "2019-08-23", "notat"),
        ("003_fc010784cd8fe213", 21, "KD-Net", "2021-01-22", "referat"),
        ("004_344350c627352113", 16, "KD-Net", "2022-06-03", "referat"),
    ],
)
def test_sample_documents(stem: str, count: int, body: str | None, date: str | None, kind: str) -> None:
    path = SAMPLE / f"{stem}.txt"
    doc = parse_document(path)
    assert isinstance(doc, Document)
    assert (doc.doc_id, len(doc.items), doc.body, doc.date, doc.kind) == (stem, count, body, date, kind)
    assert doc.source == str(path)
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert all(i.doc_id == stem for i in doc.items)
    assert all(doc.text[i.span[0] : i.span[1]] == i.text for i in doc.items)
    assert doc.page_starts == ()


def test_segmentation_warnings_reach_the_document() -> None:
    doc = parse_document(SAMPLE / "004_344350c627352113.txt")
    assert any("table of contents differs" in w for w in doc.warnings)


def test_pdf_document_has_pages() -> None:
    doc = parse_document(FIXTURES / "003_kdnet.pdf")
    assert (doc.body, doc.date, doc.kind, len(doc.items)) == ("KD-Net", "2021-01-22", "referat", 21)
    assert len(doc.page_starts) > 1
    last = doc.items[-1]
    assert doc.page_of(last.span[0]) == len(doc.page_starts)
    assert doc.page_of(doc.items[0].span[0]) == 1


@pytest.mark.parametrize("suffix", ["html", "docx"])
def test_other_formats_give_the_same_metadata(suffix: str) -> None:
    doc = parse_document(FIXTURES / f"003_kdnet.{suffix}")
    assert (doc.body, doc.date, doc.kind, len(doc.items)) == ("KD-Net", "2021-01-22", "referat", 21)


def test_sidecar_overrides_detection_and_arguments_override_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "kdnet.txt"
    shutil.copy(KD_NET, path)
    (tmp_path / "kdnet.txt.meta.json").write_text(
        json.dumps({"body": "KKR Midtjylland", "date": "2021-01-23"}), encoding="utf-8"
    )
    doc = parse_document(path)
    assert (doc.body, doc.date, doc.kind) == ("KKR Midtjylland", "2021-01-23", "referat")
    doc = parse_document(path, body="Byrådet", kind="dagsorden")
    assert (doc.body, doc.date, doc.kind) == ("Byrådet", "2021-01-23", "dagsorden")


def test_sidecar_by_stem(tmp_path: Path) -> None:
    path = tmp_path / "kdnet.txt"
    shutil.copy(KD_NET, path)
    (tmp_path / "kdnet.meta.json").write_text('{"kind": "dagsorden"}', encoding="utf-8")
    assert parse_document(path).kind == "dagsorden"


def test_broken_sidecar_is_a_document_error(tmp_path: Path) -> None:
    path = tmp_path / "kdnet.txt"
    shutil.copy(KD_NET, path)
    (tmp_path / "kdnet.txt.meta.json").write_text("{body: KD-Net", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"kdnet\.txt\.meta\.json: is not valid JSON"):
        parse_document(path)


def test_sidecar_with_bad_date(tmp_path: Path) -> None:
    path = tmp_path / "kdnet.txt"
    shutil.copy(KD_NET, path)
    (tmp_path / "kdnet.txt.meta.json").write_text('{"date": "22-01-2021"}', encoding="utf-8")
    with pytest.raises(ConfigError, match="'22-01-2021'"):
        parse_document(path)


@pytest.mark.parametrize("bad", ["22.01.2021", "2021-13-01", "2021-02-30", "i går", ""])
def test_bad_date_argument_names_the_value(bad: str) -> None:
    with pytest.raises(ConfigError, match=repr(bad)):
        parse_document(KD_NET, date=bad)


def test_bad_kind_argument() -> None:
    with pytest.raises(ConfigError, match="'protokol'"):
        parse_document(KD_NET, kind="protokol")


def test_validate_date_accepts_iso() -> None:
    assert validate_date("2024-02-29") == "2024-02-29"
    assert validate_date(None) is None


def test_odd_file_name_gives_a_safe_id(tmp_path: Path) -> None:
    odd = tmp_path / "Referat byråd 5. marts (endelig) ;rm -rf $HOME <v2>.txt"
    shutil.copy(KD_NET, odd)
    doc = parse_document(odd)
    assert doc.doc_id == "Referat_byråd_5._marts_endelig_rm_-rf_HOME_v2"
    assert all(i.doc_id == doc.doc_id for i in doc.items)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("..", None),
        ("...", None),
        ("møde", "møde"),
        ("mo\u0308de", "möde"),
        ("a/b\\c", "a_b_c"),
    ],
)
def test_safe_doc_id(name: str, expected: str | None) -> None:
    result = safe_doc_id(name)
    if expected is None:
        assert result.startswith("doc_") and len(result) == 16
    else:
        assert result == expected
    assert "/" not in result and "\\" not in result and not result.startswith(".")


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".."])
def test_unsafe_explicit_doc_id(bad: str) -> None:
    with pytest.raises(ConfigError, match="doc_id"):
        parse_document(KD_NET, doc_id=bad)


def test_explicit_doc_id() -> None:
    doc = parse_document(KD_NET, doc_id="kdnet-2021-01")
    assert doc.doc_id == "kdnet-2021-01"
    assert doc.items[0].doc_id == "kdnet-2021-01"


def test_unreadable_file_raises_document_error(tmp_path: Path) -> None:
    empty = tmp_path / "tom.txt"
    empty.touch()
    with pytest.raises(DocumentError, match="is empty"):
        parse_document(empty)


def test_an_item_titled_closed_is_closed_in_every_format(tmp_path: Path) -> None:
    path = tmp_path / "referat.txt"
    path.write_text(
        "Referat af møde i Byrådet den 5. marts 2024\n\n1. Lukket: Køb af grund\n\nBeslutning\nGodkendt.\n\n"
        "2. Lukket vej ved skolen\n\nBeslutning\nGodkendt.\n\n"
        "3. Lukket punkt - Personalesag\n\nBeslutning\nGodkendt.\n",
        encoding="utf-8",
    )
    assert [i.closed for i in parse_document(path).items] == [True, False, True]
