"""The decision register: gold decisions for every item of the sample corpus, and each Danish form alone.

`gold_decisions.json` was written by reading the minutes, not by running the extractor. Run
`pytest tests/ingest/test_decisions.py -s -k scores` to see the register's precision/recall against it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TypedDict

import pytest

from ingest.decisions import (
    OUTCOME_PRECEDENCE,
    body_aliases,
    decision_texts,
    extract_decision,
    recommendation_of,
    with_decision,
)
from ingest.parse import parse_document
from ingest.records import AgendaItem, Decision, Document
from ingest.segment import segment

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


class Gold(TypedDict):
    outcome: str
    decision: list[str]


GOLD: dict[str, dict[str, Gold]] = {
    k: v
    for k, v in json.loads((Path(__file__).with_name("gold_decisions.json")).read_text("utf-8")).items()
    if not k.startswith("_")
}
MINUTES = [d for d in GOLD if "*" not in GOLD[d]]


@cache
def parsed(doc_id: str) -> Document:
    return parse_document(SAMPLE / f"{doc_id}.txt")


def gold_cases() -> list[tuple[str, str]]:
    return [(d, n) for d in MINUTES for n in GOLD[d]]


# --- gold ------------------------------------------------------------------------------------------


def test_gold_covers_every_item_of_the_minutes() -> None:
    assert len(MINUTES) == 3
    for doc_id in MINUTES:
        numbers = [i.number for i in parsed(doc_id).items if i.number is not None]
        assert sorted(GOLD[doc_id], key=int) == numbers, doc_id


@pytest.mark.parametrize(("doc_id", "number"), gold_cases())
def test_gold_decision(doc_id: str, number: str) -> None:
    item = next(i for i in parsed(doc_id).items if i.number == number)
    gold = GOLD[doc_id][number]
    assert (item.decision.outcome, list(item.decision.sentences)) == (gold["outcome"], gold["decision"])


@pytest.mark.parametrize("doc_id", [d for d in GOLD if "*" in GOLD[d]])
def test_agenda_and_paper_decide_nothing(doc_id: str) -> None:
    doc = parsed(doc_id)
    assert doc.kind in ("dagsorden", "notat")
    assert doc.items
    assert {(i.decision.outcome, i.decision.sentences) for i in doc.items} == {("ingen", ())}


def test_midttrafik_decision_is_kd_nets_own_two_sentences() -> None:
    """The issue's example: not the regional council's wish, not the other item's decision."""
    item = next(i for i in parsed("003_fc010784cd8fe213").items if i.number == "6")
    assert item.decision.text == (
        "KD-Net godkendte processen og den foreslåede indfasning af modellen over tre år. "
        "KD-Net støtter ligeledes arbejdet med at finde en faktabaseret fordelingsnøgle."
    )
    assert "hurtigst muligt" not in item.decision.text
    assert item.decision.recommendation == (
        "Det indstilles, at KD-Net drøfter processen frem mod den endelig beslutning om en indtægtsfordelingsmodel."
    )


def test_recommendations_are_kept_apart_from_decisions() -> None:
    items = {i.number: i for i in parsed("004_344350c627352113").items}
    rec = {n: i.decision.recommendation for n, i in items.items()}
    assert rec["12"] == "Det indstilles, at KD-Net drøfter studieturen til Bruxelles"
    # The recommendation's bullets belong to it; the prose after it does not.
    assert rec["7"] == "Det indstilles, at KD-net tager orientering til efterretning"
    assert items["5"].decision.recommendation is not None
    assert items["5"].decision.recommendation.splitlines()[1].startswith("- KD-Net drøfter forslaget")
    assert items["16"].decision.recommendation is None


def register_scores() -> dict[str, float]:
    """Sentence precision/recall and outcome accuracy of the register against the gold, all items."""
    found = expected = hit = right = total = 0
    for doc_id, items in GOLD.items():
        for item in parsed(doc_id).items:
            gold = items.get(item.number or "") or items.get("*")
            assert gold is not None, (doc_id, item.number)
            got, want = set(item.decision.sentences), set(gold["decision"])
            found, expected, hit = found + len(got), expected + len(want), hit + len(got & want)
            right += item.decision.outcome == gold["outcome"]
            total += 1
    return {
        "precision": hit / found if found else 1.0,
        "recall": hit / expected if expected else 1.0,
        "outcome_accuracy": right / total,
        "items": total,
        "gold_sentences": expected,
    }


def test_scores() -> None:
    scores = register_scores()
    print("\ndecision register vs gold:", json.dumps(scores))
    assert scores["items"] == 62
    assert scores["precision"] >= 0.95
    assert scores["recall"] >= 0.95
    assert scores["outcome_accuracy"] >= 0.95


# --- forms -----------------------------------------------------------------------------------------


def minutes_item(decision: str, *, heading: str = "Referat:", before: str = "") -> AgendaItem:
    text = f"Det indstilles, at sagen godkendes.\n\n{before}{heading}\n\n{decision}\n"
    return AgendaItem("doc", "1", "Punkt", text, (0, len(text)))


def decide(decision: str, body: str | None = "KD-Net", **kw: str) -> Decision:
    return extract_decision(minutes_item(decision, **kw), body=body, kind="referat")


@pytest.mark.parametrize(
    ("text", "body", "outcome"),
    [
        # the document's own body by name, and the generic own-body subjects
        ("KD-Net godkendte dagsordenen.", "KD-Net", "godkendt"),
        ("KD-net tog orienteringen til efterretning.", "KD-Net", "taget til efterretning"),
        ("Udvalget besluttede at igangsætte en analyse.", "Udvalg for lighed i sundhed", "besluttet"),
        ("Udvalget drøftede sagen.", None, "drøftet"),
        ("Byrådet godkendte budgettet.", "Byrådet", "godkendt"),
        ("Regionsrådet godkendte modellen.", "Regionsrådet", "godkendt"),
        ("Netværket afviste forslaget.", "KD-Net", "afvist"),
        ("Udvalget har godkendt planen.", None, "godkendt"),
        ("Herefter godkendte KD-Net planen.", "KD-Net", "godkendt"),
        ("På den baggrund drøftede KD-Net udfordringerne.", "KD-Net", "drøftet"),
        ("KD-Net støtter ligeledes arbejdet.", "KD-Net", "godkendt"),
        ("KD-Net bakkede op om en ny analyse.", "KD-Net", "godkendt"),
        ("KD-Net godkendte ikke forslaget.", "KD-Net", "afvist"),
        ("Udvalget udsatte sagen til næste møde.", None, "udsat"),
        ("Et enigt udvalg anbefaler indstillingen.", None, "godkendt"),
        # impersonal and passive forms
        ("Det blev aftalt, at sekretariatet indkalder.", "KD-Net", "besluttet"),
        ("Det blev besluttet at nedsætte en arbejdsgruppe.", "KD-Net", "besluttet"),
        ("Endvidere blev det aftalt at mødes igen.", "KD-Net", "besluttet"),
        ("Der var enighed om, at sagen skal følges.", "KD-Net", "drøftet"),
        ("Man aftalte at mødes igen i august.", "KD-Net", "besluttet"),
        ("Orienteringen blev taget til efterretning.", "KD-Net", "taget til efterretning"),
        ("Samarbejdsaftalen blev godkendt og sendes til kommunerne.", "KD-Net", "godkendt"),
        ("Forslaget blev afvist.", "KD-Net", "afvist"),
        # short forms
        ("Godkendt", "KD-Net", "godkendt"),
        ("Godkendt.", "KD-Net", "godkendt"),
        ("Indstillingen tiltrådt.", "Byrådet", "godkendt"),
        ("Godkendt som indstillet.", "Byrådet", "godkendt"),
        ("Taget til efterretning.", "KD-Net", "taget til efterretning"),
        ("Punktet udsat til næste møde.", "KD-Net", "udsat"),
        ("Punktet blev udsat.", "KD-Net", "udsat"),
        ("Sagen udsættes.", "Byrådet", "udsat"),
        ("Afvist.", "Byrådet", "afvist"),
        ("Intet at referere.", "KD-Net", "ingen"),
        ("Intet at bemærke", "KD-Net", "ingen"),
    ],
)
def test_decision_forms(text: str, body: str | None, outcome: str) -> None:
    d = decide(f"Anne orienterede om sagen. {text}", body)
    assert (d.outcome, d.sentences) == (outcome, (text,))


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("Her godkendte regionsrådet den nye model.", "KD-Net"),
        ("Regionsrådet godkendte modellen.", "KD-Net"),
        ("Region Midtjylland ønsker, at modellen indføres hurtigst muligt.", "KD-Net"),
        ("Midttrafiks repræsentantskab godkendte forslaget.", "KD-Net"),
        ("KKR Midtjylland besluttede at udarbejde en strategi.", "KD-Net"),
        ("Byrådet godkendte budgettet.", "Udvalg for lighed i sundhed"),
        ("Folketinget vedtog loven.", "Regionsrådet"),
        ("Modellen blev godkendt af repræsentantskabet.", "KD-Net"),
        ("Jesper orienterede om, at der er et kommissorium, som KD-Net skal godkende.", "KD-Net"),
        ("Hvis KKR godkender de fem spor, udarbejdes en handlingsplan.", "KD-Net"),
        ("KD-Net møde den 9. april – forberedelse af sag.", "KD-Net"),
        ("Jesper Kaas Schmidt konkluderede, at der er opbakning.", "KD-Net"),
        ("Mødet blev hævet kl. 12.00.", "KD-Net"),
        ("Der er pt ikke fundet en kommune.", "KD-Net"),
        ("Pernille Blach Hansen støtter punktet.", "KD-Net"),
        ("Udvalget præsenteres for en sag på et kommende møde.", None),
    ],
)
def test_not_the_bodys_decision(text: str, body: str | None) -> None:
    assert decide(text, body) == Decision((), "ukendt", "Det indstilles, at sagen godkendes.")


def test_acts_outrank_discussion_and_precedence_picks_the_outcome() -> None:
    d = decide(
        "Herefter drøftede KD-Net sagen. Der var enighed om fakta. KD-Net godkendte processen. "
        "Det blev aftalt at mødes igen."
    )
    assert d.sentences == ("KD-Net godkendte processen.", "Det blev aftalt at mødes igen.")
    assert d.outcome == "godkendt"
    d = decide("Orienteringen blev taget til efterretning. Det blev aftalt at følge op.")
    assert d.outcome == "taget til efterretning"
    assert decide("Det blev aftalt at udsætte punktet.").outcome == "udsat"
    assert decide("Det blev aftalt at drøfte takstaftalen på mødet i KD-Net til august.").outcome == "udsat"
    assert decide("Det blev besluttet at behandle sagen på næste møde.").outcome == "udsat"
    assert decide("Det blev aftalt at drøfte sagen med VIA.").outcome == "besluttet"
    assert OUTCOME_PRECEDENCE.index("godkendt") < OUTCOME_PRECEDENCE.index("besluttet")


def test_only_decision_sections_are_read() -> None:
    item = minutes_item(
        "Sagsfremstilling\n\nKD-Net godkendte sidste år en model. Det blev besluttet at fortsætte.",
        heading="Referat:\n\nAnne orienterede.",
    )
    assert extract_decision(item, body="KD-Net", kind="referat").outcome == "ukendt"
    before = "Sagsfremstilling\n\nTekst.\n\n"
    item = minutes_item("Udvalget godkendte planen.", heading="Beslutning", before=before)
    assert extract_decision(item, body=None, kind="referat").sentences == ("Udvalget godkendte planen.",)
    assert decide("Godkendt.", heading="Konklusion:").outcome == "godkendt"


def test_reads_the_segmenters_sections_and_raw_text_alike() -> None:
    text = (
        "1. Godkendelse af dagsorden v. Jesper Kaas Schmidt\n\nDet indstilles, at KD-Net godkender "
        "dagsordenen.\n\nReferat: Godkendt\n\nSagsfremstilling\n\nReferat af møde i KD-Net godkendt.\n"
    )
    (segmented,) = segment(text, "demo").items
    raw = AgendaItem("demo", "1", "Godkendelse af dagsorden", segmented.text, segmented.span)
    assert decision_texts(segmented) == decision_texts(raw) == ["Godkendt"]
    assert recommendation_of(segmented) == recommendation_of(raw)
    assert recommendation_of(raw) == "Det indstilles, at KD-Net godkender dagsordenen."


def test_kinds_and_missing_sections() -> None:
    item = minutes_item("KD-Net godkendte dagsordenen.")
    assert extract_decision(item, body="KD-Net", kind="dagsorden").outcome == "ingen"
    assert extract_decision(item, body="KD-Net", kind="notat").sentences == ()
    assert extract_decision(item, body="KD-Net", kind=None).outcome == "godkendt"
    bare = AgendaItem("doc", "3", "Orientering", "Anne orienterede om status.", (0, 27))
    assert extract_decision(bare, body="KD-Net", kind="referat").outcome == "ukendt"
    intro = AgendaItem("doc", None, "Indledning", "Referat af mødet.", (0, 17))
    assert extract_decision(intro, body="KD-Net", kind="referat").outcome == "ingen"


def test_with_decision_replaces_only_the_decision() -> None:
    item = minutes_item("Punktet udsat til næste møde.")
    out = with_decision(item, body="KD-Net", kind="referat")
    assert out.decision.outcome == "udsat"
    assert (out.text, out.number, out.sections) == (item.text, item.number, item.sections)
    assert item.decision == Decision()


def test_body_aliases_follow_the_documents_body() -> None:
    assert "KD-Net" in body_aliases("Kommunaldirektørnetværket i den midtjyske region")
    assert "Regionsrådet" in body_aliases("Regionsrådet")
    assert "Regionsrådet" not in body_aliases("KD-Net")
    assert "Udvalget" in body_aliases(None)


def test_docstring_examples() -> None:
    import doctest

    import ingest.decisions

    assert doctest.testmod(ingest.decisions).failed == 0


# --- real minutes ----------------------------------------------------------------------------------

REAL = ROOT.parent / "shared" / "realdocs"
needs_realdocs = pytest.mark.skipif(not REAL.is_dir(), reason="shared/realdocs not present")
REAL_GOLD: dict[str, dict[str, dict[str, str]]] = {
    k: v
    for k, v in json.loads((Path(__file__).with_name("gold_decisions_real.json")).read_text("utf-8")).items()
    if not k.startswith("_")
}


@cache
def parsed_real(path: str) -> Document:
    return parse_document(REAL / path)


def real_register_scores() -> dict[str, dict[str, float]]:
    """Outcome accuracy (and outcome + phrase) per stratum of `gold_decisions_real.json`."""
    right: dict[str, int] = {}
    with_phrase: dict[str, int] = {}
    total: dict[str, int] = {}
    for path, items in REAL_GOLD.items():
        by_number = {i.number: i for i in parsed_real(path).items}
        for number, gold in items.items():
            decision = by_number[number].decision
            stratum = gold["stratum"]
            ok = decision.outcome == gold["outcome"]
            right[stratum] = right.get(stratum, 0) + ok
            with_phrase[stratum] = with_phrase.get(stratum, 0) + (ok and gold["contains"] in decision.text)
            total[stratum] = total.get(stratum, 0) + 1
    out = {s: {"outcome": right[s] / total[s], "phrase": with_phrase[s] / total[s], "items": total[s]} for s in total}
    n = sum(total.values())
    out["all"] = {"outcome": sum(right.values()) / n, "phrase": sum(with_phrase.values()) / n, "items": n}
    return out


@needs_realdocs
def test_real_minutes_scores() -> None:
    """The register on real minutes, against 220 hand-read items (`gold_decisions_real.json`).

    Outcome accuracy, before the real-minutes rules -> after (rules written on the same corpus, so the
    held-out documents will score lower): Greve random 55/64 -> 64/64; Greve items that had a Beslutning
    but read "ukendt" 5/24 -> 23/24; POMOSA general meetings 4/66 -> 58/66; IMADA board notes 57/66 ->
    65/66; all 121/220 (55%) -> 210/220 (95%). Four of the ten misses are POMOSA 2022, which the metadata
    reads as an agenda ("dagsorden"), so every item is "ingen". Over all 5,109 Greve items "ukendt" fell
    from 991 to 444, of them with a Beslutning section from 737 to 190 (the rest: 254 signature sheets
    without a decision, attendance-only decisions, "Beslutning ikke frigivet", others' orientations).
    """
    scores = real_register_scores()
    print("\ndecision register vs real gold:", json.dumps(scores))
    assert scores["all"]["items"] == 220
    assert scores["greve_random"]["phrase"] >= 0.95
    assert scores["greve_unknown_before"]["outcome"] >= 0.9
    assert scores["pomosa"]["outcome"] >= 0.85
    assert scores["imada"]["outcome"] >= 0.95
    assert scores["all"]["phrase"] >= 0.93


@pytest.mark.parametrize(
    ("text", "body", "outcome", "sentence"),
    [
        # numbered recommendations, one by one or as a range
        ("1.-3. Anbefales.", "Klima-, Teknik- og Miljøudvalget", "godkendt", "1.-3. Anbefales."),
        ("Punkterne 1-7. anbefales", "Udvalget", "godkendt", "Punkterne 1-7. anbefales"),
        ("Ad 1-2 godkendt.", "Udvalget", "godkendt", "Ad 1-2 godkendt."),
        ("Vedrørende punkt 1-2: Byrådet godkendte indstillingen.", "Byråd 2022-2025", "godkendt", None),
        ("1.-4. kan ikke anbefales.", "Økonomiudvalget", "afvist", "1.-4. kan ikke anbefales."),
        ("Ikke godkendt, idet udvalget ikke ønsker at give dispensation.", "Udvalget", "afvist", None),
        # recorded votes
        ("Med stemmerne 17 for og 2 imod godkendte Byrådet indstillingen.", "Byråd 2022-2025", "godkendt", None),
        ("Med stemmerne 19 for 1 imod godkendte byrådet sagen.", "Byråd 2022-2025", "godkendt", None),
        # what a committee passes on, asks for or sends back
        ("Økonomiudvalget indstiller overfor Byrådet, at sagen godkendes.", "Økonomiudvalget", "godkendt", None),
        (
            "Økonomiudvalget anbefaler overfor Byrådet, at orienteringen tages til efterretning.",
            "Økonomiudvalget",
            "taget til efterretning",
            None,
        ),
        ("Udvalget ønsker en sag om kvalitetsstandarder.", "Udvalget", "besluttet", None),
        ("Sagen sendes tilbage til administrationen med bemærkning om økonomien.", "Udvalget", "udsat", None),
        ("Sagen blev taget af dagsordenen.", "Udvalget", "udsat", None),
        ("Udvalget undlod at tage stilling.", "Udvalget", "ingen", None),
        # meetings held, questions answered, nothing to report
        ("Temamødet blev holdt.", "Byråd 2022-2025", "drøftet", None),
        ("Byrådet besvarede borgernes spørgsmål.", "Byråd 2022-2025", "drøftet", None),
        ("Ingen orienteringspunkter.", "Udvalget", "ingen", None),
        ("Der var ingen orienteringer fra formanden.", "Udvalget", "ingen", None),
        # a general meeting's forms
        ("Beretningen blev godkendt.", None, "godkendt", None),
        ("Regnskabet blev enstemmigt godkendt.", None, "godkendt", None),
        ("Karen gennemgik regnskab, som blev godkendt.", None, "godkendt", None),
        ("Forslaget blev forkastet.", None, "afvist", None),
        ("Bo Andersen og Claus Thomsen blev genvalgt.", None, "besluttet", None),
        ("Stort flertal for kontingent med snerydning.", None, "besluttet", None),
    ],
)
def test_real_minutes_forms(text: str, body: str | None, outcome: str, sentence: str | None) -> None:
    d = decide(f"Anne orienterede om sagen. {text}", body)
    assert (d.outcome, d.sentences) == (outcome, (sentence or text,))


def test_mixed_recommendations_keep_the_rejected_part() -> None:
    d = decide("1.-2. anbefales.\n\n3. anbefales ikke.", "Udvalget")
    assert d.outcome == "godkendt"
    assert d.sentences == ("1.-2. anbefales.", "anbefales ikke.")
    d = decide("1. Godkendt. 2. Anbefales ikke", "Udvalget")
    assert (d.outcome, d.sentences) == ("godkendt", ("Godkendt.", "2. Anbefales ikke"))


@pytest.mark.parametrize("text", ["Beslutning ikke frigivet", "Beslutning ikke frigivet. Godkendt."])
def test_unreleased_decision_is_never_read(text: str) -> None:
    d = decide(text, "Udvalget")
    assert d.outcome in ("ukendt", "ingen", "godkendt")
    assert "Beslutning ikke frigivet" not in d.text
    assert decide("Beslutning ikke frigivet", "Udvalget").outcome == "ukendt"


def test_notes_without_a_decision_heading_are_read_for_decisions_only() -> None:
    text = (
        "2) Formandens beretning\nDer var følgende spørgsmål til beretningen:\n- Snerydning blev uddybet.\n"
        "Bestyrelsen forespørger kommunen.\nBeretning blev godkendt og er vedlagt som bilag.\n"
    )
    item = AgendaItem("doc", "2", "Formandens beretning", text, (0, len(text)))
    d = extract_decision(item, body=None, kind="referat")
    assert (d.outcome, d.sentences) == ("godkendt", ("Beretning blev godkendt og er vedlagt som bilag.",))
    notes = "4) Skabe\na ) Er der styr på skabene\n• Vi skal snakke med Peter om flere skabe\n"
    item = AgendaItem("doc", "4", "Skabe", notes, (0, len(notes)))
    assert extract_decision(item, body=None, kind="referat").outcome == "ukendt"
