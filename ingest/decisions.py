"""The decision register: what each agenda item decided, read at ingest from the minutes' own words.

Minutes state their decisions explicitly ("KD-Net godkendte referatet.", "Referat: Godkendt",
"Det blev aftalt, at ..."), so the register is filled by rules, never by a model:

1. Only an item's decision sections (Beslutning / Referat / Konklusion) are read. A Sagsfremstilling
   routinely reports what *other* bodies decided ("Her godkendte regionsrådet ...").
2. A Danish sentence splitter cuts them into sentences; each sentence is kept only when its subject is
   the meeting's own body (the document's body name or a generic own-body subject such as "Udvalget"),
   an impersonal form ("Det blev aftalt", "Der var enighed om"), a passive without another body as agent
   ("Samarbejdsaftalen blev godkendt"), or a short form ("Godkendt.", "Punktet udsat til næste møde.",
   "Intet at referere."). Sentences about other bodies ("Region Midtjylland ønsker ...") never match.
3. Acts and agreements (godkendte, tog til efterretning, blev aftalt ...) outrank discussion (drøftede,
   der var enighed om): when an item records an act, its discussion sentences are not its decision;
   when it records only discussion, the discussion is the decision and the outcome is "drøftet".
4. Where nothing matches, the outcome is "ukendt": the register says it does not know rather than guess.
5. Minutes written as running notes, with no decision heading and no named sections at all (a general
   meeting's "Beretning blev godkendt", a board's "Godkendt" under its item), are read whole, and only the
   sentences that record a decision are kept ("Det blev besluttet, at ...", "Vedtaget ...").

Real minutes added these kinds (named patterns below; first seen in Greve Kommune's agenda-portal minutes
2022-2025, a homeowners' association's general meetings 2009-2025 and a student council's board notes):
decisions that point at numbered recommendations ("1.-3. Anbefales.", "Ad 1) godkendes", "1. Godkendt.
2. Anbefales ikke"), recorded votes ("Med stemmerne 17 for og 2 imod godkendte Byrådet ..."), negated short
forms ("Ikke godkendt", "Kan ikke anbefales"), a committee passing a recommendation on ("Økonomiudvalget
indstiller/anbefaler overfor Byrådet, at ...": its outcome is what it recommends), a committee's request
("Udvalget ønsker en sag om ...": besluttet), a matter sent back or taken off the agenda (udsat), a theme
meeting held or citizens' questions answered (drøftet), "Udvalget undlod at tage stilling" and "Ingen
orienteringspunkter" / "Der var ingen indkomne forslag" (ingen), elections ("X blev genvalgt", "Valgt er
X": besluttet) and a vote's majority ("Stort flertal for ..."). "Beslutning ikke frigivet" is never read.

Outcome precedence, strongest first (an item's outcome is that of its strongest decision sentence):
afvist > godkendt > taget til efterretning > udsat > besluttet > drøftet > ingen. A formal act on the
proposal outranks an agreement recorded alongside it ("Orienteringen blev taget til efterretning. Det blev
aftalt, at ..." is "taget til efterretning"); "udsat" outranks "besluttet" because "det blev aftalt at
udsætte punktet" is a postponement. One exception: when an item records both approvals and rejections
("1.-2. anbefales. 3. anbefales ikke."), its outcome is "godkendt" (the item went through) and the
rejected part stays among its sentences for the reader.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.danish import BULLET, MONTH_NAMES, SECTION_NAMES, split_sentences
from ingest.records import AgendaItem, Decision, Outcome

__all__ = [
    "OUTCOME_PRECEDENCE",
    "approved_recommendation",
    "body_aliases",
    "case_history",
    "decision_texts",
    "extract_decision",
    "recommendation_of",
    "with_decision",
]

# ---------------------------------------------------------------------------------------------------
# Sections

_DECISION_NAMES = ("beslutning", "referat", "konklusion")
_RECOMMENDATION_NAMES = ("indstilling", "det indstilles")
# Section headings a text's own lines may carry (ingest.danish), and the lead-in of a recommendation
# written as a heading ("Administrationen indstiller:").
_KNOWN_HEADERS = frozenset(SECTION_NAMES) | {"administrationen indstiller"}
_RECOMMENDS = re.compile(
    r"^\s*(?:det\s+indstilles|(?:administrationen|direktionen|forvaltningen|sekretariatet|formandskabet)"
    r"\s+indstiller)\b",
    re.IGNORECASE,
)


_HEADER = re.compile(r"^\s*(?P<name>[^\W\d][\w ]{0,40}?)\s*(?::\s*(?P<rest>.*))?$")


def _header(line: str) -> tuple[str, str] | None:
    """(name, inline text) when `line` is a section header: "Beslutning", "Referat:", "Referat: Godkendt"."""
    m = _HEADER.match(line)
    if not m:
        return None
    name = m["name"].strip().lower()
    if name not in _KNOWN_HEADERS:
        return None
    if m["rest"] is None and line.strip().lower() != name:
        return None
    return name, (m["rest"] or "").strip()


def decision_texts(item: AgendaItem) -> list[str]:
    """The texts of `item`'s decision sections (Beslutning / Referat / Konklusion), in order.

    Uses the segmenter's sections when it found any by those names; otherwise reads the section headers
    in the item's text itself ("Referat: Godkendt" counts, "Referat af møde i KD-Net ..." does not).

    >>> item = AgendaItem("d", "2", "Godkendelse", "Det indstilles, at X.\\n\\nReferat: Godkendt", (0, 0))
    >>> decision_texts(item)
    ['Godkendt']
    """
    named = [s.text for s in item.sections if _section_kind(s.name) == "decision"]
    if named:
        return named
    scanned = _scan_sections(item.text)
    found = [text for name, text in scanned if name in _DECISION_NAMES]
    if found or scanned or item.number is None or _has_named_sections(item):
        return found
    # Minutes written as running notes (a general meeting's "Beretning blev godkendt", a board's
    # "Godkendt" under its item): the decision sits in the item text. The whole text is read, but
    # `extract_decision` keeps only the sentences that record a decision, never the prose around them.
    return [item.text]


def _has_named_sections(item: AgendaItem) -> bool:
    """True when the segmenter found named parts (Sagsfremstilling, Økonomi ...) beyond the lead text."""
    return any(s.name.strip().lower() not in ("indledning", "") for s in item.sections)


def _section_kind(name: str) -> str | None:
    n = name.strip().rstrip(":").strip().lower()
    if n.startswith(_DECISION_NAMES):
        return "decision"
    if n.startswith(_RECOMMENDATION_NAMES):
        return "recommendation"
    return None


def _scan_sections(text: str) -> list[tuple[str, str]]:
    """(normalised header name, text) for each headed section of `text`; unheaded text is skipped."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        head = _header(line)
        if head is not None:
            name, inline = head
            name = SECTION_NAMES.get(name, name).lower()  # "Udvalgets beslutning" -> "beslutning"
            out.append((name, [inline] if inline else []))
        elif _RECOMMENDS.match(line):
            out.append(("indstilling", [line]))
        elif out:
            out[-1][1].append(line)
    return [(name, "\n".join(lines).strip()) for name, lines in out]


def recommendation_of(item: AgendaItem) -> str | None:
    """The item's recommendation ("Det indstilles, at ..."), kept apart from its decision.

    An Indstilling section under its own heading is taken whole; a "Det indstilles" paragraph is taken
    with the bullet lines that follow it, not the prose after it. None when the item recommends nothing.

    >>> text = "Det indstilles, at KD-Net godkender.\\nReferat:\\nOk."
    >>> recommendation_of(AgendaItem("d", "1", "T", text, (0, 0)))
    'Det indstilles, at KD-Net godkender.'
    """
    texts = [s.text for s in item.sections if _section_kind(s.name) == "recommendation"]
    if not texts:
        texts = [text for name, text in _scan_sections(item.text) if name == "indstilling"]
    found = [_recommendation_paragraph(t) if _RECOMMENDS.match(t) else t for t in texts]
    return _tidy("\n".join(found)) if found else None


# An earlier treatment in a case history ("Sagens forløb"): "08-05-2023 Økonomiudvalget", then what it said.
_HISTORY_ENTRY = re.compile(
    r"^\s*(?P<date>\d{1,2}[-/.]\d{1,2}[-/.]\d{4})\s+(?P<body>[^:\n]+?)\s*(?::\s*(?P<rest>.*))?$"
)
_ATTENDANCE = re.compile(r"^\s*(?:afbud|fraværende|ikke til stede|deltog ikke)\b", re.IGNORECASE)


def case_history(item: AgendaItem) -> list[tuple[str, str, str]]:
    """(date as written, body, what it decided) for each earlier treatment the item's case history lists
    (an agenda portal's "Sagens forløb": "08-05-2023 Økonomiudvalget" and the text under it), oldest first.
    Attendance lines are left out.

    >>> from ingest.records import Section
    >>> text = "08-05-2023 Økonomiudvalget\\n\\nAnbefaler en underskudsgaranti.\\n\\nAfbud: Liselott Blixt"
    >>> item = AgendaItem("d", "37", "T", "", (0, 0), sections=(Section("Sagens forløb", text, 0, 0),))
    >>> case_history(item)
    [('08-05-2023', 'Økonomiudvalget', 'Anbefaler en underskudsgaranti.')]
    """
    texts = [s.text for s in item.sections if s.name == "Sagens forløb"]
    if not texts and not item.sections:
        texts = [text for name, text in _scan_sections(item.text) if name == "sagens forløb"]
    entries: list[tuple[str, str, list[str]]] = []
    for text in texts:
        for line in text.splitlines():
            if m := _HISTORY_ENTRY.match(line):
                entries.append((m["date"], m["body"].strip(), [m["rest"].strip()] if m["rest"] else []))
            elif entries and line.strip() and not _ATTENDANCE.match(line):
                entries[-1][2].append(line.strip())
    return [(date, body, " ".join(said)) for date, body, said in entries]


def approved_recommendation(sentences: Iterable[str], item: AgendaItem) -> str | None:
    """What another body recommended, when the decision approves it by name ("Byrådet godkendte
    Økonomiudvalgets indstilling."): that body's latest entry in the item's case history, else None.
    About 600 of the 4,800 decisions in the development archives (../shared/realdocs) read like this.

    >>> from ingest.records import Section
    >>> text = "08-05-2023 Økonomiudvalget\\nAnbefaler en underskudsgaranti på 7,5 mio. kr."
    >>> item = AgendaItem("d", "37", "T", "", (0, 0), sections=(Section("Sagens forløb", text, 0, 0),))
    >>> approved_recommendation(["Byrådet godkendte Økonomiudvalgets indstilling."], item)
    'Økonomiudvalget 08-05-2023: Anbefaler en underskudsgaranti på 7,5 mio. kr.'
    """
    said = " ".join(sentences).casefold()
    for date, body, text in reversed(case_history(item)):
        if text and f"{body}s indstilling".casefold() in said and "ikke frigivet" not in text.casefold():
            return f"{body} {date}: {text}"
    return None


def _recommendation_paragraph(text: str) -> str:
    """The first paragraph of `text` and the bullet lines after it: a recommendation's own extent. A first
    paragraph that is only a lead, without what is recommended ("Administrationen indstiller overfor udvalget",
    no "at ..."), goes on in the next paragraph ("at orienteringen tages til efterretning.").

    >>> _recommendation_paragraph("Administrationen indstiller overfor udvalget\\n\\nat sagen godkendes.\\n\\nBaggrund")
    'Administrationen indstiller overfor udvalget\\nat sagen godkendes.'
    """
    lines = text.splitlines()
    keep: list[str] = []
    k = 0
    while k < len(lines) and lines[k].strip():
        keep.append(lines[k])
        k += 1
    if keep and not re.search(r"\bat\b", " ".join(keep)) and not keep[-1].rstrip().endswith((".", "!", "?", ":")):
        while k < len(lines) and not lines[k].strip():
            k += 1
        while k < len(lines) and lines[k].strip():
            keep.append(lines[k])
            k += 1
    for line in lines[k:]:
        if not line.strip():
            continue
        if not BULLET.match(line):
            break
        keep.append(line)
    return "\n".join(keep)


def _tidy(text: str) -> str | None:
    lines = [" ".join(ln.replace("*", " ").split()) for ln in text.splitlines()]
    out = "\n".join(ln for ln in lines if ln)
    return out or None


# ---------------------------------------------------------------------------------------------------
# Own body

_GENERIC_SUBJECTS = (
    "Udvalget",
    "Netværket",
    "Mødet",
    "Forsamlingen",
    "Deltagerne",
    "Man",
    "Et enigt udvalg",
    "Et samlet udvalg",
    "Et enigt byråd",
    "Et samlet byråd",
    "Et enigt regionsråd",
    "Et samlet regionsråd",
    "Et flertal",
    "Generalforsamlingen",
)
# Substring of the body's name -> the subjects its minutes use for it.
_BODY_SUBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kd-net", ("KD-Net", "Kommunaldirektørnetværket", "Kommunaldirektørerne", "Direktørerne")),
    ("kommunaldirektør", ("KD-Net", "Kommunaldirektørnetværket", "Kommunaldirektørerne", "Direktørerne")),
    ("regionsråd", ("Regionsrådet", "Rådet")),
    ("byråd", ("Byrådet", "Rådet")),
    ("kommunalbestyrelse", ("Kommunalbestyrelsen",)),
    ("bestyrelse", ("Bestyrelsen",)),
    ("styregruppe", ("Styregruppen",)),
    ("kkr", ("KKR", "Kommunekontaktrådet", "Rådet")),
    ("kommunekontaktråd", ("KKR", "Kommunekontaktrådet", "Rådet")),
    ("kontaktudvalg", ("Kontaktudvalget",)),
    ("forretningsudvalg", ("Forretningsudvalget",)),
    ("økonomiudvalg", ("Økonomiudvalget",)),
)


def body_aliases(body: str | None) -> tuple[str, ...]:
    """The subjects that name the document's own body in its minutes, longest first.

    >>> body_aliases("KD-Net")[0], "KD-Net" in body_aliases("Kommunaldirektørnetværket i Midtjylland")
    ('Kommunaldirektørnetværket', True)
    >>> "Regionsrådet" in body_aliases("Regionsrådet"), "Regionsrådet" in body_aliases("KD-Net")
    (True, False)
    """
    names = set(_GENERIC_SUBJECTS)
    if body:
        names.add(body.strip())
        low = body.lower()
        for key, subjects in _BODY_SUBJECTS:
            if key in low:
                names.update(subjects)
    return tuple(sorted(names, key=lambda s: (-len(s), s)))


# ---------------------------------------------------------------------------------------------------
# Sentence classification

OUTCOME_PRECEDENCE: tuple[Outcome, ...] = (
    "afvist",
    "godkendt",
    "taget til efterretning",
    "udsat",
    "besluttet",
    "drøftet",
    "ingen",
)
_ACT, _DISCUSSION, _NOTHING = 2, 1, 0

_ADV = (
    r"(?:ligeledes|desuden|også|endvidere|herefter|derefter|dernæst|endelig|endeligt|samtidig|derfor|"
    r"videre|enstemmigt|efterfølgende|således|hermed|afslutningsvis|slutteligt|i\s+øvrigt|og|så|derved|dermed)"
)
_LEAD = rf"(?:{_ADV},?\s+)?"
# Finite verbs (past and present) and the perfect auxiliary that can follow (or, inverted, precede) the
# body's name. Particles are checked on the rest of the sentence in `_classify_verb`.
_HEAD = (
    r"(?P<verb>godkendte|godkender|vedtog|vedtager|tiltrådte|tiltræder|anbefalede|anbefaler|støttede|støtter|"
    r"bakkede|bakker|tilsluttede|tilslutter|tog|tager|noterede|noterer|besluttede|beslutter|traf|aftalte|"
    r"aftaler|enedes|blev\s+enige|valgte|vælger|udpegede|udpeger|nedsatte|nedsætter|bevilgede|bevilger|"
    r"udsatte|udsætter|afviste|afviser|forkastede|forkaster|kunne\s+ikke|kan\s+ikke|drøftede|drøfter|diskuterede|"
    r"diskuterer|behandlede|behandler|evaluerede|evaluerer|indstiller|indstillede|ønsker|ønskede|udskyder|udskød|henskyder|henskød|"
    r"undlod|undlader|har)"
)
_PARTICIPLE = (
    r"(?P<part>godkendt|vedtaget|tiltrådt|anbefalet|støttet|besluttet|aftalt|udsat|afvist|forkastet|"
    r"drøftet|diskuteret|behandlet|taget|godkendes|vedtages|tiltrædes|anbefales|besluttes|udsættes|afvises|"
    r"tages|drøftes|besluttedes|aftaltes|vedtoges|udskudt|udskydes|fastsat|fastsættes|valgt|genvalgt|nyvalgt)"
)
_VERB_OUTCOMES: tuple[tuple[str, int, Outcome], ...] = (
    (r"(?:godkend|vedt|tiltr|anbefal|støtte|bakke|tilslut|indstill)", _ACT, "godkendt"),
    (r"(?:tog|tager|taget|tages|noter)", _ACT, "taget til efterretning"),
    (r"(?:udsat|udsæt|udsky|udskud|udskød)", _ACT, "udsat"),
    (r"(?:afvis|forkast|kunne\s+ikke|kan\s+ikke)", _ACT, "afvist"),
    (r"(?:undlod|undlader)", _NOTHING, "ingen"),
    (
        r"(?:beslut|traf|truffet|aftal|ened|blev\s+enige|valgte|vælger|udpeg|nedsat|nedsæt|bevilg|fastsat|"
        r"fastsætte|(?:gen|ny)?valgt|ønske|hensky|henskød)",
        _ACT,
        "besluttet",
    ),
    (r"(?:drøft|diskut|behandl|evaluer)", _DISCUSSION, "drøftet"),
)
# An agreed infinitive that names a more specific outcome ("aftalt at udsætte") -> a verb form of it.
_INFINITIVES = {
    "udsætte": "udsætter",
    "godkende": "godkender",
    "vedtage": "vedtager",
    "tiltræde": "tiltræder",
    "afvise": "afviser",
    "forkaste": "forkaster",
    "tage": "tager",
}
# Agreeing to take the matter up at a later meeting postpones it ("Det blev aftalt at drøfte
# takstaftalen på mødet i KD-Net til august", "... at behandle sagen på næste møde"). "tage" is read by
# `_INFINITIVES` before this.
_TAKE_UP = frozenset({"drøfte", "behandle", "genoptage", "genbehandle", "vende"})
_MONTH = "(?:" + "|".join(sorted(MONTH_NAMES)) + ")"
_LATER_MEETING = re.compile(
    rf"\b(?:næste|kommende|senere|efterfølgende)\s+møde\b|\bmødet?\b[^.]*?\b(?:til|i)\s+{_MONTH}\b|\btil\s+{_MONTH}\b",
    re.IGNORECASE,
)
_IMPERSONAL = re.compile(
    rf"^(?:[\w-]+,?\s+){{0,2}}?(?:det\s+blev|blev\s+det|der\s+blev|blev\s+der|det\s+er)\s+(?:{_ADV}\s+){{0,2}}"
    rf"(?P<part>aftalt|besluttet|vedtaget|godkendt|truffet\s+beslutning|drøftet|diskuteret)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_S_PASSIVE = re.compile(
    rf"^{_LEAD}(?:det|der)\s+(?P<part>besluttedes|aftaltes|vedtoges|godkendtes)\b(?P<rest>.*)$", re.IGNORECASE
)
_CONSENSUS = re.compile(
    rf"^{_LEAD}der\s+(?:var|er|blev)\s+(?:\w+\s+)?(?P<what>enighed|konsensus|opbakning|tilslutning)\s+(?:om|til|for)\b",
    re.IGNORECASE,
)
_PASSIVE = re.compile(
    rf"^(?P<np>[^,:;]{{1,120}}?)\s+blev\s+(?:{_ADV}\s+){{0,2}}{_PARTICIPLE}\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_SHORT = re.compile(
    r"^(?:(?:indstillingen|orienteringen|orienteringerne|sagen|punktet|forslaget|referatet|dagsordenen|anbefalingen|"
    r"indstillingerne|punkterne|forslag|beretning(?:en)?|regnskab(?:et)?|budget(?:tet)?|kontingent(?:et)?)\s+"
    rf"(?:blev\s+|er\s+)?(?:{_ADV}\s+)?)?{_PARTICIPLE}\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_NOTHING_TO_REPORT = re.compile(
    r"^(?:intet\s+(?:at\s+)?(?:referere|bemærke|notere|tilføje)|intet|ingen\s+bemærkninger|ingen\s+spørgsmål|ingen)\W*$",
    re.IGNORECASE,
)
# A passive in a relative or second clause: "Karen gennemgik regnskab, som blev godkendt", "Da der
# ikke var nogen spørgsmål, blev regnskab godkendt", "... og dette blev vedtaget med stort flertal".
_CLAUSE_PASSIVE = re.compile(
    rf"^.{{1,160}}?(?:,\s*(?:-\s*)?som\s+blev|,\s*blev(?:\s+\w+){{1,2}}?|,\s*og\s+[^,]{{1,80}}?\s+blev"
    rf"|\b(?:og|hvorefter)\s+(?:dette|det|forslaget)\s+blev)\s+(?:{_ADV}\s+){{0,2}}{_PARTICIPLE}\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_AGENT = re.compile(r"^\s*af\s+(?P<agent>.+)$", re.IGNORECASE)
_TAKEN_NOTE = re.compile(r"\bog\s+(?:blev\s+)?taget\s+til\s+efterretning\b", re.IGNORECASE)
_TAKES_NOTE = re.compile(r"\btages?\s+til\s+efterretning\b", re.IGNORECASE)

# Patterns met in real minutes (Greve Kommune's agenda portal 2022-2025, a homeowners' association's
# general meetings, a student council's board notes), each a kind of sentence, not one file's wording.

# A decision that points at the numbered recommendations it settles: "1.-3. Anbefales.", "Punkterne 1-7.
# anbefales", "Ad 1) godkendes", "Vedrørende punkt 1-2: Byrådet godkendte ...", "1a. Anbefales".
_POINT = r"(?:\d{1,2}(?:\s?\.?\s?[a-zæøå](?![\w]))?|[a-zæøå](?=\)))\s*[.)-]?"
_POINTS = re.compile(
    r"^[-–]?\s*(?:(?:vedrørende|vedr\.|ad)\s+)?"
    r"(?:(?:punkt(?:erne)?|pkt\.?|indstilling(?:erne)?|forslag(?:ene)?)\s+)?(?:nr\.\s*)?"
    rf"{_POINT}(?:\s*(?:[-–,]|og|til)\s*(?:pkt\.\s*)?{_POINT})*\s*[:,]?\s*(?P<rest>[^\W\d].*)$",
    re.IGNORECASE,
)
# A second numbered point inside one line: "1. Godkendt. 2. Anbefales ikke" reads as two decisions.
_NEXT_POINT = re.compile(r"(?<=[.:;])\s+(?=\d{1,2}\s*[a-zæøå]?\s*[.)]\s*(?:[-–]\s*\d{1,2}\.?\s*)?[^\W\d])")
# A recorded vote before the act: "Med stemmerne 17 for og 2 imod godkendte Byrådet ...".
_VOTE = re.compile(
    r"^med\s+(?:stemmerne\s+)?\d+\s+(?:stemmer\s+)?for\s*(?:,\s*|\s+og\s+|\s+)(?:\d+|ingen)\s+imod"
    r"(?:\s+og\s+\d+\s+(?:undlod|hverken)[\w\s]*?)?,?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
# A negated short form: "Ikke godkendt, idet ...", "Kan ikke anbefales", "Anbefales ikke".
_SHORT_NEGATED = re.compile(
    r"^(?:kan\s+)?ikke\s+(?:godkendt|godkendes|anbefalet|anbefales|tiltrådt|tiltrædes)\b"
    r"|^(?:godkendes|anbefales|tiltrædes|godkendt|anbefalet|tiltrådt)\s+ikke\b",
    re.IGNORECASE,
)
# "Blev taget til efterretning.", "Er godkendt": a short form with only its auxiliary.
_BARE_AUXILIARY = re.compile(rf"^(?:blev|er)\s+(?:{_ADV}\s+)?{_PARTICIPLE}\b(?P<rest>.*)$", re.IGNORECASE)
# The matter sent back or on without a decision now: "Sagen sendes tilbage til administrationen",
# "Økonomiudvalget sender sagen retur ...", "Byrådet sendte sagen til realitetsbehandling i udvalget".
_SENT_BACK = re.compile(
    r"\b(?:sendes|sendtes|blev\s+sendt|sender|sendte)\s+(?:sagen\s+|punktet\s+)?(?:tilbage|retur)\b"
    r"|^tilbagesend(?:es|t)\b",
    re.IGNORECASE,
)
_SENT_ON = re.compile(r"\bsendte\s+(?:sagen|forslaget)\s+til\s+(?:realitets)?behandling\b", re.IGNORECASE)
# A meeting held instead of a decision taken: "Temamødet blev holdt.", "Dialogmødet blev gennemført.",
# and a question time: "Byrådet besvarede borgernes spørgsmål.", "Spørgsmål blev besvaret på mødet."
_HELD = re.compile(
    r"^(?:\w*mødet?|\w*drøftelsen|oplægget|introduktion[\w\s]{0,40}?)\s+(?:blev|er)\s+(?:af)?(?:holdt|gennemført)\b"
    r"|^(?:borgernes\s+|borgerens\s+)?spørgsmål(?:ene)?\s+blev\s+besvaret\b",
    re.IGNORECASE,
)
_ANSWERED = r"\s+besvarede\s+(?:\w+\s+){0,2}spørgsmål"
# A discussion recorded as a noun: "Der var en gensidig drøftelse og dialog, ...".
_DISCUSSION_HELD = re.compile(
    r"^der\s+(?:var|blev\s+holdt|fandt)\s+(?:en\s+)?(?:\w+\s+)?(?:drøftelse|dialog|debat)\b", re.IGNORECASE
)
# Taken off the agenda: not dealt with at this meeting.
_WITHDRAWN = re.compile(r"^(?:sagen|punktet)\s+(?:blev\s+|er\s+)?taget\s+af\s+dagsorden(?:en)?\b", re.IGNORECASE)
# Nothing to report, in the forms orientation items use: "Ingen orienteringspunkter.", "Der var ingen
# (gensidige) orienteringer (fra formanden).", "Der var intet at orientere om.", "Der var ingen indkomne
# forslag.", "Der har ikke været nogen henvendelser." Questions are left out: "Spg: ingen" under the
# accounts says nothing about what the meeting decided on them.
_NOTHING_OF_KIND = re.compile(
    r"^[-–•]?\s*(?:der\s+(?:var|er|forelå|foreligger|har\s+ikke\s+været|blev\s+ikke\s+givet)\s+)?"
    r"(?:ingen|intet|ikke\s+nogen|nogen)\s+(?:\w+\s+){0,2}?"
    r"(?:orientering\w*|forslag|punkter|sager|henvendelser|meddelelser|emner|at\s+orientere\s+om)\b"
    r"(?:\s+(?:til|fra|om|på)\b[^.]*)?\W*$",
    re.IGNORECASE,
)
# Elections at a general meeting: "X blev genvalgt", "Alle genvalgt", "Valgt er X", "Som dirigent blev
# valgt X", "X valgt til dirigent".
_ELECTED = re.compile(
    r"^(?:som\s+\w+\s+blev\s+valgt\b|(?:gen|ny)?valgt\s+er\b|genvalg\s+til\b"
    r"|(?![^,:;()]*\b(?:har|havde|ikke)\b)(?:[^,:;()]|\([^()]*\)){1,80}?\s+(?:er\s+|blev\s+)?(?:begge\s+|alle\s+|derfor\s+|ligeledes\s+)?"
    r"(?:gen|ny)?valgt\b(?!\s+at\b))",
    re.IGNORECASE,
)
# A vote's result stated as its majority: "Stort flertal for kontingent med snerydning."
_MAJORITY = re.compile(r"^[-–]?\s*(?:der\s+var\s+)?(?:et\s+)?(?:stort\s+|klart\s+)?flertal\s+for\b", re.IGNORECASE)
# A decision that is not published cannot be read, whatever words follow.
_NOT_RELEASED = re.compile(r"\bikke\s+frigivet\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Reading:
    tier: int
    outcome: Outcome


def _classify_verb(verb: str, rest: str) -> _Reading | None:
    verb = " ".join(verb.lower().split())
    rest = rest.strip().lower()
    if verb == "har":  # perfect tense: "Udvalget har godkendt ..."
        m = re.match(rf"(?:{_ADV}\s+){{0,2}}{_PARTICIPLE}\b(?P<rest>.*)$", rest, re.IGNORECASE)
        return _classify_verb(m["part"], m["rest"]) if m else None
    if verb in ("tog", "tager", "taget", "tages") and "til efterretning" not in rest:
        return None
    if verb in ("bakkede", "bakker") and not rest.startswith("op"):
        return None
    if verb.startswith(("tilslut", "noter")) and not rest.startswith("sig"):
        return None
    if verb == "traf" and "beslutning" not in rest:
        return None
    if verb in ("kunne ikke", "kan ikke") and not re.match(
        r"(?:godkende|anbefale|tiltræde|støtte|vedtage|følge\s+indstilling|anbefales|godkendes)\b", rest
    ):
        return None
    if verb.startswith("undl") and not re.match(r"at\s+tage\s+stilling", rest):
        return None
    if verb.startswith("indstill") and not re.match(r"(?:overfor|over\s+for|til)\b", rest):
        return None  # "Økonomiudvalget indstiller overfor Byrådet, at ..." is a recommendation passed on
    if verb.startswith("ønske") and re.match(r"ikke\b", rest):
        return _Reading(_ACT, "besluttet")
    for pattern, tier, outcome in _VERB_OUTCOMES:
        if re.match(pattern, verb):
            if outcome == "godkendt" and re.match(r"ikke\b", rest):
                return _Reading(_ACT, "afvist")
            if outcome == "godkendt" and _TAKES_NOTE.search(rest) and "godkend" not in rest:
                return _Reading(_ACT, "taget til efterretning")  # "anbefaler, at X tages til efterretning"
            if outcome == "besluttet":  # "Det blev besluttet at udsætte punktet" is a postponement
                m = re.match(r",?\s*(?:om\s+)?at\s+(?P<inf>\w+)(?P<more>.*)$", rest)
                if m and m["inf"] in _INFINITIVES:
                    return _classify_verb(_INFINITIVES[m["inf"]], m["more"])
                if m and m["inf"] in _TAKE_UP and _LATER_MEETING.search(m["more"]):
                    return _Reading(_ACT, "udsat")  # "aftalt at drøfte sagen på mødet til august"
            if tier == _DISCUSSION and _TAKEN_NOTE.search(rest):
                return _Reading(_ACT, "taget til efterretning")  # "blev drøftet og taget til efterretning"
            return _Reading(tier, outcome)
    return None


class _Classifier:
    """Reads sentences against one document's own body."""

    def __init__(self, body: str | None) -> None:
        names = "|".join(re.escape(a) for a in body_aliases(body))
        own = rf"(?:{names})(?![\w-])"
        self._own = re.compile(own, re.IGNORECASE)
        self._active = re.compile(rf"^{_LEAD}{own}\s+(?:{_ADV}\s+){{0,2}}{_HEAD}(?![\w-])(?P<rest>.*)$", re.IGNORECASE)
        self._inverted = re.compile(rf"^(?:[\w-]+,?\s+){{1,5}}?{_HEAD}\s+{own}(?P<rest>.*)$", re.IGNORECASE)
        self._verb_first = re.compile(rf"^{_HEAD}\s+{own}(?P<rest>.*)$", re.IGNORECASE)
        self._answered = re.compile(rf"^{_LEAD}{own}{_ANSWERED}", re.IGNORECASE)

    def read(self, sentence: str) -> _Reading | None:
        """How `sentence` records the body's own decision, or None when it does not."""
        s = sentence.strip()
        if not s or s.lower().startswith("det indstilles") or s.endswith("?") or _NOT_RELEASED.search(s):
            return None
        m = _POINTS.match(s)
        if m:
            return self.read(m["rest"])
        if s.startswith("(") and s.endswith(")"):
            return self.read(s[1:-1])  # "(godkendt)"
        if _MAJORITY.match(s):
            return _Reading(_ACT, "besluttet")
        if _NOTHING_TO_REPORT.match(s) or _NOTHING_OF_KIND.match(s):
            return _Reading(_NOTHING, "ingen")
        if _SHORT_NEGATED.match(s):
            return _Reading(_ACT, "afvist")
        if _WITHDRAWN.match(s):
            return _Reading(_ACT, "udsat")
        if _SENT_BACK.search(s) and (self._own.match(s) or re.match(r"(?:sagen|punktet|tilbage)", s, re.I)):
            return _Reading(_ACT, "udsat")
        if _SENT_ON.search(s) and self._own.match(s):
            return _Reading(_ACT, "besluttet")
        vote = _VOTE.match(s)
        patterns = (self._verb_first, self._active) if vote else (self._active, self._inverted)
        s = vote["rest"] if vote else s
        for pattern in patterns:
            m = pattern.match(s)
            if m:
                reading = _classify_verb(m["verb"], m["rest"])
                if reading:
                    return reading
        m = _IMPERSONAL.match(s) or _S_PASSIVE.match(s)
        if m:
            return _classify_verb(m["part"].split()[0], m["rest"])
        m = _CONSENSUS.match(s)
        if m:
            return (
                _Reading(_DISCUSSION, "drøftet")
                if m["what"].lower() in ("enighed", "konsensus")
                else _Reading(_ACT, "godkendt")
            )
        for pattern in (_SHORT, _BARE_AUXILIARY, _PASSIVE, _CLAUSE_PASSIVE):
            m = pattern.match(s)
            if m and self._own_agent(m["rest"]):
                if "np" in m.groupdict() and not self._plausible_subject(m["np"]):
                    continue
                reading = _classify_verb(m["part"], m["rest"])
                if reading:
                    return reading
        m = _ELECTED.match(s)
        if m and (s.lower().startswith("som ") or self._plausible_subject(s)):
            return _Reading(_ACT, "besluttet")
        if _HELD.match(s) or self._answered.match(s) or _DISCUSSION_HELD.match(s):
            return _Reading(_DISCUSSION, "drøftet")
        return None

    def _own_agent(self, rest: str) -> bool:
        """False for "... blev godkendt af regionsrådet": a passive whose agent is another body."""
        m = _AGENT.match(rest)
        return not m or bool(self._own.match(m["agent"]))

    @staticmethod
    def _plausible_subject(np: str) -> bool:
        # A passive's subject is a noun phrase opening the sentence, not a clause ("Hvis aftalen ...",
        # "På mødet i KKR den 1. juni ...": those report conditions or other meetings).
        first = np.split()[0].lower()
        return first not in {"hvis", "når", "såfremt", "da", "efter", "før", "inden", "på", "i", "som", "der"}


# ---------------------------------------------------------------------------------------------------
# Items


def extract_decision(item: AgendaItem, *, body: str | None, kind: str | None) -> Decision:
    """What `item` records as decided by the document's own `body`, by rule; `ukendt` when unclear.

    `kind` is the document's kind: an agenda ("dagsorden") or a paper ("notat") decides nothing.

    >>> text = "Det indstilles, at KD-Net godkender.\\n\\nReferat:\\nJ orienterede. KD-Net godkendte den."
    >>> item = AgendaItem("003", "6", "Midttrafik", text, (0, 0))
    >>> d = extract_decision(item, body="KD-Net", kind="referat")
    >>> d.outcome, d.sentences, d.recommendation
    ('godkendt', ('KD-Net godkendte den.',), 'Det indstilles, at KD-Net godkender.')
    """
    recommendation = recommendation_of(item)
    if kind in ("dagsorden", "notat"):
        return Decision((), "ingen", recommendation)
    texts = decision_texts(item)
    if not texts:
        # An unnumbered part (a document's opening) is no agenda item and has nothing to decide.
        return Decision((), "ingen" if item.number is None else "ukendt", recommendation)
    classifier = _Classifier(body)
    read: list[tuple[str, _Reading]] = []
    for text in texts:
        for unit in split_sentences(text):
            for sentence in _NEXT_POINT.split(unit):
                reading = classifier.read(sentence)
                if reading is not None:
                    read.append((sentence, reading))
    if not read:
        return Decision((), "ukendt", recommendation)
    top = max(r.tier for _s, r in read)
    chosen = [(s, r) for s, r in read if r.tier == top]
    outcomes = {r.outcome for _s, r in chosen}
    if {"godkendt", "afvist"} <= outcomes:
        # Some recommendations approved, others not ("1.-2. anbefales. 3. anbefales ikke"): the item
        # went through, and its sentences keep the rejected part for the reader.
        outcomes.discard("afvist")
    outcome = min(outcomes, key=OUTCOME_PRECEDENCE.index)
    sentences = tuple(dict.fromkeys(s for s, _r in chosen))
    return Decision(sentences, outcome, approved_recommendation(sentences, item) or recommendation)


def with_decision(item: AgendaItem, *, body: str | None, kind: str | None) -> AgendaItem:
    """`item` with its decision register entry filled in (see `extract_decision`).

    >>> item = AgendaItem("004", "12", "Studietur", "Referat: Punktet udsat til næste møde.", (0, 0))
    >>> with_decision(item, body="KD-Net", kind="referat").decision.outcome
    'udsat'
    """
    return dataclasses.replace(item, decision=extract_decision(item, body=body, kind=kind))
