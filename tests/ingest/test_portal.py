"""Agenda-portal JSON: items, sections, decisions and meeting metadata from the file itself; bad input refused.

The synthetic meeting below holds one of each trap the real portal exports set; the real-document tests
read `../shared/realdocs/greve` (329 meetings) and skip when it is absent.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ingest.decisions import with_decision
from ingest.errors import DocumentError
from ingest.parse import parse_document
from ingest.portal import read_portal
from ingest.readers import read_document
from ingest.records import AgendaItem
from ingest.text import ReadResult, normalise_text

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "realdocs"
GREVE = REAL / "greve"
needs_realdocs = pytest.mark.skipif(not GREVE.is_dir(), reason="shared/realdocs not present")

_PNG = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk" * 40


def _item(number: str, title: str, case: str, body_html: str, **extra: Any) -> dict[str, Any]:
    return {
        "Punktnummer": number,
        "Navn": title,
        "SagsNummer": case,
        "Felter": [{"Html": body_html}],
        "Bilag": [],
        "ExternalAgendaItemAttendees": [],
        "IsOpen": False,
        **extra,
    }


def _meeting() -> dict[str, Any]:
    first = (
        "<div><div id='sagsfremstillingContainer'><div><h3>Beslutning</h3>"
        "<span>Beslutning ikke frigivet</span></div>"
        "<h3>Fremstilling</h3><span class='ukendt'>"
        "<h4>Sagsprocedure</h4><p>Klima- og Milj&oslash;udvalget, &Oslash;konomiudvalget og Byr&aring;det.</p>"
        "<h3><b>I</b>ndstilling</h3><p><i>Administrationen indstiller, at planen godkendes.</i></p>"
        "<h4>Sagsbeskrivelse</h4><p>Planen d&aelig;kker\r\nhele kommunens\r\nkyststr&aelig;kning.</p>"
        f'<h4><img alt="" src="{_PNG}"></h4>'
        "<table><tr><td>&Aring;r</td><td>Udgift</td></tr><tr><td>2024</td><td>3.750.000 kr.</td></tr></table>"
        "<ul><li>Diger</li><li>Pumper</li></ul>"
        "<h3>&nbsp;</h3>"
        "<h4>&Oslash;konomiske\n  konsekvenser</h4><p>Udgiften er 0,5 mio. kr.</p>"
        "</span><h3>Sagens forl&oslash;b</h3>"
        "<span class='sagsforloeb'><u>12-09-2022 &Oslash;konomiudvalget</u><br> "
        "<div>&Oslash;konomiudvalget godkendte indstillingen.</div><br></span></div></div>"
    )
    second = (
        "<div><div id='sagsfremstillingContainer'><div><h3>Beslutning</h3>"
        "<span><p>Udvalget godkendte indstillingen.</p><br><br>Afbud: Ole Hansen</span></div>"
        "<h3>Fremstilling</h3><span class='ukendt'><div><h2><span>Resume</span></h2></div>"
        "<p>Kort om sagen.</p><h2><strong>Indstilling</strong></h2><p>Administrationen indstiller, at X.</p>"
        "<h4>Program for mødet:</h4><p>Kl. 17 spisning.</p></span></div></div>"
    )
    older_template = (
        "<div><div id='sagsfremstillingContainer'> Orientering fra formanden "
        '<p class="xsltFirstParagraph">Orienteringen blev taget til efterretning.</p>'
        "<div><h2>Sagsprocedure</h2><p>Klima- og Miljøudvalget.</p></div></div></div>"
    )
    return {
        "Udvalg": {"Navn": "Klima- og Miljøudvalget", "Id": "x"},
        "Moede": {
            "Dato": "2024-03-05T00:30:00+01:00",  # 4 March in UTC: the meeting's own date wins
            "Sted": "Mødelokale 1",
            "Moededeltagere": [
                {"Name": "Anna Jensen", "Absent": False, "ParticipationCancelled": False},
                {"Name": "Ole Hansen", "Absent": False, "ParticipationCancelled": True},
                {"Name": "Eva Berg", "Absent": True, "ParticipationCancelled": False},
            ],
            "Navn": "Dagsorden",
        },
        "TillaegsDagsorden": False,
        "Id": "0000",
        "Dagsordenpunkter": [
            _item("1", "Kystbeskyttelsesplan", "22-007839", first, Bilag=[{"Navn": "Bilag 1 - Plan"}]),
            _item(
                "2",
                "Godkendelse af årsplan",
                "20-072985K",
                second,
                ExternalAgendaItemAttendees=[{"Name": "Eva Berg", "Reason": "Fraværende"}],
            ),
            _item("3", "Lukket: Salg af grund", "23-010353", '<div><p class="xsltFirstParagraph">Godkendt.</p></div>'),
            _item("4", "Underskriftsark", "", "<div><h3>Fremstilling</h3><h4>Resume</h4><p>Underskrift.</p></div>"),
            _item("5", "Orientering fra formanden", "21-013722", older_template),
        ],
    }


@pytest.fixture
def synthetic() -> ReadResult:
    return read_portal("moede.json", json.dumps(_meeting()).encode())


def _items(result: ReadResult) -> tuple[AgendaItem, ...]:
    assert result.items is not None
    return result.items


def _assert_consistent(result: ReadResult) -> None:
    assert _items(result)
    assert normalise_text(result.text) == result.text
    for item in _items(result):
        assert result.text[item.span[0] : item.span[1]] == item.text
        for s in item.sections:
            assert item.text[s.start : s.end] == s.text and s.text


def test_synthetic_meeting_items_and_metadata(synthetic: ReadResult) -> None:
    _assert_consistent(synthetic)
    assert (synthetic.body, synthetic.date, synthetic.kind) == ("Klima- og Miljøudvalget", "2024-03-05", "referat")
    assert [(i.number, i.title, i.case_number, i.closed) for i in _items(synthetic)] == [
        ("1", "Kystbeskyttelsesplan", "22-007839", False),
        ("2", "Godkendelse af årsplan", "20-072985K", False),
        ("3", "Lukket: Salg af grund", "23-010353", True),
        ("4", "Underskriftsark", None, False),
        ("5", "Orientering fra formanden", "21-013722", False),
    ]
    assert all(i.doc_id == "" for i in _items(synthetic))
    head = synthetic.text[: _items(synthetic)[0].span[0]]
    assert "Klima- og Miljøudvalget" in head and "5. marts 2024" in head and "Sted: Mødelokale 1" in head
    assert "Deltagere: Anna Jensen" in head and "Afbud: Ole Hansen" in head and "Fraværende: Eva Berg" in head


def test_synthetic_text_is_clean(synthetic: ReadResult) -> None:
    text = synthetic.text
    assert "&" not in text and "<" not in text and "\r" not in text
    assert "base64" not in text and "iVBOR" not in text
    assert "Planen dækker hele kommunens kyststrækning." in text  # entities and soft line breaks
    assert "År\tUdgift\n2024\t3.750.000 kr." in text  # table row by row
    assert "- Diger\n- Pumper" in text
    first = _items(synthetic)[0]
    assert first.text.startswith("1. Kystbeskyttelsesplan\nSagsnr.: 22-007839\n\n")
    assert "\nØkonomiske konsekvenser\nUdgiften er 0,5 mio. kr." in first.text


def test_synthetic_sections_every_heading_variant(synthetic: ReadResult) -> None:
    first, second, closed, signing, older = _items(synthetic)
    assert [s.name for s in first.sections] == [
        "Beslutning",
        "Sagsprocedure",
        "Indstilling",  # <h3><b>I</b>ndstilling</h3>
        "Sagsfremstilling",
        "Økonomi",  # "Økonomiske\n  konsekvenser"
        "Sagens forløb",
        "Bilag",
    ]
    history = first.sections_dict["Sagens forløb"].splitlines()
    assert [line for line in history if line] == [
        "12-09-2022 Økonomiudvalget",
        "Økonomiudvalget godkendte indstillingen.",
    ]
    assert [s.name for s in second.sections] == ["Beslutning", "Resumé", "Indstilling"]
    assert "Program for mødet:\n\nKl. 17 spisning." in second.sections_dict["Indstilling"]  # not a section
    assert "Fraværende: Eva Berg" in second.text.split("\n\n")[0]  # who was away for this item
    assert second.sections_dict["Beslutning"].endswith("Afbud: Ole Hansen")  # kept as the portal wrote it
    assert [(s.name, s.text) for s in closed.sections] == [("Beslutning", "Godkendt.")]
    assert [s.name for s in signing.sections] == ["Resumé"]
    # The older template: the title repeated, then the decision without a heading, then the sections.
    assert (older.sections[0].name, older.sections[0].text) == (
        "Beslutning",
        "Orienteringen blev taget til efterretning.",
    )
    assert "Orientering fra formanden" not in older.sections_dict["Beslutning"]


def test_synthetic_decisions_come_from_this_meetings_beslutning(synthetic: ReadResult) -> None:
    outcomes = [with_decision(i, body=synthetic.body, kind=synthetic.kind).decision for i in _items(synthetic)]
    # "Beslutning ikke frigivet" is no decision, and Økonomiudvalget's in Sagens forløb is not this item's.
    assert outcomes[0].outcome == "ukendt" and outcomes[0].sentences == ()
    assert outcomes[1].outcome == "godkendt" and outcomes[1].sentences == ("Udvalget godkendte indstillingen.",)
    assert outcomes[2].outcome == "godkendt"
    assert outcomes[3].outcome == "ukendt"
    assert outcomes[4].outcome == "taget til efterretning"


def test_meeting_without_decisions_is_an_agenda() -> None:
    meeting = _meeting()
    meeting["Dagsordenpunkter"] = [
        _item("1", "Godkendelse af dagsorden", "", "<h3>Fremstilling</h3><h4>Resume</h4><p>Dagsorden.</p>"),
        _item("2", "Lukket: Ansættelse", "", "<div>Beslutning ikke frigivet</div>"),
    ]
    result = read_portal("m.json", json.dumps(meeting).encode())
    assert result.kind == "dagsorden"
    assert "Dagsorden 5. marts 2024" in result.text


def test_earlier_decision_headings_are_history_this_meetings_is_the_decision() -> None:
    meeting = _meeting()
    body = (
        "<h3>Beslutning i Økonomiudvalget den 12-02-2024</h3><p>Anbefales.</p>"
        "<h3>Beslutning i Klima- og Miljøudvalget den 5. marts 2024</h3><p>Godkendt.</p>"
        "<h3>Fremstilling</h3><h4>Resume</h4><p>Tekst.</p>"
    )
    meeting["Dagsordenpunkter"] = [_item("7", "Budget", "1", body)]
    result = read_portal("m.json", json.dumps(meeting).encode())
    (item,) = _items(result)
    assert item.sections_dict["Sagens forløb"] == "Anbefales."
    assert item.sections_dict["Beslutning"] == "Godkendt."


def test_portal_json_through_read_document_and_parse(tmp_path: Path) -> None:
    path = tmp_path / "klima_2024-03-05.json"
    path.write_text(json.dumps(_meeting(), indent=2), encoding="utf-8")
    assert read_document(path).items is not None
    doc = parse_document(path)
    assert (doc.body, doc.date, doc.kind) == ("Klima- og Miljøudvalget", "2024-03-05", "referat")
    assert [i.doc_id for i in doc.items] == [doc.doc_id] * 5
    assert [i.decision.outcome for i in doc.items] == [
        "ukendt",
        "godkendt",
        "godkendt",
        "ukendt",
        "taget til efterretning",
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[1, 2]", "JSON list"),
        (b'{"Udvalg": {"Navn": "X"}}', "no Dagsordenpunkter"),
        (b'"just a string"', "not an agenda-portal meeting"),
        (b'{"Dagsordenpunkter": [', "not valid JSON"),
        (b'{"Dagsordenpunkter": []}', "no agenda items"),
        (b'{"Dagsordenpunkter": {"1": {}}}', "not a list of items"),
        ('{"Dagsordenpunkter": [{"Navn": "Møde"}]}'.encode("cp1252"), "not UTF-8"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    ],
    ids=["list", "other-object", "string", "broken", "no-items", "items-not-list", "cp1252", "deep-json"],
)
def test_bad_input_is_a_document_error(data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        read_portal("bad.json", data)


def test_hostile_html_is_bounded() -> None:
    meeting = _meeting()
    meeting["Dagsordenpunkter"] = [_item("1", "Dyb", "", "<div>" * 50_000 + "x")]
    with pytest.raises(DocumentError, match="nested too deeply"):
        read_portal("deep.json", json.dumps(meeting).encode())
    meeting["Dagsordenpunkter"] = [_item("1", "Stor", "", "<p>" + "ord " * 500_000 + "</p>")]
    result = read_portal("big.json", json.dumps(meeting).encode())
    assert len(_items(result)[0].text) > 1_000_000


def test_odd_but_readable_fields_do_not_crash() -> None:
    meeting = {
        "Udvalg": None,
        "Moede": {"Dato": "ikke en dato", "Moededeltagere": "nobody"},
        "Dagsordenpunkter": [{"Punktnummer": 3, "Navn": None, "Felter": None}],
    }
    result = read_portal("odd.json", json.dumps(meeting).encode())
    assert result.body is None and result.date is None and result.kind == "dagsorden"
    assert result.items is not None and _items(result)[0].number == "3"
    assert any("not an ISO date" in w for w in result.warnings)


# ---------------------------------------------------------------------------------------------------
# The real archive


@cache
def _readme_table() -> dict[str, tuple[str, str, int, int]]:
    """file -> (committee, date, items, closed), from the table in realdocs/README.md."""
    rows = re.findall(
        r"^\| (\S+\.json) \| ([^|]+) \| (\d{4}-\d{2}-\d{2}) \| (\d+) \| (\d+) \|$",
        (REAL / "README.md").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    return {f: (c.strip(), d, int(n), int(k)) for f, c, d, n, k in rows}


@cache
def _real() -> dict[str, tuple[ReadResult, dict[str, Any]]]:
    return {
        p.name: (read_portal(p.name, p.read_bytes()), json.loads(p.read_bytes())) for p in sorted(GREVE.glob("*.json"))
    }


def _raw_decision(item_html: str) -> str | None:
    """An independent reading of the item's own decision: the text between the Beslutning heading and the
    next heading, tags and entities removed."""
    m = re.search(r"<h3>\s*Beslutning\s*</h3>(.*?)(?:<h[1-6][^>]*>|$)", item_html, re.DOTALL)
    if m is None or "<li" in m.group(1):  # list items get "- " / "1. " markers in the text
        return None
    return _squeeze(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))))


def _squeeze(text: str) -> str:
    return re.sub(r"[\s\u00ad\u200b]+", "", text)


@needs_realdocs
def test_real_archive_every_file_reads_with_the_readme_counts() -> None:
    table = _readme_table()
    real = _real()
    assert len(real) == len(table) == 329
    for name, (result, _raw) in real.items():
        committee, date, n_items, n_closed = table[name]
        assert (result.body, result.date) == (committee, date), name
        assert name.split("_")[1] == result.date
        assert result.items is not None
        assert (len(_items(result)), sum(i.closed for i in _items(result))) == (n_items, n_closed), name
        _assert_consistent(result)
    assert sum(len(r.items or ()) for r, _ in real.values()) == 5109
    assert sum(i.closed for r, _ in real.values() for i in r.items or ()) == 378


@needs_realdocs
def test_real_archive_decisions_come_from_beslutning_only() -> None:
    with_heading = decided = 0
    for result, raw in _real().values():
        assert result.items is not None
        for item, raw_item in zip(_items(result), raw["Dagsordenpunkter"], strict=True):
            item_html = raw_item["Felter"][0]["Html"] or ""
            own = item.sections_dict.get("Beslutning")
            if re.search(r"<h\d>\s*Beslutning\s*</h\d>", item_html) and not item.closed:
                with_heading += 1
                assert own, (result.body, result.date, item.number)
            decision = with_decision(item, body=result.body, kind=result.kind).decision
            if own is None or re.fullmatch(r"\s*Beslutning ikke frigivet\s*", own):
                assert decision.outcome in ("ukendt", "ingen"), (result.body, result.date, item.number)
                continue
            decided += decision.outcome not in ("ukendt", "ingen")
            flat = " ".join(own.split())
            assert all(s in flat for s in decision.sentences), (result.body, result.date, item.number)
    assert with_heading == 4467
    assert decided > 4000


@needs_realdocs
def test_real_archive_sample_of_decisions_matches_the_file() -> None:
    real = _real()
    checked = 0
    for name in sorted(real)[::15]:
        result, raw = real[name]
        assert result.items is not None
        for item, raw_item in list(zip(_items(result), raw["Dagsordenpunkter"], strict=True))[::4]:
            expected = _raw_decision(raw_item["Felter"][0]["Html"] or "")
            if expected is None or not expected:
                continue
            assert _squeeze(item.sections_dict["Beslutning"]) == expected, (name, item.number)
            checked += 1
    assert checked >= 20


@needs_realdocs
def test_real_archive_sections_and_history() -> None:
    names: dict[str, int] = {}
    for result, _raw in _real().values():
        for item in _items(result):
            for s in item.sections:
                names[s.name] = names.get(s.name, 0) + 1
    # The history of other meetings' decisions is its own section, never read as a decision.
    assert names["Sagens forløb"] > 1600
    for name in ("Beslutning", "Indstilling", "Resumé", "Sagsfremstilling", "Økonomi", "Sagsprocedure"):
        assert names[name] > 2500, name
    assert not any(n.lower().startswith(("beslutning", "referat", "konklusion")) and n != "Beslutning" for n in names)


@needs_realdocs
@pytest.mark.parametrize(
    ("name", "body", "n_items", "outcomes"),
    [
        (
            "beskaeftigelses-og-erhvervsudvalget_2022-01-10_02e86ff6.json",
            "Beskæftigelses- og Erhvervsudvalget",
            9,
            {"1": "godkendt", "3": "besluttet", "4": "taget til efterretning", "9": "ukendt"},
        ),
        ("byraad-2022-2025_2025-09-08_509c8433.json", "Byråd 2022-2025", 3, {"1": "godkendt", "2": "godkendt"}),
        (
            "oekonomiudvalget_2024-06-12_ccaaefcb.json",
            "Økonomiudvalget",
            38,
            {"1": "godkendt", "2": "godkendt", "6": "taget til efterretning", "9": "drøftet", "38": "ukendt"},
        ),
    ],
)
def test_real_files_end_to_end(name: str, body: str, n_items: int, outcomes: dict[str, str]) -> None:
    doc = parse_document(GREVE / name)
    assert (doc.body, doc.date, doc.kind) == (body, name.split("_")[1], "referat")
    assert len(doc.items) == n_items
    by_number = {i.number: i for i in doc.items}
    for number, outcome in outcomes.items():
        assert by_number[number].decision.outcome == outcome, number
    for item in doc.items:
        assert doc.text[item.span[0] : item.span[1]] == item.text
        assert item.doc_id == doc.doc_id


@needs_realdocs
def test_real_archive_a_decision_approving_another_bodys_recommendation_carries_it() -> None:
    # "Byrådet godkendte Økonomiudvalgets indstilling.": what was approved is Økonomiudvalget's entry in the
    # case history, and the register holds it as the recommendation.
    named = carried = 0
    for result, _raw in _real().values():
        for item in _items(result):
            decision = with_decision(item, body=result.body, kind=result.kind).decision
            said = " ".join(decision.sentences)
            m = re.search(r"(Økonomiudvalget)s indstilling", said)
            if not m or "Sagens forløb" not in item.sections_dict:
                continue
            named += 1
            if decision.recommendation and decision.recommendation.startswith(f"{m[1]} "):
                carried += 1
                entry = decision.recommendation.split(": ", 1)[1]
                assert entry[:60] in " ".join(item.sections_dict["Sagens forløb"].split()), item.title
    assert named > 400 and carried / named > 0.95, (named, carried)
