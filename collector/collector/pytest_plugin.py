"""Pytest fixtures (registered as the `collector` pytest11 plugin): empty inboxes on each store.

A plugin rather than a conftest.py: with --import-mode=importlib a conftest under
`collector/tests/` would make pytest bind the name `collector` to the project folder
instead of this package; loading the plugin first imports the real package.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.inbox import Inbox, open_inbox
from collector.testing import PG_TEST_URL, scratch_pg_database, scratch_pg_schema


@functools.cache
def _postgres_down() -> str | None:
    import psycopg

    try:
        psycopg.connect(PG_TEST_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return " ".join(str(exc).split())
    return None


@pytest.fixture(scope="session")
def _collector_pg_database() -> Iterator[str]:
    if down := _postgres_down():
        pytest.skip(f"PostgreSQL at {PG_TEST_URL} not reachable: {down}")
    with scratch_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def collector_inbox_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, created inbox: an SQLite file in tmp_path, or a fresh schema in a
    throwaway PostgreSQL database (selected through search_path, as a user would)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
        open_inbox(url).create()
        yield url
        return
    yield from _postgres_inbox_url(request.getfixturevalue("_collector_pg_database"))


@pytest.fixture
def collector_pg_inbox_url(_collector_pg_database: str) -> Iterator[str]:
    """An empty, created PostgreSQL inbox, for PostgreSQL-only tests."""
    yield from _postgres_inbox_url(_collector_pg_database)


def _postgres_inbox_url(database_url: str) -> Iterator[str]:
    with scratch_pg_schema(database_url) as url:
        open_inbox(url).create()
        yield url


@pytest.fixture
def collector_inbox(collector_inbox_url: str) -> Inbox:
    return open_inbox(collector_inbox_url)
