"""The answer policy with a scripted generator: verified drafts pass, bad drafts become quotations."""

from __future__ import annotations

from collections.abc import Sequence

from sources import GOVTECH, MIDTTRAFIK, SOURCES

from rag.answer import Answer, Checked, answer, answer_stream
from rag.citations import find_citations, verify
from rag.generate import OpenAIGenerator, ScriptedGenerator
from rag.prompt import ABSTAIN
from rag.question import Question
from tests.servers import free_port


def test_decision_question_is_answered_from_the_register_without_the_model() -> None:
    gen = ScriptedGenerator(["KD-Net godkendte kommissoriet [KD-Net 22.01.2021, punkt 16]."])
    a = answer("Hvad besluttede KD-Net om Midttrafik?", SOURCES, gen)
    assert a.extractive and not a.abstained
    assert "indfasning af modellen over tre år" in a.text
    assert "kommissoriet" not in a.text and "hurtigst muligt" not in a.text
    assert [(c.doc_id, c.number) for c in a.citations] == [("003", "6")]
    assert gen.calls == []


def test_a_verified_draft_is_the_answer() -> None:
    draft = "Regionen får et årligt plus på ca. 30 mio. kr. [KD-Net 22.01.2021, punkt 6]."
    a = answer("Hvor meget får regionen ud af modellen?", SOURCES, ScriptedGenerator([draft]))
    assert a.text.startswith(draft + "\n\nFra dokumenterne: »Modellen giver") and not a.extractive
    assert [c.label for c in a.citations] == ["KD-Net 22.01.2021, punkt 6"]


def test_the_model_sees_only_the_passages_chosen_in_code() -> None:
    gen = ScriptedGenerator(["Regionen får et årligt plus på ca. 30 mio. kr. [KD-Net 22.01.2021, punkt 6]."])
    answer("Hvor meget får regionen ud af modellen?", SOURCES, gen)
    prompt = gen.calls[0]["messages"][-1]["content"]
    assert "30 mio. kr." in prompt
    assert "GovTech" not in prompt and "hurtigst muligt" not in prompt  # other item, unchosen sentence


def test_a_draft_may_not_cite_an_item_it_was_not_given() -> None:
    draft = "Regionen får ca. 30 mio. kr. [KD-Net 22.01.2021, punkt 16]."
    a = answer("Hvor meget får regionen ud af modellen?", SOURCES, ScriptedGenerator([draft]))
    assert a.extractive and [c.number for c in a.citations] == ["6"]


def test_quotes_keep_a_list_with_its_lead_and_stay_in_the_best_item() -> None:
    from dataclasses import replace

    from rag.answer import quote_passages

    calendar = replace(
        GOVTECH,
        number="20",
        title="Kommende møder",
        text="Mødekalender for KD-Net 2021\n\n- 9. april\n- 21. maj\n",
        decision=(),
        excerpts=("Mødekalender for KD-Net 2021\n\n- 9. april\n- 21. maj\n",),
    )
    text, cites = quote_passages(Question.parse("Hvornår holder KD-Net møder i 2021?"), [calendar, MIDTTRAFIK], 3)
    assert "»Mødekalender for KD-Net 2021: 9. april; 21. maj«" in text
    assert [c.number for c in cites] == ["20"]


def test_a_decision_quote_adds_the_passage_for_the_rest_of_the_question() -> None:
    a = answer("Hvad besluttede KD-Net om Midttrafik, og hvor meget får regionen ud af det?", SOURCES, None)
    assert "indfasning af modellen" in a.text and "30 mio. kr." in a.text
    assert [c.number for c in a.citations] == ["6"]


def test_a_question_naming_what_no_item_mentions_abstains() -> None:
    gen = ScriptedGenerator(["noget"])
    a = answer("Hvor stort var FGU-institutionernes underskud i 2021?", SOURCES, gen)
    assert a.abstained and gen.calls == [] and any("FGU" in p for p in a.problems)


def test_an_invented_number_falls_back_to_a_quotation() -> None:
    draft = "Regionen får 45 mio. kr. om året [KD-Net 22.01.2021, punkt 6]."
    a = answer("Hvor meget får regionen ud af modellen?", SOURCES, ScriptedGenerator([draft]))
    assert a.extractive and "45" not in a.text and "30 mio. kr." in a.text
    assert any('"45"' in p for p in a.problems)
    assert all(c.doc_id == "003" for c in a.citations)


def test_a_citation_to_an_item_not_retrieved_fails_the_check() -> None:
    draft = "Regionen får et årligt plus på ca. 30 mio. kr. [KD-Net 22.01.2021, punkt 9]."
    a = answer("Hvor meget får regionen ud af modellen?", SOURCES, ScriptedGenerator([draft]))
    assert a.extractive and any("punkt 9" in p for p in a.problems)


def test_an_uncited_or_english_draft_is_not_shown() -> None:
    for draft in ["Regionen får ca. 30 mio. kr. om året.", "The region gets 30 [KD-Net 22.01.2021, punkt 6]."]:
        a = answer("Hvor meget får regionen ud af modellen?", SOURCES, ScriptedGenerator([draft]))
        assert a.extractive and a.text.startswith("Fra dokumenterne:")


def test_a_gate_abstaining_gives_the_fixed_sentence_and_lists_the_closest_items() -> None:
    a = answer("Hvor mange busser kører der i regionen?", SOURCES, ScriptedGenerator(["Ikke brugt."]))
    assert a.abstained and a.text == ABSTAIN and a.citations == ()
    assert a.sources == tuple(SOURCES)


def test_nothing_retrieved_abstains_without_the_model() -> None:
    gen = ScriptedGenerator(["noget"])
    a = answer("Hvad koster en ny svømmehal?", [], gen)
    assert a.abstained and gen.calls == []


def test_stream_yields_tokens_then_the_final_answer() -> None:
    draft = "Regionen får et årligt plus på ca. 30 mio. kr. [KD-Net 22.01.2021, punkt 6]."
    events = list(answer_stream("Hvor meget får regionen ud af modellen?", SOURCES, ScriptedGenerator([draft])))
    assert isinstance(events[-1], Answer)
    assert "".join(e for e in events[:-1] if isinstance(e, str)).strip() == draft
    assert events[-1].timings.first_token_s is not None


def test_the_checked_quotes_come_before_the_draft_and_a_passing_draft_leads_the_final_answer() -> None:
    draft = "Regionen får et årligt plus på ca. 30 mio. kr. [KD-Net 22.01.2021, punkt 6]."
    events = list(answer_stream("Hvor meget får regionen ud af modellen?", SOURCES, ScriptedGenerator([draft])))
    first = events[0]
    assert isinstance(first, Checked)  # shown before any draft token
    quoted = first.answer
    assert quoted.extractive and quoted.text.startswith("Fra dokumenterne: ") and "30 mio. kr." in quoted.text
    assert [c.number for c in quoted.citations] == ["6"]
    assert all(isinstance(e, str) for e in events[1:-1])
    final = events[-1]
    assert isinstance(final, Answer) and not final.extractive
    assert final.summary == draft and final.text == f"{draft}\n\n{quoted.text}"
    t = final.timings
    assert t.first_answer_s == quoted.timings.first_answer_s
    assert t.first_answer_s is not None and t.first_token_s is not None
    assert t.first_answer_s <= t.first_token_s <= t.total_s


def test_a_failing_draft_is_dropped_and_the_checked_quotes_stay_the_answer() -> None:
    bad = "Jesper Hansen fik 99 mio. kr. [KD-Net 22.01.2021, punkt 6]."
    events = list(answer_stream("Hvor meget får regionen ud af modellen?", SOURCES, ScriptedGenerator([bad])))
    first, final = events[0], events[-1]
    assert isinstance(first, Checked) and isinstance(final, Answer)
    assert final.extractive and final.summary == "" and final.problems and final.failed
    assert final.text == first.answer.text and final.citations == first.answer.citations


def test_a_model_server_that_is_down_leaves_the_checked_quotes_as_the_answer_and_says_why() -> None:
    down = OpenAIGenerator("qwen", f"http://127.0.0.1:{free_port()}/v1", connect_timeout=2)
    events = list(answer_stream("Hvor meget får regionen ud af modellen?", SOURCES, down))
    first, final = events[0], events[-1]
    assert isinstance(first, Checked) and isinstance(final, Answer) and len(events) == 2
    assert final.text == first.answer.text and final.citations == first.answer.citations
    assert final.failed == ("model_unavailable",) and "cannot be reached" in final.problems[0]


def test_answers_without_a_model_come_as_one_final_event_timed_as_the_first_answer() -> None:
    decided = list(answer_stream("Hvad besluttede KD-Net om GovTech?", SOURCES, ScriptedGenerator(["x"])))
    quoted = list(answer_stream("Hvor meget får regionen ud af modellen?", SOURCES, None))
    for events in (decided, quoted):
        assert len(events) == 1 and isinstance(events[0], Answer)
        assert events[0].timings.first_answer_s == events[0].timings.total_s


def test_citation_parsing_and_verification() -> None:
    assert find_citations("a [KD-Net 22.01.2021, punkt 6] b [X, indledning]") == [
        ("KD-Net 22.01.2021", "punkt 6"),
        ("X", "indledning"),
    ]
    ok = verify("Ca. 30 mio. kr. [KD-Net 22.01.2021, punkt 6].", SOURCES)
    assert ok.ok and ok.citations[0].number == "6"
    name = verify("Jesper Hansen godkendte det [KD-Net 22.01.2021, punkt 6].", SOURCES)
    assert not name.ok and any("Hansen" in p for p in name.problems)


def test_decision_questions_are_recognised() -> None:
    assert Question.parse("Blev kontrakten godkendt?").decision
    assert Question.parse("What did KD-Net decide about Midttrafik?").decision
    assert not Question.parse("Hvem fortæller om sociale investeringer?").decision


def test_the_model_abstaining_leaves_the_checked_quotes() -> None:
    # The gates decide answerability; the model's abstention is a draft that is not shown.
    a = answer("Hvor stort et årligt plus giver modellen Region Midtjylland?", SOURCES, ScriptedGenerator([ABSTAIN]))
    assert a.extractive and not a.abstained and "30 mio. kr." in a.text and a.failed == ("model_abstained",)


def test_listing_questions_name_their_outcome_and_topic() -> None:
    assert Question.parse("Hvilke sager blev udsat i 2022?").outcome == "udsat"
    assert Question.parse("Hvilke punkter blev taget til efterretning?").outcome == "taget til efterretning"
    assert Question.parse("Hvilke kommuner får gavn af modellen?").outcome is None
    assert Question.parse("Hvilke sager blev godkendt i marts 2023?").topic == ()


def test_asking_what_a_paper_decided_abstains() -> None:
    from dataclasses import replace

    paper = [replace(s, decision=(), outcome="ingen") for s in SOURCES]
    gen = ScriptedGenerator(["noget"])
    a = answer("Hvad besluttede Kontaktudvalget om klimaet?", paper, gen)
    assert a.abstained and gen.calls == []


def test_an_item_number_does_not_vouch_for_a_number_in_the_answer() -> None:
    check = verify("16 borgmestre deltog [KD-Net 22.01.2021, punkt 16].", [GOVTECH], question="Hvor mange?")
    assert not check.ok and any('"16"' in p for p in check.problems)


def test_a_count_that_no_item_gives_is_not_answered() -> None:
    from rag.checks import states_quantity

    assert not states_quantity("borgmestr", ["Der blev den 18.-19. maj 2022 gennemført en studietur for borgmestre."])
    assert states_quantity("kommun", ["Det får et positivt udfald for 6 kommuner."])
    assert states_quantity("peng", ["Et årligt plus på ca. 30. mio. kr."])
    gen = ScriptedGenerator(["noget"])
    a = answer("Hvor mange busser kører der i Midttrafik?", SOURCES, gen)
    assert a.abstained and gen.calls == []


def test_quotes_skip_the_items_own_heading() -> None:
    from dataclasses import replace

    from rag.answer import quote_passages

    s = replace(MIDTTRAFIK, excerpts=("6. Midttrafiks indtægtsfordelingsmodel", *MIDTTRAFIK.excerpts))
    text, _ = quote_passages(Question.parse("Hvad giver Midttrafiks indtægtsfordelingsmodel regionen?"), [s], 3)
    assert "»Midttrafiks indtægtsfordelingsmodel«" not in text and "6. Midttrafiks" not in text
    assert "30 mio. kr." in text


def test_a_draft_without_the_amount_asked_for_is_replaced() -> None:
    draft = "Regionen arbejder med modellen [KD-Net 22.01.2021, punkt 6]."
    a = answer("Hvor stort et årligt plus giver modellen regionen?", SOURCES, ScriptedGenerator([draft]))
    assert a.extractive and "30 mio. kr." in a.text
    assert any("et tal" in p for p in a.problems)


def test_a_verified_draft_about_something_else_is_replaced() -> None:
    # Every number checks out, but the draft answers from the wrong item.
    draft = "KD-Net godkendte kommissoriet for GovTech Midtjylland [KD-Net 22.01.2021, punkt 16]."
    a = answer("Hvor stort et årligt plus giver modellen Region Midtjylland?", SOURCES, ScriptedGenerator([draft]))
    assert a.extractive and "30 mio. kr." in a.text
    assert any("dårligere" in p for p in a.problems)


def test_quotes_come_from_the_first_retrieved_item_even_when_another_shares_more_words() -> None:
    from rag.answer import select_passages

    chosen = select_passages(
        Question.parse("Hvilke kommissorier for GovTech Midtjylland og Midttrafik?"), [MIDTTRAFIK, GOVTECH], 3
    )
    assert {s.number for _p, s in chosen} == {"6"}


def test_an_english_question_picks_its_passage_by_meaning() -> None:
    from dataclasses import replace

    from rag.answer import select_passages

    attendance = replace(
        MIDTTRAFIK,
        decision=(),
        excerpts=("Mødet blev hævet kl. 12.00.", "Alle var mødt, undtagen to medlemmer, der havde meldt afbud."),
    )

    def meaning(question: str, texts: Sequence[str]) -> list[float]:  # a stand-in for the embedder's cosine
        return [0.9 if "afbud" in t else 0.2 for t in texts]

    question = "Who sent apologies for the meeting?"
    assert select_passages(Question.parse(question), [attendance], 1)[0][0].startswith("Mødet blev hævet")
    assert "afbud" in select_passages(Question.parse(question), [attendance], 1, meaning)[0][0]


def test_a_verified_draft_shows_the_items_own_label_whatever_body_the_model_wrote() -> None:
    draft = "Regionen får et årligt plus på ca. 30 mio. kr. [Byrådet 22.01.2021, punkt 6]."
    a = answer("Hvor meget får regionen ud af modellen?", SOURCES, ScriptedGenerator([draft]))
    assert not a.extractive and "[KD-Net 22.01.2021, punkt 6]." in a.text and "Byrådet" not in a.text


def test_asked_for_a_total_an_item_giving_only_a_part_abstains() -> None:
    gen = ScriptedGenerator(["Modellen giver 30 mio. kr. [KD-Net 22.01.2021, punkt 6]."])
    a = answer("Hvad koster Midttrafiks model i alt?", SOURCES, gen)
    assert a.abstained and gen.calls == [] and a.citations == ()
    a = answer("Hvad koster Midttrafiks model om året?", SOURCES, ScriptedGenerator(["x"]))
    assert not a.abstained and "30 mio. kr." in a.text


def test_a_list_the_chunker_cut_from_its_lead_is_quoted_with_it() -> None:
    from dataclasses import replace

    from rag.answer import select_passages

    text = "Strategien drøftes.\n\nStrategien vil indeholde tre spor:\n\n- Affald\n- Vand\n- Grøn Vækst\n"
    s = replace(MIDTTRAFIK, text=text, decision=(), excerpts=("- Affald\n- Vand\n- Grøn Vækst",))
    quotes = [p for p, _s in select_passages(Question.parse("Hvilke spor vil strategien indeholde?"), [s], 3)]
    assert quotes == ["Strategien vil indeholde tre spor: Affald; Vand; Grøn Vækst"]


def test_asked_who_holds_a_role_the_chair_of_another_committee_is_no_answer() -> None:
    from dataclasses import replace

    talk = "Bent Graversen, der er formand for udvalg for regional udvikling, gav et oplæg om de politiske fora."
    s = replace(MIDTTRAFIK, body="Udvalg for lighed i sundhed", title="Oplæg om fora", text=talk, decision=(),
                excerpts=(talk,))  # fmt: skip
    a = answer("Hvem er formand for udvalg for lighed i sundhed?", [s], None)
    assert a.abstained and a.citations == () and any("formand" in p for p in a.problems)
    a = answer("Hvem er formand for udvalg for regional udvikling?", [s], None)
    assert not a.abstained and "Bent Graversen" in a.text


def test_a_decision_answer_quotes_the_decision_passage_not_the_outcome_word_alone() -> None:
    from dataclasses import replace

    text = (
        "Sagsfremstilling\nMidttrafik har lavet en ny køreplan.\n\n"
        "Beslutning\nGodkendt. Køreplanen træder i kraft 1. august 2024. For stemte 16, imod stemte 9."
    )
    s = replace(MIDTTRAFIK, title="Ny køreplan", text=text, decision=("Godkendt.",), excerpts=())
    a = answer("Hvad besluttede KD-Net om den nye køreplan?", [s], None)
    assert "»Godkendt. Køreplanen træder i kraft 1. august 2024. For stemte 16, imod stemte 9.«" in a.text
    assert "Midttrafik har lavet" not in a.text


def test_a_decision_that_only_approves_is_quoted_with_the_recommendation_and_stops_at_the_next_heading() -> None:
    # The agenda-portal template (Greve): the decision first, then the case's other sections.
    from dataclasses import replace

    text = (
        "18. Restfinansiering af Mosede Fort\n\nBeslutning\n1.-2. Anbefales\n\nSagsprocedure\n"
        "Klima-, Teknik- og Miljøudvalget, Økonomiudvalget og Byrådet.\n\nResume\nProjektet mangler 7,56 mio. kr.\n\n"
        "Indstilling\nAdministrationen indstiller,\n\n1. at der udarbejdes et bruttoanlægsforslag.\n"
        "2. at der meddeles anlægsbevilling på 0,65 mio. kr.\n"
    )
    recommendation = "Administrationen indstiller,\n1. at der udarbejdes et bruttoanlægsforslag.\n"
    recommendation += "2. at der meddeles anlægsbevilling på 0,65 mio. kr."
    s = replace(
        MIDTTRAFIK, title="Restfinansiering af Mosede Fort", text=text, decision=("1.-2. Anbefales",), excerpts=()
    )
    s = replace(s, recommendation=recommendation)
    a = answer("Hvad blev besluttet om restfinansieringen af Mosede Fort?", [s], None)
    assert "»1.-2. Anbefales«" in a.text  # the decision section ends at the next heading
    assert "Indstillingen: »Administrationen indstiller: at der udarbejdes et bruttoanlægsforslag" in a.text
    assert "anlægsbevilling på 0,65 mio. kr" in a.text
    assert "Sagsprocedure" not in a.text and "Byrådet" not in a.text


def test_a_yes_no_question_is_answered_by_what_the_item_decided() -> None:
    from dataclasses import replace

    text = "Beslutning\nØkonomiudvalget anbefaler ikke, at kommunen giver driftstilskud til legepladsen.\n\n"
    text += "Resume\nBrugerrådet ønsker at opføre en legeplads ved Cafe Langsiden."
    decided = ("Økonomiudvalget anbefaler ikke, at kommunen giver driftstilskud til legepladsen.",)
    s = replace(MIDTTRAFIK, title="Legeplads ved Cafe Langsiden", text=text, decision=decided, excerpts=(text,))
    a = answer("Ville Økonomiudvalget have kommunen til at betale driften af legepladsen?", [s], None)
    assert "anbefaler ikke, at kommunen giver driftstilskud" in a.text
    assert a.text.startswith("Om »Legeplads ved Cafe Langsiden« står der")


def test_a_short_note_style_item_is_quoted_whole() -> None:
    # Board notes answer a question on the next line: one line alone says little.
    from dataclasses import replace

    text = "12) Navn til kaffemaskine\na ) Hvad skal den hedde?\nKenneth kaffemaskine"
    s = replace(MIDTTRAFIK, title="Navn til kaffemaskine", text=text, decision=(), excerpts=(text,))
    a = answer("Hvad skal fagrådets kaffemaskine hedde?", [s], None)
    assert "»a ) Hvad skal den hedde? Kenneth kaffemaskine«" in a.text


def test_asked_how_members_voted_the_decision_is_quoted_with_the_recorded_vote() -> None:
    # The portal template (Greve): the decision, then each vote on a paragraph of its own; a long decision
    # section is quoted by the paragraph holding the decision, which leaves the vote out.
    from dataclasses import replace

    conditions = "Byrådet bemærker, at ejerne selv afholder alle udgifter til omlægning af vejen. " * 10
    text = (
        f"Beslutning\nByrådet godkendte indstillingen.\n\n{conditions}\n\nFor stemte: (V), (A) og (C).\n\n"
        "Imod stemte: (F) med bemærkning om, at beslutningen tjener særinteresser.\n\n"
        "Resume\nEjerne ønsker vejarealet nedlagt."
    )
    s = replace(MIDTTRAFIK, title="Nedlæggelse af vejareal", text=text, decision=("Byrådet godkendte indstillingen.",))
    a = answer("Hvilket parti stemte imod at nedlægge vejarealet, og hvorfor?", [s], None)
    assert "Afstemningen: »For stemte: (V), (A) og (C). Imod stemte: (F) med bemærkning om" in a.text
    assert "Ejerne ønsker" not in a.text
    plain = answer("Hvad besluttede Byrådet om vejarealet?", [s], None)
    assert "Afstemningen" not in plain.text


def test_asked_for_an_amount_the_passage_giving_one_goes_before_one_restating_the_topic() -> None:
    # The amount is in the recommendation, which retrieval did not return as a passage.
    from dataclasses import replace

    topic = "Med tilskud til dyreholderne opretholdes pleje af værdifulde græsarealer, som dyrene afgræsser."
    proposed = "At der indgås en fireårig aftale med et samlet tilskud på 90.000 kr. årligt."
    text = f"Resume\n{topic}\n\nIndstilling\n{proposed}"
    s = replace(MIDTTRAFIK, title="Dyrehold", text=text, decision=(), excerpts=(topic,), recommendation=proposed)
    a = answer("Hvor stort et tilskud får dyreholderne for at lade dyr græsse på arealerne?", [s], None)
    assert a.text.startswith("Fra dokumenterne: »At der indgås en fireårig aftale med et samlet tilskud på 90.000 kr.")


def test_a_question_naming_two_meeting_months_quotes_the_decision_of_each() -> None:
    from dataclasses import replace

    may = replace(MIDTTRAFIK, doc_id="maj", title="Vejadgang til Lidl", date="2023-05-25", decision=("Ikke godkendt",),
                  text="Beslutning\nIkke godkendt")  # fmt: skip
    august = replace(may, doc_id="aug", date="2023-08-17", decision=("Godkendt uden adgang via Tranebærvej.",),
                     text="Beslutning\nGodkendt uden adgang via Tranebærvej.")  # fmt: skip
    a = answer("Hvordan gik det med vejadgangen til Lidl, da udvalget behandlede den i maj og igen i august 2023?",
               [august, may], None)  # fmt: skip
    assert "»Ikke godkendt« [KD-Net 25.05.2023, punkt 6]" in a.text
    assert "»Godkendt uden adgang via Tranebærvej.« [KD-Net 17.08.2023, punkt 6]" in a.text


def test_a_decision_section_of_several_short_paragraphs_is_quoted_whole() -> None:
    # "3. Orienteringen blev taget til efterretning." alone loses what the committee recommended.
    from dataclasses import replace

    text = (
        "Beslutning\n3. Orienteringen blev taget til efterretning.\n\n4. Udvalget anbefaler initiativ nr. 1 til 9."
        "\n\nUdvalget ønsker at initiativ nr. 12 om lektiehjælp undersøges.\n\nResume\nTrygheden drøftes."
    )
    decided = ("Orienteringen blev taget til efterretning.", "Udvalget anbefaler initiativ nr. 1 til 9.")
    s = replace(MIDTTRAFIK, title="Hovedbiblioteket", text=text, decision=decided)
    a = answer("Hvilke tiltag for trygheden på hovedbiblioteket anbefalede udvalget?", [s], None)
    assert "Udvalget anbefaler initiativ nr. 1 til 9. Udvalget ønsker at initiativ nr. 12 om lektiehjælp" in a.text
    assert "Trygheden drøftes" not in a.text


def test_a_decision_the_register_could_not_classify_is_quoted_from_the_decision_section() -> None:
    from dataclasses import replace

    text = (
        "Beslutning\nUdvalget kan ikke følge indstillingen, men ønsker et udkast til høringssvar.\n\n"
        "Resume\nAdministrationen indstiller, at der ikke afgives høringssvar om vindmølleparken."
    )
    s = replace(MIDTTRAFIK, title="Høring om vindmøllepark", text=text, decision=(), outcome="ukendt", excerpts=(text,))
    a = answer("Hvad mente udvalget om forslaget om ikke at afgive høringssvar om vindmølleparken?", [s], None)
    assert a.text.startswith("Om »Høring om vindmøllepark« står der: »Udvalget kan ikke følge indstillingen")


def test_a_question_naming_the_bodies_of_a_case_quotes_each_from_the_cases_other_meetings() -> None:
    from dataclasses import replace

    no, sold = "Kan ikke anbefales.", "Byrådet godkendte salget til højeste pris."
    committee = replace(MIDTTRAFIK, body="Klima-, Teknik- og Miljøudvalget", title="Villa Sitka, taget",
                        date="2024-04-25", decision=(no,), text=f"Beslutning\n{no}")  # fmt: skip
    council = replace(committee, doc_id="byr", body="Byråd 2022-2025", date="2024-05-22", decision=(sold,),
                      text=f"Beslutning\n{sold}")  # fmt: skip
    q = "Hvordan gik det med taget på Villa Sitka, da det blev behandlet i fagudvalget og Byrådet?"
    a = answer(q, [committee], None, case=[council])
    assert "»Kan ikke anbefales.«" in a.text and "»Byrådet godkendte salget til højeste pris.«" in a.text
    assert [c.date for c in a.citations] == ["2024-04-25", "2024-05-22"] and council in a.sources
    assert "højeste pris" not in answer(q, [committee], None).text
