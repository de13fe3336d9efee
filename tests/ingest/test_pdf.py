"""The PDF reader on small PDFs made here (page furniture, hyphenation, ligatures, pages, scans) and on the
real documents in ../shared/realdocs when they are present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest import pdf
from ingest.errors import DocumentError
from ingest.pdf import read_pdf, tesseract_available

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "realdocs"
needs_font = pytest.mark.skipif(not FONT.is_file(), reason="DejaVu Sans not installed (fonts-dejavu-core)")
needs_realdocs = pytest.mark.skipif(not REAL.is_dir(), reason="shared/realdocs not present")
needs_ocr = pytest.mark.skipif(not tesseract_available(), reason="tesseract-ocr-dan not installed (make ocr)")


def _minutes(pages: list[list[str]], *, header: str = "", footer: bool = False) -> bytes:
    """A PDF whose page i holds the lines pages[i], with a running header and a "Side N af M" footer."""
    from fpdf import FPDF

    class Minutes(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("DejaVu", size=8)
                self.cell(0, 8, header)
                self.ln(12)

        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font("DejaVu", size=8)
                self.cell(0, 10, f"Side {self.page_no()} af {{nb}}", align="C")

    doc = Minutes(format="A4")
    doc.add_font("DejaVu", "", str(FONT))
    for lines in pages:
        doc.add_page()
        doc.set_font("DejaVu", size=11)
        for line in lines:
            doc.cell(0, 6, line)
            doc.ln(6)
    return bytes(doc.output())


def _scan(lines: list[str], pages: int = 1) -> bytes:
    """An image-only PDF: the lines drawn into a 200 dpi page image, no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    doc = FPDF(format="A4")
    for _ in range(pages):
        image = Image.new("L", (1654, 2339), 255)
        draw = ImageDraw.Draw(image)
        font = ImageFont.truetype(str(FONT), 44)
        for n, line in enumerate(lines):
            draw.text((150, 200 + n * 90), line, font=font, fill=0)
        doc.add_page()
        doc.image(image, x=0, y=0, w=doc.w, h=doc.h)
    return bytes(doc.output())


@needs_font
def test_running_header_and_page_footer_are_gone_from_a_decision_over_a_page_break() -> None:
    header = "Økonomiudvalget · Referat af mødet 12. maj 2023"
    first = ["Punkt 4: Anlægsbevilling til Søhusskolen", "Beslutning", "Økonomiudvalget besluttede at godkende"]
    second = ["anlægsbevillingen på 2,5 mio. kr. til renovering.", "Punkt 5: Eventuelt", "Intet."]
    result = read_pdf("referat.pdf", _minutes([first, second], header=header, footer=True))
    assert "godkende\nanlægsbevillingen på 2,5 mio. kr." in result.text
    assert "Side" not in result.text
    # The first page keeps its header: it may be the only place that names the body and date.
    assert result.text.count("Referat af mødet 12. maj 2023") == 1
    assert result.text.startswith(header)


@needs_font
def test_a_repeated_line_in_a_two_page_document_stays_when_it_is_content() -> None:
    pages = [["1. Regnskab", "Godkendt"], ["2. Budget", "Godkendt"]]
    assert read_pdf("kort.pdf", _minutes(pages)).text.count("Godkendt") == 2


@needs_font
def test_item_headings_that_repeat_at_page_tops_are_kept() -> None:
    pages = [["1.", "Valg af dirigent", "Leif Hansen valgt."], ["2.", "Beretning", "Godkendt."], ["3.", "Regnskab"]]
    text = read_pdf("tabel.pdf", _minutes(pages)).text
    assert [line for line in text.splitlines() if re.fullmatch(r"\d\.", line)] == ["1.", "2.", "3."]
    pages = [[f"{n}) Punkt {n}", "a ) Ugentlig update", "Intet nyt."] for n in range(1, 4)]
    assert read_pdf("underpunkter.pdf", _minutes(pages)).text.count("a ) Ugentlig update") == 3


@needs_font
def test_line_end_hyphenation_is_joined_where_the_joined_word_is_a_word() -> None:
    lines = [
        "Der etableres et regn-",
        "vandsbassin ved skolen, og Teknik-",
        "og Miljøudvalget følger sagen sammen med NAT-",
        "IT. Studienævnet for NAT-IT er orienteret, og Dorit Bjørn-",
        "Larsen deltog.",
    ]
    text = read_pdf("bassin.pdf", _minutes([lines])).text
    assert "et regnvandsbassin ved skolen" in text
    assert "Teknik-\nog Miljøudvalget" in text
    assert "med NAT-IT." in text
    assert "Bjørn-\nLarsen" in text


@needs_font
def test_a_word_hyphenated_over_a_page_break_is_joined() -> None:
    result = read_pdf("side.pdf", _minutes([["Udvalget godkendte regn-"], ["vandsbassinet."]], footer=True))
    assert "godkendte regnvandsbassinet." in result.text
    assert result.page_starts[1] <= result.text.index("vandsbassinet.") + len("vandsbassinet.")


@needs_font
def test_ligatures_are_normalised() -> None:
    text = read_pdf("liga.pdf", _minutes([["Tra\ufb01kudvalget og \ufb02ere \ufb01rmaer"]])).text
    assert "Trafikudvalget og flere firmaer" in text
    assert not re.search("[\ufb00-\ufb4f]", text)


@needs_font
def test_page_starts_point_at_each_page() -> None:
    pages = [["Mødet blev åbnet."], ["Punkt 2: Budget"], [], ["Punkt 3: Eventuelt"]]
    result = read_pdf("sider.pdf", _minutes(pages, footer=True))
    assert len(result.page_starts) == 4 and result.page_starts[0] == 0
    assert result.text[result.page_starts[1] :].startswith("Punkt 2: Budget")
    assert result.text[result.page_starts[3] :].startswith("Punkt 3: Eventuelt")
    assert result.page_starts[2] <= result.page_starts[3]
    assert any("pages without text: 3" in w for w in result.warnings)


@needs_font
@needs_ocr
def test_a_scan_is_read_by_ocr() -> None:
    result = read_pdf("scan.pdf", _scan(["Referat af generalforsamlingen", "1. Valg af dirigent", "2. Beretning"]))
    assert "generalforsamlingen" in result.text
    assert re.search(r"(?m)^1\. Valg af dirigent", result.text)
    assert any("OCR" in w and "page 1" in w for w in result.warnings)


@needs_font
@needs_ocr
def test_ocr_stops_at_its_page_bound_and_says_which_pages_were_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "OCR_MAX_PAGES", 1)
    result = read_pdf("lang_scan.pdf", _scan(["Referat af generalforsamlingen"], pages=2))
    assert len(result.page_starts) == 2
    assert any("page 2 not read: over the bound of 1 pages" in w for w in result.warnings)


@needs_font
def test_a_scan_without_tesseract_is_refused_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "tesseract_available", lambda: False)
    with pytest.raises(DocumentError, match=r"scanned, no text layer; install tesseract-ocr-dan to read it"):
        read_pdf("scan.pdf", _scan(["Referat af generalforsamlingen"]))


@needs_font
def test_a_text_pdf_needs_no_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "tesseract_available", lambda: False)
    assert read_pdf("tekst.pdf", _minutes([["Mødet blev åbnet."]])).text == "Mødet blev åbnet."


# --- real documents ---------------------------------------------------------------------------------


def _real(folder: str) -> list[Path]:
    return sorted((REAL / folder).glob("*.pdf"))


@needs_realdocs
@needs_ocr
def test_the_pure_scan_is_read_as_danish_text() -> None:
    path = REAL / "pomosa" / "refgen_pomosa_2009.pdf"
    result = read_pdf(path.name, path.read_bytes())
    assert "generalforsamling" in result.text.lower()
    assert len(result.page_starts) == 4
    assert any("OCR" in w for w in result.warnings)


@needs_realdocs
def test_the_pure_scan_is_refused_without_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "tesseract_available", lambda: False)
    path = REAL / "pomosa" / "refgen_pomosa_2009.pdf"
    with pytest.raises(DocumentError, match="scanned, no text layer"):
        read_pdf(path.name, path.read_bytes())


@needs_realdocs
@needs_ocr
def test_a_poor_ocr_layer_is_read_anew() -> None:
    # The scan's own OCR layer reads the item numbers "1." as "i ." and loses "8."; tesseract's Danish model does not.
    path = REAL / "pomosa" / "refgen_pomosa_2023.pdf"
    text = read_pdf(path.name, path.read_bytes()).text
    assert re.search(r"(?m)^1\. Valg af dirigent", text)
    assert re.search(r"(?m)^8\. Valg af revisorer", text)


@needs_realdocs
@pytest.mark.parametrize("path", _real("imada"), ids=lambda p: p.name)
def test_latex_minutes_read_clean(path: Path) -> None:
    result = read_pdf(path.name, path.read_bytes())
    text = result.text
    assert not re.search("[\ufb00-\ufb4f\u00ad\u200b]", text)
    assert not re.search(r"(?im)\bside \d+ af \d+", text)  # the footer on every page
    assert text.count("\nIMADA Fagråd\n") == 0  # the running header, kept only as the first line
    assert not re.search(r"[a-zæøå]-\n(?!og |eller )[a-zæøå]", text)  # line-end hyphenation mended
    assert re.search(r"(?m)^1\) ", text)  # the first item heading at a line start
    assert len(result.page_starts) >= 1 and list(result.page_starts) == sorted(result.page_starts)


_ITEMS = {year: 7 if year <= 2013 else 9 for year in range(2010, 2026)}


@needs_realdocs
@pytest.mark.parametrize(
    "path", [p for p in _real("pomosa") if p.stem[-4:] not in ("2009", "2023", "2024")], ids=lambda p: p.name
)
def test_general_meeting_item_headings_stay_at_line_starts(path: Path) -> None:
    text = read_pdf(path.name, path.read_bytes()).text
    numbers = {int(n) for n in re.findall(r"(?m)^(\d{1,2}) ?[.)]", text)}
    assert set(range(1, _ITEMS[int(path.stem[-4:])] + 1)) <= numbers


@needs_realdocs
def test_a_table_keeps_each_cell_together_and_drops_its_page_numbers() -> None:
    path = REAL / "aarhus" / "dagsbil.pdf"
    text = read_pdf(path.name, path.read_bytes()).text
    assert not re.search(r"(?m)^Side \d+ af \d+$", text)
    assert "kompetenceudvikling i Sociale Forhold og Beskæftigelse (med MSB)" in text
