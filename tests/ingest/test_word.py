"""The Word reader on the structures real templates and publishing systems write: content controls, text
boxes, item headings in table rows, tracked changes, fields, notes, page headers. Each fixture is a
python-docx document whose body is raw WordprocessingML, shaped like what Word itself saves."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.parse import parse_document
from ingest.readers import read_document
from ingest.segment import segment

_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_HEAD = "<w:p><w:r><w:t>Referat af mødet i Teknik- og Miljøudvalget den 4. marts 2024</w:t></w:r></w:p>"


def p(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def sdt(inner: str, tag: str = "Beslutning") -> str:
    """A content control as Word templates write it: properties, then the content."""
    properties = f'<w:sdtPr><w:alias w:val="{tag}"/><w:tag w:val="{tag}"/></w:sdtPr>'
    return f"<w:sdt>{properties}<w:sdtContent>{inner}</w:sdtContent></w:sdt>"


def row(*cells: str) -> str:
    return "<w:tr>" + "".join(f"<w:tc>{p(c) if not c.startswith('<') else c}</w:tc>" for c in cells) + "</w:tr>"


def table(*rows: str) -> str:
    return "<w:tbl><w:tblPr/>" + "".join(rows) + "</w:tbl>"


def write_docx(path: Path, body_xml: str) -> Path:
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Teknik- og Miljøudvalget · Side 1 af 2"
    document.sections[0].footer.paragraphs[0].text = "Holbæk Kommune, Kanalstræde 2"
    body = document.element.body
    sect = body.sectPr
    for child in list(body):
        if child is not sect:
            body.remove(child)
    wrapper = parse_xml(f"<w:body {_NS}>{body_xml}</w:body>")
    for child in list(wrapper):
        sect.addprevious(child)
    document.save(str(path))
    return path


def test_block_content_controls_keep_a_decision_and_a_whole_item(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "skabelon.docx",
        _HEAD
        + p("1. Godkendelse af dagsorden")
        + p("Beslutning")
        + p("Dagsordenen blev godkendt.")
        + p("2. Budget 2025 for vejområdet")
        + p("Det indstilles, at udvalget godkender budgettet.")
        + p("Beslutning")
        + sdt(p("Udvalget godkendte budgettet med de foreslåede ændringer."))
        + sdt(p("3. Trafiksikkerhedsplan") + sdt(p("Planen blev sendt i høring."), "Tekst"), "Punkt")
        + p("4. Eventuelt")
        + p("Intet."),
    )
    text = read_document(path).text
    assert text.index("ændringer.") < text.index("3. Trafiksikkerhedsplan") < text.index("høring.")
    document = parse_document(path)
    assert [(i.number, i.title) for i in document.items] == [
        ("1", "Godkendelse af dagsorden"),
        ("2", "Budget 2025 for vejområdet"),
        ("3", "Trafiksikkerhedsplan"),
        ("4", "Eventuelt"),
    ]
    budget = document.items[1]
    assert budget.decision.sentences == ("Udvalget godkendte budgettet med de foreslåede ændringer.",)
    assert budget.decision.outcome == "godkendt"
    assert not any("skip" in w for w in document.warnings)


def test_content_controls_in_cells_rows_and_runs(tmp_path: Path) -> None:
    run_sdt = (
        '<w:p><w:r><w:t xml:space="preserve">Mødet blev ledet af </w:t></w:r>'
        '<w:sdt><w:sdtPr><w:tag w:val="Formand"/></w:sdtPr><w:sdtContent><w:r><w:t>Anne Hansen</w:t></w:r>'
        "</w:sdtContent></w:sdt><w:r><w:t>.</w:t></w:r></w:p>"
    )
    cell_sdt = "<w:tc>" + sdt(p("Bevillingen blev givet.")) + "</w:tc>"
    row_sdt = sdt(row("Sagsnr.", "24/1234"), "Sag")
    path = write_docx(
        tmp_path / "felter.docx",
        run_sdt + table("<w:tr><w:tc>" + p("Beslutning") + "</w:tc>" + cell_sdt + "</w:tr>", row_sdt),
    )
    text = read_document(path).text
    assert "Mødet blev ledet af Anne Hansen." in text
    assert "Beslutning\n\nBevillingen blev givet." in text  # a label cell becomes the section heading
    assert "Sagsnr.\t24/1234" in text


def _text_box(text: str) -> str:
    """A floating text box as Word 2010+ saves it: DrawingML, and a VML copy for older readers."""
    box = f"<w:txbxContent>{p(text)}</w:txbxContent>"
    return (
        "<w:r><mc:AlternateContent>"
        '<mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData>'
        f"<wps:wsp><wps:txbx>{box}</wps:txbx></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )


def test_text_box_is_read_once_after_its_anchor(tmp_path: Path) -> None:
    box = _text_box("Bemærk: frist 1. april.")
    anchored = f'<w:p><w:r><w:t xml:space="preserve">Sagen blev drøftet.</w:t></w:r>{box}</w:p>'
    vml_only = (
        "<w:p><w:r><w:pict><v:shape><v:textbox><w:txbxContent>"
        + p("Gammel tekstboks.")
        + "</w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>"
    )
    path = write_docx(tmp_path / "tekstboks.docx", p("1. Orientering") + anchored + vml_only + p("Slut."))
    text = read_document(path).text
    assert text.count("Bemærk: frist 1. april.") == 1
    assert text.count("Gammel tekstboks.") == 1
    assert "Sagen blev drøftet.\n\nBemærk: frist 1. april.\n\nGammel tekstboks.\n\nSlut." in text


def test_tracked_changes_fields_hyphens_and_links(tmp_path: Path) -> None:
    body = (
        "<w:p>"
        '<w:r><w:t xml:space="preserve">Udvalget </w:t></w:r>'
        '<w:del w:id="1" w:author="A"><w:r><w:delText xml:space="preserve">afviste </w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="A"><w:r><w:t xml:space="preserve">godkendte </w:t></w:r></w:ins>'
        "<w:r><w:t>forslaget om </w:t></w:r>"
        "<w:r><w:t>regn</w:t><w:softHyphen/><w:t>vandsbassin</w:t></w:r>"
        '<w:r><w:t xml:space="preserve"> på </w:t></w:r>'
        '<w:hyperlink r:id="rIdX"><w:r><w:t>Holbæk</w:t><w:noBreakHyphen/><w:t>vej</w:t></w:r></w:hyperlink>'
        "<w:r><w:t>.</w:t></w:r></w:p>"
        '<w:p><w:r><w:t xml:space="preserve">Se side </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> PAGEREF _Toc123 \\h </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>7</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        + table(
            row("Bevaret række", "ja"),
            '<w:tr><w:trPr><w:del w:id="3" w:author="A"/></w:trPr><w:tc>' + p("Slettet række") + "</w:tc></w:tr>",
        )
    )
    text = read_document(write_docx(tmp_path / "rettelser.docx", body)).text
    assert "Udvalget godkendte forslaget om regnvandsbassin på Holbæk-vej." in text
    assert "afviste" not in text
    assert "Se side 7" in text and "PAGEREF" not in text and "_Toc" not in text
    assert "Slettet række" not in text


def test_headers_and_footers_stay_out(tmp_path: Path) -> None:
    text = read_document(write_docx(tmp_path / "sidehoved.docx", _HEAD + p("1. Eventuelt"))).text
    assert "Side 1 af 2" not in text and "Kanalstræde" not in text
    assert text.endswith("1. Eventuelt")


def test_number_and_title_cells_become_item_headings(tmp_path: Path) -> None:
    """First Agenda-style layout: each item opens with a table row `5 | Title`; the contents table at the
    top (a run of such rows with page numbers) stays a contents table."""
    contents = table(
        row("1", "Godkendelse af dagsorden", "2"), row("2", "Budget 2025", "3"), row("3", "Eventuelt", "4")
    )
    items = (
        table(row("1", "Godkendelse af dagsorden"))
        + p("Beslutning")
        + p("Godkendt.")
        + table(row("Punkt 2", "Budget 2025"), row("Sagsnr.", "24/1234"))
        + p("Beslutning")
        + p("Udvalget godkendte budgettet.")
        + table(row("3", "Eventuelt"))
        + p("Intet.")
    )
    text = read_document(write_docx(tmp_path / "firstagenda.docx", _HEAD + contents + items)).text
    assert "1\tGodkendelse af dagsorden\t2\n2\tBudget 2025\t3" in text
    seg = segment(text, "x")
    assert [(i.number, i.title) for i in seg.items] == [
        ("1", "Godkendelse af dagsorden"),
        ("2", "Budget 2025"),
        ("3", "Eventuelt"),
    ]
    assert seg.items[1].sections_dict["Beslutning"] == "Udvalget godkendte budgettet."


def test_agenda_that_is_only_a_table_of_items(tmp_path: Path) -> None:
    """A dagsorden whose items are only listed (no body) in number | title rows: the rows are its items."""
    body = _HEAD + table(row("1", "Godkendelse af dagsorden"), row("2", "Meddelelser"), row("3", "Eventuelt"))
    seg = segment(read_document(write_docx(tmp_path / "dagsorden.docx", body)).text, "x")
    assert [(i.number, i.title) for i in seg.items] == [
        ("1", "Godkendelse af dagsorden"),
        ("2", "Meddelelser"),
        ("3", "Eventuelt"),
    ]


def test_footnote_follows_the_paragraph_that_cites_it(tmp_path: Path) -> None:
    import docx

    path = write_docx(
        tmp_path / "fodnote.docx",
        p("1. Lovgrundlag")
        + '<w:p><w:r><w:t>Sagen behandles efter planloven.</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p>'
        + p("2. Eventuelt"),
    )
    _add_footnote(path, "1", "Lovbekendtgørelse nr. 1157 af 1. juli 2020.")
    docx.Document(str(path))  # still a valid document
    text = read_document(path).text
    assert "planloven.\n\nFodnote 1: Lovbekendtgørelse nr. 1157 af 1. juli 2020.\n\n2. Eventuelt" in text


def _add_footnote(path: Path, note_id: str, text: str) -> None:
    import zipfile

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    notes = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{w}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="{note_id}"><w:p><w:r><w:footnoteRef/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>"
    )
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["word/footnotes.xml"] = notes.encode()
    rels = parts["word/_rels/document.xml.rels"].decode()
    rel = (
        '<Relationship Id="rIdFn" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" '
        'Target="footnotes.xml"/>'
    )
    parts["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", rel + "</Relationships>").encode()
    types = parts["[Content_Types].xml"].decode()
    override = (
        '<Override PartName="/word/footnotes.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>'
    )
    parts["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


@pytest.mark.parametrize("style", ["TOC1", "Indholdsfortegnelse1"])
def test_word_contents_field_is_not_read_as_items(tmp_path: Path, style: str) -> None:
    """A Word contents field: `1. Title<TAB>page` lines with dotted tab leaders; the body's headings win."""

    def toc_line(title: str, page: str, *, first: bool = False, last: bool = False) -> str:
        begin = (
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> TOC \\o "1-3" \\h </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            if first
            else ""
        )
        end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>' if last else ""
        return (
            f'<w:p><w:pPr><w:pStyle w:val="{style}"/><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="9000"/>'
            f"</w:tabs></w:pPr>{begin}<w:r><w:t>{title}</w:t></w:r><w:r><w:tab/></w:r><w:r><w:t>{page}</w:t></w:r>{end}</w:p>"
        )

    body = (
        _HEAD
        + toc_line("1. Godkendelse af dagsorden", "2", first=True)
        + toc_line("2. Budget 2025", "3")
        + toc_line("3. Eventuelt", "4", last=True)
        + p("1. Godkendelse af dagsorden")
        + p("Godkendt.")
        + p("2. Budget 2025")
        + p("Vedtaget.")
        + p("3. Eventuelt")
        + p("Intet.")
    )
    text = read_document(write_docx(tmp_path / "toc.docx", body)).text
    assert " TOC " not in text
    assert "2. Budget 2025 ..... 3" in text  # the tab leader written out: a contents line
    seg = segment(text, "x")
    assert [(i.number, i.title, i.text.split("\n")[-1]) for i in seg.items] == [
        ("1", "Godkendelse af dagsorden", "Godkendt."),
        ("2", "Budget 2025", "Vedtaget."),
        ("3", "Eventuelt", "Intet."),
    ]
