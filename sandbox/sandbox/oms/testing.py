"""Throwaway OMS databases on a real PostgreSQL server, for tests and benchmarks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg

from sandbox.oms import store

# The server's maintenance database: scratch databases are created and dropped from it.
PG_ADMIN_URL = os.environ.get("OMS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def redact(url: str) -> str:
    """The URL with its password (if any) replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class OmsDatabase:
    """One OMS database; each call runs in its own committed transaction."""

    url: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 5432

    @property
    def user(self) -> str:
        return unquote(urlsplit(self.url).username or "postgres")

    @property
    def password(self) -> str:
        return unquote(urlsplit(self.url).password or "")

    @property
    def database(self) -> str:
        return urlsplit(self.url).path.lstrip("/")

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, connect_timeout=5)

    def seed(self, **options: Any) -> dict[str, int]:
        with self.connect() as conn:
            return store.seed(conn, **options)

    def touch(self, **options: Any) -> store.Changes:
        with self.connect() as conn:
            return store.touch(conn, **options)

    def truth(self, since: Mapping[str, datetime | str] | datetime | str | None = None) -> dict:
        with self.connect() as conn:
            return store.truth(conn, since)

    def query(self, statement: str, params: Any = None) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(statement, params).fetchall()


@contextmanager
def scratch_database(admin_url: str = PG_ADMIN_URL) -> Iterator[OmsDatabase]:
    """A new, empty database `oms_test_<random>` on the server; dropped afterwards."""
    name = f"oms_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield OmsDatabase(urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}")))
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            # FORCE: a tap that was killed mid-test may still hold a connection.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
