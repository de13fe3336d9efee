"""Readers: every format to normalised text, and every kind of bad input to a clear DocumentError."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from ingest.errors import DocumentError, UnsupportedFormat
from ingest.readers import ReadResult, read_document
from ingest.text import normalise_text

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DANISH = "Mødet blev hævet. Årets økonomi: ÆØÅ æøå."


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("path", sorted(SAMPLE.glob("*.txt")), ids=lambda p: p.stem[:3])
def test_sample_text_reads_normalised(path: Path) -> None:
    result = read_document(path)
    assert isinstance(result, ReadResult)
    assert result.page_starts == () and result.warnings == ()
    assert "\u00a0" not in result.text and "\r" not in result.text and "\n\n\n" not in result.text
    assert result.text == result.text.strip()
    assert "ø" in result.text


def test_normalise_text() -> None:
    raw = "Ma\u030ade\r\nlinje\u00a0to\x07\r\n\r\n\r\n\r\nslut\t\x00"
    assert normalise_text(raw) == "Måde\nlinje to\n\nslut"


@pytest.mark.parametrize(
    ("encoding", "prefix", "warns"),
    [
        ("utf-8", b"", False),
        ("utf-8", b"\xef\xbb\xbf", False),
        ("utf-16-le", b"\xff\xfe", False),
        ("utf-16-be", b"\xfe\xff", False),
        ("cp1252", b"", True),
        ("latin-1", b"", True),
    ],
)
def test_text_encodings_keep_danish_letters(tmp_path: Path, encoding: str, prefix: bytes, warns: bool) -> None:
    path = _write(tmp_path, "referat.txt", prefix + DANISH.encode(encoding))
    result = read_document(path)
    assert result.text == DANISH
    assert bool(result.warnings) == warns


def test_cp1252_specific_characters(tmp_path: Path) -> None:
    text = "Prisen er 5 € – “godt” for Ærø og Søby."
    assert read_document(_write(tmp_path, "a.md", text.encode("cp1252"))).text == text


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"tom\.txt: is empty"):
        read_document(_write(tmp_path, "tom.txt", b""))


def test_whitespace_only_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="is empty"):
        read_document(_write(tmp_path, "blank.txt", b" \n\t\r\n\xc2\xa0\n"))


def test_random_bytes_named_pdf(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"junk\.pdf: is not a PDF"):
        read_document(_write(tmp_path, "junk.pdf", os.urandom(4096)))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    result = read_document(_write(tmp_path, "unicode.txt", DANISH.encode(encoding)))
    assert result.text == DANISH
    assert "UTF-16 without a byte-order mark" in result.warnings[0]


def test_text_file_with_nul_bytes(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="binary"):
        read_document(_write(tmp_path, "junk.txt", b"abc\x00\x01\x02" * 100))


def test_binary_junk_without_nuls_named_txt(tmp_path: Path) -> None:
    data = bytes(b for b in os.urandom(8192) if b) + b"\x01\x02\x03\x04" * 100
    with pytest.raises(DocumentError, match="text"):
        read_document(_write(tmp_path, "junk.txt", data))


def test_unsupported_extension_names_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormat, match=r"'\.exe'.*\.txt.*\.docx.*\.pdf.*\.html") as info:
        read_document(_write(tmp_path, "setup.exe", b"MZ\x90\x00"))
    assert isinstance(info.value, DocumentError)
    assert info.value.path.endswith("setup.exe")


def test_old_word_format_suggests_docx(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormat, match=r"\.docx"):
        read_document(_write(tmp_path, "referat.doc", b"\xd0\xcf\x11\xe0"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="does not exist"):
        read_document(tmp_path / "ingen.txt")


def test_file_over_the_limit_states_size_and_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, "stor.txt", b"a" * 2000)
    with pytest.raises(DocumentError, match=r"2000 bytes.*limit.*1000 bytes"):
        read_document(path, max_bytes=1000)


def test_real_50_mb_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "enorm.txt"
    with path.open("wb") as f:
        f.truncate(50_000_000)  # sparse: fast to make
    with pytest.raises(DocumentError, match=r"50\.0 MB.*limit of 20\.0 MB"):
        read_document(path)


# --- PDF --------------------------------------------------------------------------------------------


def test_pdf_pages_and_offsets() -> None:
    from pypdf import PdfReader

    path = FIXTURES / "003_kdnet.pdf"
    result = read_document(path)
    pages = PdfReader(path).pages
    assert len(result.page_starts) == len(pages) > 1
    assert result.page_starts[0] == 0
    assert list(result.page_starts) == sorted(result.page_starts)
    for start, page in zip(result.page_starts, pages, strict=True):
        first_words = " ".join(normalise_text(page.extract_text()).split()[:3])
        assert " ".join(result.text[start:].split()[:3]) == first_words
    assert "kommunaldirektørnetværket" in result.text


def test_truncated_pdf(tmp_path: Path) -> None:
    data = (FIXTURES / "003_kdnet.pdf").read_bytes()
    with pytest.raises(DocumentError, match="truncated"):
        read_document(_write(tmp_path, "halv.pdf", data[: len(data) // 2]))


def test_corrupt_pdf_body(tmp_path: Path) -> None:
    data = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ngarbage\n%%EOF\n"
    with pytest.raises(DocumentError, match=r"damaged PDF|no text layer"):
        read_document(_write(tmp_path, "skadet.pdf", data))


def test_encrypted_pdf(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=FIXTURES / "003_kdnet.pdf")
    writer.encrypt(user_password="hemmelig", owner_password="ejer", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentError, match="is encrypted"):
        read_document(_write(tmp_path, "laast.pdf", buffer.getvalue()))


def test_aes_encrypted_pdf_with_an_empty_password_is_read(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=FIXTURES / "003_kdnet.pdf")
    writer.encrypt(user_password="", owner_password="ejer", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = read_document(_write(tmp_path, "redigeringslaast.pdf", buffer.getvalue()))
    assert "KD-Net" in doc.text
    assert any("encrypted with an empty password" in w for w in doc.warnings)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentError, match="no text layer"):
        read_document(_write(tmp_path, "scan.pdf", buffer.getvalue()))


# --- DOCX -------------------------------------------------------------------------------------------


def test_docx_paragraphs_tables_and_headings_in_order() -> None:
    text = read_document(FIXTURES / "003_kdnet.docx").text
    assert text.startswith("Referat af møde i kommunaldirektørnetværket")
    assert "Punkt\tIndhold\tBilag\n1\tGodkendelse af dagsorden" in text
    assert text.index("Punkt\tIndhold") < text.index("1. Godkendelse af dagsorden\n")
    assert "- DK2020" in text  # Word bullet list rendered with its marker


def test_docx_automatic_numbering_is_rendered(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Aftalen indeholder:")
    for line in ("Taksterne kan ikke stige", "Taksterne reduceres", "Der er mulighed for at fratrække"):
        document.add_paragraph(line, style="List Number")
    path = tmp_path / "liste.docx"
    document.save(str(path))
    text = read_document(path).text
    assert "1. Taksterne kan ikke stige" in text
    assert "3. Der er mulighed for at fratrække" in text


def test_corrupt_docx(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"not a valid \.docx"):
        read_document(_write(tmp_path, "skadet.docx", b"PK\x03\x04" + os.urandom(500)))


def test_docx_with_broken_xml(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "ødelagt.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", b"<Types")
    with pytest.raises(DocumentError, match=r"not a valid \.docx.*XMLSyntaxError"):
        read_document(path)


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    from ingest import word

    monkeypatch.setattr(word, "MAX_UNZIPPED_BYTES", 1_000_000)
    path = tmp_path / "bombe.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b" " * 2_000_000)
    assert path.stat().st_size < 10_000
    with pytest.raises(DocumentError, match=r"unpacks to 2\.0 MB, over the limit of 1\.0 MB"):
        read_document(path)


# --- HTML -------------------------------------------------------------------------------------------


def test_html_drops_scripts_banners_and_widgets() -> None:
    text = read_document(FIXTURES / "003_kdnet.html").text
    for junk in (
        "dataLayer",
        "cookies",
        "Accepter",
        "Del på Facebook",
        "Forside",
        "Relaterede møder",
        "Kommunernes Landsforening",
        "JavaScript",
        "p{}",
    ):
        assert junk not in text, junk
    assert text.startswith("Referat af møde i kommunaldirektørnetværket")
    assert "\n1\tGodkendelse af dagsorden\n" in text  # table rows as tab-separated lines
    assert "\n\n4. Godkendelse af kommissorium for den administrative styregruppe for DK2020 v.\n\n" in text


def test_html_blocks_lists_and_breaks(tmp_path: Path) -> None:
    html = (
        "<html><head><meta charset='windows-1252'></head><body>"
        "<div class='social-share'>Del</div><h2>1. Økonomi</h2><p>Første<br>anden <b>linje</b></p>"
        "<ol><li>a</li><li>b</li></ol><ul><li>x</li></ul><form><input value='søg'></form></body></html>"
    )
    path = _write(tmp_path, "side.htm", html.encode("cp1252"))
    assert read_document(path).text == "1. Økonomi\n\nFørste\nanden linje\n\n1. a\n2. b\n\n- x"


def test_html_with_only_scripts_is_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, "tom.html", b"<html><body><script>alert(1)</script><nav>Menu</nav></body></html>")
    with pytest.raises(DocumentError, match="is empty"):
        read_document(path)


def test_deeply_nested_html_is_refused_quickly(tmp_path: Path) -> None:
    import time

    path = _write(tmp_path, "dyb.html", ("<div>" * 100_000 + "Punkt 1" + "</div>" * 100_000).encode())
    t0 = time.perf_counter()
    with pytest.raises(DocumentError, match=r"nested too deeply to read \(100000 elements"):
        read_document(path)
    assert time.perf_counter() - t0 < 5  # parsing it would take about a minute


def test_sloppy_html_without_end_tags_is_not_deep(tmp_path: Path) -> None:
    html = "<body>" + "<p>Punkt<li>x<br><img src=a>" * 2000 + "</body>"
    assert "Punkt" in read_document(_write(tmp_path, "rodet.html", html.encode())).text


def test_converter_bookmarks_are_not_text() -> None:
    from ingest.text import normalise_text

    assert normalise_text("[bookmark: Punkt288669]1.\tIntroduktion") == "1.\tIntroduktion"
