"""normalise_text: what every reader's text goes through."""

from __future__ import annotations

import pytest

from ingest.text import normalise_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tra\ufb01kudvalget og \ufb02ere o\ufb03cielle", "Trafikudvalget og flere officielle"),  # ligatures
        ("\uff2b\uff24\uff0d\uff2e\uff45\uff54 \uff12\uff10\uff12\uff11", "KD-Net 2021"),  # full-width forms
        ("Mødet i Ældre\u00adrådet", "Mødet i Ældrerådet"),  # soft hyphen inside a word
        ("et regn\u00ad\nvandsbassin", "et regnvandsbassin"),  # soft hyphen at a line end
        ("Kom\u200bmune\u200d\u2060plan\ufeff", "Kommuneplan"),  # zero-width characters
        ("12\u00a0mio.\u202fkr. den\u200925.\u2003maj", "12 mio. kr. den 25. maj"),  # no-break and typographic spaces
        ("IMADA Fagr\u02daad p\u02da a mødet", "IMADA Fagråd på mødet"),  # LaTeX's spacing ring
    ],
)
def test_invisible_and_compatibility_characters_are_resolved(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize("kept", ["½ time", "120 m²", "3 ‰", "10 µg", "Punkt 1 …", "№ 5", "25 °C"])
def test_characters_readers_read_are_not_rewritten(kept: str) -> None:
    # Blanket NFKC would make these "1⁄2 time", "120 m2", "Punkt 1 ...", "No 5".
    assert normalise_text(kept) == kept


def test_a_hyphen_and_a_soft_hyphen_before_a_conjunction_are_kept_apart() -> None:
    assert normalise_text("Teknik- og Miljøudvalget, ord\u00ad og mere") == "Teknik- og Miljøudvalget, ord og mere"
