"""Fixtures for the robustness tests (material shared by them is in `robust_kit.py`)."""

from __future__ import annotations

import pytest
from robust_kit import HASH_DIMENSION


@pytest.fixture
def hash_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process CLI runs use the registered hash embedder (the real one needs ~10 s to load)."""
    monkeypatch.setenv("REFERAT_EMBEDDER", f"hash-{HASH_DIMENSION}")
