"""Named checks: when the documents cannot answer (gates), and when a draft may not be shown.

Every check has one shape: a function of the parsed question and the evidence that returns the reason
it fails, in Danish for the user, or None. `GATES` run in order before anything is answered; the first
that fails makes the answer the fixed abstention, with its reason. `DRAFT_CHECKS` all run on a draft
the model wrote; each failure is a reason the quotes are shown instead. The reasons go into
`Answer.problems`, the check names into `Answer.failed`, and both into `referat ask --json` and the eval
report (counts per check).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ingest.danish import PARTIES, VOTE, split_sentences
from rag.citations import Source, strip_citations, verify
from rag.lexical import tokenize
from rag.prompt import ABSTAIN
from rag.question import Question, content_terms, is_danish, shared_terms


class Limits(Protocol):
    """The thresholds the checks read (`rag.answer.AnswerConfig` has them)."""

    @property
    def max_sources(self) -> int: ...
    @property
    def min_coverage(self) -> float: ...
    @property
    def min_similarity(self) -> float: ...
    @property
    def min_draft_cover(self) -> float: ...


@dataclass(frozen=True)
class Evidence:
    """What a check may look at: the retrieved items, the items the answer quotes, and after generation
    the passages the model was shown (`given`) and what it wrote (`draft`)."""

    sources: tuple[Source, ...]  # retrieved, best first
    quoted_from: tuple[Source, ...]  # the best item, or the best of each meeting year named
    limits: Limits
    given: tuple[Source, ...] = ()
    draft: str = ""

    @property
    def top(self) -> tuple[Source, ...]:
        return self.sources[: self.limits.max_sources]


Check = Callable[[Question, Evidence], str | None]


def failures(
    checks: Iterable[Check], question: Question, evidence: Evidence, *, first: bool = False
) -> list[tuple[str, str]]:
    """(check name, reason) for each check that fails, in order; only the first when `first`."""
    out = []
    for check in checks:
        if (reason := check(question, evidence)) is not None:
            out.append((check.__name__, reason))
            if first:
                break
    return out


# ---- gates: can the documents answer at all? ----


def nothing_relevant(q: Question, ev: Evidence) -> str | None:
    """Nothing retrieved, or no item holds enough of the question's terms and none is close in meaning."""
    if not ev.sources:
        return "intet punkt blev fundet"
    coverage = max(relevance(q, s) for s in ev.sources)
    similar = max(s.similarity for s in ev.sources)
    if coverage < ev.limits.min_coverage and similar < ev.limits.min_similarity:
        return "ingen fundne punkter handler om spørgsmålet"
    return None


def names_unmentioned(q: Question, ev: Evidence) -> str | None:
    """The quoted item lacks an acronym or name the question uses, or a year later than its meeting.

    "Hvor stort var FGU-institutionernes underskud?" and the item found does not mention FGU.
    """
    missing = ungrounded(q, ev.quoted_from, also=ev.top)
    return f"ingen fundne punkter nævner {', '.join(missing)}" if missing else None


def amount_not_stated(q: Question, ev: Evidence) -> str | None:
    """Asked for a number or an amount, and no sentence of the quoted items gives one (not a date or a
    time) beside what is asked about: the thing counted ("Hvor mange passagerer ...?": passengers), else
    one of the question's topic terms ("Hvad kostede radonmåleren?": the meter).
    """
    if not q.quantity or not q.danish:  # an English question's terms are not the documents' words
        return None
    # What the question names (Villa Sitka, Greve Kommune) recurs beside every amount in its items: the
    # amount must stand beside what is asked of it (sold, paid, a monthly card) when the question says so.
    names = set(content_terms(" ".join(q.named)))
    asked = {t for t in q.topic if t not in names} or set(q.topic)
    focus = {q.counted} if q.counted else asked
    if focus and not states_quantity(focus, _pairs(ev.quoted_from), money=q.money):
        return f"punktet giver ikke det {'beløb' if q.money else 'tal'}, der spørges om ({', '.join(sorted(focus))})"
    return None


def _pairs(sources: Sequence[Source]) -> list[str]:
    """Each sentence of `sources` (title first) joined to the one before it: minutes answer on the next
    line ("Spg.: prisen for X?" "Leif: 25 tusind kr.")."""
    return [pair for s in sources for pair in _with_previous(split_sentences(f"{s.title}. {s.text}"))]


def _with_previous(sentences: Sequence[str]) -> list[str]:
    """Each sentence joined to the one before it (the first alone)."""
    return [f"{a} {b}".strip() for a, b in zip(["", *sentences], sentences, strict=False)]


def role_not_named(q: Question, ev: Evidence) -> str | None:
    """ "Hvem er formand for udvalg for lighed i sundhed?" and the item names the chair of another one."""
    if q.role and not states_role(*q.role, ev.quoted_from):
        return f"punktet nævner ingen {q.role[0]} for {q.role[1]}"
    return None


def total_not_stated(q: Question, ev: Evidence) -> str | None:
    """ "Hvad koster Euroskills i alt?" and the item gives only a grant towards it: a part is not the total."""
    if q.total and not states_total(x for s in ev.quoted_from for x in split_sentences(s.text)):
        return "punktet nævner ingen samlet størrelse"
    return None


def nothing_decided(q: Question, ev: Evidence) -> str | None:
    """Asked what was decided, and the best items are from an agenda or a paper, which decide nothing."""
    if q.decision and all(s.outcome == "ingen" and not s.decision for s in ev.sources[:2]):
        return "de fundne punkter er fra dokumenter uden beslutninger"
    return None


GATES: tuple[Check, ...] = (
    nothing_relevant,
    names_unmentioned,
    amount_not_stated,
    role_not_named,
    total_not_stated,
    nothing_decided,
)


# ---- draft checks: may the model's draft be shown? ----


def model_abstained(q: Question, ev: Evidence) -> str | None:
    """The model wrote the abstention sentence."""
    return "modellen fandt ikke svaret i kilderne" if ABSTAIN.rstrip(".").lower() in ev.draft.lower() else None


def citations_hold(q: Question, ev: Evidence) -> str | None:
    """Every citation resolves to a passage given, and every number and name occurs in the cited items."""
    problems = verify(ev.draft, ev.given, question=q.text).problems
    return "; ".join(problems) if problems else None


def draft_in_danish(q: Question, ev: Evidence) -> str | None:
    return None if is_danish(ev.draft) else "svaret er ikke på dansk"


def draft_on_question(q: Question, ev: Evidence) -> str | None:
    """The draft's best sentence covers the question about as well as the best quotable sentence: a draft
    that covers it worse answers something nearby."""
    if draft_cover(q, ev.draft) < ev.limits.min_draft_cover * quote_cover(q, ev.given):
        return "svaret rammer spørgsmålet dårligere end kildernes egne sætninger"
    return None


def draft_has_shape(q: Question, ev: Evidence) -> str | None:
    """Asked for an amount, a name or a date, the draft holds one."""
    if q.expects_shape and not answer_shape(q, strip_citations(ev.draft)):
        return "svaret indeholder ikke det, der spørges om (et tal, et navn eller en dato)"
    return None


DRAFT_CHECKS: tuple[Check, ...] = (citations_hold, draft_in_danish, draft_on_question, draft_has_shape)


# ---- what the checks read in the evidence ----

# What "hvornår" is answered with: a date ("22. jan", "16/9", "2021"), a month, a weekday, a week or a time of day.
_DATE_WORD = re.compile(
    r"\d{1,2}\.\s*(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\w*|\b(?:19|20)\d\d\b|\b\d{1,2}/\d{1,2}\b"
    r"|\b(?:januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december|mandag|tirsdag"
    r"|onsdag|torsdag|fredag|lørdag|søndag)\b|\buge\s*\d{1,2}\b|\bkl\.?\s*\d",
    re.I,
)
_MONEY = frozenset(tokenize("penge kroner beløb"))
_NUMBER_WORDS = re.compile(r"\b(?:to|tre|fire|fem|seks|syv|otte|ni|ti|elleve|tolv|tyve|hundrede|tusind)\b", re.I)
_DATE_NUMBER = re.compile(
    r"\d{1,2}\.\s*-?\s*(?:\d{1,2}\.\s*)?(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\w*"
    r"|\d{1,2}[.-]\d{1,2}[.-]\d{2,4}|\b(?:19|20)\d\d\b|\bkl\.\s*\d+[.:]?\d*"
    # A reference is no quantity: "aktstykke nr. 219", "§ 114", "pkt. 12", "bilag 3".
    r"|(?:\bnr|\bpkt|\bpunkt|\bstk|\bbilag|§)\.?\s*\d+",
    re.I,
)
_YEAR = re.compile(r"(?:19|20)\d\d")
# An amount of money: "400 kr.", "150kr", "1,2 mio.", "25 tusind", "999,-".
_AMOUNT = re.compile(r"(?<![a-zæøå])(?:kr|kroner|mio|mia|mill|tusind|dkk|euro)\b|,-|€", re.I)
_TOTAL = re.compile(r"\bi alt\b|\bsamle(?:t|de)\b|\bsammenlagt\b|\btotal\w*|\bin all\b", re.I)
_ROLE_OF = r"\s+(?:for|af|i|på)\s+(?P<of>[^,.;:]+)"
_BODY_ENDINGS = ("udvalg", "udvalget", "byråd", "byrådet", "bestyrelse", "bestyrelsen", "regionsråd", "regionsrådet")
# A case history's entry heading: "12-10-2023 Klima-, Teknik- og Miljøudvalget".
_DATED_HEADING = re.compile(r"\d{1,2}[-.]\d{1,2}[-.]\d{2,4}\s+[^.!?]{0,60}")
_ITEM_NUMBER = re.compile(r"^\s*(?:punkt\s*)?\d+\s*[.:)]?\s*", re.I)


def relevance(q: Question, source: Source) -> float:
    """Share of the question's content terms that occur in the item (its body's name, title and text): the
    body an item belongs to is what "Hvad besluttede Børne- og Skoleudvalget om ...?" names."""
    if not q.terms:
        return 0.0
    have = set(content_terms(f"{source.body or ''} {source.title} {source.text}"))
    return sum(t in have for t in q.terms) / len(q.terms)


def answer_shape(q: Question, sentence: str) -> float:
    """1.0 when `sentence` holds what the question asks for: an amount, a name the question does not
    already use, a date; else 0.0.

    >>> q = Question.parse("Hvem blev valgt, da Michell Cronberg ikke genopstillede?")
    >>> answer_shape(q, "Simone Eggertsen (Tønnesvej 39)"), answer_shape(q, "Michell Cronberg genopstiller ikke.")
    (1.0, 0.0)
    >>> answer_shape(q, "Det Regionale Arbejdsmarkedsråd mødes.")
    0.0
    >>> when = Question.parse("Hvornår sluttede mødet?")
    >>> [answer_shape(when, x) for x in ("Mødet sluttede kl. 12.00.", "Næste møde er d. 16/9.", "Mødet sluttede.")]
    [1.0, 1.0, 0.0]
    """
    if q.quantity and re.search(r"\d", _DATE_NUMBER.sub(" ", sentence)):
        return 1.0
    if q.who and _new_name(q, sentence):
        return 1.0
    if q.when and _DATE_WORD.search(sentence):
        return 1.0
    if q.vote and VOTE.search(sentence):
        return 1.0
    return 0.0


_NAME_PAIR = re.compile(r"\b([A-ZÆØÅ][a-zæøå]+) [A-ZÆØÅ][a-zæøå]+")


def _new_name(q: Question, sentence: str) -> bool:
    """Whether `sentence` names a person or body (two capitalised words) that the question does not; at
    the start of a sentence the first word must not be a function word ("Det Regionale ...")."""
    asked = q.text.casefold()
    for m in _NAME_PAIR.finditer(sentence):
        opens = m.start() == 0 or re.search(r"[.!?:]\s*$", sentence[: m.start()]) is not None
        if (opens and not tokenize(m[1])) or m[0].casefold() in asked:
            continue
        return True
    return False


def ungrounded(q: Question, sources: Sequence[Source], also: Sequence[Source] = ()) -> list[str]:
    """The question's named terms that none of `sources` mentions (in its text, title, body, date or its
    document's head or file name, which name the organisation: "Pomosa" is in the minutes' title, not in
    item 6).

    Acronyms and names must occur in `sources`. A year may date another meeting or event the question
    links to ("udviklet sig fra 2021 til 2022"), so it need only occur somewhere in `also` -- unless it
    is later than every meeting in `sources`: minutes cannot report a later year they never mention
    ("den nye takstaftale fra 2023" asked of a meeting in 2022 about the agreement for 2019-2022).

    >>> from dataclasses import replace
    >>> kd = Source("003", "10", "Velfærdsuddannede", "KD-Net", "2021-01-22", "Analysen blev bestilt.")
    >>> fgu = replace(kd, number="14", text="FGU'erne deltager.")
    >>> ask = Question.parse
    >>> ungrounded(ask("Hvad skete der med FGU i 2021?"), [kd], also=[kd, fgu])
    ['FGU']
    >>> ungrounded(ask("Hvad skete der fra 2020 til 2021?"), [kd], also=[kd, replace(kd, text="Status 2020.")])
    []
    >>> ungrounded(ask("Hvad skete der fra 2021 til 2022?"), [kd], also=[kd, replace(kd, date="2022-06-03")])
    ['2022']
    >>> ungrounded(ask("Hvem ledte mødet i Pomosa?"), [replace(kd, doc_id="refgen_pomosa_2012")])
    []
    >>> ungrounded(ask("Hvad skal Movia-bussen i Århus koste?"), [replace(kd, text="Movia kører i Aarhus.")])
    []
    >>> ungrounded(ask("Hvad havde Enhedslisten imod?"), [replace(kd, text="Imod stemte: (Ø).")])
    []
    """

    def haystack(items: Sequence[Source]) -> str:
        # The file name often names the organisation too ("refgen_pomosa_2012.pdf").
        return _fold(
            " ".join(f"{s.doc_id.replace('_', ' ')} {s.title} {s.body} {s.date} {s.context} {s.text}" for s in items)
        )

    own, anywhere = haystack(sources), haystack([*sources, *also])
    latest = max((s.date[:4] for s in sources if s.date), default="9999")

    def mentioned(term: str, text: str) -> bool:
        # Minutes name a party by its list letter: "De Konservative" asked, "Imod stemte: (C)" written.
        letter = PARTIES.get(term.casefold())
        return _fold(term) in text or (letter is not None and _fold(f"({letter})") in text)

    return [t for t in q.named if not mentioned(t, anywhere if _YEAR.fullmatch(t) and t <= latest else own)]


def names_mentioned(q: Question, source: Source, also: Sequence[Source] = ()) -> bool:
    """Whether `source` mentions every acronym and name the question uses, years aside (see `ungrounded`):
    a year is mentioned in many items that are not about the matter."""
    return not ungrounded(replace(q, named=tuple(t for t in q.named if not t.isdigit())), [source], also=also)


def _fold(text: str) -> str:
    """`text` case-folded with the old Danish spellings folded into the new ("Aarhus" = "Århus")."""
    return text.casefold().replace("aa", "å").replace("ae", "æ").replace("oe", "ø")


def states_quantity(focus: str | Collection[str], sentences: Iterable[str], *, money: bool = False) -> bool:
    """Whether some sentence gives a number (not a date or time) together with one of `focus` (stemmed
    terms; money words accept any amount in kroner). With `money` the number must be an amount of money
    ("400 kr.", "1,2 mio. kr.", "25 tusind").

    >>> states_quantity("kommun", ["Det får et positivt udfald for 6 kommuner."])
    True
    >>> states_quantity("borgmestr", ["Der blev den 18.-19. maj 2022 gennemført en studietur for borgmestre."])
    False
    """
    wanted = {focus} if isinstance(focus, str) else set(focus)
    for sentence in sentences:
        bare = _DATE_NUMBER.sub(" ", sentence)
        if not (re.search(r"\d", bare) or _NUMBER_WORDS.search(bare)):
            continue
        amount = _AMOUNT.search(bare)
        if wanted & _MONEY and amount:
            return True
        if (amount or not money) and shared_terms(wanted, content_terms(bare)):
            return True
    return False


def states_role(role: str, of: str, sources: Sequence[Source]) -> bool:
    """Whether some sentence of `sources` names the `role` of `of`: "formand for udvalg for lighed i
    sundhed", or the role alone in a sentence or in minutes about `of` ("status på arbejdet i Center for
    Bæredygtige Hospitaler fra centerleder Maria Gaden"; "Formanden bød velkommen" in the committee's own
    minutes). A sentence naming the role of something else ("formand for udvalg for regional udvikling")
    does not count.

    >>> from dataclasses import replace
    >>> s = Source("001", "4", "Oplæg", "Udvalg for lighed i sundhed", "2024-02-21",
    ...            "Bent Graversen, der er formand for udvalg for regional udvikling, gav et oplæg.")
    >>> states_role("formand", "udvalg for lighed i sundhed", [s])
    False
    >>> states_role("formand", "udvalg for regional udvikling", [s])
    True
    >>> states_role("formand", "udvalg for lighed i sundhed", [replace(s, text="Formanden bød velkommen.")])
    True
    """
    wanted = set(content_terms(of))

    def names_it(text: str) -> bool:
        return shared_terms(wanted, content_terms(text)) * 2 > len(wanted)

    stem = role[:-1] if role.endswith("e") else role  # "direktøre(n)", "formand(en)"
    for s in sources:
        for sentence in split_sentences(s.text):
            for m in re.finditer(rf"\b{re.escape(stem)}\w*(?:{_ROLE_OF})?", sentence, re.I):
                if names_it(m["of"]) if m["of"] else names_it(f"{s.body} {s.title} {sentence}"):
                    return True
    return False


def states_total(sentences: Iterable[str]) -> bool:
    """Whether some sentence states a total amount ("Den samlede aftalesum udgjorde 456.900 kr.").

    >>> states_total(["Regionsrådet har bevilget 5 mio. kr. til Euroskills."])
    False
    >>> states_total(["Den samlede aftalesum udgjorde 456.900 kr."])
    True
    """
    return any(_TOTAL.search(x) and re.search(r"\d", _DATE_NUMBER.sub(" ", x)) for x in sentences)


def _cover(q: Question, sentences: Iterable[str]) -> int:
    terms = set(q.terms)
    return max((shared_terms(terms, content_terms(x)) for x in sentences), default=0)


def draft_cover(q: Question, draft: str) -> int:
    """The most question terms one sentence of the draft shares."""
    return _cover(q, split_sentences(strip_citations(draft)))


def quote_cover(q: Question, sources: Sequence[Source]) -> int:
    """The most question terms one quotable sentence of the sources shares."""
    return _cover(
        q, (x for s in sources for t in (*s.decision, *s.excerpts) for x in split_sentences(t) if not is_heading(x, s))
    )


def is_heading(sentence: str, source: Source, *, short: bool = True) -> bool:
    """The item's own heading or (when `short`) a bare section name: says nothing the citation does not.

    >>> s = Source("d", "6", "Midttrafiks model", "KD-Net", "2021-01-22", "...")
    >>> is_heading("6. Midttrafiks model", s), is_heading("Modellen giver et plus.", s)
    (True, False)
    >>> is_heading("Kenneth kaffemaskine", s), is_heading("Kenneth kaffemaskine", s, short=False)
    (True, False)
    >>> is_heading("12-10-2023 Klima-, Teknik- og Miljøudvalget", s)
    True
    >>> is_heading("Klima-, Teknik- og Miljøudvalget, Økonomiudvalget og Byrådet.", s)
    True
    """
    bare = " ".join(_ITEM_NUMBER.sub("", sentence).split()).casefold().rstrip(".:")
    title = " ".join(source.title.split()).casefold()
    flat = " ".join(sentence.split())
    return bare == title or (
        short and (len(bare.split()) < 3 or bool(_DATED_HEADING.fullmatch(flat)) or _bodies_only(flat))
    )


def _bodies_only(sentence: str) -> bool:
    """Whether `sentence` only names bodies, as a case procedure does ("Klima-, Teknik- og Miljøudvalget,
    Økonomiudvalget og Byrådet.")."""
    words = re.findall(r"[a-zæøå]+", re.sub(r"[\wæøå]+-,?", " ", sentence.casefold()))
    return bool(words) and all(w == "og" or w.endswith(_BODY_ENDINGS) for w in words)
