"""The vector index: incremental upserts, removal, manifest checks and crash-safe saving."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import ConfigError, IndexMismatch, IndexMissing
from ingest.records import AgendaItem, Chunk, Decision, Document, Section, chunk_id, content_hash
from rag.embed import HashEmbedder
from rag.index import Index

REPO = Path(__file__).resolve().parents[2]


class CountingEmbedder(HashEmbedder):
    """A HashEmbedder that counts the passages it embeds."""

    def __init__(self, dimension: int = 64) -> None:
        super().__init__(dimension)
        self.passages = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages += len(texts)
        return super().embed_passages(texts)


def make_doc(
    doc_id: str, items: dict[str, list[str]], *, body: str = "KD-Net", date: str | None = "2021-01-22"
) -> tuple[Document, list[Chunk]]:
    """A document whose items hold the given passages, and its chunks (one per passage)."""
    agenda, chunks, text, offset = [], [], "", 0
    for number, passages in items.items():
        title = f"Punkt {number} titel"
        item_text = "\n".join(passages)
        agenda.append(
            AgendaItem(
                doc_id=doc_id,
                number=number,
                title=title,
                text=item_text,
                span=(offset, offset + len(item_text)),
                case_number=f"1-00-{number}-21",
                sections=(Section("Referat", item_text, 0, len(item_text)),),
                decision=Decision(sentences=(passages[-1],), outcome="godkendt"),
            )
        )
        for i, p in enumerate(passages):
            header = f"{body} {date}, punkt {number}: {title}"
            chunks.append(
                Chunk(chunk_id(doc_id, number, i, p), doc_id, number, title, "Referat", p, header,
                      offset, offset + len(p), body, date)
            )  # fmt: skip
            offset += len(p) + 1
        text += item_text + "\n"
    doc = Document(doc_id, f"{doc_id}.txt", text, tuple(agenda), body=body, date=date,
                   kind="referat", content_hash=content_hash(text.encode()))  # fmt: skip
    return doc, chunks


@pytest.fixture
def emb() -> CountingEmbedder:
    return CountingEmbedder()


def test_unchanged_reingest_embeds_nothing(tmp_path: Path, emb: CountingEmbedder) -> None:
    idx = Index.create(tmp_path, emb.model_id, emb.dimension)
    doc, chunks = make_doc("d1", {"1": ["Midttrafik får ny model", "KD-Net godkendte"], "2": ["Eventuelt"]})
    assert idx.upsert_document(doc, chunks, emb) == 3
    idx.save()

    again = Index.load(tmp_path, emb.model_id)
    assert again.documents["d1"].content_hash == doc.content_hash
    emb.passages = 0
    assert again.upsert_document(doc, chunks, emb) == 0
    assert emb.passages == 0


def _write_format_1(path: Path, docs: list[tuple[Document, list[Chunk]]], emb: HashEmbedder) -> None:
    """An index as format 1 saved it: one version directory, the manifest naming it (chunk field `item_number`,
    as the oldest indexes have it)."""
    import dataclasses

    data = path / "v000003-abcdef"
    data.mkdir(parents=True)
    chunks = [c for _, cs in docs for c in cs]
    with open(data / "chunks.jsonl", "w", encoding="utf-8") as f:
        for vid, c in enumerate(chunks):
            rec = {"vid": vid, **dataclasses.asdict(c)}
            rec["item_number"] = rec.pop("number")
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(data / "items.jsonl", "w", encoding="utf-8") as f:
        for d, _ in docs:
            f.writelines(json.dumps(dataclasses.asdict(it), ensure_ascii=False) + "\n" for it in d.items)
    np.save(data / "vectors.npy", emb.embed_passages([c.embed_text for c in chunks]).astype(np.float32))
    (data / "faiss.index").write_bytes(b"")  # format 1 kept FAISS here; format 2 does not read it
    info = {"source": "x.txt", "body": "KD-Net", "date": "2021-01-22", "kind": "referat", "ingested_at": "2024"}
    documents = {
        d.doc_id: {**info, "content_hash": d.content_hash, "n_items": len(d.items), "n_chunks": len(cs)}
        for d, cs in docs
    }
    manifest = {"format_version": 1, "data": data.name, "embedder_id": emb.model_id, "dimension": emb.dimension,
                "normalized": True, "index_type": "auto", "hnsw": None, "n_chunks": len(chunks),
                "next_id": len(chunks), "documents": documents}  # fmt: skip
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_a_format_1_index_loads_and_the_next_save_rewrites_it(tmp_path: Path, emb: CountingEmbedder) -> None:
    docs = [make_doc("d1", {"6": ["Midttrafik får ny model", "KD-Net godkendte"]}), make_doc("d2", {"1": ["tog"]})]
    _write_format_1(tmp_path, docs, emb)
    old = Index.load(tmp_path, emb.model_id)
    assert [(c.doc_id, c.number) for c in old.chunks] == [("d1", "6"), ("d1", "6"), ("d2", "1")]
    assert old.item("d1", "6") == docs[0][0].items[0]
    assert old.chunks[old.search_dense(emb.embed_query("tog"), 1)[0][0]].text == "tog"

    saved = old.save()
    assert json.loads((tmp_path / "manifest.json").read_text())["format_version"] == 2
    assert (tmp_path / "v000003-abcdef").is_dir()  # kept for a reader of the previous manifest
    again = Index.load(tmp_path, emb.model_id)
    assert again.chunks == old.chunks and again.items("d2") == docs[1][0].items
    np.testing.assert_array_equal(again.vectors, old.vectors)
    again.save()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [saved.name]


def test_an_unknown_format_is_refused_with_the_fix(tmp_path: Path, emb: CountingEmbedder) -> None:
    Index.create(tmp_path, emb.model_id, emb.dimension).save()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "format_version": 9}))
    with pytest.raises(IndexMismatch, match=r"format version 9.*--rebuild"):
        Index.load(tmp_path)


def test_changed_document_replaces_its_chunks(tmp_path: Path, emb: CountingEmbedder) -> None:
    idx = Index.create(tmp_path, emb.model_id, emb.dimension)
    doc, chunks = make_doc("d1", {"1": ["gammel tekst om busser", "uændret afsnit"]})
    other, other_chunks = make_doc("d2", {"1": ["andet dokument"]})
    idx.upsert_document(doc, chunks, emb)
    idx.upsert_document(other, other_chunks, emb)

    new_doc, new_chunks = make_doc("d1", {"1": ["ny tekst om tog", "uændret afsnit"], "2": ["nyt punkt"]})
    emb.passages = 0
    # Only the passages whose text changed are embedded; the unchanged one keeps its vector.
    assert idx.upsert_document(new_doc, new_chunks, emb) == 2
    assert emb.passages == 2
    assert [c.text for c in idx.chunks_of("d1")] == ["ny tekst om tog", "uændret afsnit", "nyt punkt"]
    assert [i.number for i in idx.items("d1")] == ["1", "2"]
    assert len(idx) == 4 == len(idx.vectors)
    assert idx.documents["d1"].n_chunks == 3
    top = idx.search_dense(emb.embed_query("gammel busser"), 10)
    assert all(idx.chunks[p].text != "gammel tekst om busser" for p, _ in top)

    idx.save()
    loaded = Index.load(tmp_path)
    assert [c.text for c in loaded.chunks_of("d1")] == ["ny tekst om tog", "uændret afsnit", "nyt punkt"]
    assert loaded.item("d1", "2") == new_doc.items[1]
    assert loaded.item("d1", "1") == new_doc.items[0]  # sections, decision, case number round-trip
    np.testing.assert_allclose(loaded.vectors, idx.vectors)


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_removed_document_is_not_found(tmp_path: Path, emb: CountingEmbedder, index_type: str) -> None:
    idx = Index.create(tmp_path, emb.model_id, emb.dimension, index_type)  # type: ignore[arg-type]
    for i in range(5):
        d, cs = make_doc(f"d{i}", {"1": [f"tekst nummer {i} om emne{i}"]})
        idx.upsert_document(d, cs, emb)
    q = emb.embed_query("tekst nummer 3 om emne3")
    assert idx.chunks[idx.search_dense(q, 1)[0][0]].doc_id == "d3"

    assert idx.remove_document("d3") is True
    assert idx.remove_document("d3") is False
    assert all(idx.chunks[p].doc_id != "d3" for p, _ in idx.search_dense(q, 10))
    assert idx.items("d3") == () and "d3" not in idx.documents
    idx.save()
    loaded = Index.load(tmp_path)
    assert all(loaded.chunks[p].doc_id != "d3" for p, _ in loaded.search_dense(q, 10))
    assert len(loaded.search_dense(q, 10)) == 4


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
@pytest.mark.parametrize("exact_limit", [0, 20_000])  # 0: through FAISS's IDSelector, else numpy
def test_filtered_dense_search_only_returns_allowed_documents(
    tmp_path: Path, emb: CountingEmbedder, monkeypatch: pytest.MonkeyPatch, index_type: str, exact_limit: int
) -> None:
    monkeypatch.setattr("rag.index._EXACT_FILTER_LIMIT", exact_limit)
    idx = Index.create(tmp_path, emb.model_id, emb.dimension, index_type)  # type: ignore[arg-type]
    for i in range(4):
        d, cs = make_doc(f"d{i}", {"1": ["busser og tog", f"ekstra {i}"]})
        idx.upsert_document(d, cs, emb)
    hits = idx.search_dense(emb.embed_query("busser og tog"), 10, doc_ids={"d1", "d2"})
    assert {idx.chunks[p].doc_id for p, _ in hits} == {"d1", "d2"}
    assert len(hits) == 4
    assert idx.search_dense(emb.embed_query("busser"), 5, doc_ids=set()) == []


def test_auto_switches_to_hnsw_at_its_size_and_back(
    tmp_path: Path, emb: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rag.index.AUTO_HNSW_FROM", 6)
    idx = Index.create(tmp_path, emb.model_id, emb.dimension)
    for i in range(3):
        d, cs = make_doc(f"d{i}", {"1": [f"tekst {i} om emne{i}"]})
        idx.upsert_document(d, cs, emb)
    q = emb.embed_query("tekst 5 om emne5")
    assert idx.kind == "flat" and len(idx.search_dense(q, 10)) == 3
    for i in range(3, 8):
        d, cs = make_doc(f"d{i}", {"1": [f"tekst {i} om emne{i}"]})
        idx.upsert_document(d, cs, emb)
    assert idx.kind == "hnsw"
    assert idx.chunks[idx.search_dense(q, 1)[0][0]].doc_id == "d5" and len(idx.search_dense(q, 10)) == 8
    idx.save()
    assert json.loads((tmp_path / "manifest.json").read_text())["hnsw"]["M"] == 32
    loaded = Index.load(tmp_path)
    assert (loaded.index_type, loaded.kind) == ("auto", "hnsw")
    for i in range(3):
        loaded.remove_document(f"d{i}")
    assert loaded.kind == "flat" and len(loaded.search_dense(q, 10)) == 5
    # Back over the threshold: what was added while flat is in the graph searched.
    loaded.remove_document("d3")
    loaded.upsert_document(*make_doc("d9", {"1": ["tekst 9 om emne9"]}), emb)
    assert loaded.kind == "flat"
    loaded.upsert_document(*make_doc("d10", {"1": ["tekst 10 om emne10"]}), emb)
    assert loaded.kind == "hnsw"
    q9 = emb.embed_query("tekst 9 om emne9")
    assert loaded.chunks[loaded.search_dense(q9, 1)[0][0]].doc_id == "d9" and len(loaded.search_dense(q9, 10)) == 6


def test_an_index_saved_as_flat_stays_flat(
    tmp_path: Path, emb: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rag.index.AUTO_HNSW_FROM", 2)
    idx = Index.create(tmp_path, emb.model_id, emb.dimension, "flat")
    for i in range(4):
        d, cs = make_doc(f"d{i}", {"1": [f"tekst nummer {i} om emne{i}"]})
        idx.upsert_document(d, cs, emb)
    idx.save()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["index_type"] == "flat" and manifest["hnsw"] is None
    loaded = Index.load(tmp_path)
    q = emb.embed_query("tekst nummer 1 om emne1")
    assert (loaded.index_type, loaded.kind) == ("flat", "flat") and len(loaded.search_dense(q, 9)) == 4
    assert loaded.chunks[loaded.search_dense(q, 1)[0][0]].doc_id == "d1"


def test_other_embedder_is_refused(tmp_path: Path, emb: CountingEmbedder) -> None:
    idx = Index.create(tmp_path, emb.model_id, emb.dimension)
    idx.save()
    with pytest.raises(IndexMismatch, match=r"built with hash-64; this run uses e5.*--embedder hash-64"):
        Index.load(tmp_path, "e5")
    with pytest.raises(IndexMismatch, match="built with hash-64"):
        Index.open_or_create(tmp_path, HashEmbedder(32))
    doc, chunks = make_doc("d1", {"1": ["x"]})
    with pytest.raises(IndexMismatch):
        idx.upsert_document(doc, chunks, HashEmbedder(32))


def test_missing_index_and_overwrite(tmp_path: Path, emb: CountingEmbedder) -> None:
    with pytest.raises(IndexMissing, match="run `referat ingest PATH` first"):
        Index.load(tmp_path / "nowhere")
    Index.create(tmp_path, emb.model_id, emb.dimension).save()
    with pytest.raises(ConfigError, match="already exists"):
        Index.create(tmp_path, emb.model_id, emb.dimension)
    Index.create(tmp_path, "other", 8, overwrite=True).save()
    assert Index.load(tmp_path).embedder_id == "other"


def test_manifest_describes_the_index(tmp_path: Path, emb: CountingEmbedder) -> None:
    idx = Index.create(tmp_path, emb.model_id, emb.dimension)
    doc, chunks = make_doc("d1", {"1": ["a"], "2": ["b", "c"]})
    idx.upsert_document(doc, chunks, emb)
    segment = idx.save()
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["embedder_id"] == "hash-64" and m["dimension"] == 64 and m["normalized"] is True
    assert m["index_type"] == "auto" and m["hnsw"] is None and m["format_version"] == 2
    assert set(m["versions"]) >= {"faiss", "numpy", "bm25s"}
    assert m["segments"] == [{"name": segment.name, "dead": []}] and m["n_chunks"] == 3
    stored = json.loads((segment / "documents.jsonl").read_text())
    assert stored["doc_id"] == "d1" and stored["rows"] == [0, 3]
    info = Index.load(tmp_path).documents["d1"]
    assert info.content_hash == doc.content_hash and info.n_items == 2 and info.body == "KD-Net"
    assert info.source and info.date and info.kind and info.ingested_at


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root`: relative path -> (inode, size)."""
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_size) for p in root.rglob("*") if p.is_file()}


def test_adding_one_document_writes_only_that_document(tmp_path: Path, emb: CountingEmbedder) -> None:
    big = Index.create(tmp_path / "big", emb.model_id, emb.dimension)
    for i in range(40):
        big.upsert_document(*make_doc(f"d{i}", {"1": [f"d{i} afsnit {j} om sag {i}" for j in range(20)]}), emb)
    big.save()
    before = _files(tmp_path / "big")
    meeting = make_doc("ny", {"1": ["ny sag om busser", "og tog"], "2": ["eventuelt"]})
    big.upsert_document(*meeting, emb)
    segment = big.save()
    after = _files(tmp_path / "big")
    unchanged = {k: v for k, v in before.items() if k != "manifest.json"}
    assert {k: v for k, v in after.items() if k in unchanged} == unchanged  # nothing earlier rewritten or removed
    new = {k: v[1] for k, v in after.items() if k not in before}
    files = ("documents.jsonl", "chunks.jsonl", "items.jsonl", "rows.npy", "vectors.npy")
    assert set(new) == {f"{segment.name}/{f}" for f in files}

    alone = Index.create(tmp_path / "alone", emb.model_id, emb.dimension)
    alone.upsert_document(*meeting, emb)
    alone_bytes = sum(p.stat().st_size for p in alone.save().iterdir())
    assert alone_bytes <= sum(new.values()) <= alone_bytes + 100  # the same document: only its ids' digits differ
    manifest_bytes = (tmp_path / "big" / "manifest.json").stat().st_size
    assert manifest_bytes < 2 * (tmp_path / "alone" / "manifest.json").stat().st_size
    loaded = Index.load(tmp_path / "big")
    assert len(loaded) == 803 and [c.text for c in loaded.chunks_of("ny")] == [
        "ny sag om busser",
        "og tog",
        "eventuelt",
    ]
    assert loaded.chunks[loaded.search_dense(emb.embed_query("ny sag om busser"), 1)[0][0]].doc_id == "ny"


def _bytes_under(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_removed_text_leaves_the_disk_at_the_next_save_and_replaced_text_at_compaction(
    tmp_path: Path, emb: CountingEmbedder
) -> None:
    idx = Index.create(tmp_path, emb.model_id, emb.dimension)
    for i in range(3):
        idx.upsert_document(*make_doc(f"d{i}", {"1": [f"almindelig tekst {i}"]}), emb)
    idx.upsert_document(*make_doc("hemmelig", {"1": ["Fortroligt navn Åse Hemmeligsen"]}), emb)
    idx.save()
    for i in range(3, 6):
        idx.upsert_document(*make_doc(f"d{i}", {"1": [f"senere tekst {i}"]}), emb)
    idx.save()
    # A later version: the first is tombstoned in the first segment, and must leave the disk with it too.
    idx.upsert_document(*make_doc("hemmelig", {"1": ["Fortroligt navn Åse Hemmeligsen", "ny tekst"]}), emb)
    idx.save()
    idx.upsert_document(*make_doc("d3", {"1": ["ny udgave af d3"]}), emb)  # replaced: the old text is tombstoned
    assert idx.remove_document("hemmelig")
    idx.save()
    loaded = Index.load(tmp_path)
    assert "hemmelig" not in loaded.documents and all(c.doc_id != "hemmelig" for c in loaded.chunks)
    disk = _bytes_under(tmp_path)
    assert b"Hemmeligsen" not in disk and b"senere tekst 3" in disk
    assert sorted(loaded.documents) == ["d0", "d1", "d2", "d3", "d4", "d5"]
    assert loaded.chunks == idx.chunks and [c.text for c in loaded.chunks_of("d3")] == ["ny udgave af d3"]

    segment = loaded.compact()
    assert b"senere tekst 3" not in _bytes_under(tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == [segment.name]
    again = Index.load(tmp_path)
    assert again.chunks == loaded.chunks and sorted(again.documents) == sorted(loaded.documents)
    np.testing.assert_array_equal(again.vectors, loaded.vectors)


def test_save_compacts_when_segments_pile_up(
    tmp_path: Path, emb: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rag.index.MAX_SEGMENTS", 3)
    idx = Index.create(tmp_path, emb.model_id, emb.dimension)
    for i in range(4):
        idx.upsert_document(*make_doc(f"d{i}", {"1": [f"t{i}"]}), emb)
        idx.save()
        live = json.loads((tmp_path / "manifest.json").read_text())["segments"]
        assert len(live) == (i + 1 if i < 3 else 1)
    assert sorted(Index.load(tmp_path).documents) == ["d0", "d1", "d2", "d3"]


def test_hnsw_graph_is_kept_across_small_saves_and_caught_up_on_load(tmp_path: Path, emb: CountingEmbedder) -> None:
    idx = Index.create(tmp_path, emb.model_id, emb.dimension, "hnsw")
    for i in range(20):
        idx.upsert_document(*make_doc(f"d{i}", {"1": [f"tekst {i} om emne{i}"]}), emb)
    idx.save()
    graph = json.loads((tmp_path / "manifest.json").read_text())["graph"]
    idx.upsert_document(*make_doc("ny", {"1": ["helt ny tekst om havnen"]}), emb)
    idx.remove_document("d3")
    idx.save()
    assert json.loads((tmp_path / "manifest.json").read_text())["graph"] == graph  # not rewritten
    loaded = Index.load(tmp_path)
    hits = loaded.search_dense(emb.embed_query("helt ny tekst om havnen"), 30)
    assert loaded.chunks[hits[0][0]].doc_id == "ny" and len(hits) == 20
    assert all(loaded.chunks[p].doc_id != "d3" for p, _ in hits)


def test_failure_before_the_commit_point_keeps_the_old_index(
    tmp_path: Path, emb: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = Index.create(tmp_path, emb.model_id, emb.dimension)
    d, cs = make_doc("d0", {"1": ["først"]})
    idx.upsert_document(d, cs, emb)
    idx.save()
    d, cs = make_doc("d1", {"1": ["bagefter"]})
    idx.upsert_document(d, cs, emb)

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("rag.index.os.replace", boom)
    with pytest.raises(OSError):
        idx.save()
    assert set(Index.load(tmp_path).documents) == {"d0"}


_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    sys.path.insert(0, {tests!r})
    from test_index import make_doc
    from rag.embed import HashEmbedder
    from rag.index import Index
    import faiss  # imported before "ready" so the kills land in the save loop, not in imports

    emb = HashEmbedder(16)
    idx = Index.open_or_create({path!r}, emb)
    start = len(idx.documents)
    print("ready", flush=True)
    for i in range(start, start + 10_000):
        n = i % 7 + 1  # document i always has i % 7 + 1 chunks, in item 1
        doc, chunks = make_doc(f"d{{i}}", {{"1": [f"d{{i}} del {{j}}" for j in range(n)]}})
        idx.upsert_document(doc, chunks, emb)
        if i % 5 == 4:  # replace an earlier document with a changed one of the same size
            j = i - 3
            doc, chunks = make_doc(f"d{{j}}", {{"1": [f"d{{j}} ny {{k}}" for k in range(j % 7 + 1)]}})
            idx.upsert_document(doc, chunks, emb)
        if i % 7 == 6:  # remove one: the save rewrites the segment that held it
            idx.remove_document(f"d{{i - 5}}")
        idx.save()
    """
)


def test_sigkill_during_saves_leaves_a_complete_index(tmp_path: Path) -> None:
    path = tmp_path / "index"
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(repo=str(REPO), tests=str(Path(__file__).parent), path=str(path)))
    rng = random.Random(7)
    seen_docs = 0
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

        idx = Index.load(path, "hash-16")
        assert len(idx.vectors) == len(idx.chunks)
        for doc_id, info in idx.documents.items():
            n = int(doc_id[1:]) % 7 + 1
            chunks = idx.chunks_of(doc_id)
            assert info.n_chunks == n == len(chunks), doc_id
            assert [i.number for i in idx.items(doc_id)] == ["1"]
        seen_docs = max(seen_docs, len(idx.documents))
        # Every stored vector is the one its chunk's text gives.
        np.testing.assert_allclose(
            idx.vectors, HashEmbedder(16).embed_passages([c.embed_text for c in idx.chunks]), atol=1e-6
        )
    assert seen_docs > 5  # the writer did make progress between kills


@pytest.mark.parametrize("exact_limit", [0, 20_000])  # 0: FAISS's kernel with a row selector, else numpy
def test_flat_search_over_segments_with_tombstones_is_exact(
    tmp_path: Path, emb: CountingEmbedder, monkeypatch: pytest.MonkeyPatch, exact_limit: int
) -> None:
    monkeypatch.setattr("rag.index._EXACT_FILTER_LIMIT", exact_limit)
    idx = Index.create(tmp_path, emb.model_id, emb.dimension, "flat")
    for batch in range(3):
        for i in range(batch * 5, batch * 5 + 5):
            idx.upsert_document(*make_doc(f"d{i}", {"1": [f"sag {i} om {w}" for w in ("bus", "tog", "vej")]}), emb)
        idx.save()
    idx.upsert_document(*make_doc("d2", {"1": ["sag 2 om havnen"]}), emb)  # tombstones d2 in the first segment
    idx.upsert_document(*make_doc("d20", {"1": ["sag 20 om bus"]}), emb)  # unsaved: a block of its own
    assert len(json.loads((tmp_path / "manifest.json").read_text())["segments"]) == 3
    vectors = idx.vectors
    for query in ("sag 3 om bus", "havnen", "sag 12 om vej"):
        q = emb.embed_query(query)
        exact = vectors @ q
        hits = idx.search_dense(q, 7)
        assert [p for p, _ in hits] == sorted(range(len(exact)), key=lambda p: (-exact[p], p))[:7]
        np.testing.assert_allclose([s for _, s in hits], np.sort(exact)[::-1][:7], rtol=1e-5)
        only = {"d2", "d7", "d20"}
        allowed = [p for p, c in enumerate(idx.chunks) if c.doc_id in only]
        hits = idx.search_dense(q, 4, doc_ids=only)
        assert [p for p, _ in hits] == sorted(allowed, key=lambda p: (-exact[p], p))[:4]


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_a_reader_without_the_right_to_closed_items_never_finds_them(
    tmp_path: Path, emb: CountingEmbedder, kind: str
) -> None:
    import dataclasses

    idx = Index.create(tmp_path, emb.model_id, emb.dimension, index_type=kind)  # type: ignore[arg-type]
    doc, chunks = make_doc("d1", {"1": ["Midttrafik får ny model"], "2": ["Køb af grunden Vesterbrogade 7"]})
    doc = dataclasses.replace(doc, items=(doc.items[0], dataclasses.replace(doc.items[1], closed=True)))
    other, other_chunks = make_doc("d2", {"1": ["Vesterbrogade får nye cykelstier"]})
    idx.upsert_document(doc, chunks, emb)
    idx.upsert_document(other, other_chunks, emb)
    idx.save()
    for full in (idx, Index.load(tmp_path, emb.model_id)):
        view = full.without_closed()
        closed_position = int(full.positions_of(["d1"])[1])
        query = "Køb af grunden Vesterbrogade 7"
        assert closed_position in {p for p, _ in full.search_lexical(query, 10)}
        assert closed_position in {p for p, _ in full.search_dense(emb.embed_query(query), 10)}
        for doc_ids in (None, ["d1"]):
            assert closed_position not in {p for p, _ in view.search_lexical(query, 10, doc_ids=doc_ids)}
            assert closed_position not in {p for p, _ in view.search_dense(emb.embed_query(query), 10, doc_ids=doc_ids)}
        assert 2 in {p for p, _ in view.search_lexical(query, 10)}  # the open item about Vesterbrogade is found
        assert [it.number for it in view.items("d1")] == ["1"]
        assert view.item("d1", "2") is None and full.item("d1", "2") is not None
        assert [c.number for c in view.chunks_of("d1")] == ["1"]
        assert list(view.positions_of(["d1", "d2"])) == [0, 2]
        assert len(view) == 2 and len(full) == 3
        assert (view.documents["d1"].n_items, view.documents["d1"].n_chunks) == (1, 1)
        assert full.documents["d1"].n_items == 2
