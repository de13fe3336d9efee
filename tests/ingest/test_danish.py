"""The sentence splitter: where Danish sentences in minutes end, and where they do not."""

from __future__ import annotations

import pytest

from ingest.danish import split_sentences


@pytest.mark.parametrize(
    "text",
    [
        "Der var bl.a. tale om f.eks. Aarhus, ca. 30 mio. kr. og jf. pkt. 4 i nr. 7 mhp. at se inkl. moms.",
        "Punktet v. Jesper Kaas Schmidt blev behandlet.",
        "Mødet den 22. januar 2021 godkendte planen.",
        "Mødet den 3. Juni godkendte planen.",
        "Aftalen vedr. HjerterKomMidt blev godkendt..",
        "Projektet ledes af Jens P. Hansen fra VIA.",
        "Kl. 12.00 blev mødet hævet.",
        "Der er to spor: 1) affald og 2) vand.",
    ],
)
def test_splitter_keeps_one_sentence(text: str) -> None:
    assert split_sentences(text) == [text]


def test_splitter_splits_where_sentences_end() -> None:
    text = (
        "Udgiften er 342.000 kr. Aftalen er godkendt. Hvorfor? Det vides ikke! Status i 2021. "
        "Slut kl. 15. Så mere.\n"
        "KD-Net godkendte dagsordenen."
    )
    assert split_sentences(text) == [
        "Udgiften er 342.000 kr.",
        "Aftalen er godkendt.",
        "Hvorfor?",
        "Det vides ikke!",
        "Status i 2021.",
        "Slut kl. 15.",
        "Så mere.",
        "KD-Net godkendte dagsordenen.",
    ]


def test_splitter_lines_bullets_and_page_breaks() -> None:
    text = (
        "Referat:\n"
        "Der skal findes en model, at man\n\n\n\nkommer i hus med gode løsninger.\n"
        "Taksterne:\n\n1. Taksterne kan ikke stige\n2. Taksterne reduceres\n- KD-Net møde den 9. april\n"
        "a) Første punkt"
    )
    assert split_sentences(text) == [
        "Referat:",
        "Der skal findes en model, at man kommer i hus med gode løsninger.",
        "Taksterne:",
        "Taksterne kan ikke stige",
        "Taksterne reduceres",
        "KD-Net møde den 9. april",
        "Første punkt",
    ]
