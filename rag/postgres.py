"""The PostgreSQL store: the index contract (`rag.stores.Store`) over PostgreSQL with pgvector, for an index that
several app processes share.

Four tables (created on first ingest; the server needs the pgvector extension):

    referat_meta       one row: format, embedder_id, dimension, revision (bumped by every writing transaction)
    referat_documents  DocumentInfo's fields, + the counts without closed items and the words in its chunks
    referat_items      one row per agenda item: the record as JSONB (rag.store.item_line) + doc_id, its order,
                       number, title, closed, case_number and the decision's outcome (the register)
    referat_chunks     id bigserial (= the chunk's *position*), doc_id, order, number, closed, the record as
                       JSONB (rag.store.chunk_line), embedding vector(dimension) with an HNSW index
                       (vector_ip_ops: normalised vectors, inner product, as the file index), and
                       words tsvector (header, text and file-name words as rag.lexical tokenizes them) with
                       a GIN index, n_words, the number of tokens (BM25's length), and tf, each token's count

Dense search is `ORDER BY embedding <#> q LIMIT k` (hnsw.ef_search as the file index's HNSW, iterative scans
where pgvector >= 0.8 has them, so a document filter still gives k rows). Lexical search is BM25 in SQL over
PostgreSQL's full-text types: the question's tokens OR-ed into a tsquery (a plain AND of a natural question's words
finds nothing), the GIN index finds the chunks holding any of them, and each is scored as the file index's bm25s
scores it (k1 1.5, b 0.75, Lucene's idf and tf), one GIN lookup per question token, its count read from `tf`.

The tokens are `rag.lexical.tokenize`'s (Danish Snowball stems, as PostgreSQL's 'danish' configuration makes, and
bm25s's Danish stop words), stored as a tsvector with their positions: `to_tsvector('danish', ...)` reads case
numbers ("1-00-14-22") as four signed integers, keeps no year of a date ("22.01.2021") and stops fewer question
words ("hvem", "hvornår"); with it hybrid hit@1 on eval/dev.jsonl was 0.923 against the file index's 0.962.

Every read and search of `without_closed()` adds `NOT closed` to its WHERE clause. `upsert_document` and
`remove_document` are one transaction each; an unchanged document embeds nothing, and unchanged passages keep
their stored vectors.

One connection per store (autocommit; writes in explicit transactions), used under a lock: safe to share between
the app's threads. `revision` reads the counter from the server; searches and chunk reads see other processes'
writes at once, documents and items (cached per revision) within _FRESH_S (50 ms), or at once after `revision`.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from ingest.errors import ConfigError, DocumentError, IndexMismatch, IndexMissing
from ingest.records import AgendaItem, Chunk, Document
from rag.embed import Embedder, embed_missing
from rag.index import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, DocumentInfo, document_head, file_words
from rag.lexical import tokenize
from rag.store import chunk_from_line, chunk_line, item_from_json, item_line

FORMAT_VERSION = 1
# How long a revision read from the server is trusted by the document and item caches (seconds): another
# process's write is seen within this; this process's own writes at once.
_FRESH_S = 0.05
_PAGE = 1000  # chunks per query when iterating over all of them
_ITEM_CACHE = 1024  # documents whose items are kept, as the file index keeps them


def redacted(url: str) -> str:
    """`url` without its password (in the user part or as a `password=` parameter), for messages.

    >>> redacted("postgresql://referat:hemmelig@db.example.dk:5432/referat?sslmode=require&password=x")
    'postgresql://referat@db.example.dk:5432/referat?sslmode=require'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"], safe="/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class PostgresIndex:
    """Chunk vectors + chunk/item records for a set of documents, in a PostgreSQL database.

    Open with `load` (an existing store) or `open_or_create`; `without_closed()` gives the view without closed
    items. Usage: `PostgresIndex.open_or_create("postgresql://referat@db/referat", embedder)`.
    """

    def __init__(self, conn: Any, url: str, *, embedder_id: str, dimension: int, hide_closed: bool = False) -> None:
        # Use `load` or `open_or_create`; the constructor only holds state.
        self._conn = conn
        self._url = url
        self.embedder_id = embedder_id
        self.dimension = dimension
        self._hide_closed = hide_closed
        self._open = " AND NOT closed" if hide_closed else ""
        self._lock = threading.RLock()
        # The revision last read from the server and when (time.monotonic), shared with the views: the caches
        # below trust it for _FRESH_S, so a question's dozen reads cost one revision query, not a dozen.
        self._seen = _Seen()
        self._cache_revision = -1
        self._docs: dict[str, DocumentInfo] = {}
        self._items: dict[str, tuple[AgendaItem, ...]] = {}
        self._full: PostgresIndex = self

    # ----------------------------------------------------------------- construction

    @classmethod
    def load(cls, url: str, embedder_id: str | None = None) -> PostgresIndex:
        """The store at `url`; refuse it when it was built with another embedder than `embedder_id`.

        Raises `ConfigError` (server unreachable, no pgvector), `IndexMissing` (nothing ingested there yet) and
        `IndexMismatch` (another embedder or format).
        """
        conn = _connect(url, create=False)
        try:
            meta = _meta(conn)
            if meta is None:
                raise IndexMissing(
                    f"No Referat store at {redacted(url)} — run `referat ingest PATH --store URL` first."
                )
            fmt, built_with, dimension = meta
            if fmt != FORMAT_VERSION:
                raise IndexMismatch(
                    f"The store at {redacted(url)} has format {fmt}; this Referat reads format {FORMAT_VERSION}. "
                    "Re-ingest into an empty database."
                )
            if embedder_id is not None and embedder_id != built_with:
                raise IndexMismatch.of_embedder(redacted(url), built_with, embedder_id)
        except BaseException:
            conn.close()
            raise
        return cls(conn, url, embedder_id=built_with, dimension=dimension)

    @classmethod
    def open_or_create(cls, url: str, embedder: Embedder) -> PostgresIndex:
        """The store at `url`, checked against `embedder`; its tables (and the vector extension, where the user
        may create it) are created when there are none. Raises what `load` raises."""
        conn = _connect(url, create=True)
        try:
            if _meta(conn) is None:
                _create_schema(conn, embedder.model_id, embedder.dimension)
        except _psycopg().Error as e:
            raise ConfigError(
                f"Cannot create Referat's tables at {redacted(url)}: {_first_line(e)}. Connect as a user who may "
                "create tables in that database."
            ) from None
        finally:
            conn.close()
        store = cls.load(url, embedder.model_id)
        if store.dimension != embedder.dimension:
            store.close()
            raise IndexMismatch(
                f"The store at {redacted(url)} has dimension {store.dimension}; {embedder.model_id} gives "
                f"{embedder.dimension}. Re-ingest into an empty database."
            )
        return store

    def close(self) -> None:
        """Close the connection (the views share it)."""
        self._conn.close()

    def without_closed(self) -> PostgresIndex:
        """This store as a reader without the right to closed agenda items sees it: every query adds `NOT closed`;
        counts leave them out; writes go to the store itself."""
        if self._hide_closed:
            return self
        view = PostgresIndex(self._conn, self._url, embedder_id=self.embedder_id, dimension=self.dimension,
                             hide_closed=True)  # fmt: skip
        view._lock = self._lock
        view._seen = self._seen
        view._full = self
        return view

    # ----------------------------------------------------------------- reading

    @property
    def directory(self) -> str:
        """The URL without its password (where messages say the index is)."""
        return redacted(self._url)

    @property
    def revision(self) -> int:
        """The server's change counter, read now: moves on every write, by any process."""
        with self._lock:
            self._seen.revision = int(self._query("SELECT revision FROM referat_meta")[0][0])
            self._seen.at = time.monotonic()
            return self._seen.revision

    def __len__(self) -> int:
        return sum(info.n_chunks for info in self._documents().values())

    @property
    def documents(self) -> Mapping[str, DocumentInfo]:
        """A read-only snapshot (a later change replaces the cached mapping, never alters this one)."""
        return MappingProxyType(self._documents())

    def items(self, doc_id: str) -> tuple[AgendaItem, ...]:
        self._documents()  # clears the caches when the revision moved
        found = self._items.get(doc_id)
        if found is None:
            if len(self._items) >= _ITEM_CACHE:  # the register walks every document's items
                self._items.pop(next(iter(self._items)))
            rows = self._query(
                f"SELECT record FROM referat_items WHERE doc_id = %s{self._open} ORDER BY ord", (doc_id,)
            )
            found = self._items[doc_id] = tuple(item_from_json(r[0]) for r in rows)
        return found

    def item(self, doc_id: str, number: str | None) -> AgendaItem | None:
        return next((it for it in self.items(doc_id) if it.number == number), None)

    def chunks_of(self, doc_id: str) -> tuple[Chunk, ...]:
        rows = self._query(
            f"SELECT record::text FROM referat_chunks WHERE doc_id = %s{self._open} ORDER BY ord", (doc_id,)
        )
        return tuple(chunk_from_line(r[0]) for r in rows)

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk by position (row id): `chunks[p]` is one query; prefer `chunks_at` for several."""
        return _Chunks(self)

    def chunks_at(self, positions: Sequence[int]) -> list[Chunk]:
        """The chunks at these positions (row ids), in the order given, in one query. IndexError for a position
        that holds no chunk (or, in the view without closed items, a closed item's chunk)."""
        wanted = [int(p) for p in positions]
        if not wanted:
            return []
        rows = self._query(f"SELECT id, record::text FROM referat_chunks WHERE id = ANY(%s){self._open}", (wanted,))
        by_id = {int(i): chunk_from_line(text) for i, text in rows}
        missing = [p for p in wanted if p not in by_id]
        if missing:
            raise IndexError(f"no chunk at positions {missing[:5]} in {self.directory}")
        return [by_id[p] for p in wanted]

    def positions_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        rows = self._query(
            f"SELECT id FROM referat_chunks WHERE doc_id = ANY(%s){self._open} ORDER BY id", (list(set(doc_ids)),)
        )
        return np.asarray([r[0] for r in rows], dtype=np.int64)

    def search_dense(
        self, query_vec: np.ndarray, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` chunks nearest `query_vec` as (position, inner product), best first; see `Store.search_dense`."""
        if k <= 0:
            raise ConfigError(f"k must be > 0, got {k}")
        q = np.asarray(query_vec, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.dimension:
            raise IndexMismatch(f"query vector has dimension {q.shape[0]}; the store has {self.dimension}")
        where, params = self._where(doc_ids)
        sql = (
            f"SELECT id, -(embedding <#> %(q)s) FROM referat_chunks WHERE TRUE{where} "
            "ORDER BY embedding <#> %(q)s LIMIT %(k)s"
        )
        if k <= HNSW_EF_SEARCH:  # the session's ef_search (set on connecting) suffices
            rows = self._query(sql, {**params, "q": q, "k": k})
        else:
            with self._lock, self._conn.transaction():
                self._conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(k),))
                rows = self._conn.execute(sql, {**params, "q": q, "k": k}).fetchall()
        return [(int(i), float(s)) for i, s in rows]

    def search_lexical(
        self, question: str, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` chunks best matching `question`'s Danish lexemes (any of them), as (position, BM25 score > 0),
        best first. See the module docstring."""
        if k <= 0:
            raise ConfigError(f"k must be > 0, got {k}")
        if not question.strip():
            return []
        where, params = self._where(doc_ids, table="p.")
        terms = [t for t in tokenize(question) if _lexeme_ok(t)]
        if not terms:
            return []
        rows = self._query(_BM25.format(where=where), {**params, "terms": terms, "k": k, "k1": _K1, "b": _B})
        return [(int(i), float(s)) for i, s in rows if s is not None and s > 0]

    def warm_up(self) -> None:
        """Read the documents now (there is nothing to build: the server keeps the indexes)."""
        self._documents()

    # ----------------------------------------------------------------- writing

    def upsert_document(self, document: Document, chunks: Sequence[Chunk], embedder: Embedder) -> int:
        """Add or replace one document in one transaction; return how many passages were embedded.

        Nothing is embedded (and nothing written) when the document is stored unchanged; passages whose text
        (header + text) is unchanged keep their stored vector. Raises `IndexMismatch` for another embedder,
        `ConfigError` for chunks of another document, `DocumentError` when the server refuses the records (the
        transaction is rolled back: the store holds what it held before).
        """
        base = self._full
        base._check_embedder(embedder)
        doc_id = document.doc_id
        stray = [c.id for c in chunks if c.doc_id != doc_id]
        if stray:
            raise ConfigError(f"chunks {stray[:3]} do not belong to document {doc_id!r}")
        old = base._documents().get(doc_id)
        head = document_head(document)
        if (
            old is not None
            and (old.content_hash, old.source, old.body, old.date, old.kind, old.head)
            == (document.content_hash, document.source, document.body, document.date, document.kind, head)
            and base.items(doc_id) == tuple(document.items)
            and base.chunks_of(doc_id) == tuple(chunks)
        ):
            return 0
        known: dict[str, np.ndarray] = {}
        if old is not None:
            rows = base._query("SELECT embed_text, embedding FROM referat_chunks WHERE doc_id = %s", (doc_id,))
            known = {text: np.asarray(vec.to_numpy(), dtype=np.float32) for text, vec in rows}  # pgvector's Vector
        embedded = embed_missing(embedder, [c.embed_text for c in chunks], known, self.dimension)
        closed = {it.number for it in document.items if it.closed}
        chunk_closed = [c.number in closed for c in chunks]
        info = (
            doc_id, document.content_hash, document.source, document.body, document.date, document.kind,
            len(document.items), len(chunks), datetime.now(UTC).isoformat(timespec="seconds"), head,
            json.dumps([it.number for it in document.items if it.closed]),
            len(document.items) - sum(it.closed for it in document.items), len(chunks) - sum(chunk_closed),
        )  # fmt: skip
        items = [
            (doc_id, i, it.number, it.title, it.closed, it.case_number, it.decision.outcome, item_line(it).decode())
            for i, it in enumerate(document.items)
        ]
        rows_out = [
            (doc_id, i, c.number, shut, c.embed_text, chunk_line(c, None).decode(), known[c.embed_text],
             *_words(f"{c.embed_text}\n{file_words(doc_id)}"))
            for i, (c, shut) in enumerate(zip(chunks, chunk_closed, strict=True))
        ]  # fmt: skip
        try:
            with base._lock, base._conn.transaction():
                cur = base._conn.cursor()
                cur.execute("SELECT revision FROM referat_meta FOR UPDATE")  # one writer at a time
                cur.execute("DELETE FROM referat_documents WHERE doc_id = %s", (doc_id,))
                cur.execute(_INSERT_DOCUMENT, info)
                cur.executemany(_INSERT_ITEM, items)
                cur.executemany(_INSERT_CHUNK, rows_out)
                cur.execute(
                    "UPDATE referat_documents SET n_words = (SELECT coalesce(sum(n_words), 0) FROM referat_chunks "
                    "WHERE doc_id = %s) WHERE doc_id = %s",
                    (doc_id, doc_id),
                )
                cur.execute("UPDATE referat_meta SET revision = revision + 1")
        except _psycopg().DataError as e:
            raise DocumentError(document.source, f"PostgreSQL refused its records ({_first_line(e)})") from None
        base.revision  # noqa: B018 - read now: this process's reads follow its own write at once
        return embedded

    def remove_document(self, doc_id: str) -> bool:
        """Forget a document (items, chunks, vectors) in one transaction. False when it was not stored."""
        base = self._full
        with base._lock, base._conn.transaction():
            gone = base._conn.execute("DELETE FROM referat_documents WHERE doc_id = %s RETURNING 1", (doc_id,))
            if not gone.fetchall():
                return False
            base._conn.execute("UPDATE referat_meta SET revision = revision + 1")
        base.revision  # noqa: B018 - as in upsert_document
        return True

    def save(self) -> str:
        """Nothing to do: every write is committed as it is made. Returns `directory`."""
        return self.directory

    # ----------------------------------------------------------------- internals

    def _query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _where(self, doc_ids: Collection[str] | None, *, table: str = "") -> tuple[str, dict[str, Any]]:
        """The WHERE conditions (after TRUE) for a document filter and this view's closed items."""
        where = f" AND NOT {table}closed" if self._hide_closed else ""
        params: dict[str, Any] = {}
        if doc_ids is not None:
            where += f" AND {table}doc_id = ANY(%(docs)s)"
            params["docs"] = list(doc_ids)
        return where, params

    def _documents(self) -> dict[str, DocumentInfo]:
        """doc_id -> DocumentInfo, read again when the revision moved (the item cache is dropped with it). The
        revision is read from the server when the last reading is older than _FRESH_S."""
        with self._lock:
            revision = self._seen.revision
            if time.monotonic() - self._seen.at > _FRESH_S:
                revision = self.revision
            if revision != self._cache_revision:
                counts = "open_items, open_chunks, '[]'::jsonb" if self._hide_closed else "n_items, n_chunks, closed"
                rows = self._query(
                    "SELECT doc_id, content_hash, source, body, date, kind, "
                    f"{counts}, ingested_at, head FROM referat_documents ORDER BY doc_id"
                )
                self._docs = {r[0]: _info(r) for r in rows}
                self._items = {}
                self._cache_revision = revision
            return self._docs

    def _check_embedder(self, embedder: Embedder) -> None:
        if embedder.model_id != self.embedder_id:
            raise IndexMismatch.of_embedder(self.directory, self.embedder_id, embedder.model_id)
        if embedder.dimension != self.dimension:
            raise IndexMismatch(
                f"The store at {self.directory} has dimension {self.dimension}; {embedder.model_id} gives "
                f"{embedder.dimension}. Re-ingest into an empty database."
            )

    def _iter_chunks(self) -> Iterator[Chunk]:
        last = -1
        while True:
            rows = self._query(
                f"SELECT id, record::text FROM referat_chunks WHERE id > %s{self._open} ORDER BY id LIMIT {_PAGE}",
                (last,),
            )
            for _, text in rows:
                yield chunk_from_line(text)
            if len(rows) < _PAGE:
                return
            last = int(rows[-1][0])


@dataclass
class _Seen:
    """The revision a store (and its views) last read from the server, and when (time.monotonic())."""

    revision: int = -1
    at: float = -_FRESH_S


class _Chunks(Sequence[Chunk]):
    """`PostgresIndex.chunks`: chunks by position (row id), read when asked for."""

    def __init__(self, store: PostgresIndex) -> None:
        self._store = store

    def __len__(self) -> int:
        return len(self._store)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Chunk, ...]: ...
    def __getitem__(self, i: int | slice) -> Chunk | tuple[Chunk, ...]:
        if isinstance(i, slice):
            raise TypeError("positions in PostgreSQL are row ids, not a range: use chunks_at(positions)")
        return self._store.chunks_at([i])[0]

    def __iter__(self) -> Iterator[Chunk]:
        return self._store._iter_chunks()


# BM25 as rag.lexical's bm25s ("lucene"): the file index's parameters.
_K1 = 1.5
_B = 0.75
# The question's tokens (each as often as it occurs, as bm25s counts them); every (token, chunk holding it) pair,
# one GIN lookup per token, which also gives each token's chunk count for its idf (over all chunks, as the file
# index's); then the pairs this search may see, each chunk scored by BM25 over the tokens it holds.
_BM25 = """
    WITH terms AS MATERIALIZED (
        SELECT lexeme, count(*)::float8 AS qtf, quote_literal(lexeme)::tsquery AS q
        FROM unnest(%(terms)s::text[]) AS lexeme GROUP BY lexeme
    ), stats AS MATERIALIZED (
        SELECT coalesce(sum(n_chunks), 0)::float8 AS n,
               coalesce(sum(n_words)::float8 / nullif(sum(n_chunks), 0), 1) AS avgdl
        FROM referat_documents
    ), pairs AS MATERIALIZED (
        SELECT t.lexeme, t.qtf, c.id, c.doc_id, c.closed, c.n_words, (c.tf ->> t.lexeme)::float8 AS tf
        FROM terms t JOIN referat_chunks c ON c.words @@ t.q
    ), df AS MATERIALIZED (
        SELECT lexeme, count(*)::float8 AS df FROM pairs GROUP BY lexeme
    )
    SELECT p.id, sum(p.qtf * ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5))
                     * p.tf / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.n_words / s.avgdl))) AS score
    FROM pairs p JOIN df USING (lexeme) CROSS JOIN stats s
    WHERE TRUE{where}
    GROUP BY p.id ORDER BY score DESC, p.id LIMIT %(k)s
"""

_INSERT_DOCUMENT = """
    INSERT INTO referat_documents (doc_id, content_hash, source, body, date, kind, n_items, n_chunks, ingested_at,
                                   head, closed, open_items, open_chunks)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)
"""
_INSERT_ITEM = """
    INSERT INTO referat_items (doc_id, ord, number, title, closed, case_number, outcome, record)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb)
"""
_INSERT_CHUNK = """
    INSERT INTO referat_chunks (doc_id, ord, number, closed, embed_text, record, embedding, words, n_words, tf)
    VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s::tsvector, %s, %s::jsonb)
"""
# PostgreSQL's limits: a lexeme is at most 2047 bytes, keeps at most 256 positions, and positions end at 16383.
_MAX_LEXEME = 2047
_MAX_POSITIONS = 256
_MAX_POSITION = 16383


def _lexeme_ok(token: str) -> bool:
    return len(token.encode()) <= _MAX_LEXEME and "'" not in token and "\\" not in token


def _words(text: str) -> tuple[str, int, str]:
    """`text`'s tokens (rag.lexical.tokenize): as a tsvector literal with their positions, how many there are, and
    each token's count as a JSON object (a tsvector keeps at most 256 positions of a token, and reading a count
    from it means unnesting the whole vector).

    >>> literal, n, counts = _words("Sag 1-00-14-22 om sag")
    >>> literal, n
    ("'00':4 '1':3 '1-00-14-22':2 '14':5 '22':6 'sag':1,7", 7)
    >>> counts
    '{"sag": 2, "1-00-14-22": 1, "1": 1, "00": 1, "14": 1, "22": 1}'
    """
    tokens = tokenize(text)
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens, 1):
        if _lexeme_ok(token):
            positions.setdefault(token, []).append(min(i, _MAX_POSITION))
    literal = " ".join(
        f"'{token}':{','.join(map(str, at[:_MAX_POSITIONS]))}" for token, at in sorted(positions.items())
    )
    counts = json.dumps({token: len(at) for token, at in positions.items()}, ensure_ascii=False)
    return literal, len(tokens), counts


def _info(row: tuple[Any, ...]) -> DocumentInfo:
    """A `referat_documents` row (doc_id, content_hash, source, body, date, kind, n_items, n_chunks, closed,
    ingested_at, head) as DocumentInfo."""
    _, content_hash, source, body, date, kind, n_items, n_chunks, closed, ingested_at, head = row
    return DocumentInfo(
        content_hash, source, body, date, kind, n_items, n_chunks, ingested_at, head=head, closed=tuple(closed)
    )


def _create_schema(conn: Any, embedder_id: str, dimension: int) -> None:
    if not isinstance(dimension, int) or dimension <= 0:
        raise ConfigError(f"dimension must be > 0, got {dimension}")
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('referat_schema'))")  # two first ingests at once
        if _meta(conn) is not None:
            return
        conn.execute(f"""
            CREATE TABLE referat_meta (
                one boolean PRIMARY KEY DEFAULT true CHECK (one),
                format int NOT NULL, embedder_id text NOT NULL, dimension int NOT NULL,
                revision bigint NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE referat_documents (
                doc_id text PRIMARY KEY, content_hash text NOT NULL, source text NOT NULL, body text, date text,
                kind text, n_items int NOT NULL, n_chunks int NOT NULL, ingested_at text NOT NULL,
                head text NOT NULL, closed jsonb NOT NULL, open_items int NOT NULL, open_chunks int NOT NULL,
                n_words bigint NOT NULL DEFAULT 0);
            CREATE TABLE referat_items (
                doc_id text NOT NULL REFERENCES referat_documents ON DELETE CASCADE, ord int NOT NULL,
                number text, title text NOT NULL, closed boolean NOT NULL, case_number text, outcome text NOT NULL,
                record jsonb NOT NULL, PRIMARY KEY (doc_id, ord));
            CREATE INDEX referat_items_case ON referat_items (case_number) WHERE case_number IS NOT NULL;
            CREATE TABLE referat_chunks (
                id bigserial PRIMARY KEY,
                doc_id text NOT NULL REFERENCES referat_documents ON DELETE CASCADE, ord int NOT NULL,
                number text, closed boolean NOT NULL, embed_text text NOT NULL, record jsonb NOT NULL,
                embedding vector({dimension}) NOT NULL, words tsvector NOT NULL, n_words int NOT NULL,
                tf jsonb NOT NULL);
            CREATE INDEX referat_chunks_doc ON referat_chunks (doc_id, ord);
            CREATE INDEX referat_chunks_words ON referat_chunks USING gin (words);
            CREATE INDEX referat_chunks_embedding ON referat_chunks USING hnsw (embedding vector_ip_ops)
                WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION});
        """)
        conn.execute(
            "INSERT INTO referat_meta (format, embedder_id, dimension) VALUES (%s, %s, %s)",
            (FORMAT_VERSION, embedder_id, dimension),
        )


def _meta(conn: Any) -> tuple[int, str, int] | None:
    """(format, embedder_id, dimension) of the store in this database, or None when there is none."""
    if conn.execute("SELECT to_regclass('referat_meta')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT format, embedder_id, dimension FROM referat_meta").fetchone()
    return None if row is None else (int(row[0]), str(row[1]), int(row[2]))


def _connect(url: str, *, create: bool) -> Any:
    """An autocommit connection with pgvector's types registered. `create`: create the extension if it is missing
    (and the user may). Raises `ConfigError` naming the URL without its password."""
    psycopg = _psycopg()
    shown = redacted(url)
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        raise ConfigError(
            f"Cannot reach PostgreSQL at {shown}: {_first_line(e)}. Check the URL (--store or REFERAT_STORE) "
            "and that the server is running."
        ) from None
    try:
        if create:
            with contextlib.suppress(psycopg.Error):  # not installed on the server, or not ours: said below
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        if row is None and not create:
            return conn  # nor any tables of ours: `load` says there is nothing ingested
        if row is None:
            raise ConfigError(
                f"PostgreSQL at {shown} has no pgvector extension. Install pgvector on the server "
                "(https://github.com/pgvector/pgvector; managed services offer it as `vector`) and run "
                "`CREATE EXTENSION vector;` in the database as its owner."
            )
        if tuple(int(x) for x in re.findall(r"\d+", row[0])[:2]) >= (0, 8):
            # A filtered HNSW scan goes on until it has k rows (pgvector >= 0.8), in exact distance order.
            conn.execute("SET hnsw.iterative_scan = strict_order")
        conn.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
        from pgvector.psycopg import register_vector

        register_vector(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _psycopg() -> Any:
    """psycopg, imported on first use (only the PostgreSQL store needs it)."""
    try:
        import psycopg
    except ImportError:
        raise ConfigError(
            "The PostgreSQL store needs psycopg and pgvector: pip install 'psycopg[binary]' pgvector"
        ) from None
    return psycopg


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]
