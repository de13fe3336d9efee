"""The index contract (`Store`) that retrieval, the assistant and ingest use, and the one function that opens a store.

Two stores keep it: the file index (`rag.index.Index`, a directory; the embedded default) and the PostgreSQL
store (`rag.postgres.PostgresIndex`, a `postgresql://` URL, for several app processes sharing one index). Where
a store is named, a string that starts with `postgresql://` (or `postgres://`) is a PostgreSQL server; anything
else is a directory.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ingest.records import AgendaItem, Chunk, Document
from rag.embed import Embedder
from rag.index import DocumentInfo, Index

URL_SCHEMES = ("postgresql://", "postgres://")


class Store(Protocol):
    """What callers may use of an index: documents, items and chunks by id, dense and lexical search, writes.

    Positions are ints that name one chunk in `chunks` (the file index: 0..len-1 in storage order, stable until
    the next change; PostgreSQL: the chunk's row id, stable for as long as the chunk is stored). Scores are
    higher-is-better floats, comparable only within one result list.
    """

    @property
    def embedder_id(self) -> str:
        """The embedder whose vectors the store holds (`Embedder.model_id`)."""
        ...

    @property
    def dimension(self) -> int:
        """Length of each stored vector."""
        ...

    @property
    def directory(self) -> Path | str:
        """Where the store is, for messages: the index directory, or the URL without its password."""
        ...

    @property
    def revision(self) -> int:
        """A counter that moves on every change (in PostgreSQL also on changes made by other processes)."""
        ...

    def __len__(self) -> int:
        """The number of chunks (that this view may read)."""
        ...

    @property
    def documents(self) -> Mapping[str, DocumentInfo]:
        """doc_id -> what the store records of the document (a snapshot; changing it changes nothing)."""
        ...

    def items(self, doc_id: str) -> tuple[AgendaItem, ...]:
        """The document's agenda items in document order, with their decisions (the register); () if unknown."""
        ...

    def item(self, doc_id: str, number: str | None) -> AgendaItem | None:
        """One agenda item (`number` None: the part before the first item), or None."""
        ...

    def chunks_of(self, doc_id: str) -> tuple[Chunk, ...]:
        """The document's chunks in document order; () if unknown."""
        ...

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, indexed by position (`chunks[p]`; IndexError for a position that holds none)."""
        ...

    def chunks_at(self, positions: Sequence[int]) -> list[Chunk]:
        """The chunks at these positions, in the order given, read in one go (one query in PostgreSQL).
        Raises IndexError for a position that holds no chunk (removed since it was found)."""
        ...

    def positions_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Sorted int64 positions of every chunk of these documents (unknown ids are skipped)."""
        ...

    def search_dense(
        self, query_vec: np.ndarray, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` chunks nearest the (dimension,) float32 query vector as (position, inner product), best first;
        `doc_ids` restricts the search to those documents. Raises `ConfigError` for k <= 0, `IndexMismatch` for
        a vector of another dimension."""
        ...

    def search_lexical(
        self, question: str, k: int, *, doc_ids: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        """The `k` chunks whose words (citation header, text, file name) best match `question`, as (position,
        score > 0), best first; `doc_ids` restricts the search. Raises `ConfigError` for k <= 0."""
        ...

    def upsert_document(self, document: Document, chunks: Sequence[Chunk], embedder: Embedder) -> int:
        """Add or replace one document with its items and chunks; return how many passages were embedded (0 when
        it is stored unchanged; passages whose text is unchanged keep their vector). Raises `IndexMismatch` for
        another embedder, `ConfigError` for chunks of another document."""
        ...

    def remove_document(self, doc_id: str) -> bool:
        """Forget the document (items, chunks, vectors); False when it was not stored."""
        ...

    def save(self) -> object:
        """Make the writes durable (the file index writes a segment; PostgreSQL commits each write at once)."""
        ...

    def warm_up(self) -> None:
        """Build in-memory search structures now rather than on the first search."""
        ...

    def without_closed(self) -> Store:
        """This store as a reader without the right to closed agenda items (`AgendaItem.closed`) sees it: every
        read, count and search leaves them out, inside the query itself."""
        ...


def is_url(where: str | os.PathLike[str]) -> bool:
    """Whether `where` names a PostgreSQL server rather than a directory.

    >>> is_url("postgresql://referat@db/referat"), is_url("data/index")
    (True, False)
    """
    return str(where).startswith(URL_SCHEMES)


def shown(where: str | os.PathLike[str]) -> str:
    """`where` as messages and reports name it: a URL without its password, a directory as it is.

    >>> shown("postgresql://referat:hemmelig@db/referat"), shown(Path("data/index"))
    ('postgresql://referat@db/referat', 'data/index')
    """
    if is_url(where):
        from rag.postgres import redacted

        return redacted(str(where))
    return str(where)


def open_store(where: str | os.PathLike[str], embedder_id: str | None = None) -> Store:
    """The existing store at `where` (a directory or a `postgresql://` URL), checked against `embedder_id`.

    Raises `IndexMissing` (nothing ingested there), `IndexMismatch` (another embedder), `ConfigError` (the server
    cannot be reached or has no pgvector; the message names the URL without its password).

    >>> open_store("/nonexistent/index")
    Traceback (most recent call last):
    ...
    ingest.errors.IndexMissing: No index at /nonexistent/index — run `referat ingest PATH` first.
    """
    if is_url(where):
        from rag.postgres import PostgresIndex

        return PostgresIndex.load(str(where), embedder_id)
    return Index.load(where, embedder_id)


def open_or_create_store(where: str | os.PathLike[str], embedder: Embedder) -> Store:
    """The store at `where` (a directory or a `postgresql://` URL), created empty for `embedder` when there is none.
    Raises what `open_store` raises.

    >>> from rag.embed import HashEmbedder
    >>> len(open_or_create_store("/tmp/doctest-store", HashEmbedder(dimension=32)))
    0
    """
    if is_url(where):
        from rag.postgres import PostgresIndex

        return PostgresIndex.open_or_create(str(where), embedder)
    return Index.open_or_create(where, embedder)


if TYPE_CHECKING:  # mypy checks that both stores and their closed-item views keep the contract

    def _keep_the_contract(index: Index) -> list[Store]:
        from rag.postgres import PostgresIndex

        pg = PostgresIndex.load("postgresql://")
        return [index, index.without_closed(), pg, pg.without_closed()]
