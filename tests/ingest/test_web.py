"""The HTML reader on exports shaped like those of Danish publishing systems: item number and title in
separate cells or spans, `<br>` inside headings, definition lists, soft hyphens."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.parse import parse_document
from ingest.readers import read_document
from ingest.segment import segment

_PAGE = (
    "<!DOCTYPE html><html lang='da'><head><meta charset='utf-8'><title>Referat</title></head><body>"
    "<nav class='menu'><a href='/'>Forside</a></nav>"
    "<div class='cookie-banner'>Vi bruger cookies <button>OK</button></div>"
    "<main><h1>Referat af mødet i Børne- og Skoleudvalget den 5. marts 2024</h1>{body}</main></body></html>"
)


def write_html(path: Path, body: str) -> Path:
    path.write_text(_PAGE.format(body=body), encoding="utf-8")
    return path


def items_of(path: Path) -> list[tuple[str | None, str]]:
    return [(i.number, i.title) for i in segment(read_document(path).text, "x").items]


EXPECTED = [("1", "Godkendelse af dagsorden"), ("2", "Budget 2025 for skoleområdet"), ("3", "Eventuelt")]


@pytest.mark.parametrize(
    "number_cell",
    ["<td>{n}</td>", "<td class='punkt'>Punkt {n}</td>", "<th scope='row'>{n}.</th>", "<td><b>{n}</b></td>"],
)
def test_number_and_title_cells_become_items(tmp_path: Path, number_cell: str) -> None:
    """Acadre/eDoc-style: each item opens with a table row `number | title`, a contents table on top."""
    contents = "<table class='indhold'>" + "".join(
        f"<tr><td>{n}</td><td>{t}</td><td>{n + 1}</td></tr>" for n, (_, t) in enumerate(EXPECTED, 1)
    )
    body = contents + "</table>"
    for n, (_, title) in enumerate(EXPECTED, 1):
        cell = number_cell.format(n=n)
        body += f"<table class='punkt'><tr>{cell}<td>{title}</td></tr></table>"
        body += "<h3>Beslutning</h3><p>Udvalget godkendte indstillingen.</p>"
    path = write_html(tmp_path / "acadre.html", body)
    text = read_document(path).text
    assert "\n1\tGodkendelse af dagsorden\t2\n" in text  # the contents table stays a contents table
    assert items_of(path) == EXPECTED


def test_one_table_layout_with_section_label_cells(tmp_path: Path) -> None:
    """The whole meeting in one table: heading rows, then `label | text` rows (Netpublicator-style)."""
    rows = ""
    for n, (_, title) in enumerate(EXPECTED, 1):
        rows += f"<tr><td class='nr'>{n}</td><td class='titel'>{title}</td></tr>"
        rows += "<tr><td>Sagsfremstilling</td><td><p>Sagen blev fremlagt.</p><p>Der var spørgsmål.</p></td></tr>"
        rows += f"<tr><td>Beslutning</td><td>Udvalget godkendte punkt {n}.</td></tr>"
    path = write_html(tmp_path / "netpublicator.html", f"<table>{rows}</table>")
    document = parse_document(path)
    assert [(i.number, i.title) for i in document.items] == EXPECTED
    assert document.items[1].sections_dict["Beslutning"] == "Udvalget godkendte punkt 2."
    assert document.items[1].decision.outcome == "godkendt"


def test_agenda_item_divs_with_number_and_title_spans(tmp_path: Path) -> None:
    body = "".join(
        f"<div class='agendaitem'><div class='header'><span class='number'>{n}</span>"
        f"<span class='title'>{title}</span></div>"
        f"<div class='content'><h4>Beslutning</h4><p>Godkendt.</p></div></div>"
        for n, (_, title) in enumerate(EXPECTED, 1)
    )
    assert items_of(write_html(tmp_path / "firstagenda.html", body)) == EXPECTED


def test_headings_with_line_breaks_and_separate_number_spans(tmp_path: Path) -> None:
    body = (
        "<h2>Punkt 1<br>Godkendelse af dagsorden</h2><p>Godkendt.</p>"
        "<h2><span class='nr'>2.</span> Budget 2025 for<br>skoleområdet</h2><p>Vedtaget.</p>"
        "<h2>3. Eventuelt</h2><p>Intet.</p>"
    )
    path = write_html(tmp_path / "overskrifter.html", body)
    assert "Punkt 1: Godkendelse af dagsorden" in read_document(path).text
    assert items_of(path) == EXPECTED


def test_definition_list_items(tmp_path: Path) -> None:
    body = "<dl>" + "".join(f"<dt>{n}</dt><dd>{t}</dd>" for n, (_, t) in enumerate(EXPECTED, 1)) + "</dl>"
    body += "".join(
        f"<h2>{n}. {t}</h2><dl><dt>Beslutning</dt><dd>Godkendt.</dd></dl>" for n, (_, t) in enumerate(EXPECTED, 1)
    )
    path = write_html(tmp_path / "dl.html", body)
    seg = segment(read_document(path).text, "x")
    assert [(i.number, i.title) for i in seg.items] == EXPECTED
    assert seg.items[0].sections_dict["Beslutning"] == "Godkendt."


def test_prose_starting_with_a_number_stays_prose(tmp_path: Path) -> None:
    body = "<p><b>5</b> borgere har klaget.</p><p><b>12</b> Skoler deltog i forsøget.</p>"
    text = read_document(write_html(tmp_path / "prosa.html", body)).text
    assert "5 borgere har klaget." in text
    assert "12 Skoler deltog i forsøget." in text


def test_soft_hyphens_do_not_split_words(tmp_path: Path) -> None:
    body = (
        "<h2>1. Regn&shy;vands&shy;bassin ved Skole\u00advej</h2>"
        "<p>Beslutning: Udvalget godkendte regn&shy;vandsbassinet.</p><h2>2. Eventuelt</h2><p>Intet.</p>"
    )
    path = write_html(tmp_path / "bloedt.html", body)
    text = read_document(path).text
    assert "\u00ad" not in text
    assert "Regnvandsbassin ved Skolevej" in text and "regnvandsbassinet" in text
    document = parse_document(path)
    assert document.items[0].title == "Regnvandsbassin ved Skolevej"


def test_widgets_are_still_dropped(tmp_path: Path) -> None:
    text = read_document(write_html(tmp_path / "side.html", "<p>Indhold.</p>")).text
    assert "cookies" not in text and "Forside" not in text
    assert text.endswith("Indhold.")
