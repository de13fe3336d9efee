"""The assistant the edges (CLI, UI, eval) talk to: index, retriever, generator, loaded lazily.

It is the edges' one door: asking, the register, the documents, ingesting and removing all go through it,
so the CLI and the app never open a store or call `ingest_files` themselves. Constructing one is cheap;
the embedder loads on the first search and the LLM on the first generated answer.

Several users may ask at once. Reads of the index (retrieval, the register, the documents) run in parallel
with each other; an ingest or a removal waits for those in flight and runs alone (`rag.locks.ReadWriteLock`).
The lock is held only while the index is read, never while a model phrases: an answer is written from
sources already copied out of the index. Generation runs in parallel where the generator says it may
(`rag.generate.calls_concurrently`: a model server), else one at a time (llama.cpp's contexts are not
thread-safe).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from ingest.errors import IndexMissing
from ingest.records import AgendaItem, Outcome
from rag.answer import (
    Answer,
    AnswerConfig,
    Checked,
    Timings,
    answer_stream,
    is_standing_committee,
    list_register,
)
from rag.brief import Briefing, brief
from rag.cases import Case, is_case_number, is_standing, linked, same_title, superseded, timeline
from rag.checks import names_mentioned, relevance
from rag.citations import Citation, ItemRef, Source
from rag.conversation import Reading, Turn, read
from rag.corpus import FileReport, ingest_files, stale_documents
from rag.embed import Embedder
from rag.filters import Filters, dates_the_meeting, first_of_period
from rag.generate import Generator, calls_concurrently
from rag.index import DocumentInfo
from rag.locks import ReadWriteLock
from rag.prompt import static_prefix
from rag.question import Question, content_terms, shared_terms
from rag.retrieve import ItemHit, Retriever, fuse_rankings
from rag.stores import Store, is_url, open_or_create_store, open_store
from rag.tally import count_items, count_meetings


@dataclass(frozen=True)
class Retrieved:
    """What retrieval found for a question, before any answer: shown to the user first."""

    question: str
    hits: tuple[ItemHit, ...]
    sources: tuple[Source, ...]
    filters: Filters
    seconds: float
    # The best item's case at its other meetings (same case number), oldest first: what a question spanning
    # meetings ("i maj og igen i august", "i Økonomiudvalget og Byrådet") may quote beyond the hits.
    case: tuple[Source, ...] = ()


@dataclass(frozen=True)
class DecisionRow(ItemRef):
    """One row of the decision register: an agenda item, its outcome and the text of its decision."""

    outcome: Outcome
    decision: str


def item_source(
    ref: ItemRef,
    item: AgendaItem,
    *,
    excerpts: tuple[str, ...] = (),
    similarity: float = 0.0,
    context: str = "",
) -> Source:
    """The indexed agenda `item` that `ref` names (as retrieval or the register labels it), as the answer
    layer sees it: its whole text, recorded decision and recommendation."""
    return Source(
        doc_id=ref.doc_id,
        number=ref.number,
        title=ref.title,
        body=ref.body,
        date=ref.date,
        text=item.text,
        decision=item.decision.sentences,
        outcome=item.decision.outcome,
        recommendation=item.decision.recommendation,
        excerpts=excerpts,
        similarity=similarity,
        pages=item.pages,
        context=context,
    )


def source_of(hit: ItemHit, document: DocumentInfo | None = None) -> Source:
    """The answer layer's view of a retrieved item: decision first, then the matched passages, and the
    head of its document (`document`, when given) as context."""
    excerpts = tuple(c.chunk.text for c in hit.chunks)
    similarity = max((c.dense_score for c in hit.chunks if c.dense_score is not None), default=0.0)
    context = document.head if document else ""
    if hit.item is not None:
        return item_source(hit, hit.item, excerpts=excerpts, similarity=similarity, context=context)
    text = " ".join(excerpts)
    return Source(
        hit.doc_id, hit.number, hit.title, hit.body, hit.date, text, excerpts=excerpts, similarity=similarity,
        context=context,
    )  # fmt: skip


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _reads(method: Callable[Concatenate[Assistant, _P], _R]) -> Callable[Concatenate[Assistant, _P], _R]:
    """An `Assistant` method that reads the index: it runs under the index lock for reading."""

    @functools.wraps(method)
    def reading(self: Assistant, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self.index_lock.reading():
            return method(self, *args, **kwargs)

    return reading


@dataclass
class Assistant:
    """Ask questions of one index: `index_dir` is its directory, or a `postgresql://` URL (see `rag.stores`).

    Usage: `Assistant(Path("data/index"), embedder, generator_factory=make_llm).ask("Hvad besluttede ...?")`.
    """

    index_dir: Path | str
    embedder: Embedder
    generator_factory: Callable[[], Generator | None] = lambda: None
    answer_config: AnswerConfig = field(default_factory=AnswerConfig)
    top_k: int = 5
    retriever_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"mode": "bm25"}
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one generation at a time
    index_lock: ReadWriteLock = field(default_factory=ReadWriteLock, repr=False)

    @cached_property
    def index(self) -> Store:
        return open_store(self.index_dir, embedder_id=self.embedder.model_id)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.embedder, **self.retriever_options)

    @cached_property
    def generator(self) -> Generator | None:
        return self.generator_factory()

    def warm_up(self) -> None:
        """Load the index, BM25 and the embedder, then the LLM with the prompt's static prefix evaluated,
        so the first question costs what every later one does. Safe to run in a background thread."""
        with self.index_lock.reading():
            self.retriever.warm_up()
        warm = getattr(self.embedder, "warm_up", None)
        if warm:
            warm()
        generator = self.generator
        prime = getattr(generator, "prime", None)
        if prime:
            with self._generating():
                prime(static_prefix())

    @property
    def parallel_answers(self) -> bool:
        """Whether answers may be phrased in parallel: the generator says it may be called concurrently (a model
        server), or there is none. Loads nothing: constructing a generator is cheap."""
        return calls_concurrently(self.generator)

    def _generating(self) -> AbstractContextManager[Any]:
        """Held while the generator phrases: the one-at-a-time lock, unless it may be called concurrently."""
        return nullcontext() if self.parallel_answers else self._lock

    def reload(self) -> None:
        """Forget the loaded index (after an ingest elsewhere); the models stay loaded. A PostgreSQL store is kept:
        it reads the server as it is at each call, and other threads may be using its connection."""
        live = is_url(self.index_dir) and "index" in self.__dict__
        for cached in ("retriever", "case_numbers", *(() if live else ("index",))):
            self.__dict__.pop(cached, None)

    def without_closed(self) -> Assistant:
        """This assistant as a reader without the right to closed agenda items sees the collection: a sibling
        whose index is `Store.without_closed()` of this one's current index (so an ingest or removal here
        reaches it), sharing the embedder, the generator and its lock: no second model is loaded. Closed items
        are left out in the index's reads and searches, so no answer, source, count, case or register row
        can hold one. Ingests and removals through it go to this assistant.

        Usage: `reader = assistant.without_closed(); reader.ask("Hvor mange lukkede punkter var der?")`.
        """
        return _WithoutClosed(self)

    @_reads
    def retrieve(
        self, question: str | Question, *, filters: Filters | None = None, top_k: int | None = None
    ) -> Retrieved:
        """The agenda items that best answer `question`, at most `top_k` (default `self.top_k`), best first,
        as `ItemHit`s and as the `Source`s an answer is built from; `seconds` is the wall time it took.

        `filters` (bodies, meeting dates) are the user's; a time phrase in the question ("i 2021") adds its
        own where the user set none. Raises `IndexMissing` when there is no index, `IndexMismatch` when it
        was built with another embedder, `ModelUnavailable` when the embedder cannot load.

        Usage: `assistant.retrieve("Hvad besluttede KD-Net om Midttrafik?", top_k=3).sources[0].label`.
        """
        t0 = time.perf_counter()
        q = Question.of(question)
        implied = q.filters
        chosen = (filters or Filters()).or_else(implied)
        k = top_k or self.top_k
        hits = self.retriever.retrieve(q.text, top_k=k, filters=chosen)
        one_day = implied.date_from is not None and implied.date_from == implied.date_to
        if implied.active and not (filters and filters.active) and not dates_the_meeting(q.text):
            # "i 2023" without a meeting word may date what the item is about rather than the meeting:
            # meetings of that time are preferred (fused with the unfiltered ranking), others stay in reach.
            chosen = filters or Filters()
            hits = fuse_rankings([hits, self.retriever.retrieve(q.text, top_k=k, filters=chosen)], top_k=k)
            if (implied.date_from or "").endswith("-01-01") and (implied.date_to or "").endswith("-12-31"):
                hits = _titled_years_first(hits, q.years)  # whole years only: a month dates the meeting
        elif not hits and implied.active and not one_day and not (filters and filters.active):
            # "i 2025" may date the event asked about rather than the meeting: a time phrase that
            # excludes every document is not taken as a filter. A named day ("mødet den 9. april
            # 2021") is: no meeting that day means the documents cannot answer.
            chosen = filters or Filters()
            hits = self.retriever.retrieve(q.text, top_k=top_k or self.top_k, filters=chosen)
        if implied.active and not (filters and filters.active) and hits and not one_day and self._unnamed(q, hits):
            # "KKR's konstituerende møde i 2026" is announced at a meeting in 2022: when no meeting of the
            # time the question names mentions what it names, that time dates the event, not the meeting.
            chosen = filters or Filters()
            hits = self.retriever.retrieve(q.text, top_k=k, filters=chosen)
        if len(q.years) > 1:
            hits = self._each_year_first(q.text, hits, q.years, chosen)
        sources = tuple(self._source(h) for h in hits)
        return Retrieved(q.text, tuple(hits), sources, chosen, time.perf_counter() - t0, self._case_of(hits))

    def _source(self, hit: ItemHit) -> Source:
        return source_of(hit, self.index.documents.get(hit.doc_id))

    def _unnamed(self, q: Question, hits: Sequence[ItemHit]) -> bool:
        """Whether the question names an acronym or name (years aside) that none of `hits` mentions."""
        return any(t for t in q.named if not t.isdigit()) and not any(names_mentioned(q, self._source(h)) for h in hits)

    def _case_of(self, hits: Sequence[ItemHit]) -> tuple[Source, ...]:
        """The other items with the best hit's case number at meetings within a year of its meeting, oldest
        first; () when it has none, or when it is a standing item's number (`rag.cases.is_standing`)."""
        best = hits[0].item if hits else None
        if best is None or not best.case_number or not hits[0].date:
            return ()
        case = self._case(hits[0].doc_id, best)
        day = date.fromisoformat(hits[0].date[:10])
        near = [s for s in case.steps if s.date and abs((date.fromisoformat(s.date[:10]) - day).days) <= 366]
        if is_standing(near):
            return ()
        have = {(h.doc_id, h.number) for h in hits}
        return tuple(s for s in near if (s.doc_id, s.number) not in have)

    @cached_property
    def case_numbers(self) -> dict[str, tuple[tuple[str, str | None], ...]]:
        """Case number -> (document id, item number) of every indexed item that has it."""
        found: dict[str, list[tuple[str, str | None]]] = {}
        for doc_id in self.index.documents:
            for item in self.index.items(doc_id):
                if item.case_number:
                    found.setdefault(item.case_number, []).append((doc_id, item.number))
        return {k: tuple(v) for k, v in found.items()}

    def _item_source(self, doc_id: str, item: AgendaItem) -> Source:
        info = self.index.documents[doc_id]
        return item_source(ItemRef(doc_id, item.number, item.title, info.body, info.date), item, context=info.head)

    def _case(self, doc_id: str, item: AgendaItem) -> Case:
        """The case of one indexed item over all meetings and bodies (`rag.cases.linked`)."""
        seed = self._item_source(doc_id, item)
        if item.case_number:
            where = self.case_numbers.get(item.case_number, ())
            pairs = [(self.index.item(d, n), d) for d, n in where]
            return linked(seed, item.case_number, [(self._item_source(d, it), it.case_number) for it, d in pairs if it])
        body = self.index.documents[doc_id].body
        alike = [
            (self._item_source(d, it), None)
            for d, info in self.index.documents.items()
            if info.body == body
            for it in self.index.items(d)
            if not it.case_number and same_title(it.title, item.title)  # a Source only for the few that link
        ]
        return linked(seed, None, alike)

    @_reads
    def case(self, query: str, *, filters: Filters | None = None) -> Case | None:
        """A case over time: the items with the case number `query` ("21-014439"), or the case of the best
        retrieved item for a query ("Villa Sitka") that is not a standing item, oldest meeting first; None
        when nothing matches. Raises what `retrieve` raises.

        Usage: `assistant.case("cykelstien på Tune Ringvej").steps[-1].label`.
        """
        wanted = query.strip().upper()
        if is_case_number(wanted):
            where = self.case_numbers.get(wanted, ())
            for doc_id, number in where[:1]:
                item = self.index.item(doc_id, number)
                return self._case(doc_id, item) if item else None
            return None
        hits = [h for h in self.retrieve(query, filters=filters, top_k=_CASE_HITS).hits if h.item and h.item.number]
        cases = [case for h in hits if h.item and not is_standing((case := self._case(h.doc_id, h.item)).steps)]
        # The case treated at the most meetings among the best hits: "sagen om Villa Sitka" is the matter
        # that went committee -> Økonomiudvalget -> Byrådet, not a one-off orientation about it.
        return max(cases, key=lambda c: len(c.steps), default=None)

    def _each_year_first(
        self, question: str, hits: list[ItemHit], years: Sequence[str], within: Filters
    ) -> list[ItemHit]:
        """`hits` led by the best item of each year the question names ("fra mødet i 2021 til mødet i
        2022"), found by a search of that year alone where the shared search found none."""
        firsts: list[ItemHit] = []
        for year in years:
            lo, hi = max(f"{year}-01-01", within.date_from or ""), min(f"{year}-12-31", within.date_to or "9999")
            if lo > hi:  # the user's own date filter leaves this year out
                continue
            hit = first_of_period(hits, year)
            if hit is None:
                of_year = Filters(within.bodies, lo, hi, within.doc_ids)
                hit = next(iter(self.retriever.retrieve(question, top_k=1, filters=of_year)), None)
            if hit is not None:
                firsts.append(hit)
        first = {(h.doc_id, h.number) for h in firsts}
        return [*firsts, *(h for h in hits if (h.doc_id, h.number) not in first)]

    def converse_stream(
        self, question: str, previous: Turn | None, *, filters: Filters | None = None
    ) -> Iterator[Reading | Retrieved | Checked | str | Answer]:
        """`ask_stream` for a question in a conversation whose last answered turn is `previous` (None: it starts
        here). Yields the `Reading` first (show `understood` when `rewritten`). A follow-up with nothing to
        follow is answered by asking back (`Answer.failed == ("unresolved",)`, abstained). A follow-up about the
        same thing prefers the items the previous answer cited; an answer to a follow-up that cites none of
        them nor their cases says so.

        Usage: `turn = next_turn(reading, answer)` after each question, then pass it as `previous`.
        """
        reading = read(question, previous)
        yield reading
        if reading.understood is None:
            ask, why = reading.ask_back or "", "spørgsmålet henviser til noget, samtalen ikke har nævnt"
            yield Answer(
                question, ask, (), (), abstained=True, extractive=True, problems=(why,), failed=("unresolved",)
            )
            return
        q = Question.parse(reading.understood)
        prefer: Sequence[ItemRef] = ()
        if previous and reading.same_items and not q.latest:
            prefer = previous.cited
        elif previous and reading.bodies:  # "Hvad besluttede Byrådet så?": the case at that body
            with self.index_lock.reading():
                at_body = [s for s in self._cases_of(previous.cited) if q.names_body(s.body)]
            since = previous.cited[0].date or "" if previous.cited else ""
            # "så": the body's next treatment after the previous answer's meeting, else its last one
            prefer = [s for s in at_body if (s.date or "") >= since][:1] or at_body[-1:]
        if previous and previous.cited and reading.same_meeting:  # "til mødet": the meeting cited before
            filters = (filters or Filters()).or_else(Filters(doc_ids=(previous.cited[0].doc_id,)))
        for event in self.ask_stream(q, filters=filters, prefer=prefer):
            if isinstance(event, Answer) and reading.followup and previous:
                with self.index_lock.reading():
                    elsewhere = self._elsewhere(event, previous)
                if elsewhere:
                    event = replace(event, text=f"{event.text}\n\n{_ELSEWHERE}")
            yield event

    def _cases_of(self, cited: Sequence[ItemRef]) -> list[Source]:
        """The case steps (oldest first) of the cited items that have a case number, standing items aside."""
        steps: dict[tuple[str, str | None], Source] = {}
        for c in cited:
            item = self.item(c.doc_id, c.number)
            if item is not None and item.case_number and c.doc_id in self.index.documents:
                case = self._case(c.doc_id, item)
                if not is_standing(case.steps):
                    steps.update({(s.doc_id, s.number): s for s in case.steps})
        return sorted(steps.values(), key=lambda s: s.date or "")

    def _elsewhere(self, answer: Answer, previous: Turn) -> bool:
        """Whether `answer` cites items, none of them cited by `previous` nor of their cases."""
        if answer.abstained or not answer.citations or not previous.cited:
            return False
        before = {(c.doc_id, c.number) for c in previous.cited}
        cases = {it.case_number for c in previous.cited if (it := self.item(c.doc_id, c.number)) and it.case_number}
        return not any(
            (c.doc_id, c.number) in before or ((it := self.item(c.doc_id, c.number)) and it.case_number in cases)
            for c in answer.citations
        )

    def ask_stream(
        self, question: str | Question, *, filters: Filters | None = None, prefer: Sequence[ItemRef] = ()
    ) -> Iterator[Retrieved | Checked | str | Answer]:
        """Yield the retrieved sources first, then the checked extractive answer (`Checked`, when a model
        will phrase it), then the draft tokens of its summary, then the final `Answer`.

        "Hvilke sager blev udsat i 2022?" is answered from the whole decision register (with the
        question's time phrase as a filter), not from the top-k items retrieval happens to find; so are counts
        over the collection ("Hvor mange møder holdt udvalget i 2024?", `rag.tally`). "Hvordan er sagen om X
        forløbet?" is answered by the case's timeline (`rag.cases`), and a question about the newest state
        ("seneste", "status") leads with the newest treatment and says what it supersedes. The first of `prefer`
        (an item a conversation points at) leads the sources, whether retrieval found it or not.
        """
        q = Question.of(question)
        t0 = time.perf_counter()
        with self.index_lock.reading():  # all that is read from the index; nothing is yielded while it is held
            whole = self._made_in_code(q, filters, t0)
            if whole is None:
                found = self._preferring(self.retrieve(q, filters=filters), prefer)
                earlier: tuple[Source, ...] = ()
                if q.latest and found.hits:
                    found, earlier = self._newest_first(q, found)
        if whole is not None:
            yield from whole
            return
        yield found
        with self._generating():
            for event in answer_stream(
                q,
                found.sources,
                self.generator,
                case=found.case,
                config=self.answer_config,
                retrieval_s=found.seconds,
                similarity=self.similarity if self.answer_config.use_meaning else None,
            ):
                yield _superseding(event, found.sources[0], earlier) if earlier else event

    def _made_in_code(self, q: Question, filters: Filters | None, t0: float) -> list[Retrieved | Answer] | None:
        """The events of an answer made in code from the collection (the register, a count, a case's timeline),
        when the question asks for one; else None."""
        if q.outcome and self.answer_config.use_register:
            chosen = self._named_bodies(q, (filters or Filters()).or_else(q.filters))
            rows = self.register_sources(filters=chosen, outcome=q.outcome)
            if topic := self._topic_beyond_bodies(q) - (
                _TALLY_WORDS if q.tally else frozenset()
            ):  # "Hvilke kommissorier blev godkendt?": the items about that
                rows = [r for r in rows if shared_terms(topic, content_terms(f"{r.title} {' '.join(r.decision)}"))]
            return list(_whole(q, *list_register(q.outcome, rows), tuple(rows), chosen, t0))
        if q.tally and (counted := self._tally(q, filters)) is not None:
            return list(_whole(q, *counted, filters or Filters(), t0))
        if q.history and (case := self.case(q.text, filters=filters)) is not None:
            return list(_whole(q, *timeline(case), case.steps, filters or Filters(), t0))
        return None

    def _preferring(self, found: Retrieved, prefer: Sequence[ItemRef]) -> Retrieved:
        """`found` led by the first of `prefer` (items a conversation points at), whether retrieval found it
        or not: a follow-up is about what the conversation named. `hits` stay retrieval's own."""
        first = next(iter(prefer), None)
        if first is None or first.doc_id not in self.index.documents:
            return found
        key = (first.doc_id, first.number)
        item = self.item(first.doc_id, first.number)
        retrieved = next((x for x in found.sources if (x.doc_id, x.number) == key), None)
        if item is None or (retrieved is not None and retrieved == found.sources[0]):
            return found
        # Not retrieved this time: its passages are all candidates for quoting.
        chunks = tuple(c.text for c in self.index.chunks_of(first.doc_id) if c.number == first.number)
        source = retrieved or replace(self._item_source(first.doc_id, item), excerpts=chunks)
        return replace(found, sources=(source, *(s for s in found.sources if (s.doc_id, s.number) != key)))

    def _newest_first(self, q: Question, found: Retrieved) -> tuple[Retrieved, tuple[Source, ...]]:
        """For a question about the newest state ("seneste", "status"): `found` led by the newest treatment
        of the best hit's case, with the case's earlier treatments apart (oldest first); without a linked
        case, led by the newest of the hits that are as much about the question as the best one."""
        best = found.hits[0]
        if best.item is not None and best.item.number is not None:
            case = self._case(best.doc_id, best.item)
            if len(case.steps) > 1 and not is_standing(case.steps):
                # "på det seneste møde" of the body named; "endelig", "status": the case's newest treatment
                named = self._named_bodies(q, Filters()).bodies if q.newest_meeting else ()
                last = ([s for s in case.steps if s.body in named] or list(case.steps))[-1]
                steps = {(s.doc_id, s.number) for s in case.steps}
                rest = tuple(s for s in found.sources if (s.doc_id, s.number) not in steps)
                earlier = tuple(s for s in case.steps if s != last)
                return replace(found, sources=(last, *rest), case=()), earlier
        top = relevance(q, found.sources[0])
        peers = [s for s in found.sources if relevance(q, s) >= top]
        newest = max(peers, key=lambda s: s.date or "")
        return replace(found, sources=(newest, *(s for s in found.sources if s != newest))), ()

    def _named_bodies(self, q: Question, filters: Filters) -> Filters:
        """`filters` narrowed to the indexed bodies the question names ("Hvor mange møder holdt Byrådet?"),
        unless the user chose bodies."""
        if filters.bodies:
            return filters
        named = tuple(b for b in self.bodies() if q.names_body(b))
        if not named and _COMMITTEE in q.terms:  # "udvalget": the standing committees, not the council
            named = tuple(b for b in self.bodies() if is_standing_committee(b))
        return replace(filters, bodies=named) if named else filters

    def _topic_beyond_bodies(self, q: Question) -> set[str]:
        """The question's topic terms less the words of the bodies it names."""
        named = {t for b in self.bodies() if q.names_body(b) for t in content_terms(b)}
        return {t for t in q.topic if t not in named and not any(t.startswith(n) for n in named)}

    def _tally(self, q: Question, filters: Filters | None) -> tuple[str, list[Citation], tuple[Source, ...]] | None:
        """A count over the collection (`rag.tally`) of the meetings or agenda items of the bodies the question
        names (else all) in its period; None when the question also names a matter ("Hvor mange møder har
        behandlet cykelstien?"): that is not a count of the collection."""
        if self._topic_beyond_bodies(q) - _TALLY_WORDS:
            return None
        chosen = self._named_bodies(q, (filters or Filters()).or_else(q.filters))
        meetings: dict[tuple[str | None, str | None], str] = {}
        for doc_id, info in self.documents():
            if chosen.matches(doc_id=doc_id, body=info.body, date=info.date) and self.index.items(doc_id):
                key = (info.body, info.date)
                if key not in meetings or info.kind == "referat":  # a meeting's agenda and minutes count once
                    meetings[key] = doc_id
        if q.tally == "meetings":
            firsts = [self.index.items(d)[0] for d in meetings.values()]
            found = tuple(self._item_source(d, it) for d, it in zip(meetings.values(), firsts, strict=True))
            text, cites = count_meetings(found, chosen)
            return text, cites, found
        ordered = sorted(meetings.items(), key=lambda kv: (kv[0][1] or "", kv[0][0] or ""))
        items = tuple(
            self._item_source(d, it)
            for _k, d in ordered
            for it in self.index.items(d)
            if it.number and (it.closed or not q.closed)  # "Hvor mange lukkede punkter ...?": those alone
        )
        text, cites = count_items(items, chosen, closed=q.closed)
        return text, cites, items

    @_reads
    def bodies(self) -> list[str]:
        """The bodies of the indexed documents, sorted; [] without an index."""
        try:
            docs = self.index.documents.values()
        except IndexMissing:
            return []
        return sorted({info.body for info in docs if info.body}, key=str.casefold)

    def similarity(self, question: str, texts: Sequence[str]) -> list[float]:
        """How close in meaning each text is to the question: the cosine of their embeddings."""
        if not texts:
            return []
        vectors = self.embedder.embed_passages(texts)
        return [float(x) for x in vectors @ self.embedder.embed_query(question)]

    def ask(self, question: str | Question, *, filters: Filters | None = None) -> Answer:
        """The final `Answer` of `ask_stream`: its text cites `[Organ DD.MM.YYYY, punkt N]`, `citations` resolve
        to `sources`, `abstained` says the documents do not answer, and `timings` are in seconds.

        Raises what `retrieve` raises, and `ModelUnavailable` when the generator's model cannot load.

        Usage: `assistant.ask("Hvad besluttede KD-Net om Midttrafik?").text`.
        """
        final: Answer | None = None
        for event in self.ask_stream(question, filters=filters):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    @_reads
    def brief(self, topic: str, *, filters: Filters | None = None, top_k: int = 8) -> Briefing:
        """A cited briefing note on `topic` (Markdown: baggrund, beslutninger, åbne punkter) from the `top_k`
        best items, without the LLM. Raises what `retrieve` raises.

        Usage: `assistant.brief("sociale investeringer").markdown`.
        """
        found = self.retrieve(topic, filters=filters, top_k=top_k)
        return brief(topic, found.sources)

    @_reads
    def register_sources(self, *, filters: Filters | None = None, outcome: str | None = None) -> list[Source]:
        """Register rows as Sources (decision, outcome, whole item text), in date order."""
        out = []
        for row in self.decisions(filters=filters, outcome=outcome):
            item = self.index.item(row.doc_id, row.number)
            if item is None:
                continue
            out.append(item_source(row, item))
        return out

    @_reads
    def item(self, doc_id: str, number: str | None) -> AgendaItem | None:
        """One agenda item of an indexed document (`number` None: the part before the first item), else None."""
        return self.index.item(doc_id, number)

    @_reads
    def document(self, doc_id: str) -> DocumentInfo | None:
        """What the index records of one document, else None."""
        return self.index.documents.get(doc_id)

    @_reads
    def documents(self) -> list[tuple[str, DocumentInfo]]:
        """(document id, what the index records of it) for every indexed document, newest meeting first."""
        docs = sorted(self.index.documents.items(), key=lambda kv: (kv[1].body or "", kv[0]))
        return sorted(docs, key=lambda kv: kv[1].date or "", reverse=True)

    def remove_document(self, doc_id: str) -> bool:
        """Remove one document from the index and save, so its text is gone from disk. False when the index
        does not hold it. Raises `IndexMissing` when there is no index. Waits for the reads in flight."""
        with self.index_lock.writing():
            index = self.index
            if not index.remove_document(doc_id):
                return False
            index.save()
            self.reload()
            return True

    @_reads
    def stale_documents(self, folders: Iterable[Path]) -> list[tuple[str, str]]:
        """(document id, source) of indexed documents whose file lay under one of `folders` and is gone;
        none when there is no index yet."""
        try:
            return stale_documents(self.index, folders)
        except IndexMissing:
            return []

    def ingest(
        self,
        files: Iterable[Path],
        *,
        remove: Iterable[str] = (),
        on_file: Callable[[FileReport], None] | None = None,
        by_name: bool = False,
    ) -> list[FileReport]:
        """Remove the documents `remove`, then parse, chunk, embed and index `files`, saving the index once (it
        is created when there is none). One report per file; a bad file is reported, the others go on.

        `on_file(report)` is called after each file; `by_name=True` makes the file name alone the identity
        (uploads, whose folders are temporary). Raises `IndexMismatch` when the index was built with another
        embedder. Questions wait while it runs (it changes the index in place); it waits for the reads in flight.
        Usage: `assistant.ingest(expand_paths([Path("data/sample")]))`.
        """
        with self.index_lock.writing():
            try:
                try:
                    index = self.index
                except IndexMissing:
                    index = open_or_create_store(self.index_dir, self.embedder)
                for doc_id in remove:
                    index.remove_document(doc_id)
                return ingest_files(files, index, self.embedder, on_file=on_file, by_name=by_name)
            finally:
                self.reload()

    @_reads
    def decisions(self, *, filters: Filters | None = None, outcome: str | None = None) -> list[DecisionRow]:
        """The decision register: one row per agenda item, in date order."""
        rows = []
        f = filters or Filters()
        for doc_id, info in self.index.documents.items():
            if not f.matches(doc_id=doc_id, body=info.body, date=info.date):
                continue
            for item in self.index.items(doc_id):
                if outcome and item.decision.outcome != outcome:
                    continue
                rows.append(
                    DecisionRow(
                        doc_id=doc_id,
                        number=item.number,
                        title=item.title,
                        body=info.body,
                        date=info.date,
                        outcome=item.decision.outcome,
                        decision=item.decision.text,
                    )
                )
        rows.sort(key=lambda r: (r.date or "9999", r.doc_id, _num(r.number)))
        return rows


class _WithoutClosed(Assistant):
    """`Assistant.without_closed()`: the parent's current index seen without its closed items."""

    def __init__(self, parent: Assistant) -> None:
        super().__init__(
            parent.index_dir,
            parent.embedder,
            generator_factory=lambda: parent.generator,
            answer_config=parent.answer_config,
            top_k=parent.top_k,
            retriever_options=parent.retriever_options,
            _lock=parent._lock,
            index_lock=parent.index_lock,  # the parent's ingests and removals change what this view reads
        )
        self.parent = parent
        self._view: tuple[Store, Store] | None = None  # (the parent's index, the view of it)

    @property
    def index(self) -> Store:
        current = self.parent.index
        if self._view is None or self._view[0] is not current:
            # The parent loaded its index again (after an ingest or removal): what was worked out from
            # the old one goes with it.
            for cached in ("retriever", "case_numbers"):
                self.__dict__.pop(cached, None)
            # The view reads and searches as the store does, closed items left out in its queries (`Store`).
            view = current.without_closed()
            self._view = (current, view)
            return view
        return self._view[1]

    def without_closed(self) -> Assistant:
        return self

    def warm_up(self) -> None:
        self.parent.warm_up()
        with self.index_lock.reading():
            self.retriever.warm_up()

    def reload(self) -> None:
        self.parent.reload()

    def ingest(
        self,
        files: Iterable[Path],
        *,
        remove: Iterable[str] = (),
        on_file: Callable[[FileReport], None] | None = None,
        by_name: bool = False,
    ) -> list[FileReport]:
        return self.parent.ingest(files, remove=remove, on_file=on_file, by_name=by_name)

    def remove_document(self, doc_id: str) -> bool:
        return self.parent.remove_document(doc_id)


_COMMITTEE = "udvalg"
# How many of the best hits a case lookup by query chooses among.
_CASE_HITS = 3
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# Words of a count over the collection that name no matter: "Hvor mange møder holdt udvalget i alt?"
_TALLY_WORDS = frozenset(
    content_terms(
        "hvor mange møder sager punkter dagsordenspunkter beslutninger holdt afholdt havde har været behandlede "
        "behandlet var der på mødet møderne udvalget udvalgene i alt samlet årligt om året lukkede lukket"
    )
)


_ELSEWHERE = "Bemærk: Svaret bygger på et andet punkt end det forrige svar."


def _whole(
    q: Question, text: str, cites: Sequence[Citation], sources: Sequence[Source], filters: Filters, t0: float
) -> Iterator[Retrieved | Answer]:
    """A whole answer made in code from the collection (the register, a count, a case's timeline): its
    sources as what was found, then the answer; `t0` is when the question arrived (`time.perf_counter`)."""
    seconds = time.perf_counter() - t0
    yield Retrieved(q.text, (), tuple(sources), filters, seconds)
    timings = Timings(seconds, None, seconds, seconds)
    yield Answer(q.text, text, tuple(cites), tuple(sources), extractive=True, timings=timings)


def _titled_years_first(hits: list[ItemHit], years: Sequence[str]) -> list[ItemHit]:
    """`hits` with each yearly series reordered so that the item whose title names one of `years` takes the
    series' best place; other hits keep theirs. A series is items whose titles differ only in their years.

    A yearly report is titled by the year it covers and treated the year after: "Klagesager på det sociale
    område i Greve Kommune i 2024" is the item for "omgørelsesprocenten i 2024", though its meeting is in
    2025 and the 2024 meetings hold the report titled 2023.
    """
    series: dict[str, list[int]] = {}
    for i, h in enumerate(hits):
        if _YEAR.search(h.title or ""):
            series.setdefault(" ".join(_YEAR.sub("", h.title or "").lower().split()), []).append(i)
    out = list(hits)
    for places in series.values():
        members = sorted((hits[i] for i in places), key=lambda h: not set(_YEAR.findall(h.title or "")) & set(years))
        for i, h in zip(places, members, strict=True):
            out[i] = h
    return out


def next_turn(reading: Reading, answer: Answer) -> Turn:
    """The turn a conversation remembers after `answer` to the question read as `reading`: what the next
    follow-up is read against, with the title and text of the first item the answer cites. An unresolved
    question leaves no turn of its own (the caller keeps the last)."""
    understood = reading.understood or reading.question
    by_key = {(s.doc_id, s.number): s for s in answer.sources}
    cited = [(c, by_key.get((c.doc_id, c.number))) for c in answer.citations]
    # The item most about the question first: what "det" and "den" in the next question point at.
    q = Question.parse(understood)
    cited.sort(key=lambda cs: -relevance(q, cs[1]) if cs[1] else 0.0)
    context = f"{cited[0][1].title}\n{cited[0][1].text}" if cited and cited[0][1] else ""
    return Turn(reading.question, understood, tuple(c for c, _s in cited), context)


def _superseding(event: Checked | str | Answer, newest: Source, earlier: Sequence[Source]) -> Checked | str | Answer:
    """`event` with the line that says the newest decision supersedes the earlier ones (`rag.cases.superseded`)
    under its text; abstentions and draft tokens pass unchanged."""
    answer = event.answer if isinstance(event, Checked) else event
    if isinstance(answer, str) or answer.abstained:
        return event
    line, before = superseded(newest, earlier)
    if not line:
        return event
    more = tuple(Citation.of(s) for s in before)
    changed = replace(
        answer,
        text=f"{answer.text}\n\n{line}",
        citations=tuple(dict.fromkeys([*answer.citations, *more])),
        sources=(*answer.sources, *(s for s in before if s not in answer.sources)),
    )
    return Checked(changed) if isinstance(event, Checked) else changed


def _num(number: str | None) -> tuple[int, str]:
    return (int(number), "") if number and number.isdigit() else (-1, number or "")
