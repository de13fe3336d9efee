"""Each named check, on a case only it catches: remove the check and its case fails.

The answer's `failed` names the check and `problems` carries its reason, so each case also shows the
reason reaches the answer (and from there `referat ask --json` and the eval report).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sources import SOURCES

from rag import checks
from rag.answer import answer
from rag.citations import Source
from rag.generate import ScriptedGenerator
from rag.prompt import ABSTAIN
from rag.question import Question

PAPER = [replace(s, decision=(), outcome="ingen") for s in SOURCES]
FAR = [replace(s, similarity=0.5) for s in SOURCES]
PLUS = "Hvor stort et årligt plus giver modellen Region Midtjylland?"
CITE = "[KD-Net 22.01.2021, punkt 6]"

# (check, question, sources, draft or None for no model, abstains)
CASES: list[tuple[str, str, list[Source], str | None, bool]] = [
    ("nothing_relevant", "Hvad koster en ny svømmehal?", FAR, None, True),
    ("names_unmentioned", "Hvor stort var FGU-institutionernes underskud i 2021?", SOURCES, None, True),
    ("amount_not_stated", "Hvor mange busser kører der i Midttrafik?", SOURCES, None, True),
    ("total_not_stated", "Hvad koster Midttrafiks model i alt?", SOURCES, None, True),
    ("nothing_decided", "Hvad besluttede man om modellen?", PAPER, None, True),
    ("model_abstained", PLUS, SOURCES, ABSTAIN, False),
    ("citations_hold", "Hvor meget får regionen ud af modellen?", SOURCES,
     f"Regionen får 45 mio. kr. om året {CITE}.", False),
    ("draft_in_danish", "Hvor meget får regionen ud af modellen?", SOURCES,
     f"The model gives the region a plus of 30 mio. kr. each year {CITE}.", False),
    ("draft_on_question", PLUS, SOURCES, f"Det er ca. 30 mio. kr. {CITE}.", False),
    ("draft_has_shape", PLUS, SOURCES, f"Modellen giver Region Midtjylland et årligt plus {CITE}.", False),
]  # fmt: skip


@pytest.mark.parametrize(("name", "question", "sources", "draft", "abstains"), CASES, ids=[c[0] for c in CASES])
def test_each_check_catches_its_case(
    name: str, question: str, sources: list[Source], draft: str | None, abstains: bool
) -> None:
    gen = ScriptedGenerator([draft]) if draft is not None else None
    a = answer(question, sources, gen)
    assert a.failed == (name,) and len(a.problems) == 1 and a.problems[0]
    assert a.abstained == abstains and (a.text == ABSTAIN) == abstains
    if not abstains:  # a rejected draft or an overruled abstention: the quotes are the answer
        assert a.extractive and a.text.startswith("Fra dokumenterne:") and "30 mio. kr." in a.text


def test_role_not_named_is_a_gate() -> None:
    talk = "Bent Graversen, der er formand for udvalg for regional udvikling, gav et oplæg om de politiske fora."
    s = replace(SOURCES[0], body="Udvalg for lighed i sundhed", title="Oplæg", text=talk, decision=(), excerpts=(talk,))
    a = answer("Hvem er formand for udvalg for lighed i sundhed?", [s], None)
    assert a.abstained and a.failed == ("role_not_named",)
    assert not answer("Hvem er formand for udvalg for regional udvikling?", [s], None).abstained


def test_every_check_is_listed_once_in_order_and_tested() -> None:
    gates = [c.__name__ for c in checks.GATES]
    drafts = [c.__name__ for c in checks.DRAFT_CHECKS]
    assert gates == [
        "nothing_relevant",
        "names_unmentioned",
        "amount_not_stated",
        "role_not_named",
        "total_not_stated",
        "nothing_decided",
    ]
    assert drafts == ["citations_hold", "draft_in_danish", "draft_on_question", "draft_has_shape"]
    tested = {c[0] for c in CASES} | {"role_not_named"}
    assert set(gates) | set(drafts) | {"model_abstained"} == tested


def test_a_passing_answer_has_no_reasons() -> None:
    draft = f"Modellen giver Region Midtjylland et årligt plus på ca. 30 mio. kr. {CITE}."
    a = answer(PLUS, SOURCES, ScriptedGenerator([draft]))
    assert not a.extractive and a.failed == () and a.problems == ()


def test_a_name_in_the_documents_head_grounds_its_items() -> None:
    valg = Source("refgen_2011", "6", "Valg til bestyrelsen", "Generalforsamlingen", "2011-02-22",
                  "Marianne Poulsen blev valgt som nyt medlem.")  # fmt: skip
    question = "Hvem kom ind i bestyrelsen som nyt medlem i Pomosa i 2011?"
    assert checks.ungrounded(Question.parse(question), [valg]) == ["Pomosa"]
    titled = replace(valg, context="Generalforsamling i Grundejerforeningen POMOSA 22. februar 2011")
    assert checks.ungrounded(Question.parse(question), [titled]) == []


def test_asked_for_a_price_a_number_that_is_no_amount_of_money_does_not_answer() -> None:
    cups = Source("imada", "6", "Mal din kop", "IMADA Fagråd", "2025-10-08",
                  "Vi har købt 40 kopper til arrangementet. Kopperne males den 2. november.")  # fmt: skip
    a = answer("Hvad kostede kopperne til arrangementet?", [cups], None)
    assert a.abstained and a.failed == ("amount_not_stated",) and "beløb" in a.problems[0]
    priced = replace(cups, text="Vi har købt 40 kopper til arrangementet. Kopperne kostede 150kr i alt.")
    assert not answer("Hvad kostede kopperne til arrangementet?", [priced], None).abstained
    assert not answer("Hvor mange kopper blev der købt til arrangementet?", [cups], None).abstained


def test_an_amount_beside_only_the_names_the_question_uses_does_not_answer() -> None:
    # Items about Villa Sitka give many amounts; none is what it was sold for.
    villa = Source("oeu", "32", "Villa Sitka", "Økonomiudvalget", "2022-11-28",
                   "Juridisk bistand til Villa Sitka estimeres til 0,3 mio. kr.")  # fmt: skip
    a = answer("Hvor meget blev Villa Sitka solgt for?", [villa], None)
    assert a.abstained and a.failed == ("amount_not_stated",)
    sold = replace(villa, text="Villa Sitka blev solgt for 4,2 mio. kr. til højestbydende.")
    assert not answer("Hvor meget blev Villa Sitka solgt for?", [sold], None).abstained


def test_a_reference_number_is_no_quantity() -> None:
    host = Source("oeu", "5", "Kompensation", "Økonomiudvalget", "2022-04-04",
                  "Kompensation til værtsfamilier med hjemmel i aktstykke nr. 219 og § 114.")  # fmt: skip
    a = answer("Hvor mange værtsfamilier fik kompensation?", [host], None)
    assert a.abstained and a.failed == ("amount_not_stated",)


def test_a_party_is_grounded_by_its_list_letter() -> None:
    # Minutes record votes by list letter: "De Konservative" asked, "(C)" written.
    vote = Source("byraad_2023", "18", "Mødekalender 2024", "Byrådet", "2023-09-04", "Imod stemte (C) og (Ø).")
    asked = Question.parse("Hvad havde De Konservative imod mødekalenderen?")
    assert checks.ungrounded(asked, [vote]) == []
    assert checks.ungrounded(asked, [replace(vote, text="Imod stemte (Ø).")]) == ["Konservative"]


def test_asked_for_an_amount_the_quoted_item_must_give_one_beside_what_is_asked_about() -> None:
    said = "Lars Bo: radon måling i hjemmet (evt. anskaffes et målingsapparat). Ingen spørgsmål. Festen koster 400 kr."
    s = replace(SOURCES[0], title="Eventuelt", text=said, decision=(), excerpts=(said,))
    a = answer("Hvad kostede radonmålingsapparatet, som foreningen købte?", [s], None)
    assert a.abstained and a.failed == ("amount_not_stated",)
    # Minutes answer on the next line: the amount sits beside the question it answers.
    qa = "Spg. Jørn: prisen for den gamle snerydningsordning? Leif: 25 tusind kr."
    t = replace(s, text=qa, excerpts=(qa,))
    assert not answer("Hvad kostede den gamle snerydningsordning?", [t], None).abstained
