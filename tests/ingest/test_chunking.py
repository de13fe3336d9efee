"""Chunks cover their items, never straddle sections, and carry the item's citation header."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import ChunkConfig, chunk_document
from ingest.errors import ConfigError
from ingest.parse import parse_document

SAMPLE = sorted((Path(__file__).resolve().parents[2] / "data" / "sample").glob("*.txt"))


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.stem[:3])
def test_chunks_cover_every_item_and_point_into_the_document(path: Path) -> None:
    doc = parse_document(path)
    chunks = chunk_document(doc, ChunkConfig(size=600, overlap=100))
    assert len({c.id for c in chunks}) == len(chunks)
    for item in doc.items:
        mine = [c for c in chunks if c.number == item.number]
        assert mine, f"item {item.number} has no chunks"
        covered = set()
        for c in mine:
            assert doc.text[c.start : c.end] == c.text  # the span is exact
            assert item.span[0] <= c.start and c.end <= item.span[1]
            assert len(c.text) <= 600
            covered.update(range(c.start, c.end))
        # Every non-blank character of the item is in some chunk.
        missing = [i for i in range(*item.span) if not doc.text[i].isspace() and i not in covered]
        assert not missing, f"item {item.number}: {doc.text[missing[0] : missing[0] + 40]!r} not chunked"


def test_header_and_sections_of_the_midttrafik_item() -> None:
    doc = parse_document(next(p for p in SAMPLE if p.name.startswith("003")))
    chunks = [c for c in chunk_document(doc) if c.number == "6"]
    assert {c.header for c in chunks} == {"KD-Net 22.01.2021, punkt 6: Midttrafiks indtægtsfordelingsmodel"}
    decision = next(c for c in chunks if "KD-Net godkendte processen" in c.text)
    assert decision.section == "Referat" and decision.embed_text.startswith(decision.header + "\n")


def test_re_chunking_is_deterministic() -> None:
    doc = parse_document(SAMPLE[0])
    assert [c.id for c in chunk_document(doc)] == [c.id for c in chunk_document(doc)]


def test_bad_config_is_refused() -> None:
    with pytest.raises(ConfigError, match="overlap"):
        ChunkConfig(size=100, overlap=100)
