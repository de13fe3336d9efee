"""The assistant the edges (CLI, UI, eval) talk to: index, retriever, generator, loaded lazily.

It is the edges' one door: asking, the register, the documents, ingesting and removing all go through it,
so the CLI and the app never open an `Index` or call `ingest_files` themselves. Constructing one is cheap;
the embedder loads on the first search and the LLM on the first generated answer. One lock serialises
generation: llama.cpp contexts are not thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from ingest.errors import IndexMissing
from ingest.records import AgendaItem, Outcome
from rag.answer import Answer, AnswerConfig, Checked, Timings, answer_stream, list_register
from rag.brief import Briefing, brief
from rag.checks import names_mentioned
from rag.citations import ItemRef, Source
from rag.corpus import FileReport, ingest_files, stale_documents
from rag.embed import Embedder
from rag.filters import Filters, dates_the_meeting, first_of_period
from rag.generate import Generator
from rag.index import DocumentInfo, Index
from rag.prompt import static_prefix
from rag.question import Question, content_terms, shared_terms
from rag.retrieve import ItemHit, Retriever, fuse_rankings


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


@dataclass
class Assistant:
    """Ask questions of one index.

    Usage: `Assistant(Path("data/index"), embedder, generator_factory=make_llm).ask("Hvad besluttede ...?")`.
    """

    index_dir: Path
    embedder: Embedder
    generator_factory: Callable[[], Generator | None] = lambda: None
    answer_config: AnswerConfig = field(default_factory=AnswerConfig)
    top_k: int = 5
    retriever_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"mode": "bm25"}
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def index(self) -> Index:
        return Index.load(self.index_dir, embedder_id=self.embedder.model_id)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.embedder, **self.retriever_options)

    @cached_property
    def generator(self) -> Generator | None:
        return self.generator_factory()

    def warm_up(self) -> None:
        """Load the index, BM25 and the embedder, then the LLM with the prompt's static prefix evaluated,
        so the first question costs what every later one does. Safe to run in a background thread."""
        self.retriever.warm_up()
        warm = getattr(self.embedder, "warm_up", None)
        if warm:
            warm()
        generator = self.generator
        prime = getattr(generator, "prime", None)
        if prime:
            with self._lock:
                prime(static_prefix())

    def reload(self) -> None:
        """Forget the loaded index (after an ingest elsewhere); the models stay loaded."""
        self.__dict__.pop("index", None)
        self.__dict__.pop("retriever", None)

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
        first; () when it has none, or when one body treats it at more than `_CASE_PER_BODY` of those
        meetings: a standing item's number ("Underskriftsark", "Godkendelse af dagsorden"), not a matter's."""
        best = hits[0].item if hits else None
        if best is None or not best.case_number or not hits[0].date:
            return ()
        day = date.fromisoformat(hits[0].date[:10])
        have = {(h.doc_id, h.number) for h in hits}
        found = [
            item_source(ItemRef(doc_id, item.number, item.title, info.body, info.date), item, context=info.head)
            for doc_id, info in self.index.documents.items()
            if info.date and abs((date.fromisoformat(info.date[:10]) - day).days) <= 366
            for item in self.index.items(doc_id)
            if item.case_number == best.case_number and (doc_id, item.number) not in have
        ]
        per_body = Counter(
            s.body for s in [*found, *(h for h in hits if h.item and h.item.case_number == best.case_number)]
        )
        if per_body and max(per_body.values()) > _CASE_PER_BODY:
            return ()
        return tuple(sorted(found, key=lambda s: s.date or ""))

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

    def ask_stream(
        self, question: str | Question, *, filters: Filters | None = None
    ) -> Iterator[Retrieved | Checked | str | Answer]:
        """Yield the retrieved sources first, then the checked extractive answer (`Checked`, when a model
        will phrase it), then the draft tokens of its summary, then the final `Answer`.

        "Hvilke sager blev udsat i 2022?" is answered from the whole decision register (with the
        question's time phrase as a filter), not from the top-k items retrieval happens to find.
        """
        q = Question.of(question)
        if q.outcome and self.answer_config.use_register:
            t0 = time.perf_counter()
            chosen = (filters or Filters()).or_else(q.filters)
            rows = self.register_sources(filters=chosen, outcome=q.outcome)
            if q.topic:  # "Hvilke kommissorier blev godkendt?": only the items about that
                topic = set(q.topic)
                rows = [r for r in rows if shared_terms(topic, content_terms(f"{r.title} {' '.join(r.decision)}"))]
            seconds = time.perf_counter() - t0
            yield Retrieved(q.text, (), tuple(rows), chosen, seconds)
            text, cites = list_register(q.outcome, rows)
            timings = Timings(seconds, None, seconds, seconds)
            yield Answer(q.text, text, tuple(cites), tuple(rows), extractive=True, timings=timings)
            return
        found = self.retrieve(q, filters=filters)
        yield found
        with self._lock:
            yield from answer_stream(
                q,
                found.sources,
                self.generator,
                case=found.case,
                config=self.answer_config,
                retrieval_s=found.seconds,
                similarity=self.similarity if self.answer_config.use_meaning else None,
            )

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

    def brief(self, topic: str, *, filters: Filters | None = None, top_k: int = 8) -> Briefing:
        """A cited briefing note on `topic` (Markdown: baggrund, beslutninger, åbne punkter) from the `top_k`
        best items, without the LLM. Raises what `retrieve` raises.

        Usage: `assistant.brief("sociale investeringer").markdown`.
        """
        found = self.retrieve(topic, filters=filters, top_k=top_k)
        return brief(topic, found.sources)

    def register_sources(self, *, filters: Filters | None = None, outcome: str | None = None) -> list[Source]:
        """Register rows as Sources (decision, outcome, whole item text), in date order."""
        out = []
        for row in self.decisions(filters=filters, outcome=outcome):
            item = self.index.item(row.doc_id, row.number)
            if item is None:
                continue
            out.append(item_source(row, item))
        return out

    def item(self, doc_id: str, number: str | None) -> AgendaItem | None:
        """One agenda item of an indexed document (`number` None: the part before the first item), else None."""
        return self.index.item(doc_id, number)

    def document(self, doc_id: str) -> DocumentInfo | None:
        """What the index records of one document, else None."""
        return self.index.documents.get(doc_id)

    def documents(self) -> list[tuple[str, DocumentInfo]]:
        """(document id, what the index records of it) for every indexed document, newest meeting first."""
        docs = sorted(self.index.documents.items(), key=lambda kv: (kv[1].body or "", kv[0]))
        return sorted(docs, key=lambda kv: kv[1].date or "", reverse=True)

    def remove_document(self, doc_id: str) -> bool:
        """Remove one document from the index and save, so its text is gone from disk. False when the index
        does not hold it. Raises `IndexMissing` when there is no index."""
        index = self.index
        if not index.remove_document(doc_id):
            return False
        index.save()
        self.reload()
        return True

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
        embedder. Usage: `assistant.ingest(expand_paths([Path("data/sample")]))`.
        """
        try:
            try:
                index = self.index
            except IndexMissing:
                index = Index.open_or_create(self.index_dir, self.embedder)
            for doc_id in remove:
                index.remove_document(doc_id)
            return ingest_files(files, index, self.embedder, on_file=on_file, by_name=by_name)
        finally:
            self.reload()

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


# A case number one body treats at more meetings than this within a year is a standing item's ("Godkendelse af
# dagsorden" comes to every meeting); a matter goes to each body a few times (Greve's Villa Sitka: 4 in a year).
_CASE_PER_BODY = 6


def _num(number: str | None) -> tuple[int, str]:
    return (int(number), "") if number and number.isdigit() else (-1, number or "")
