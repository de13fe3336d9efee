"""A question, understood once: `Question.parse(text)` reads everything the answer path needs to know.

Retrieval (the implied filters, the years named), the gates that decide whether the documents can answer,
the choice of passages, the prompt and the checks on a draft all read this record. Nothing after it
looks at the raw string again, except to show it, to embed it and to search for it.

What is read, and from which words:

- language: Danish or English, by function words (`is_danish`)
- content terms: the stemmed words that are not stop words or "what kind of answer" words
- filters, years and months: the unambiguous time phrases of `rag.filters` ("i januar 2021", "fra 2021 til
  2022", "i maj og igen i august 2023")
- intent: listing of outcomes ("Hvilke sager blev udsat?"), decision ("Hvad besluttede ...", "Blev ...
  godkendt?"), count ("Hvor mange X"), quantity ("Hvad koster", "hvor meget"), role ("Hvem er formand
  for X"), who, when, list ("hvilke"), yes/no, open
- what is asked about: the topic terms (content terms less the words that only say what kind of answer
  or which meeting), and the names, acronyms and years the question uses
- what is asked for: the thing counted, the role and what it is a role of, whether a total or a sum of money
  is wanted ("Hvad kostede", "Hvor meget blev ... solgt for"), whether how members voted is ("Hvem stemte imod?")
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.danish import MONTH_NAMES
from rag.filters import Filters, filters_from_question, named_months, named_years
from rag.lexical import tokenize

# Words that say what kind of answer is wanted, not what it is about.
_ASKING = frozenset(
    # "seneste", "stadig": which meeting is wanted (`Question.latest`), not what it is about
    tokenize("beslutte besluttede beslutning vedtog godkendte blev sket skete mødet punkt seneste sidste stadig")
)
_ENGLISH = frozenset("the and of to is was were what which who how did does for with that this on".split())
_DANISH = frozenset("og at det er en til på som med for af den de ikke blev var har om der".split())

_DECISION_Q = re.compile(
    r"^\s*(?:blev|fik)\b|"  # "Blev turen evalueret?", "Fik Aarhus lov til ...?": asks what happened
    r"\b(beslut\w*|vedt[ao]g\w*|godkend\w*|afvis\w*|afviste|udsat\w*|aftalt\w*|aftalte|konklu\w*|anbefal\w*|"
    r"hvad skete der|hvad kom der ud af|hvordan endte|hvordan gik det|hvordan behandlede|"
    r"hvad blev (?:de[nt]\s+)?(?:endelige\s+)?(?:resultat(?:et)?|udfald(?:et)?|afgørelsen?)\b|\bafgjort\b|"
    r"tog .* til efterretning|"
    # What a body did or said when it treated a case: "Hvad sagde udvalget til ...?", "Hvad ville udvalget gøre?"
    r"hvad (?:gjorde|sagde|ville|mente)|"
    r"decid\w*|decision\w*|approv\w*|agreed|postpon\w*|reject\w*)\b",
    re.IGNORECASE,
)
_QUANTITY_Q = re.compile(
    r"\bhvor (?:mange|meget|stor\w*|høj\w*|lang\w*|hurtigt|ofte|tit)\b|\bkost(?:er|ede|e)\b"
    # "udgiften", "prisen" asked for ("Hvad var udgiften?", "hvilket beløb"), not named ("holde udgifterne nede")
    r"|\bantal\w*|\b(?:hvad|hvilke[nt]?)\s+(?:(?:er|var|bliver|blev|lød|udgør|udgjorde)\s+)?(?:den\s+|det\s+|de\s+)?"
    r"(?:samlede\s+|årlige\s+)?(?:udgift|beløb|pris)\w*"
    r"|\bhow (?:much|many)\b|\bcost\w*",
    re.I,
)
# How members voted: "Hvem stemte imod?", "Med hvilket stemmetal?", "Hvilket parti var uenigt?".
_VOTE_Q = re.compile(
    r"\bstem(?:te|me)\w*|\buenig\w*|\bflertal\w*|\bmindretal\w*|\benstemmig\w*"
    r"|\bhvilke(?:t)? parti\w*|\bvot(?:e|ed|es|ing)\b|\bwhich part(?:y|ies)\b",
    re.I,
)
# A price or a sum of money: the answer must be an amount in kroner, not any number.
_MONEY_Q = re.compile(
    r"\bkost(?:er|ede|e)\b|\bpris\w*|\budgift\w*|\bbeløb\w*|\bhonorar\w*|\bgebyr\w*|\btakst\w*|\btilskud\w*"
    r"|\bbevill?\w*|\bdonation\w*|\bbetal\w*|\bpenge\b|\b(?:solgt|købt|sælges|købes)\s+for\b|\bcost\w*|\bprice\w*",
    re.I,
)
_WHO_Q = re.compile(
    r"\bhvem\b|\bwho\b|\bhvad (?:hedder|hed|hedde)\b|\bhvilket navn\b"
    # "Hvilken entreprenør ...?", "Hvilket rådgivende ingeniørfirma ...?": a firm, club or fund is named.
    r"|\bhvilke[nt]\s+(?:[a-zæøå]+\s+)?(?:\w*firma|virksomhed|entreprenør|rådgiver|leverandør|forening|fond|"
    r"selskab|hold|klub|arkitekt\w*|konsulent\w*|operatør)\b|\bwhich (?:company|firm|contractor|team|club)\b",
    re.I,
)
_WHEN_Q = re.compile(
    r"\bhvornår\b|\bhvor længe\b|\bwhen\b|\bwhat date\b"
    r"|\b(?:fra|til|på|inden)?\s*hvilke[nt]\s+(?:dato|dag|uge|måned|tidspunkt)\b",
    re.I,
)
_HOW_MANY = re.compile(r"\bhvor mange (?:(?:ekstra|nye|flere|andre|forskellige) )?([a-zæøå-]+)", re.I)
_ROLE_Q = re.compile(
    r"\bhvem\s+(?:er|var|bliver|blev)\s+(?:den\s+nye\s+|ny\s+)?(?P<role>[a-zæøå]{4,})\s+(?:for|af|i|på)\s+(?P<of>[^?.!]+)",
    re.I,
)
# The newest meeting is wanted: "på det seneste møde", "Hvad er status for ...?", "Er det stadig ...?".
_LATEST_Q = re.compile(
    r"\bsenest\w*|(?<!indtil )\bnu\b|\bstatus\b|\bså\s+(?:endeligt?\s+)?(?:vedtaget|godkendt|besluttet)\b"
    r"|\bstadig\w*|\bendelig\w*|\baktuel\w*|\bi dag\b|\blatest\b|\bcurrent\w*",
    re.I,
)
_STATUS_Q = re.compile(r"\bstatus\b|\bhvor står\b", re.I)
# A case's course over meetings: "Hvordan er sagen om X forløbet?", "Hvad er historikken for ...?".
_HISTORY_Q = re.compile(
    r"\bforløb\w*|\bhistorik\w*|\btidslinje\w*|\bgennem (?:tiden|årene)|\bhvad er der sket (?:i|med)\b"
    r"|\bhvilke (?:møder|organer) har behandlet\b|\bhistory\b",
    re.I,
)
# Counting over the collection, from metadata and the register: "Hvor mange møder holdt udvalget i 2024?",
# "Hvor mange sager blev udsat?", "Hvor mange punkter var der på mødet den ...?".
_TALLY_Q = re.compile(
    r"\bhvor mange (?:(?:af\s+)?(?:de\s+)?)?(?:lukkede\s+|åbne\s+)?"
    r"(?P<what>møder|sager|punkter|dagsordenspunkter|beslutninger)\b"
    r"|\bhow many (?P<en>meetings|cases|items)\b",
    re.I,
)
_TOTAL = re.compile(r"\bi alt\b|\bsamle(?:t|de)\b|\bsammenlagt\b|\btotal\w*|\bin all\b", re.I)
_LISTING_Q = re.compile(r"\b(hvilke|hvad for nogle|which)\b", re.IGNORECASE)
_YES_NO_Q = re.compile(
    r"^\s*(?:er|var|har|havde|skal|skulle|kan|kunne|vil|ville|bliver|blev|fik|findes|gik|stemte|godkendte|valgte|"
    r"did|was|were|is|are|has|have)\b",
    re.I,
)
_OUTCOME_WORDS = (
    ("taget til efterretning", re.compile(r"\btil efterretning\b|\btaken note\b", re.IGNORECASE)),
    # The register counts a case sent back to the administration as postponed (ingest/decisions.py).
    ("udsat", re.compile(r"\budsat\w*|\budskudt\w*|\bsend(?:t|te|es)\s+(?:\S+\s+){0,4}?tilbage\b|\bpostpon\w*", re.I)),
    ("afvist", re.compile(r"\bafvist\w*|\bafviste\b|\breject\w*", re.IGNORECASE)),
    ("godkendt", re.compile(r"\bgodkendt\w*|\bgodkendte\b|\bapproved\b", re.IGNORECASE)),
)
_LISTING_WORDS = frozenset(
    tokenize(
        "sag sager punkt punkter emne emner dagsordenspunkter blev udsat udsatte godkendt godkendte afvist "
        "afviste taget efterretning møde mødet møderne hvilke items which were approved postponed rejected"
    )
)
_MONTHS = frozenset(tokenize(" ".join(MONTH_NAMES)))
_LISTING_TOPIC = 3
_ACRONYM = re.compile(r"\b[A-ZÆØÅ]{2,}[A-ZÆØÅ0-9]*\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_NAME = re.compile(r"(?<=[a-zæøå,] )[A-ZÆØÅ][a-zæøå]+(?:-[A-ZÆØÅa-zæøå]+)*")

INTENTS = ("listing", "tally", "decision", "count", "quantity", "role", "who", "when", "list", "yes/no", "open")


def content_terms(text: str) -> list[str]:
    """Stemmed content words of `text`, in order, without stop words or question words.

    >>> content_terms("Hvad besluttede KD-Net om Midttrafik?")
    ['kd-net', 'kd', 'net', 'midttrafik']
    """
    return [t for t in dict.fromkeys(tokenize(text)) if t not in _ASKING]


def is_danish(text: str) -> bool:
    """A cheap language check: more Danish than English function words.

    >>> is_danish("KD-Net godkendte processen og den foreslåede indfasning.")
    True
    >>> is_danish("KD-Net approved the process and the phase-in.")
    False
    """
    words = re.findall(r"[a-zæøå]+", text.lower())
    return sum(w in _DANISH for w in words) >= sum(w in _ENGLISH for w in words)


def shared_terms(terms: set[str] | frozenset[str], other: Sequence[str]) -> int:
    """How many of `terms` meet a term of `other`, also across inflections and compounds the stemmer
    keeps apart ("kommissorier"/"kommissorium", "billetindtægter"/"indtægter") by a shared prefix or
    suffix of 6+ letters.

    >>> shared_terms({"kommissori"}, content_terms("kommissoriet for GovTech"))
    1
    """
    others = set(other)

    def meets(a: str) -> bool:
        return a in others or any(
            min(len(a), len(b)) >= 6 and (a.startswith(b) or b.startswith(a) or a.endswith(b) or b.endswith(a))
            for b in others
        )

    return sum(meets(a) for a in terms)


@dataclass(frozen=True)
class Question:
    """What a question asks, read once from its text. Build it with `Question.parse`.

    >>> q = Question.parse("Hvor mange passagerer rejste med Midttrafik i 2020?")
    >>> q.intent, q.counted, q.years, q.filters.date_from
    ('count', 'passag', ('2020',), '2020-01-01')
    >>> Question.parse("Hvem er formand for udvalg for lighed i sundhed?").role
    ('formand', 'udvalg for lighed i sundhed')
    """

    text: str
    danish: bool
    terms: tuple[str, ...]  # stemmed content terms, in order
    filters: Filters  # implied by an unambiguous time phrase
    years: tuple[str, ...]  # the distinct meeting years named
    months: tuple[str, ...]  # the distinct meeting months ("YYYY-MM") named, when two or more are
    intent: str  # one of INTENTS: the main kind of answer wanted
    decision: bool  # asks what was decided ("Hvad besluttede", "Blev ... godkendt?")
    outcome: str | None  # a listing question's outcome ("Hvilke sager blev udsat?" -> "udsat")
    topic: tuple[str, ...]  # what a listing question is about, beyond "which items were <outcome> <when>"
    named: tuple[str, ...]  # acronyms, years and capitalised names a Danish question uses
    counted: str | None  # what "Hvor mange X" counts (stemmed)
    role: tuple[str, str] | None  # (role, what it is a role of) for "Hvem er formand for X?"
    total: bool  # asks for an amount in total ("i alt", "samlede")
    quantity: bool  # asks for an amount or a number
    money: bool  # asks for a price or a sum of money (an amount in kroner)
    who: bool  # asks for a name
    when: bool  # asks for a date or time
    vote: bool  # asks how members voted (a decision question: the vote is recorded with the decision)
    latest: bool = False  # asks for the newest state ("seneste", "status", "stadig", "nu")
    history: bool = False  # asks for a case's course over meetings ("Hvordan er sagen om X forløbet?")
    tally: str | None = None  # counts over the collection: "meetings" or "items" ("Hvor mange møder ...?")
    closed: bool = False  # asks about items held behind closed doors ("Hvor mange lukkede punkter ...?")
    newest_meeting: bool = False  # "på det seneste møde", "senest": the newest meeting of the body it names

    @classmethod
    def parse(cls, text: str) -> Question:
        """Read `text` once. See the module docstring for what is read.

        >>> q = Question.parse("Hvad besluttede KD-Net om Midttrafik?")
        >>> q.intent, q.terms, q.danish
        ('decision', ('kd-net', 'kd', 'net', 'midttrafik'), True)
        """
        danish = is_danish(text)
        terms = tuple(content_terms(text))
        quantity = bool(_QUANTITY_Q.search(text))
        who = bool(_WHO_Q.search(text))
        when = bool(_WHEN_Q.search(text))
        vote = bool(_VOTE_Q.search(text))
        decision = vote or bool(_DECISION_Q.search(text)) or bool(_STATUS_Q.search(text))
        topic = tuple(t for t in terms if t not in _LISTING_WORDS and t not in _MONTHS and not t[:1].isdigit())
        # A listing names at most what is listed and who decided ("Hvilke kommissorier godkendte
        # kommunaldirektørerne?"); more is a matter asked about ("Hvilke betingelser godkendte udvalget for
        # forhandlingerne om gratis pendlerparkering ved stationen?"): a decision question.
        tally = _tally(text)
        # A count of items with an outcome ("Hvor mange sager udsatte Skole-, Børne- og Ungeudvalget?") is the
        # register's, whatever body it names.
        counting = tally == "items"
        outcome = _listed_outcome(text, counting=counting) if counting or len(topic) <= _LISTING_TOPIC else None
        counted = _counted(text)
        m = _ROLE_Q.search(text)
        role = (m["role"].lower(), m["of"].strip()) if m else None
        total = quantity and bool(_TOTAL.search(text))
        listing = bool(_LISTING_Q.search(text))
        intent = (
            "listing"
            if outcome
            else "tally"
            if tally
            else "decision"
            if decision
            else "count"
            if counted
            else "quantity"
            if quantity
            else "role"
            if role
            else "who"
            if who
            else "when"
            if when
            else "list"
            if listing
            else "yes/no"
            if _YES_NO_Q.search(text)
            else "open"
        )
        return cls(
            text=text,
            danish=danish,
            terms=terms,
            filters=filters_from_question(text)[0],
            years=tuple(named_years(text)),
            months=tuple(named_months(text)),
            intent=intent,
            decision=decision,
            outcome=outcome,
            topic=topic,
            named=tuple(_named(text)) if danish else (),
            counted=counted,
            role=role,
            total=total,
            quantity=quantity,
            money=quantity and not decision and bool(_MONEY_Q.search(text)),
            who=who,
            when=when,
            vote=vote,
            # A time the question names pins the meeting: "i foråret 2023 stadig manglede" is not the newest.
            # Only what was decided is superseded by a later meeting ("Hvor stort et beløb manglede der stadig
            # ...?" asks for a sum, not the newest meeting).
            # ("..., efter at sagen blev sendt tilbage i december 2024?" dates what came before: still the newest)
            latest=(decision or intent in ("yes/no", "open"))
            and bool(_LATEST_Q.search(text))
            and not _YEAR.search(re.sub(r"\befter\b.*", "", text)),
            history=bool(_HISTORY_Q.search(text)),
            tally=tally,
            closed=bool(re.search(r"\blukkede?\b", text, re.I)),
            newest_meeting=bool(re.search(r"\bsenest\w*|\bsidste\b", text, re.I)),
        )

    @classmethod
    def of(cls, question: str | Question) -> Question:
        """`question` itself if already parsed, else parsed: for callers that hold either."""
        return question if isinstance(question, Question) else cls.parse(question)

    @property
    def acronyms(self) -> tuple[str, ...]:
        """The acronyms among the named terms ("FGU", "KD-Net" does not count: it is a name)."""
        return tuple(t for t in self.named if _ACRONYM.fullmatch(t))

    def names_body(self, body: str | None) -> bool:
        """Whether the question names `body`: every word of its name (years aside) or an inflection of it
        occurs, not a word it ends in ("udvalget" names no committee, "byrådet" names "Byråd 2022-2025").

        >>> Question.parse("Hvad gjorde Byrådet bagefter?").names_body("Byråd 2022-2025")
        True
        >>> Question.parse("Hvad sagde udvalget?").names_body("Økonomiudvalget")
        False
        """
        name = [t for t in content_terms(body or "") if not t[:1].isdigit()]
        return bool(name) and all(any(_inflects(a, t) for a in self.terms) for t in name)

    @property
    def expects_shape(self) -> bool:
        """Whether the answer must hold a particular kind of thing: an amount, a name or a date."""
        return self.quantity or self.who or self.when


def _inflects(word: str, stem: str) -> bool:
    """Whether `word` is `stem` or an inflection of it (at most three letters more: "byrådets"), not a
    compound it heads ("byrådsmedlem") or ends ("udvalg" in "økonomiudvalg")."""
    return (word.startswith(stem) and len(word) - len(stem) <= 3) or stem.startswith(word)


def _listed_outcome(text: str, *, counting: bool = False) -> str | None:
    if not (counting or _LISTING_Q.search(text)):
        return None
    return next((outcome for outcome, pattern in _OUTCOME_WORDS if pattern.search(text)), None)


def _tally(text: str) -> str | None:
    """What a count over the collection counts: "meetings" or "items" (agenda items, cases, decisions).

    >>> _tally("Hvor mange møder holdt udvalget i 2024?"), _tally("Hvor mange sager blev udsat?")
    ('meetings', 'items')
    >>> _tally("Hvor mange elever?") is None
    True
    """
    m = _TALLY_Q.search(text)
    if not m:
        return None
    return "meetings" if (m["what"] or m["en"]).lower() in ("møder", "meetings") else "items"


# Verbs that follow "hvor mange" in place of what is counted ("Hvor mange mødte op?"): people are counted,
# and minutes write attendance in other words ("Deltagere i alt: 15"). Votes keep their verb ("stemte for").
_NOT_COUNTED = frozenset(
    "mødte deltog kom var er blev bliver har havde fik får skal skulle kan kunne vil ville".split()
)


def _counted(text: str) -> str | None:
    """What "hvor mange X" counts: X stemmed, or the head of a hyphenated compound, since Danish writes the
    counted thing both ways ("SOSU-elever" asked, "otte social- og sundhedselever" / "otte elever" written).

    >>> _counted("Hvor mange SOSU-elever skulle over på voksenelevløn?"), _counted("Hvor mange kommuner?")
    ('elev', 'kommun')
    >>> _counted("Hvor mange mødte op til generalforsamlingen?") is None
    True
    """
    m = _HOW_MANY.search(text)
    if not m or m.group(1).lower() in _NOT_COUNTED:
        return None
    terms = tokenize(m.group(1).split("-")[-1])
    return terms[0] if terms else None


def _named(text: str) -> list[str]:
    # An English question names things in English; the documents name them in Danish, so only Danish
    # questions are read for names (the caller checks).
    # A name heading a lower-case compound names the name: "Movia-bussen" -> "Movia" ("KD-Net" stays whole).
    names = [re.sub(r"-[a-zæøå].*$", "", t) for t in _NAME.findall(text)]
    found = [*_ACRONYM.findall(text), *_YEAR.findall(text), *names]
    return list(dict.fromkeys(re.sub(r"'s$|s$", "", t) if t[:1].isalpha() else t for t in found))
