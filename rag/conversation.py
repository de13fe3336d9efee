"""A conversation: a follow-up that lacks its own topic is read against the previous turn, in code.

"Hvad besluttede Børne- og Skoleudvalget om skolebusserne?" then "Hvad koster det?" is answered as "Hvad
koster skolebusserne?", and the user is shown that reading ("Forstået som: ..."). What makes a follow-up:

- an elliptic question: "Og i 2022?", "Og Økonomiudvalget?", "Hvad med Byrådet?" (it starts with "og", "men",
  "hvad med" or "hvad så") — the previous question is asked again with the new time, body or topic;
- no topic of its own: "Hvad besluttede Byrådet så?", "Hvad er status nu?" (only question words, a body and
  a time) — the previous topic is added;
- a pronoun standing for the previous topic: "Hvad koster det?", "Hvornår blev den godkendt?", "Hvem
  foreslog det?" — the pronoun is replaced by the previous topic.

A follow-up with no previous turn cannot be read: Referat asks what it is about instead of guessing. The
rewritten question carries only words from the conversation; nothing is invented.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ingest.danish import MONTH_NAMES, MONTH_PATTERN, MONTHS, date_dk
from rag.citations import Citation
from rag.filters import time_phrases
from rag.lexical import tokenize
from rag.question import Question, content_terms, shared_terms

_ELLIPTIC = re.compile(r"^\s*(?:og|men|hvad med|hvad så|så|and|what about)\b[\s,]*", re.I)
# A pronoun or a bare noun standing for the previous topic, at the end or before an adverb, a preposition
# or a participle ("Hvornår blev den godkendt?"); "det nye rådhus" has a topic of its own.
_ANAPHOR = re.compile(
    r"\b(?P<word>det|den|dem|denne|dette|disse|sagen|punktet|forslaget|beslutningen|projektet|planen|it|that)\b"
    r"(?=\s*(?:[?.!,]|$|(?:så|nu|igen|også|senere|bagefter|endeligt|egentlig|i|på|til|for|af|med|hos|om|ved|"
    r"blev|var|er|godkendt|vedtaget|besluttet|behandlet|udsat|afvist|sendt)\b|[a-zæøå]+\s*[?.!]*\s*$))",
    re.I,
)
# Words that ask, point or name a body or time: a question of only these has no topic of its own.
_NO_TOPIC = frozenset(
    tokenize(
        "hvad hvem hvornår hvor hvordan hvorfor hvilke hvilken hvilket mange meget koster kostede koste pris prisen "
        "beløb beløbet udgift udgiften udgifterne foreslog foreslået foreslå stillede forslag status nu seneste "
        "senest stadig endelig endeligt igen også så bagefter senere besluttede beslutte beslutningen godkendte "
        "godkendt vedtog vedtaget blev er var har havde sket skete sagde mente gjorde ville syntes stemte stemme "
        "imod for parti partier betale betalte betaler hvorfor begrundelse begrundet videre næste skridt "
        "behandlede behandlet sagen punktet det den dem denne dette disse med om i på til af ved hos "
        "udvalget udvalgene byrådet byråd kommunalbestyrelsen bestyrelsen generalforsamlingen mødet møderne "
        "første anden andet tredje sidste og men what about then anbefalede anbefale anbefalet indstillede endte "
        "ende endelig endte " + " ".join(MONTH_NAMES)
    )
)
# A body named in a question: a capitalised word ending in a body word ("Økonomiudvalget", "Byrådet",
# "Klima-, Teknik- og Miljøudvalget", "Fagrådet"), or an acronym of 2-6 capitals ("KKR", "KD-Net").
_BODY = re.compile(
    r"(?:[A-ZÆØÅ][\wæøå]*-,?\s+(?:[A-ZÆØÅ][\wæøå]*-,?\s+)*og\s+)?"
    r"[A-ZÆØÅ][\wæøå-]*(?:udvalg|råd|bestyrelse|forsamling|repræsentantskab)\w*"
    r"|\b[A-ZÆØÅ]{2,6}(?:-[A-Z][a-z]+)?\b"
)
_OWN_WORDS = 5
# ... or shares at least this many of them with the cited item ("puljen til beskyttelse mod stormflod").
_SHARED_WORDS = 2
# A pronoun at the end ("Hvem vinder mest på den?") stands for the previous topic even with this many words
# of the question's own.
_ANAPHOR_WORDS = 3
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_PLACE = re.compile(r"(?P<prep>i|på|hos|ved|fra|til)\s+[A-ZÆØÅ][\wæøå-]*(?:\s+[A-ZÆØÅ][\wæøå-]*)*")
_ORDINAL = re.compile(r"\b(?:den|det)\s+(?P<nth>første|anden|andet|tredje|sidste)\b", re.I)
_NTH = {"første": 0, "anden": 1, "andet": 1, "tredje": 2, "sidste": -1}
_BODY_WORD = re.compile(r"(?:udvalg|råd|bestyrelse|forsamling|repræsentantskab)\w*$", re.I)
_LEAD = re.compile(
    r"^\s*(?:(?:hvad|hvem|hvornår|hvordan|hvorfor|hvor\s+\w+|hvilke[nt]?\s+\w+)\s+\w+"
    r"|blev|er|var|har|havde|fik|kan|kunne|skal|skulle|vil|ville)\s+",
    re.I,
)
# What a question asks about: "om Midttrafik", "status for cykelstien" (not "om året", "om måneden").
_ABOUT = re.compile(
    r"\b(?:om(?!\s+(?:året|måneden|ugen|dagen)\b)|vedrørende|vedr\.|angående|status(?:\s+nu)?\s+(?:for|på))"
    r"\s+(.+)$",
    re.I,
)
# A question asked after "og": "Og hvad sagde Økonomiudvalget?"
_ASKS = re.compile(r"(?:hvad|hvem|hvornår|hvordan|hvorfor|hvor|hvilke[nt]?|blev|var|er|har|fik)\b", re.I)
_MONTH_ALONE = re.compile(rf"\bi\s+({MONTH_PATTERN})\b(?!\s+\d{{4}})", re.I)
_MEETING = re.compile(r"\bmødet\b", re.I)
# A count of meetings or items ("Hvor mange punkter behandlede Byrådet på mødet den 15. maj 2023?").
_COUNT = re.compile(r"\s*hvor\s+mange\s+(?:\w+\s+)?(?:punkter|møder|sager|beslutninger)\b", re.I)
# Words that place a question after another one ("Hvad besluttede Byrådet så?").
_BACK = re.compile(r"\b(?:så|også|igen|bagefter|senere|derefter|dernæst)\b", re.I)
_POINTER = re.compile(r"\b(?:det|den|dem|de|denne|dette|disse|der)\b", re.I)
# A noun in the definite form ("turen", "kontrakten", "afgiften", "puljen"): it points at something named before.
_DEFINITE = re.compile(r"\b[a-zæøå]{3,}(?:en|et|ne)\b")


@dataclass(frozen=True)
class Turn:
    """One answered turn: the question as typed, as understood, the items its answer cites, and the text of
    the first of them (`context`: what a follow-up's own words are looked up in)."""

    question: str
    understood: str
    cited: tuple[Citation, ...] = ()
    context: str = ""


@dataclass(frozen=True)
class Reading:
    """How a question is read in its conversation. `understood` is the question to answer (the question
    itself when it is not a follow-up); None when it is a follow-up with nothing to follow, and then
    `ask_back` is what to ask the user."""

    question: str
    understood: str | None
    followup: bool = False
    ask_back: str | None = None
    # A follow-up about the same thing as the previous turn (no new body, time or topic): the items that
    # turn cited are preferred.
    same_items: bool = False
    # A follow-up that names a body ("Hvad besluttede Byrådet så?"): the previous items' case at that body
    # is preferred.
    bodies: tuple[str, ...] = ()
    # A follow-up about "mødet" ("Hvem havde meldt afbud til mødet?"): the meeting the previous answer cited.
    same_meeting: bool = False

    @property
    def rewritten(self) -> bool:
        """Whether the question answered differs from the one typed (show "Forstået som: ...")."""
        return self.understood is not None and self.understood != self.question


# What starts a conversation over when typed as a question: the web app's button says "Start forfra".
_RESTART = frozenset({"start forfra", "/forfra", "/reset"})


def is_restart(question: str) -> bool:
    """Whether `question` asks to start the conversation over ("Start forfra", "/reset").

    >>> is_restart("Start forfra."), is_restart("Hvad koster det?")
    (True, False)
    """
    return question.strip().casefold().rstrip(".!") in _RESTART


def read(question: str, previous: Turn | None) -> Reading:
    """`question` read against the previous turn (None: the conversation starts here).

    >>> before = Turn("Hvad besluttede udvalget om skolebusserne?", "Hvad besluttede udvalget om skolebusserne?")
    >>> read("Hvad koster det?", before).understood
    'Hvad koster skolebusserne?'
    >>> read("Og i 2022?", before).understood
    'Hvad besluttede udvalget om skolebusserne i 2022?'
    >>> read("Hvad besluttede Byrådet så?", before).understood
    'Hvad besluttede Byrådet så om skolebusserne?'
    >>> read("Og hvad sagde Økonomiudvalget?", before).understood
    'Hvad sagde Økonomiudvalget om skolebusserne?'
    >>> read("Hvad koster det?", None).ask_back is not None
    True
    >>> read("Hvilke sager blev godkendt i 2023?", None).ask_back is None
    True
    >>> read("Hvad besluttede KD-Net om Midttrafik?", before).followup
    False
    """
    question = " ".join(question.split())
    if (m := _ELLIPTIC.match(question)) and _ASKS.match(rest := question[m.end() :]):
        # "Og hvad sagde Økonomiudvalget?": a question of its own after "og"
        return replace(read(rest[:1].upper() + rest[1:], previous), question=question)
    elliptic = bool(_ELLIPTIC.match(question))
    anaphor = _last_anaphor(question)
    own = own_topic(question)
    related = previous is not None and _points_back(question, own, previous)
    if not (elliptic or not own or (anaphor and len(own) <= _ANAPHOR_WORDS) or related):
        return Reading(question, question)
    if (
        (previous is None or _COUNT.match(question))
        and not (elliptic or anaphor or _BACK.search(question))
        and (_YEAR.search(question) or _BODY.search(question))
    ):
        # No topic, but a time or a body to look at: a question about the archive ("Hvilke sager blev
        # godkendt i 2023?", "Hvad besluttede Byrådet?"), not about something said before; a count of a body's
        # meetings or items stands on its own in a conversation too.
        return Reading(question, question)
    if previous is None:
        what = f"»{anaphor.group('word')}«" if anaphor else "spørgsmålet"
        ask = f"Hvad henviser {what} til? Skriv gerne, hvilken sag, hvilket emne eller hvilket møde du spørger om."
        return Reading(question, None, followup=True, ask_back=ask)
    before = previous.understood
    topic = previous_topic(previous)
    question = _with_year(question, previous)
    bodies = tuple(m.group(0) for m in _BODY.finditer(question) if _BODY_WORD.search(m.group(0)))
    if ordinal := _ORDINAL.search(question):  # "Hvad med den anden?": the previous answer's second item
        nth = _NTH[ordinal.group("nth").lower()]
        titles = list(dict.fromkeys(c.title for c in previous.cited))
        if not titles or nth >= len(titles):
            many = f"{len(titles)} {'punkt' if len(titles) == 1 else 'punkter'}"
            ask = f"Det forrige svar henviser til {many}. Hvilket emne eller punkt mener du med »{ordinal.group(0)}«?"
            return Reading(question, None, followup=True, ask_back=ask)
        understood = f"{question[: ordinal.start()]}{titles[nth]}{question[ordinal.end() :]}"
        if not elliptic:
            return Reading(question, understood, followup=True)
        return Reading(question, _new_topic(before, topic, titles[nth]), followup=True)
    if elliptic:
        return Reading(question, _elliptic(question, before, topic), followup=True, bodies=bodies)
    if anaphor and topic and len(own) <= _ANAPHOR_WORDS:
        a, b = anaphor.span("word")
        understood = f"{question[:a]}{topic}{question[b:]}"
    elif own and _MEETING.search(question) and previous.cited and not time_phrases(question) and not bodies:
        # "Hvem havde meldt afbud til mødet?": the meeting the previous answer cited, not its item
        c = previous.cited[0]
        meeting = " ".join(x for x in (c.body, date_dk(c.date) if c.date else "") if x)
        return Reading(question, _append(question, f"({meeting})"), followup=True, same_meeting=True)
    elif own:  # "Hvornår var turen?": its own words, about what the previous answer cited
        understood = _append(question, f"(om {topic})") if topic else question
    else:
        understood = _with_topic(question, topic)
    times = time_phrases(question)
    if not times and not bodies and (earlier := time_phrases(before)):
        understood = _append(understood, earlier[-1])
    return Reading(question, understood, followup=True, same_items=not times and not bodies, bodies=bodies)


def _with_year(question: str, previous: Turn) -> str:
    """A month named without a year ("så i januar", "i maj") is the first such month from the meeting the
    previous answer cited: "i januar" after December 2024 is January 2025.

    >>> before = Turn("q", "q", (Citation("d", "1", "t", "Byrådet", "2024-12-11"),))
    >>> _with_year("Hvad anbefalede udvalget så i januar?", before)
    'Hvad anbefalede udvalget så i januar 2025?'
    """
    day = previous.cited[0].date if previous.cited else None
    if not day:
        return question

    def dated(m: re.Match[str]) -> str:
        month = MONTHS[m.group(1).lower()]
        year = int(day[:4]) + (month < int(day[5:7]))
        return f"{m.group(0)} {year}"

    return _MONTH_ALONE.sub(dated, question)


def previous_topic(previous: Turn) -> str:
    """What the previous turn was about, as a phrase: what its question asked "om" ("Hvad besluttede KD-Net
    om Midttrafik?" -> "Midttrafik"), else the title of the first item its answer cited, else the question
    less its question word, verb and body (`topic_phrase`)."""
    if previous.cited and previous.cited[0].title and not _ABOUT.search(previous.understood):
        return f"»{previous.cited[0].title}«"
    return topic_phrase(previous.understood)


def _points_back(question: str, own: Sequence[str], previous: Turn) -> bool:
    """Whether a question with words of its own is about what the previous answer cited: it names nothing
    new (no name, acronym or year), points back (a pronoun or a noun in the definite form: "turen",
    "kontrakten") with at most `_OWN_WORDS` words of its own, and the first item cited holds at least half
    of them (the verbs asked with may differ: "Hvem skriver under på kontrakten?")."""
    if not own or len(own) > _OWN_WORDS or not previous.context:
        return False
    have = content_terms(previous.context)
    # A name the cited item does not use is something new ("Og hvad besluttede Solrød Kommune?"); one it uses
    # ("Hvor mange af dem skal læse i Randers?") is part of what it said.
    names = [t for t in Question.parse(question).named if not _BODY_WORD.search(t)]
    if any(not shared_terms(set(content_terms(t)), have) for t in names):
        return False
    if not (_POINTER.search(question) or _DEFINITE.search(question)):
        return False
    shared = shared_terms(set(own), have)
    return 2 * shared >= len(own) or shared >= _SHARED_WORDS


def own_topic(question: str) -> list[str]:
    """The question's content words beyond question words, pronouns, bodies and time ("Hvad koster det?" has
    none; "Hvad koster det nye rådhus?" has "nye", "rådhus").

    >>> own_topic("Hvad besluttede Byrådet så i 2023?"), own_topic("Og cykelstien?")
    ([], ['cykelsti'])
    """
    rest = _BODY.sub(" ", question)
    for phrase in time_phrases(rest):
        rest = rest.replace(phrase, " ")
    return [t for t in tokenize(rest) if t not in _NO_TOPIC and not t.isdigit() and not _BODY_WORD.search(t)]


def topic_phrase(question: str) -> str:
    """What a question is about, as written: the words after its first "om" ("Hvad besluttede KD-Net om
    Midttrafik?" -> "Midttrafik"), else the question less its question word, verb and body, without its
    time phrase.

    >>> topic_phrase("Hvad besluttede Børne- og Skoleudvalget om skolebusserne i 2022?")
    'skolebusserne'
    >>> topic_phrase("Hvor meget kostede renoveringen af Mosede Fort?")
    'renoveringen af Mosede Fort'
    >>> topic_phrase("Hvornår godkendte Byrådet lokalplanen?")
    'lokalplanen'
    """
    text = question.strip().rstrip("?.! ")
    for phrase in time_phrases(text):
        text = text.replace(phrase, " ")
    m = _ABOUT.search(text)
    rest = m.group(1) if m else _LEAD.sub("", text, count=1)
    return _clean_topic(re.sub(rf"^(?:{_BODY.pattern})\s+", "", rest.strip()))


def _clean_topic(text: str) -> str:
    text = re.sub(r"^[\s,;:]*(?:da|når|efter at|hvor)?\s*", "", text).rstrip(")")
    text = re.sub(r"\s+(?:på|i|ved)\s+(?:det\s+)?(?:seneste|sidste)\s+møde\w*$", "", text)
    return " ".join(text.split()).strip(" ,;:")


def _last_anaphor(question: str) -> re.Match[str] | None:
    found = list(_ANAPHOR.finditer(question))
    return found[-1] if found else None


def _elliptic(question: str, before: str, topic: str) -> str:
    """The previous question asked again with what an elliptic follow-up changes: its time ("Og i 2022?"),
    its body ("Og Økonomiudvalget?") or its topic ("Og cykelstien?")."""
    new = _ELLIPTIC.sub("", question).strip().rstrip("?.! ")
    base = before.strip().rstrip("?.! ")
    if times := time_phrases(new):
        for phrase in time_phrases(base):
            base = base.replace(phrase, "")
        return _append(" ".join(base.split()), times[0])
    if (year := _YEAR.search(new)) and (years := list(_YEAR.finditer(base))):  # "Og for 2023?"
        last = years[-1]
        return f"{base[: last.start()]}{year.group(0)}{base[last.end() :]}?"
    if body := _BODY.fullmatch(new):
        old = _BODY.search(base)
        return f"{base[: old.start()]}{body.group(0)}{base[old.end() :]}?" if old else _append(base, f"i {new}")
    if (place := _PLACE.fullmatch(new)) and (there := [m for m in _PLACE.finditer(base) if m["prep"] == place["prep"]]):
        # "Og i Norddjurs?" after "... deltage i møderne i Struer?"
        at = there[-1]
        return f"{base[: at.start()]}{new}{base[at.end() :]}?"
    return _new_topic(before, topic, new)


def _new_topic(before: str, topic: str, new: str) -> str:
    """The previous question about `new` instead of its `topic`."""
    base = before.strip().rstrip("?.! ")
    if topic and topic in base:
        return base.replace(topic, new) + "?"
    return _append(base, f"om {new}")


def _with_topic(question: str, topic: str) -> str:
    """A question with no topic of its own, with the previous topic added: "Hvad er status nu?" -> "Hvad er
    status nu for cykelstien?"."""
    if not topic:
        return question
    word = "for" if re.search(r"\bstatus\b", question, re.I) else "om"
    return _append(question, f"{word} {topic}")


def _append(question: str, words: str) -> str:
    return f"{question.strip().rstrip('?.! ')} {words}?"
