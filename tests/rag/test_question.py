"""`Question.parse` over real Danish (and English) question forms from the development sets and issue 15."""

from __future__ import annotations

import pytest

from rag.question import INTENTS, Question

# (question, intent, what else it must read: field -> value)
FORMS: list[tuple[str, str, dict[str, object]]] = [
    ("Hvad besluttede KD-Net om Midttrafik?", "decision", {"named": ("KD", "Midttrafik"), "years": ()}),
    ("Fik Aarhus Kommune lov til at sende en ekstra repræsentant til KOSU?", "decision", {"decision": True}),
    ("Blev turen til Bruxelles i maj 2022 evalueret?", "decision", {"years": ("2022",)}),
    ("Godkendte Byrådet i juni 2022 at sælge en grund i Tune?", "decision", {"years": ("2022",)}),
    ("Hvad blev der aftalt i 2014 om træerne på Pederstrupvænget?", "decision", {"years": ("2014",)}),
    ("Hvad kom der ud af drøftelsen om en ny aftale om priserne?", "decision", {"decision": True}),
    ("Hvordan endte sagen om den reviderede aftale om rådgivning?", "decision", {"decision": True}),
    ("Hvad anbefalede udvalget i august 2022 om forpagtningsafgiften?", "decision", {"decision": True}),
    ("Hvad sagde Økonomiudvalget til at videreføre beskæftigelsesplanen?", "decision", {"decision": True}),
    ("Hvad ville udvalget gøre for at borgerne selv kan betale for strandrensning?", "decision", {"decision": True}),
    (
        "Hvordan gik det med vejadgangen, da udvalget behandlede den i maj og igen i august 2023?",
        "decision",
        {"months": ("2023-05", "2023-08"), "years": ("2023",)},
    ),
    # A cost named is not a cost asked for; "hvor hurtigt" asks for a time span, "fra hvilken dato" for a date.
    ("Ville udvalget sende opfordringen om at holde udgifterne nede videre?", "yes/no", {"quantity": False}),
    ("Hvad var udgiften til undersøgelsen?", "quantity", {"money": True}),
    ("Hvor hurtigt skal kommunen træffe afgørelse om VISO?", "quantity", {"quantity": True}),
    ("Fra hvilken dato ville man holde op med at flytte ældre ind?", "when", {"when": True}),
    ("Hvor længe holder svømmehallen åbent på hverdage?", "when", {"quantity": False}),
    # "aftale" the noun asks for no decision: "hvor lang en aftale" is a quantity.
    ("Hvor stort et tilskud får dyreholderne, og hvor lang en aftale ønskede de?", "quantity", {"decision": False}),
    ("Hvilke sager blev udsat i 2022?", "listing", {"outcome": "udsat", "topic": ()}),
    (
        "Hvilke kommissorier godkendte kommunaldirektørerne på mødet i januar 2021?",
        "listing",
        {"outcome": "godkendt", "topic": ("kommissori", "kommunaldirektør")},
    ),
    (
        "Hvilke betingelser godkendte udvalget i juni 2025 for forhandlinger om gratis pendlerparkering ved stationen?",
        "decision",
        {"outcome": None},
    ),
    ("Hvor mange passagerer rejste med Midttrafik i 2020?", "count", {"counted": "passag", "total": False}),
    ("Hvor mange ekstra pladser på pædagoguddannelsen lagde KKR-formandskabet op til?", "count", {"counted": "plads"}),
    ("Hvad koster Euroskills 2025 i alt?", "quantity", {"total": True, "counted": None}),
    ("Hvor stort var FGU-institutionernes samlede underskud i 2021?", "quantity", {"total": True}),
    (
        "Hvad koster et månedskort hos Midttrafik?",
        "quantity",
        {"total": False, "named": ("Midttrafik",), "money": True},
    ),
    ("Hvor mange kopper blev der købt?", "count", {"money": False}),
    ("Hvor meget blev Villa Sitka solgt for?", "quantity", {"money": True}),
    ("Hvad skal handlingsplanen til klimastrategien koste?", "quantity", {"money": True}),
    ("Hvor meget skal kommunen betale om måneden for pendlerpladserne?", "quantity", {"money": True}),
    # A price named in a decision question asks what was decided, not for an amount.
    ("Hvad kom der ud af drøftelsen om priserne på sociale tilbud?", "decision", {"money": False}),
    ("Hvilket rådgivende ingeniørfirma undersøgte scenarierne?", "who", {"who": True}),
    ("Hvilken entreprenør anlægger cykelstien?", "who", {"who": True}),
    ("Hvem er formand for udvalg for lighed i sundhed?", "role", {"role": ("formand", "udvalg for lighed i sundhed")}),
    ("Hvem er kasserer i IMADA Fagråd?", "role", {"role": ("kasserer", "IMADA Fagråd"), "named": ("IMADA",)}),
    ("Hvem leder styregruppen for klimaprojektet DK2020 i Midtjylland?", "who", {"role": None, "who": True}),
    # How members voted is recorded with the decision: a decision question.
    ("Hvem stemte imod eller undlod, da Byrådet i september 2025 behandlede sagen?", "decision", {"vote": True}),
    ("Med hvilket stemmetal afgjorde Byrådet sagen om spørgsmål/svar?", "decision", {"vote": True}),
    ("Ville udvalget arbejde videre med naturskoven, og hvilket parti var uenigt?", "decision", {"vote": True}),
    ("Hvem bestemte, hvor vejen skulle gå?", "who", {"vote": False}),
    ("Hvornår holder kommunaldirektørnetværket møder i 2021 efter januarmødet?", "when", {"when": True}),
    ("Hvilke kommuner får gavn af den nye måde at dele billetindtægterne?", "list", {"outcome": None}),
    ("Kan regionen indgå i et samarbejdsprojekt med Wood By Human Results?", "yes/no", {"decision": False}),
    ("Ville Økonomiudvalget i juni 2025 have kommunen til at betale driften?", "yes/no", {"years": ("2025",)}),
    ("Hvad fortalte regionen om FGU-institutionerne på mødet i juni 2022?", "open", {"named": ("FGU", "2022")}),
    ("What did the network decide about Midttrafik's model?", "decision", {"danish": False, "named": ()}),
    ("How many additional nursing student places did VIA ask for?", "quantity", {"danish": False}),
]


@pytest.mark.parametrize(("text", "intent", "fields"), FORMS, ids=[f[0][:40] for f in FORMS])
def test_parse_reads_intent_and_what_is_asked_for(text: str, intent: str, fields: dict[str, object]) -> None:
    q = Question.parse(text)
    assert q.intent == intent and intent in INTENTS
    for name, value in fields.items():
        assert getattr(q, name) == value, name


@pytest.mark.parametrize(
    ("text", "date_from", "date_to", "years"),
    [
        ("Hvad besluttede KD-Net i januar 2021?", "2021-01-01", "2021-01-31", ("2021",)),
        ("Blev der indført medlemskab på bestyrelsesmødet den 28. april 2025?", "2025-04-28", "2025-04-28", ()),
        (
            "Hvordan har arbejdet udviklet sig fra KD-Net-mødet i 2021 til mødet i 2022?",
            "2021-01-01",
            "2022-12-31",
            ("2021", "2022"),
        ),
        ("Hvad skal være klar før 2022?", None, None, ()),
        ("Hvad kostede legepladsudstyret i 2023?", "2023-01-01", "2023-12-31", ("2023",)),
    ],
)
def test_parse_reads_the_time_phrase_once(text: str, date_from: str | None, date_to: str | None, years: tuple) -> None:
    q = Question.parse(text)
    assert (q.filters.date_from, q.filters.date_to, q.years) == (date_from, date_to, years)


def test_content_terms_are_stemmed_and_leave_out_question_words() -> None:
    q = Question.parse("Hvad besluttede KD-Net om Midttrafiks model?")
    assert q.terms == ("kd-net", "kd", "net", "midttrafik", "model")
    assert Question.of(q) is q
