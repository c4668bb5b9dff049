"""The inbox: one table of verified webhook deliveries, in SQLite or PostgreSQL.

Both stores share the contract's table `inbox_events` and one interface:
`create()` makes the table, `writer()` opens the single write connection (used by one thread
only), `count()` and `read()` open short-lived read connections.

Ordering matters for the tap: it bookmarks `inbox_sequence` and reads `> bookmark`, so a
row must never become visible after a row with a higher sequence. SQLite gives that for
free (one writer at a time). PostgreSQL assigns BIGSERIAL values before commit, so two
writers could commit out of order; every write transaction therefore takes one advisory lock
first, which makes commit order equal sequence order even with several collector replicas.
"""

from __future__ import annotations

import json
import sqlite3
import typing as t
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

if t.TYPE_CHECKING:
    import psycopg

DEFAULT_INBOX_URL = "sqlite:///output/inbox.sqlite3"
SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
COLUMNS = (
    "inbox_sequence",
    "delivery_id",
    "received_at",
    "topic",
    "resource_type",
    "sequence_number",
    "payload",
)
_INSERT_COLUMNS = "delivery_id, vendor, received_at, topic, resource_type, sequence_number, payload"
# Any constant works: it only has to be the same in every collector writing this database.
_PG_WRITE_LOCK = 7_263_530_001


class InboxError(Exception):
    """The inbox cannot be opened, read or written; the message is safe to show."""


@dataclass(frozen=True)
class Delivery:
    """One verified webhook delivery, as it will be stored."""

    delivery_id: str  # svix-id: the same on every retry of one event
    vendor: str
    received_at: datetime  # timezone-aware, UTC
    topic: str | None
    resource_type: str | None
    sequence_number: int | None
    payload: str  # the request body, exactly as received (UTF-8 JSON text)


class InboxWriter(ABC):
    """The one write connection; not thread-safe, so one thread owns it."""

    @abstractmethod
    def insert(self, deliveries: Sequence[Delivery]) -> list[int | None]:
        """Store the deliveries in ONE durable transaction (committed when this returns).

        Returns each delivery's inbox_sequence, or None where its delivery_id was already
        stored (a duplicate delivery: nothing is written for it)."""

    @abstractmethod
    def close(self) -> None: ...


class Inbox(ABC):
    kind: str  # "sqlite" or "postgresql"
    display_url: str  # the URL without its password, for logs and errors

    @abstractmethod
    def create(self) -> None:
        """Create the table if it does not exist (and check that the store is reachable)."""

    @abstractmethod
    def writer(self) -> InboxWriter: ...

    @abstractmethod
    def count(self) -> int:
        """Number of stored deliveries (all vendors)."""

    @abstractmethod
    def _read_batch(self, vendor: str, after: int, limit: int) -> list[dict[str, t.Any]]:
        """Up to `limit` rows of `vendor` with inbox_sequence > `after`, in sequence order."""

    def read(
        self, vendor: str, after: int = 0, batch_size: int = 1000
    ) -> Iterator[dict[str, t.Any]]:
        """Stream rows after a bookmark, one short keyset query per batch (flat memory)."""
        while True:
            rows = self._read_batch(vendor, after, batch_size)
            yield from rows
            if len(rows) < batch_size:
                return
            after = rows[-1]["inbox_sequence"]


def open_inbox(url: str) -> Inbox:
    """`sqlite:///relative/path`, `sqlite:////absolute/path` or `postgresql://...`."""
    if url.startswith(SQLITE_PREFIX) and len(url) > len(SQLITE_PREFIX):
        return SqliteInbox(Path(url[len(SQLITE_PREFIX) :]))
    if url.startswith(POSTGRES_SCHEMES):
        return PostgresInbox(url)
    raise InboxError(
        f"unsupported inbox URL {redact_url(url)!r}: use sqlite:///path/to/inbox.sqlite3 "
        "or postgresql://user@host:5432/dbname"
    )


def redact_url(url: str) -> str:
    """The URL with any password (in the user info or a password= parameter) masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = "&".join(
        "password=***" if item.split("=", 1)[0].lower() == "password" else item
        for item in query.split("&")
    )
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def one_line(exc: BaseException) -> str:
    """Driver messages (libpq's especially) span lines; errors here must fit on one."""
    return " ".join(str(exc).split()) or type(exc).__name__


# --- SQLite ---------------------------------------------------------------------------------

_SQLITE_DDL = """
CREATE TABLE IF NOT EXISTS inbox_events (
    inbox_sequence  INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id     TEXT UNIQUE NOT NULL,
    vendor          TEXT NOT NULL,
    received_at     TIMESTAMP NOT NULL,
    topic           TEXT,
    resource_type   TEXT,
    sequence_number BIGINT,
    payload         TEXT NOT NULL
)"""


class SqliteInbox(Inbox):
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.display_url = f"{SQLITE_PREFIX}{path}"

    def _connect_rw(self) -> sqlite3.Connection:
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        try:
            # WAL lets the tap and /health read while the collector writes; synchronous=FULL
            # fsyncs the WAL on every commit, so a 2xx survives power loss, not just a crash.
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":  # e.g. a filesystem without shared memory
                conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("PRAGMA synchronous=FULL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_ro(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise InboxError(
                f"inbox {self.display_url} does not exist; start `collector serve` with this "
                "inbox (it creates the file) or fix the inbox URL"
            )
        # mode=ro: reading must never create or change the database.
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)

    def create(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect_rw()
            try:
                conn.execute(_SQLITE_DDL)
            finally:
                conn.close()
        except (OSError, sqlite3.Error) as exc:
            raise InboxError(f"cannot open inbox {self.display_url}: {one_line(exc)}") from exc

    def writer(self) -> InboxWriter:
        try:
            return _SqliteWriter(self._connect_rw())
        except sqlite3.Error as exc:
            raise InboxError(f"cannot open inbox {self.display_url}: {one_line(exc)}") from exc

    def count(self) -> int:
        try:
            conn = self._connect_ro()
            try:
                return int(conn.execute("SELECT count(*) FROM inbox_events").fetchone()[0])
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise InboxError(f"cannot read inbox {self.display_url}: {one_line(exc)}") from exc

    def _read_batch(self, vendor: str, after: int, limit: int) -> list[dict[str, t.Any]]:
        try:
            conn = self._connect_ro()
            try:
                rows = conn.execute(
                    f"SELECT {', '.join(COLUMNS)} FROM inbox_events"
                    " WHERE vendor = ? AND inbox_sequence > ? ORDER BY inbox_sequence LIMIT ?",
                    (vendor, after, limit),
                ).fetchall()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise InboxError(f"cannot read inbox {self.display_url}: {one_line(exc)}") from exc
        return [_row(row, json.loads(row[6])) for row in rows]


class _SqliteWriter(InboxWriter):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def insert(self, deliveries: Sequence[Delivery]) -> list[int | None]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            results: list[int | None] = []
            for d in deliveries:
                cur = conn.execute(
                    f"INSERT INTO inbox_events ({_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (delivery_id) DO NOTHING",
                    (
                        d.delivery_id,
                        d.vendor,
                        d.received_at.isoformat(timespec="microseconds"),
                        d.topic,
                        d.resource_type,
                        d.sequence_number,
                        d.payload,
                    ),
                )
                results.append(cur.lastrowid if cur.rowcount == 1 else None)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return results

    def close(self) -> None:
        self.conn.close()


# --- PostgreSQL -----------------------------------------------------------------------------

_PG_DDL = """
CREATE TABLE IF NOT EXISTS inbox_events (
    inbox_sequence  BIGSERIAL PRIMARY KEY,
    delivery_id     TEXT UNIQUE NOT NULL,
    vendor          TEXT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    topic           TEXT,
    resource_type   TEXT,
    sequence_number BIGINT,
    payload         JSONB NOT NULL
)"""


class PostgresInbox(Inbox):
    """The table goes in the first schema of the connection's search_path (set it with
    `?options=-csearch_path%3Dmy_schema` in the URL)."""

    kind = "postgresql"

    def __init__(self, url: str, connect_timeout: int = 5) -> None:
        self.url = url
        self.display_url = redact_url(url)
        self.connect_timeout = connect_timeout

    def _connect(self) -> psycopg.Connection[t.Any]:
        import psycopg  # imported here: SQLite users and the tap's start-up don't pay for it

        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=self.connect_timeout)
        except psycopg.Error as exc:
            raise InboxError(
                f"cannot connect to inbox {self.display_url}: {one_line(exc)}"
            ) from exc

    def create(self) -> None:
        import psycopg

        with self._connect() as conn:
            try:
                with conn.transaction():
                    # Two collectors starting together would race on CREATE TABLE.
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_WRITE_LOCK,))
                    conn.execute(_PG_DDL)
            except psycopg.Error as exc:
                raise InboxError(f"cannot create inbox table: {one_line(exc)}") from exc

    def writer(self) -> InboxWriter:
        import psycopg

        conn = self._connect()
        try:
            # A commit must be on disk before we answer 2xx; don't inherit a default of off.
            if conn.execute("SHOW synchronous_commit").fetchone() in (("off",), ("local",)):
                conn.execute("SET synchronous_commit = on")
            # A hung statement must not wedge the only writer: fail it, reconnect, go on.
            conn.execute("SET statement_timeout = '30s'")
        except psycopg.Error as exc:
            conn.close()
            raise InboxError(f"cannot set up inbox connection: {one_line(exc)}") from exc
        return _PostgresWriter(conn)

    def count(self) -> int:
        import psycopg

        with self._connect() as conn:
            try:
                row = conn.execute("SELECT count(*) FROM inbox_events").fetchone()
            except psycopg.Error as exc:
                raise InboxError(f"cannot read inbox {self.display_url}: {one_line(exc)}") from exc
        return int(row[0]) if row else 0

    def _read_batch(self, vendor: str, after: int, limit: int) -> list[dict[str, t.Any]]:
        import psycopg

        with self._connect() as conn:
            try:
                rows = conn.execute(
                    f"SELECT {', '.join(COLUMNS)} FROM inbox_events"
                    " WHERE vendor = %s AND inbox_sequence > %s ORDER BY inbox_sequence LIMIT %s",
                    (vendor, after, limit),
                ).fetchall()
            except psycopg.Error as exc:
                raise InboxError(f"cannot read inbox {self.display_url}: {one_line(exc)}") from exc
        # psycopg already parses JSONB; received_at is a datetime.
        return [_row((*row[:2], row[2].isoformat(), *row[3:]), row[6]) for row in rows]


class _PostgresWriter(InboxWriter):
    def __init__(self, conn: psycopg.Connection[t.Any]) -> None:
        self.conn = conn

    def insert(self, deliveries: Sequence[Delivery]) -> list[int | None]:
        results: list[int | None] = []
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_WRITE_LOCK,))
            for d in deliveries:
                row = self.conn.execute(
                    f"INSERT INTO inbox_events ({_INSERT_COLUMNS})"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb)"
                    " ON CONFLICT (delivery_id) DO NOTHING RETURNING inbox_sequence",
                    (
                        d.delivery_id,
                        d.vendor,
                        d.received_at,
                        d.topic,
                        d.resource_type,
                        d.sequence_number,
                        d.payload,
                    ),
                ).fetchone()
                results.append(int(row[0]) if row else None)
        return results

    def close(self) -> None:
        self.conn.close()


def _row(values: Sequence[t.Any], payload: t.Any) -> dict[str, t.Any]:
    row = dict(zip(COLUMNS, values, strict=True))
    row["payload"] = payload
    return row
