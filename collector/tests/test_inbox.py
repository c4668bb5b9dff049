"""The inbox stores and the writer thread, without HTTP."""

from __future__ import annotations

import dataclasses
import threading
import time
import typing as t
from datetime import UTC, datetime
from pathlib import Path

import pytest
from collector.inbox import (
    Delivery,
    Inbox,
    InboxError,
    PostgresInbox,
    SqliteInbox,
    _PostgresWriter,
    open_inbox,
    redact_url,
)
from collector.testing import survey_event
from collector.writer import WriteQueue


def delivery(i: int) -> Delivery:
    return Delivery(
        delivery_id=f"msg_{i}",
        vendor="okendo",
        received_at=datetime.now(UTC),
        topic="survey_response.create",
        resource_type="survey_response",
        sequence_number=i,
        payload=survey_event(i),
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://svc:s3cret@db:5432/inbox", "postgresql://svc:***@db:5432/inbox"),
        (
            "postgresql://svc@db/inbox?password=s3cret",
            "postgresql://svc@db/inbox?password=***",
        ),
        ("postgres://db/inbox?sslmode=require", "postgres://db/inbox?sslmode=require"),
        ("postgresql://svc:p%40ss@db/inbox", "postgresql://svc:***@db/inbox"),
        ("sqlite:///output/inbox.sqlite3", "sqlite:///output/inbox.sqlite3"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_open_inbox_understands_the_urls() -> None:
    relative = open_inbox("sqlite:///output/inbox.sqlite3")
    assert isinstance(relative, SqliteInbox) and relative.path == Path("output/inbox.sqlite3")
    absolute = open_inbox("sqlite:////var/lib/inbox.sqlite3")
    assert isinstance(absolute, SqliteInbox) and absolute.path == Path("/var/lib/inbox.sqlite3")
    assert isinstance(open_inbox("postgresql://u@h/db"), PostgresInbox)
    assert isinstance(open_inbox("postgres://u@h/db"), PostgresInbox)
    for bad in ("sqlite:///", "sqlite://relative.db", "mysql://u:pw@h/db", "inbox.sqlite3"):
        with pytest.raises(InboxError, match="unsupported inbox URL") as caught:
            open_inbox(bad)
        assert "pw" not in str(caught.value)


def test_sqlite_inbox_is_wal_with_full_sync(tmp_path: Path) -> None:
    inbox = open_inbox(f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    inbox.create()
    writer = t.cast(t.Any, inbox.writer())
    try:
        assert writer.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert writer.conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    finally:
        writer.close()


def test_create_is_idempotent_and_keeps_rows(collector_inbox_url: str) -> None:
    inbox = open_inbox(collector_inbox_url)
    writer = inbox.writer()
    assert writer.insert([delivery(1), delivery(2), delivery(1)])[2] is None
    writer.close()
    inbox.create()
    assert inbox.count() == 2


def test_read_streams_in_batches_after_a_bookmark(collector_inbox: Inbox) -> None:
    writer = collector_inbox.writer()
    sequences = writer.insert([delivery(i) for i in range(10)])
    writer.close()
    assert all(s is not None for s in sequences)
    after = t.cast(int, sequences[3])
    rows = list(collector_inbox.read("okendo", after=after, batch_size=3))
    assert [r["delivery_id"] for r in rows] == [f"msg_{i}" for i in range(4, 10)]
    assert list(collector_inbox.read("another-vendor")) == []


def test_one_bad_delivery_does_not_fail_its_group(collector_inbox: Inbox) -> None:
    queue = WriteQueue(collector_inbox)
    # Queued before the thread starts, so all five are committed as one group.
    bad = dataclasses.replace(delivery(2), delivery_id=t.cast(str, None))
    futures = [queue.submit(bad if i == 2 else delivery(i)) for i in range(5)]
    queue.start()
    try:
        results = [f.exception(10) for f in futures]
    finally:
        queue.stop()
    assert results[2] is not None  # NOT NULL delivery_id
    assert [r is None for r in results] == [True, True, False, True, True]
    assert sorted(r["delivery_id"] for r in collector_inbox.read("okendo")) == [
        "msg_0",
        "msg_1",
        "msg_3",
        "msg_4",
    ]


def test_postgres_commits_in_sequence_order(collector_pg_inbox_url: str) -> None:
    """A writer that took a sequence number holds back every later writer until it commits,
    so the tap can never bookmark past a row that is still to appear."""
    inbox = open_inbox(collector_pg_inbox_url)
    slow = t.cast(_PostgresWriter, inbox.writer())
    fast = inbox.writer()
    done: list[int | None] = []
    try:
        with slow.conn.transaction():  # keep the first writer's transaction open
            (first,) = slow.insert([delivery(1)])
            other = threading.Thread(target=lambda: done.extend(fast.insert([delivery(2)])))
            other.start()
            time.sleep(0.3)
            assert done == []  # blocked behind the open transaction
            assert inbox.count() == 0
        other.join(10)
    finally:
        slow.close()
        fast.close()
    assert first is not None and done and done[0] is not None and done[0] > first
    assert [r["delivery_id"] for r in inbox.read("okendo")] == ["msg_1", "msg_2"]
