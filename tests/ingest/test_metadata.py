"""Metadata: body, meeting date and kind from the document head — and None where the head is silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.metadata import Metadata, detect_metadata, parse_date
from ingest.readers import read_document

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

GOLDEN = {
    "000_266b1448cd742ca6": Metadata(body=None, date=None, kind="dagsorden"),
    "001_727726ba28d7f673": Metadata(body="Udvalg for lighed i sundhed", date="2024-02-21", kind="referat"),
    # the meeting ("Til mødet i Kontaktudvalget den 23. august 2019"), not the paper's "Dato 20-08-2019"
    "002_1f999e237a1b970f": Metadata(body="Kontaktudvalget", date="2019-08-23", kind="notat"),
    "003_fc010784cd8fe213": Metadata(body="KD-Net", date="2021-01-22", kind="referat"),
    "004_344350c627352113": Metadata(body="KD-Net", date="2022-06-03", kind="referat"),
}


@pytest.mark.parametrize("stem", sorted(GOLDEN))
def test_golden_metadata(stem: str) -> None:
    assert detect_metadata(read_document(SAMPLE / f"{stem}.txt").text) == GOLDEN[stem]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("den 22. januar 2021", "2021-01-22"),
        ("d. 21-02-2024", "2024-02-21"),
        ("Mødedato Onsdag d. 21. februar 2024 kl. 09:00", "2024-02-21"),
        ("Dato 20-08-2019", "2019-08-20"),
        ("5.3.2024", "2024-03-05"),
        ("2024-03-05", "2024-03-05"),
        ("d. 3. okt. 2023", "2023-10-03"),
        ("den 31. februar 2024", None),
        ("kl. 10.00 – 13.00", None),
    ],
)
def test_parse_date_forms(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_a_date_inside_an_item_is_not_the_meeting_date() -> None:
    text = "1. Velkomst\n\nSagsfremstilling\n\nMødet den 3. juni 2022 i Byrådet blev aflyst."
    assert detect_metadata(text) == Metadata(body=None, date=None, kind="dagsorden")


def test_an_earlier_meeting_in_the_head_is_not_the_meeting_date() -> None:
    text = "Dagsorden\n\nGodkendelse af referatet fra mødet den 1. marts 2024\n\n1. Velkomst\n\nTekst."
    assert detect_metadata(text).date is None


def test_kd_net_mention_and_generic_bodies() -> None:
    assert detect_metadata("Dagsorden for KD-Net\n\nDato: 9. april 2021").body == "KD-Net"
    assert detect_metadata("Referat fra Regionsrådet den 5. marts 2024").body == "Regionsrådet"
    assert detect_metadata("Dagsorden\n\nByrådet\n\nMødedato: 12.03.2024") == Metadata(
        "Byrådet", "2024-03-12", "dagsorden"
    )
    assert detect_metadata("Referat\nKommunalbestyrelsen\nd. 1. maj 2023").body == "Kommunalbestyrelsen"
    assert detect_metadata("Referat af møde i KKR Midtjylland den 1. februar 2021").body == "KKR Midtjylland"
    assert detect_metadata("Referat fra Teknik- og Miljøudvalget den 4. maj 2023").body == ("Teknik- og Miljøudvalget")


def test_kinds() -> None:
    assert detect_metadata("Notat\n\nOm affald").kind == "notat"
    assert detect_metadata("Beslutningsprotokol\n\nByrådet").kind == "referat"
    assert detect_metadata("1. Velkomst\n\nBeslutning\n\nGodkendt.").kind == "referat"


def test_nothing_stated_stays_none() -> None:
    assert detect_metadata("Et stykke tekst uden overskrift.") == Metadata(None, None, None)


def test_head_end_limits_the_head() -> None:
    text = "Referat\n\nLidt tekst\n\nByrådet mødes den 3. juni 2022"
    assert detect_metadata(text, head_end=text.index("Lidt")).date is None
    assert detect_metadata(text).date == "2022-06-03"


def _body_date(text: str) -> tuple[str | None, str | None]:
    meta = detect_metadata(text)
    return meta.body, meta.date


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Generalforsamling POMOSA 28/2 2022", "2022-02-28"),
        ("Grundejerforeningen X Januar 18/2 -2020", "2020-02-18"),
        ("Mødet d. 12.3.2019", "2019-03-12"),
        ("Referat 13/12-2024", "2024-12-13"),
        ("13. December, 2024 kl. 13.00 i Saunaen", "2024-12-13"),
    ],
)
def test_more_date_forms(text: str, iso: str) -> None:
    assert parse_date(text) == iso


def test_association_general_meeting_and_a_date_without_year_settled_by_its_weekday() -> None:
    text = (
        "Referat af generalforsamlingen torsdag den 28. februar kl. 19.30\n\nFremmødte 24\n\n"
        "1. Valg af dirigent\nOle.\n2. Årsregnskabet for 2018 og budget for 2019.\nGodkendt."
    )
    assert _body_date(text) == ("Generalforsamlingen", "2019-02-28")
    assert detect_metadata("Generalforsamsling: 28. februar 2017 på skolen.\n\n1) Valg").body == ("Generalforsamlingen")


def test_a_councils_board_meeting_from_a_latex_title_block() -> None:
    text = "IMADA Fagråd\nReferat af bestyrelsesmøde i IMADA Fagråd\n07. April 2025 kl. 16:00 i U49b\n1) Formalia"
    assert _body_date(text) == ("IMADA Fagråd", "2025-04-07")


def test_a_body_in_a_table_cell_of_an_attachment_is_not_its_body() -> None:
    text = (
        "Sager på vej – Sundhed og Omsorg 2025\nSide 1 af 4\nTil: Udvalget, Ældrerådet\n"
        "Ajourført: 29. august 2025\n\nFremsendte sager\nRenovering af plejehjem Økonomi Vedtaget. Byrådet 25. juni"
    )
    assert _body_date(text) == (None, "2025-08-29")
