"""Segmentation: golden item lists for every sample document, and the tricky layouts one by one."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.readers import read_document
from ingest.segment import Segmentation, section_heading, segment

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

GOLDEN: dict[str, list[tuple[str | None, str]]] = {
    "000_266b1448cd742ca6": [
        ("1", "Introduktion til dagen"),
        ("2", "Ankomst og let morgenmad (kl. 9.00-9.30)"),
        ("3", "Bæredygtighed og grøn omstilling på erhvervsuddannelserne (kl. 9.30-10.30)"),
        ("4", "Generel introduktion til bæredygtighedsarbejdet i Region Midtjylland (kl. 10.30-10.40)"),
        ("5", "Bæredygtighedsstrategiens indsatsområder (10.40-11.00)"),
        ("6", "Bæredygtighedskrav ved indkøb og udbud (kl. 11.00-11.40)"),
        ("7", "På vej mod en cirkulær region og status på affaldsplanen (11.40-12.20)"),
        ("8", "Frokost (12.20-13.00)"),
        ("9", "Revision af bæredygtighedsstrategien – hvad sigter vi mod? (13.00-13.25)"),
        ("10", "Kontrol på praksisområdet (kl. 13.25-14.15)"),
        ("11", "Pause (kl. 14.15-14.30)"),
        ("12", "Region Midtjyllands arbejde med sociale investeringer (kl. 14.30-15.30)"),
    ],
    "001_727726ba28d7f673": [
        ("1", "Opsamling fra det seneste møde i udvalget"),
        ("2", "Besøg fra Den Sociale Investeringsfond"),
        ("3", "Præsentation af data om Struer Kommune og Norddjurs Kommune"),
        ("4", "Erfaringer fra arbejdet i de regionalpolitiske fora"),
        ("5", "Gensidig orientering"),
        ("6", "Mødedeltagelse"),
    ],
    "002_1f999e237a1b970f": [
        (None, "Indledning"),
        ("1", "En grøn og bæredygtig fremtid"),
        ("2", "Danmark skal være verdens bedste land at være barn i"),
        ("3", "Et styrket velfærdssamfund"),
        ("4", "En ansvarlig og retfærdig økonomi"),
        ("5", "En udlændingepolitik, der fremmer integrationen"),
        ("6", "Et samfund med større tillid og sammenhængskraft"),
    ],
    "003_fc010784cd8fe213": [
        ("1", "Godkendelse af dagsorden"),
        ("2", "Godkendelse af referatet fra mødet den 23. oktober 2020"),
        ("3", "Orientering om KKR-Midtjyllands klimastrategi"),
        ("4", "Godkendelse af kommissorium for den administrative styregruppe for DK2020"),
        ("5", "Status på Coronasituationen"),
        ("6", "Midttrafiks indtægtsfordelingsmodel"),
        ("7", "Godkendelse af resultatkontrakt 2021 mellem KKR Midtjylland og Erhvervshus Midtjylland"),
        ("8", "Orientering om udpegning af regionale fyrtårne i Midtjylland"),
        (
            "9",
            "Arbejdsmarkedsområdet - Status på samarbejdet mellem KKR, RAR og Region Midtjylland om unge-initiativer",
        ),
        ("10", "Analyse af behovet for velfærdsuddannede"),
        ("11", "Orientering om dimensionering af pædagoguddannelsen"),
        ("12", "Dimensionering af sygeplejerskeuddannelsen"),
        ("13", "Godkendelse af midlertidig kontrakt vedr. HjerterKomMidt i 2021"),
        ("14", "Orientering om partnerskab for tobaksfri ungdomsuddannelser"),
        ("15", "Drøftelse af samarbejde om sprogstrategi"),
        ("16", "Godkendelse af kommissorium for GovTech Midtjylland"),
        ("17", "Orientering om dialog mellem DKS og DASSOS vedr. organisering af samarbejdsstruktur"),
        ("18", "Udpegninger"),
        ("19", "Foreløbige punkter til KKR-mødet den 1. februar 2021"),
        ("20", "Kommende møder"),
        ("21", "Eventuelt"),
    ],
    "004_344350c627352113": [
        ("1", "Godkendelse af dagsorden"),
        ("2", "Godkendelse af referatet fra mødet den 17. marts 2022"),
        (
            "3",
            "Godkendelse af samarbejdsaftale mellem kommunerne og regionen om klinisk funktion og sundhedskoordinator",
        ),
        ("4", "Orientering fra erhvervsområdet"),
        (
            "5",
            "Drøftelse og godkendelse af den administrative understøttelse af Sundhedssamarbejdsudvalg og klynger",
        ),
        ("6", "Henvendelse fra Aarhus kommune om udvidet deltagelse i KOSU og i Sundhedsstyregruppen"),
        ("7", "Orientering fra KOSU"),
        ("8", "Drøftelse af takstaftalen"),
        ("9", "Orientering fra uddannelsesområdet"),
        ("10", "Henvendelse fra regionen vedr. projekt Ung i Uddannelse 2.0"),
        ("11", "Orientering om status på FGU"),
        ("12", "Evaluering af studieturen til Bruxelles"),
        ("13", "Udpegninger"),
        ("14", "Foreløbige punkter til møde i KKR Midtjylland den 14. juni 2022"),
        ("15", "Kommende møder"),
        ("16", "Eventuelt"),
    ],
}


def _sample(stem: str) -> Segmentation:
    return segment(read_document(SAMPLE / f"{stem}.txt").text, stem)


@pytest.mark.parametrize("stem", sorted(GOLDEN))
def test_golden_item_numbers_and_titles(stem: str) -> None:
    assert [(i.number, i.title) for i in _sample(stem).items] == GOLDEN[stem]


@pytest.mark.parametrize("stem", sorted(GOLDEN))
def test_spans_and_section_offsets_point_at_the_text(stem: str) -> None:
    text = read_document(SAMPLE / f"{stem}.txt").text
    items = segment(text, stem).items
    for item in items:
        assert item.doc_id == stem
        assert text[item.span[0] : item.span[1]] == item.text
        assert item.sections, f"item {item.number} has no sections"
        for s in item.sections:
            assert item.text[s.start : s.end] == s.text
    for a, b in itertools.pairwise(items):
        assert a.span[1] <= b.span[0]


def test_presenters_including_a_name_wrapped_past_a_blank_line() -> None:
    items = {i.number: i for i in _sample("003_fc010784cd8fe213").items}
    assert items["4"].presenters == ("Thomas Lindberg",)
    assert items["6"].presenters == ("Jesper Kaas Schmidt", "Rasmus Møller")
    assert items["10"].presenters == ("Lars Møller",)  # "v. Lars Møller." with a full stop
    assert items["13"].presenters == ("Flemming Storgaard",)  # "v. Flemming" / "Storgaard"
    assert items["17"].presenters == ("Flemming Storgaard", "Jesper Thyrring Møller")
    assert items["18"].presenters == ()
    assert "Thomas Lindberg" not in items["4"].title
    items4 = {i.number: i for i in _sample("004_344350c627352113").items}
    assert items4["11"].presenters == ("Jesper Kaas Schmidt", "Christian Brincker Nordbek")


def test_case_numbers_before_and_after_the_heading() -> None:
    assert {i.case_number for i in _sample("000_266b1448cd742ca6").items} == {"0-4-6-22"}
    assert {i.case_number for i in _sample("001_727726ba28d7f673").items} == {"1-00-14-22"}
    # the case number sits on its own line: it is neither in the title nor in a section
    first = _sample("001_727726ba28d7f673").items[0]
    assert "1-00-14-22" not in first.sections_dict["Sagsfremstilling"]


def test_case_number_line_starts_its_own_item_not_the_previous_one() -> None:
    items = _sample("000_266b1448cd742ca6").items
    assert items[1].text.startswith("0-4-6-22\n")
    assert "0-4-6-22" not in items[0].text.split("Sagsfremstilling", 1)[1]


def test_sections_of_minutes() -> None:
    first = _sample("001_727726ba28d7f673").items[0]
    assert [s.name for s in first.sections] == ["Sagsfremstilling", "Beslutning"]
    assert first.sections_dict["Beslutning"].startswith("Udvalget drøftede de to oplæg")
    kd = {i.number: i for i in _sample("003_fc010784cd8fe213").items}
    assert [s.name for s in kd["14"].sections] == [
        "Indstilling",
        "Referat",
        "Sagsfremstilling",
        "Økonomi",
        "Bilag",
    ]
    assert kd["1"].sections_dict["Indstilling"] == "Det indstilles, at KD-Net godkender dagsordenen"
    assert kd["1"].sections_dict["Referat"].endswith("KD-Net godkendte dagsordenen.")
    assert kd["2"].sections_dict["Bilag"].startswith("./.")


def test_referat_with_text_on_the_same_line() -> None:
    items = {i.number: i for i in _sample("004_344350c627352113").items}
    assert items["1"].sections_dict == {
        "Indstilling": "Det indstilles, at KD-Net godkender dagsordenen.",
        "Referat": "Godkendt",
    }
    assert items["12"].sections_dict["Referat"] == "Punktet udsat til næste møde."


def test_numbered_lines_inside_items_are_not_items() -> None:
    items = {i.number: i for i in _sample("004_344350c627352113").items}
    assert "1. Taksterne kan ikke stige i perioden" in items["8"].text
    assert "3. juni 2022, samt eventuelt temamøde" in items["15"].text
    assert items["16"].title == "Eventuelt"


def test_body_wins_over_a_table_of_contents_that_differs() -> None:
    seg = _sample("004_344350c627352113")
    numbers = {i.number: i.title for i in seg.items}
    assert numbers["10"].startswith("Henvendelse fra regionen")  # the contents says 10 is FGU
    assert numbers["11"].startswith("Orientering om status på FGU")
    assert any("table of contents differs" in w for w in seg.warnings)


def test_dotted_contents_lines_are_not_items() -> None:
    items = _sample("001_727726ba28d7f673").items
    assert items[0].text.startswith("Punkt 1: Opsamling")
    assert all("....." not in i.title for i in items)


def test_paper_introduction_is_an_unnumbered_item_and_its_list_is_not_items() -> None:
    items = _sample("002_1f999e237a1b970f").items
    intro = items[0]
    assert intro.number is None and intro.title == "Indledning"
    assert "1. En grøn og bæredygtig fremtid\n2. Danmark" in intro.text  # the list stays in the intro
    assert items[1].text.startswith("1. En grøn og bæredygtig fremtid\n\nAftaleparterne")
    assert "1) Energieffektiviseringer" in items[1].text


def test_front_matter_of_minutes_is_not_an_item() -> None:
    for stem in ("001_727726ba28d7f673", "003_fc010784cd8fe213", "004_344350c627352113"):
        first = _sample(stem).items[0]
        assert first.number == "1"


def test_text_without_items_is_one_unnumbered_item_with_a_warning() -> None:
    seg = segment("Notat om klimaet\n\nDer er ingen punkter her. Kun tekst.", "n")
    assert len(seg.items) == 1
    assert seg.items[0].number is None
    assert seg.items[0].title == "Notat om klimaet"
    assert any("no agenda items recognised" in w for w in seg.warnings)


def test_a_single_numbered_line_is_not_an_agenda() -> None:
    seg = segment("Vi har tre ønsker.\n1. Mere tid\n\nTak for nu.", "n")
    assert [i.number for i in seg.items] == [None]


def test_wrapped_presenter_directly_on_the_next_line() -> None:
    text = "1. Budget 2025 v.\nAnne Hansen og Bo Ek\n\nBeslutning\n\nGodkendt.\n\n2. Eventuelt\n\nIntet."
    first = segment(text, "t").items[0]
    assert (first.title, first.presenters) == ("Budget 2025", ("Anne Hansen", "Bo Ek"))
    assert first.sections_dict == {"Beslutning": "Godkendt."}


def test_title_wrapped_after_a_connective_word() -> None:
    text = "1. Aftale mellem kommunerne og\nregionen om sygepleje\n\nTekst.\n\n2. Eventuelt\n\nIntet."
    assert segment(text, "t").items[0].title == "Aftale mellem kommunerne og regionen om sygepleje"


def test_punkt_headings_with_gap_are_kept_with_a_warning() -> None:
    text = "Punkt 1: Velkomst\n\nTekst.\n\nPunkt 2: Budget\n\nTekst.\n\nPunkt 4: Eventuelt\n\nTekst."
    seg = segment(text, "t")
    assert [i.number for i in seg.items] == ["1", "2", "4"]
    assert any("skip 3" in w for w in seg.warnings)


def test_tab_table_contents_rows_are_evidence_not_items() -> None:
    text = (
        "Dagsorden for mødet\n\nPunkt\tIndhold\n1\tVelkomst\n2\tBudget\n\n"
        "1. Velkomst\n\nTekst om velkomst.\n\n2. Budget\n\nBeslutning: Godkendt."
    )
    seg = segment(text, "t")
    assert [(i.number, i.title) for i in seg.items] == [("1", "Velkomst"), ("2", "Budget")]
    assert seg.items[0].text.startswith("1. Velkomst")
    assert seg.items[1].sections_dict == {"Beslutning": "Godkendt."}


def test_markdown_and_bookmark_debris_is_ignored_in_headings() -> None:
    text = "## **1. Velkomst**\n\nTekst.\n\n[bookmark: P2]2.\tBudget (kl. 10.00-11.00)\n\nTekst."
    assert [(i.number, i.title) for i in segment(text, "t").items] == [
        ("1", "Velkomst"),
        ("2", "Budget (kl. 10.00-11.00)"),
    ]


def test_empty_text() -> None:
    assert segment("", "t").items == ()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Sagsfremstilling", ("Sagsfremstilling", 16)),
        ("Referat:", ("Referat", 8)),
        ("Referat: Godkendt", ("Referat", 9)),
        ("Beslutning i Regionsrådet den 5. marts 2024", ("Beslutning", 43)),
        ("Det indstilles, at udvalget drøfter sagen", ("Indstilling", None)),
        ("./. Kommissorium", ("Bilag", None)),
        ("Økonomi", ("Økonomi", 7)),
        ("Referat af møde i KD-Net den 23. oktober 2020", None),
        ("Referatet fra KD-Net mødet", None),
        ("sagsfremstilling følger", None),
    ],
)
def test_section_heading(line: str, expected: tuple[str, int | None] | None) -> None:
    assert section_heading(line) == expected


@pytest.mark.parametrize("suffix", ["html", "docx", "pdf"])
def test_rendered_formats_segment_like_the_text(suffix: str) -> None:
    text = read_document(FIXTURES / f"003_kdnet.{suffix}").text
    items = segment(text, "003").items
    assert [(i.number, i.title) for i in items] == GOLDEN["003_fc010784cd8fe213"]
    expected = [i.presenters for i in _sample("003_fc010784cd8fe213").items]
    assert [i.presenters for i in items] == expected
    for item in items:
        assert text[item.span[0] : item.span[1]] == item.text


# --- numbering schemes and false headings met in real minutes ---------------------------------------


def _items(text: str) -> list[tuple[str | None, str]]:
    return [(i.number, i.title) for i in segment(text, "x").items]


def test_parenthesis_numbering_and_a_nested_list_of_the_same_scheme() -> None:
    text = (
        "Generalforsamling: 25. februar 2009\n\n1) Valg af dirigent\nOle blev valgt.\n\n"
        "2) Regnskab for 2008\nSpørgsmål:\n1) Vedrører kurstab banken? = Nej\n2) Hvornår er de købt? = 2006\n\n"
        "3) Eventuelt\nIntet."
    )
    assert _items(text) == [("1", "Valg af dirigent"), ("2", "Regnskab for 2008"), ("3", "Eventuelt")]


def test_paragraph_sign_numbering() -> None:
    text = "§ 1 Valg af dirigent\n\nOle.\n\n§ 2 Beretning\n\nGodkendt.\n\n§ 3. Eventuelt\n\nIntet."
    assert _items(text) == [("1", "Valg af dirigent"), ("2", "Beretning"), ("3", "Eventuelt")]


def test_a_running_number_as_the_only_item_and_gaps_in_running_numbers() -> None:
    assert _items("Byrådet\n\nPunkt 412: Lokalplan 1.123\n\nBeslutning\n\nVedtaget.") == [("412", "Lokalplan 1.123")]
    text = "Punkt 412: Budget\n\nTekst.\n\nPunkt 415: Lokalplan\n\nTekst.\n\nPunkt 416: Eventuelt\n\nTekst."
    assert [n for n, _ in _items(text)] == ["412", "415", "416"]


def test_sub_items_stay_in_their_item() -> None:
    text = (
        "1) Formalia\na ) Valg af dirigent\nSimon\nb ) Valg af referent\nAnne\n"
        "2) Økonomi\na ) Status\nIntet nyt.\n3) Eventuelt\nIngenting."
    )
    seg = segment(text, "x")
    assert [(i.number, i.title) for i in seg.items] == [("1", "Formalia"), ("2", "Økonomi"), ("3", "Eventuelt")]
    assert "Valg af referent" in seg.items[0].text


def test_a_heading_in_a_table_cell() -> None:
    text = (
        "Referat\n\n1\tGodkendelse af dagsorden\n\nGodkendt.\n\n2\tBudget 2025\n\nVedtaget.\n\n3\tEventuelt\n\nIntet."
    )
    assert _items(text) == [("1", "Godkendelse af dagsorden"), ("2", "Budget 2025"), ("3", "Eventuelt")]


def test_ocr_noise_in_numbers() -> None:
    text = "I. Valg af dirigent\nOle.\n2. Beretning\nGodkendt.\n3 . Regnskab\nGodkendt.\n4. Eventuelt\nIntet."
    assert _items(text) == [("1", "Valg af dirigent"), ("2", "Beretning"), ("3", "Regnskab"), ("4", "Eventuelt")]


def test_a_heading_that_runs_on_into_text_is_cut() -> None:
    text = (
        "1. Valg af dirigent – Leif Hansen blev valgt og takkede.\n"
        "2. Indkomne forslag. Bestyrelsen foreslår lavere fart.\n"
        "3. Valg til bestyrelsen: På valg er Ole og Bo.\n"
        "4. Dan Andersen - Fjernvarme Fyn\nMads skriver.\n"
        "5. Lokalplan 12: Boliger ved Strandvejen\nVedtaget."
    )
    assert [t for _, t in _items(text)] == [
        "Valg af dirigent",
        "Indkomne forslag",
        "Valg til bestyrelsen",
        "Dan Andersen - Fjernvarme Fyn",
        "Lokalplan 12: Boliger ved Strandvejen",
    ]


def test_cross_references_and_other_meetings_numbers_are_not_headings() -> None:
    text = (
        "1. Budget\n\nSagens forløb\nKommunalbestyrelsen den 30. januar 2012 Punkt 5\nPunktnummer: 7\n"
        "Sagen blev udsat.\n\n2. Eventuelt\n\nIntet."
    )
    assert _items(text) == [("1", "Budget"), ("2", "Eventuelt")]


def test_a_numbered_list_of_candidates_inside_an_item_is_not_items() -> None:
    text = (
        "1. Valg af dirigent\n\nOle.\n\n2. Valg til bestyrelsen\n\nKandidater:\n1. Anne Hansen\n2. Bo Ek\n"
        "3. Carl Berg\n\n3. Eventuelt\n\nIntet."
    )
    assert _items(text) == [("1", "Valg af dirigent"), ("2", "Valg til bestyrelsen"), ("3", "Eventuelt")]


def test_the_statutes_agenda_quoted_in_an_invitation_is_not_the_items() -> None:
    text = (
        "Indkaldelse til generalforsamling\n\nDagsorden ifølge vedtægterne:\n1. Valg af dirigent\n"
        "2. Beretning\n3. Eventuelt\n\n1. Valg af dirigent\n\nOle blev valgt.\n\n2. Beretning\n\n"
        "Godkendt.\n\n3. Eventuelt\n\nIntet."
    )
    seg = segment(text, "x")
    assert [(i.number, i.title) for i in seg.items if i.number] == [
        ("1", "Valg af dirigent"),
        ("2", "Beretning"),
        ("3", "Eventuelt"),
    ]
    assert "Ole blev valgt" in seg.items[[i.number for i in seg.items].index("1")].text


def test_closing_lines_and_an_appended_report_are_parts_of_their_own() -> None:
    text = (
        "1) Valg af dirigent\nOle.\n\n2) Eventuelt\nIntet.\n\nReferent: Claus Thomsen\n\n"
        "Godkendelse af referat:\n\nLeif Hansen Pia Larsen\n\nGrundejerforeningen X\n"
        "Formandens beretning til generalforsamlingen den 9. februar 2010\n\nBestyrelsen har arbejdet.\n"
        "1. Kloakker blev spulet.\n2. Fortove blev ryddet."
    )
    seg = segment(text, "x")
    assert [(i.number, i.title) for i in seg.items] == [
        ("1", "Valg af dirigent"),
        ("2", "Eventuelt"),
        (None, "Referent: Claus Thomsen"),
        (None, "Grundejerforeningen X"),
    ]
    assert seg.items[1].text.rstrip().endswith("Intet.")
