"""Hybrid retrieval: fusion order, aggregation to agenda items, filters, and index changes."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import ConfigError, IndexMismatch
from ingest.records import AgendaItem, Chunk, Decision, Document, chunk_id, content_hash
from rag.embed import HashEmbedder
from rag.filters import Filters, filters_from_question
from rag.index import Index
from rag.retrieve import Retriever


class ScriptedEmbedder:
    """Dense similarity set by the passage itself: a passage containing `dense=0.9` scores 0.9."""

    model_id = "scripted-8"
    dimension = 8

    def embed_query(self, text: str) -> np.ndarray:
        v = np.zeros(self.dimension, dtype=np.float32)
        v[0] = 1.0
        return v

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, t in zip(out, texts, strict=True):
            m = re.search(r"dense=([0-9.]+)", t)
            s = float(m.group(1)) if m else 0.0
            row[0], row[1] = s, np.sqrt(1 - s * s)
        return out


def make_doc(
    doc_id: str,
    items: dict[str, tuple[str, list[str]]],
    *,
    body: str | None = "KD-Net",
    date: str | None = "2021-01-22",
) -> tuple[Document, list[Chunk]]:
    """Items: number -> (title, passages). One chunk per passage, headed like the real chunker's."""
    agenda, chunks = [], []
    for number, (title, passages) in items.items():
        text = "\n".join(passages)
        agenda.append(AgendaItem(doc_id, number, title, text, (0, len(text)), decision=Decision((passages[-1],))))
        for i, p in enumerate(passages):
            header = f"{body} {date}, punkt {number}: {title}"
            chunks.append(Chunk(chunk_id(doc_id, number, i, p), doc_id, number, title, "Referat", p,
                                header, 0, len(p), body, date))  # fmt: skip
    full = "\n".join(a.text for a in agenda)
    doc = Document(doc_id, f"{doc_id}.txt", full, tuple(agenda), body=body, date=date,
                   kind="referat", content_hash=content_hash(full.encode()))  # fmt: skip
    return doc, chunks


def build(tmp_path: Path, embedder: object, *docs: tuple[Document, list[Chunk]]) -> Index:
    idx = Index.create(tmp_path, embedder.model_id, embedder.dimension)  # type: ignore[attr-defined]
    for doc, chunks in docs:
        idx.upsert_document(doc, chunks, embedder)  # type: ignore[arg-type]
    return idx


@pytest.fixture
def crafted(tmp_path: Path) -> Index:
    """Dense ranks A > C > fillers > B; BM25 for "busdrift takster" ranks B > C; nothing else matches."""
    doc = make_doc(
        "d1",
        {
            "1": ("Ældreområdet", ["dense=0.95 om noget helt andet"]),
            "2": ("Trafik", ["dense=0.10 busdrift takster busdrift takster og busdrift"]),
            "3": ("Kollektiv trafik", ["dense=0.90 busdrift takster"]),
            **{str(n): (f"Fyld {n}", [f"dense=0.{n}0 fyldtekst"]) for n in range(4, 8)},
        },
    )
    return build(tmp_path, ScriptedEmbedder(), doc)


@pytest.mark.parametrize(("mode", "first"), [("dense", "1"), ("bm25", "2"), ("hybrid", "3")])
def test_fusion_ranks_the_item_both_retrievers_like_first(crafted: Index, mode: str, first: str) -> None:
    r = Retriever(crafted, ScriptedEmbedder(), mode=mode)  # type: ignore[arg-type]
    hits = r.retrieve("busdrift takster", top_k=3)
    assert hits[0].number == first
    if mode == "hybrid":
        assert [h.number for h in hits[:2]] == ["3", "2"]
        best = hits[0].chunks[0]
        assert (best.dense_rank, best.bm25_rank) == (2, 2)


def test_weights_move_the_fused_order(crafted: Index) -> None:
    lexical_heavy = Retriever(crafted, ScriptedEmbedder(), dense_weight=0.2, bm25_weight=1.0)
    assert lexical_heavy.retrieve("busdrift takster")[0].number == "2"
    linear = Retriever(crafted, ScriptedEmbedder(), fusion="linear")
    assert linear.retrieve("busdrift takster")[0].number == "3"


def test_chunks_are_aggregated_to_items(tmp_path: Path) -> None:
    emb = HashEmbedder(128)
    doc = make_doc(
        "d1",
        {
            "6": ("Midttrafiks indtægtsfordelingsmodel",
                  ["Ny model for busser og takster.", "Busser og takster i regionen.", "KD-Net godkendte."]),
            "7": ("Resultatkontrakt", ["Erhvervshus Midtjylland og busser."]),
        },
    )  # fmt: skip
    r = Retriever(build(tmp_path, emb, doc), emb, item_bonus=0.05)
    hits = r.retrieve("busser og takster", top_k=5)
    assert [h.number for h in hits] == ["6", "7"]
    top = hits[0]
    assert len(top.chunks) == 3 and len({c.chunk.id for c in top.chunks}) == 3
    assert top.score > top.chunks[0].score  # the extra matching chunks add a bonus
    assert [c.score for c in top.chunks] == sorted((c.score for c in top.chunks), reverse=True)
    assert top.label == "KD-Net 22.01.2021, punkt 6"
    assert top.item is not None and top.item.decision.sentences == ("KD-Net godkendte.",)
    assert top.chunks[0].section == "Referat" and top.title == "Midttrafiks indtægtsfordelingsmodel"


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_title_counts(tmp_path: Path, mode: str) -> None:
    emb = HashEmbedder(128)
    doc = make_doc(
        "d1",
        {
            "6": ("Midttrafiks indtægtsfordelingsmodel", ["Sagen blev drøftet, og forslaget godkendt."]),
            "7": ("Eventuelt", ["Intet at bemærke om modellen."]),
        },
    )
    hits = Retriever(build(tmp_path, emb, doc), emb, mode=mode).retrieve("indtægtsfordelingsmodel")  # type: ignore[arg-type]
    assert hits[0].number == "6"


def test_the_file_name_counts_for_every_item_of_its_document(tmp_path: Path) -> None:
    # The organisation is often named only by the file and the minutes' preamble ("refgen_pomosa_2010"):
    # the preamble must not win on that name alone.
    emb = HashEmbedder(128)
    doc = make_doc(
        "refgen_pomosa_2010",
        {
            "0": ("Grundejerforeningen POMOSA", ["Generalforsamling i POMOSA. Der var mødt 62 personer."]),
            "5": ("Fastsættelse af kontingent", ["Kontingentet blev fastsat til 400 kr."]),
        },
        body="Generalforsamlingen",
    )
    hits = Retriever(build(tmp_path, emb, doc), emb, mode="bm25").retrieve("Hvad blev kontingentet i Pomosa?")
    assert hits[0].number == "5"


@pytest.mark.parametrize(("question", "item"), [("sag 1-00-14-22", "2"), ("Hvem fik 30 mio. kr.?", "3")])
def test_exact_tokens_are_found_in_hybrid_mode(tmp_path: Path, question: str, item: str) -> None:
    emb = HashEmbedder(64)
    doc = make_doc(
        "d1",
        {
            "1": ("Økonomi", ["Sag 1-00-18-17: 5 mio. kr. til uddannelse i 2022."]),
            "2": ("Fyrtårne", ["Sag 1-00-14-22 om regionale fyrtårne blev drøftet."]),
            "3": ("Midttrafik", ["Regionen får et årligt plus på ca. 30 mio. kr."]),
        },
    )
    assert Retriever(build(tmp_path, emb, doc), emb).retrieve(question)[0].number == item


def test_filters_restrict_documents(tmp_path: Path) -> None:
    emb = HashEmbedder(64)
    idx = build(
        tmp_path,
        emb,
        make_doc("kd21", {"1": ("Busser", ["busser og takster"])}, body="KD-Net", date="2021-01-22"),
        make_doc("kd20", {"1": ("Busser", ["busser og takster"])}, body="KD-Net", date="2020-10-23"),
        make_doc("kkr21", {"1": ("Busser", ["busser og takster"])}, body="KKR", date="2021-02-01"),
        make_doc("undated", {"1": ("Busser", ["busser og takster"])}, body="KD-Net", date=None),
    )
    r = Retriever(idx, emb)

    def docs(filters: Filters | None) -> set[str]:
        return {h.doc_id for h in r.retrieve("busser og takster", top_k=10, filters=filters)}

    assert docs(None) == {"kd21", "kd20", "kkr21", "undated"}
    assert docs(Filters(bodies=("kd-net",))) == {"kd21", "kd20", "undated"}
    in_2021, _ = filters_from_question("Hvad blev besluttet om busser i 2021?")
    assert docs(in_2021) == {"kd21", "kkr21"}  # the undated document is excluded under a date filter
    assert docs(Filters(bodies=("KD-Net",)).or_else(in_2021)) == {"kd21"}
    assert docs(Filters(doc_ids=("kd20",))) == {"kd20"}
    assert docs(Filters(bodies=("Ingen",))) == set()


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_removed_and_replaced_documents_disappear(tmp_path: Path, mode: str) -> None:
    emb = HashEmbedder(64)
    idx = build(
        tmp_path,
        emb,
        make_doc("a", {"1": ("Busser", ["busser og takster 1-00-14-22"])}),
        make_doc("b", {"1": ("Skoler", ["skoler og lærere"])}),
    )
    r = Retriever(idx, emb, mode=mode)  # type: ignore[arg-type]
    assert r.retrieve("busser 1-00-14-22")[0].doc_id == "a"  # the BM25 index is built here

    idx.remove_document("a")
    assert all(h.doc_id != "a" for h in r.retrieve("busser 1-00-14-22"))
    doc, chunks = make_doc("b", {"1": ("Skoler", ["nu om cykelstier"])})
    idx.upsert_document(doc, chunks, emb)
    assert all("lærere" not in c.chunk.text for h in r.retrieve("skoler og lærere") for c in h.chunks)


def test_empty_index_and_bad_settings(tmp_path: Path) -> None:
    emb = HashEmbedder(64)
    idx = Index.create(tmp_path, emb.model_id, emb.dimension)
    assert Retriever(idx, emb).retrieve("hvad som helst") == []
    with pytest.raises(ConfigError, match="top_k must be > 0, got 0"):
        Retriever(idx, emb).retrieve("x", top_k=0)
    with pytest.raises(ConfigError, match="mode"):
        Retriever(idx, emb, mode="sparse")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="weights"):
        Retriever(idx, emb, dense_weight=0, bm25_weight=0)
    with pytest.raises(ConfigError, match="needs an embedder"):
        Retriever(idx, None)
    assert Retriever(idx, None, mode="bm25").retrieve("x") == []
    with pytest.raises(IndexMismatch, match="built with hash-64; this run uses hash-32"):
        Retriever(idx, HashEmbedder(32))


def test_a_case_number_brings_every_item_of_the_case_newest_first(tmp_path: Path) -> None:
    # The embedding of a bare number finds anything: dense ranks the filler first, the case's items last.
    committee, council = (
        make_doc(d, {"4": ("Frokosttakst", ["dense=0.01 Frokosttakst for børn fastsættes."])}, date=day)
        for d, day in (("udvalg", "2024-01-09"), ("byraad", "2024-01-29"))
    )
    cased = [(dataclasses.replace(doc, items=tuple(dataclasses.replace(i, case_number="23-013356")
              for i in doc.items)), chunks) for doc, chunks in (committee, council)]  # fmt: skip
    filler = make_doc("andet", {str(n): (f"Punkt {n}", [f"dense=0.9{n} Sag 23 og 013 m.m."]) for n in range(1, 8)})
    emb = ScriptedEmbedder()
    idx = build(tmp_path, emb, *cased, filler)

    hits = Retriever(idx, emb).retrieve("Hvad besluttede Byrådet i sag 23-013356?", top_k=3)

    assert [(h.doc_id, h.number) for h in hits[:2]] == [("byraad", "4"), ("udvalg", "4")]
    only_2021 = Filters(date_from="2021-01-01", date_to="2021-12-31")  # the filler's year: filters still hold
    assert {h.doc_id for h in Retriever(idx, emb).retrieve("sag 23-013356", filters=only_2021)} == {"andet"}
