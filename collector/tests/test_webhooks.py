"""The receiver over real HTTP on loopback, on both stores: what is stored, what is refused."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import typing as t
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
import requests
from collector.app import create_app
from collector.inbox import Delivery, Inbox, InboxWriter, PostgresInbox, open_inbox
from collector.testing import SANDBOX_SECRET, signed_headers, survey_event
from sandbox.server import serve_in_thread as _serve_in_thread


def serve_in_thread(app: t.Any) -> t.ContextManager[str]:
    """The collector app has a writer thread started by its lifespan hooks."""
    return _serve_in_thread(app, lifespan="on")


SMALL_LIMIT = 64 * 1024  # body limit for these tests; the default (1 MiB) is tested once


@pytest.fixture
def collector(collector_inbox: Inbox) -> Iterator[str]:
    with serve_in_thread(
        create_app(collector_inbox, SANDBOX_SECRET, max_body_bytes=SMALL_LIMIT)
    ) as url:
        yield url


def post(url: str, body: str | bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{url}/webhooks/okendo", data=body, headers=headers, timeout=15)


def stored(inbox: Inbox) -> list[dict[str, t.Any]]:
    return list(inbox.read("okendo"))


def test_valid_delivery_is_stored_once(collector: str, collector_inbox: Inbox) -> None:
    body = survey_event(7, topic="survey_response.update")
    first = post(collector, body, signed_headers(body, "msg_valid"))
    assert first.status_code == 200
    assert first.json()["status"] == "stored"

    # Okendo retries with the same svix-id and a fresh timestamp and signature.
    later = datetime.now(UTC) + timedelta(seconds=3)
    again = post(collector, body, signed_headers(body, "msg_valid", at=later))
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"

    rows = stored(collector_inbox)
    assert len(rows) == 1
    row = rows[0]
    assert row["delivery_id"] == "msg_valid"
    assert row["inbox_sequence"] == first.json()["inbox_sequence"]
    assert row["topic"] == "survey_response.update"
    assert row["resource_type"] == "survey_response"
    assert row["sequence_number"] == 7
    assert row["payload"] == json.loads(body)
    assert datetime.fromisoformat(row["received_at"]).utcoffset() == timedelta(0)
    assert requests.get(f"{collector}/health", timeout=5).json()["events"] == 1


def test_standard_webhooks_header_names_work_too(collector: str, collector_inbox: Inbox) -> None:
    body = survey_event(2)
    headers = {
        k.replace("svix-", "webhook-"): v for k, v in signed_headers(body, "msg_std").items()
    }
    assert post(collector, body, headers).json()["status"] == "stored"
    assert [row["delivery_id"] for row in stored(collector_inbox)] == ["msg_std"]


def test_sqlite_keeps_the_exact_body(tmp_path: t.Any) -> None:
    inbox = open_inbox(f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    inbox.create()
    body = '{"topic":"survey_response.create",  "sequenceNumber":1,\n "resource":{}}'
    with serve_in_thread(create_app(inbox, SANDBOX_SECRET)) as url:
        assert post(url, body, signed_headers(body, "msg_exact")).status_code == 200
    import sqlite3

    with sqlite3.connect(tmp_path / "inbox.sqlite3") as conn:
        assert conn.execute("SELECT payload FROM inbox_events").fetchone()[0] == body


BODY = survey_event(1)
OLD = datetime.now(UTC) - timedelta(minutes=6)


def _without(name: str) -> Callable[[], tuple[bytes | str, dict[str, str]]]:
    def make() -> tuple[bytes | str, dict[str, str]]:
        headers = signed_headers(BODY, "msg_bad")
        del headers[name]
        return BODY, headers

    return make


def _signed(body: str | bytes) -> Callable[[], tuple[bytes | str, dict[str, str]]]:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return lambda: (body, signed_headers(text, "msg_bad"))


def _chunks(size: int) -> Iterator[bytes]:
    for _ in range(0, size, 8192):
        yield b" " * 8192


REFUSALS: dict[str, tuple[int, Callable[[], tuple[t.Any, dict[str, str]]]]] = {
    "no svix-id": (401, _without("svix-id")),
    "no svix-timestamp": (401, _without("svix-timestamp")),
    "no svix-signature": (401, _without("svix-signature")),
    "no headers at all": (401, lambda: (BODY, {"content-type": "application/json"})),
    "wrong secret": (
        401,
        lambda: (BODY, signed_headers(BODY, "msg_bad", secret="whsec_d3Jvbmctc2VjcmV0")),
    ),
    "garbage signature": (
        401,
        lambda: (BODY, {**signed_headers(BODY, "msg_bad"), "svix-signature": "v1,@@@"}),
    ),
    "stale timestamp": (401, lambda: (BODY, signed_headers(BODY, "msg_bad", at=OLD))),
    "future timestamp": (
        401,
        lambda: (
            BODY,
            signed_headers(BODY, "msg_bad", at=datetime.now(UTC) + timedelta(minutes=6)),
        ),
    ),
    "body altered after signing": (
        401,
        lambda: (BODY.replace('"value": "1"', '"value": "10"'), signed_headers(BODY, "msg_bad")),
    ),
    "id swapped after signing": (
        401,
        lambda: (BODY, {**signed_headers(BODY, "msg_bad"), "svix-id": "msg_other"}),
    ),
    "not UTF-8": (401, lambda: (b"\xff\xfe{}", signed_headers("{}", "msg_bad"))),
    "malformed JSON": (400, _signed('{"topic": "survey_response.create",')),
    "JSON array": (400, _signed("[1, 2, 3]")),
    "JSON string": (400, _signed('"hello"')),
    "NaN": (400, _signed('{"sequenceNumber": NaN}')),
    "NUL escape": (400, _signed('{"resource": {"note": "a\\u0000b"}}')),
    "lone surrogate": (400, _signed('{"resource": {"note": "\\ud800"}}')),
    "deep nesting": (400, _signed('{"a":' * 10_000 + "1" + "}" * 10_000)),
    "empty body": (400, _signed("")),
    "oversized": (413, _signed(" " * SMALL_LIMIT + "{}")),
    "oversized, chunked, no Content-Length": (
        413,
        lambda: (_chunks(4 * SMALL_LIMIT), signed_headers("{}", "msg_bad")),
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_deliveries_store_nothing(
    collector: str, collector_inbox: Inbox, case: str
) -> None:
    status, make = REFUSALS[case]
    body, headers = make()
    response = post(collector, body, headers)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert collector_inbox.count() == 0
    health = requests.get(f"{collector}/health", timeout=5)
    assert health.status_code == 200
    assert health.json()["events"] == 0
    # And it still takes a good delivery.
    assert post(collector, BODY, signed_headers(BODY, "msg_good")).status_code == 200
    assert collector_inbox.count() == 1


def test_sender_hanging_up_mid_body_is_harmless(
    collector: str, collector_inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = collector.removeprefix("http://").split(":")
    body = survey_event(1)
    head = "".join(f"{k}: {v}\r\n" for k, v in signed_headers(body, "msg_cut").items())
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"POST /webhooks/okendo HTTP/1.1\r\nhost: x\r\ncontent-length: {len(body)}\r\n"
            f"{head}\r\n{body[:50]}".encode()
        )
    deadline = time.monotonic() + 5
    while "disconnected" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "client disconnected" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert collector_inbox.count() == 0
    assert requests.get(f"{collector}/health", timeout=5).status_code == 200


def test_body_limit_boundary_at_the_default(tmp_path: t.Any) -> None:
    inbox = open_inbox(f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    inbox.create()
    limit = 1024 * 1024
    fits = "{" + " " * (limit - 2) + "}"
    with serve_in_thread(create_app(inbox, SANDBOX_SECRET)) as url:
        assert post(url, fits, signed_headers(fits, "msg_fits")).status_code == 200
        over = fits + " "
        assert post(url, over, signed_headers(over, "msg_over")).status_code == 413
        huge = b" " * (64 * limit)  # beyond the drain limit: refused without reading it
        assert post(url, huge, signed_headers("{}", "msg_huge")).status_code == 413
    assert [row["delivery_id"] for row in inbox.read("okendo")] == ["msg_fits"]


def test_concurrent_duplicates_store_one_row(collector: str, collector_inbox: Inbox) -> None:
    body = survey_event(3)
    results: list[str] = []

    def deliver() -> None:
        results.append(post(collector, body, signed_headers(body, "msg_race")).json()["status"])

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate"] * 9 + ["stored"]
    assert collector_inbox.count() == 1


class _SlowInbox(Inbox):
    """An SQLite inbox whose commits take `delay` seconds."""

    kind = "sqlite"

    def __init__(self, inner: Inbox, delay: float) -> None:
        self.inner, self.delay, self.display_url = inner, delay, inner.display_url

    def create(self) -> None:
        self.inner.create()

    def writer(self) -> InboxWriter:
        inner, delay = self.inner.writer(), self.delay

        class Slow(InboxWriter):
            def insert(self, deliveries: Sequence[Delivery]) -> list[int | None]:
                time.sleep(delay)
                return inner.insert(deliveries)

            def close(self) -> None:
                inner.close()

        return Slow()

    def count(self) -> int:
        return self.inner.count()

    def _read_batch(self, vendor: str, after: int, limit: int) -> list[dict[str, t.Any]]:
        return self.inner._read_batch(vendor, after, limit)


def test_slow_inbox_answers_503_in_time_and_never_half_stores(tmp_path: t.Any) -> None:
    inner = open_inbox(f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    inner.create()
    app = create_app(_SlowInbox(inner, delay=1.0), SANDBOX_SECRET, write_timeout=0.3)
    a, b = survey_event(1), survey_event(2)
    answers: dict[str, tuple[int, float]] = {}

    def deliver(url: str, body: str, msg_id: str) -> None:
        started = time.monotonic()
        status = post(url, body, signed_headers(body, msg_id)).status_code
        answers[msg_id] = (status, time.monotonic() - started)

    with serve_in_thread(app) as url:
        first = threading.Thread(target=deliver, args=(url, a, "msg_a"))
        first.start()
        time.sleep(0.1)  # msg_a's commit is now in progress; msg_b waits behind it
        deliver(url, b, "msg_b")
        first.join()
        time.sleep(1.2)
    # Both answered 503 well before the 1 s commit finished.
    assert {k: v[0] for k, v in answers.items()} == {"msg_a": 503, "msg_b": 503}
    assert max(v[1] for v in answers.values()) < 0.9
    # msg_a was already being committed when it timed out, so it landed; msg_b was
    # withdrawn from the queue before its turn, so it was never written.
    assert [row["delivery_id"] for row in inner.read("okendo")] == ["msg_a"]
    # The sender retries both: one duplicate, one new.
    with serve_in_thread(create_app(inner, SANDBOX_SECRET)) as url:
        assert post(url, a, signed_headers(a, "msg_a")).json()["status"] == "duplicate"
        assert post(url, b, signed_headers(b, "msg_b")).json()["status"] == "stored"
    assert [row["delivery_id"] for row in inner.read("okendo")] == ["msg_a", "msg_b"]


def test_unreachable_postgres_gives_503_and_stays_up() -> None:
    missing = PostgresInbox("postgresql://postgres@127.0.0.1:1/nowhere", connect_timeout=1)
    with serve_in_thread(create_app(missing, SANDBOX_SECRET)) as url:
        health = requests.get(f"{url}/health", timeout=10)
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        body = survey_event(1)
        response = post(url, body, signed_headers(body, "msg_1"))
        assert response.status_code == 503
        assert requests.get(f"{url}/health", timeout=10).status_code == 503  # still serving


def test_health_503_when_sqlite_inbox_disappears(tmp_path: t.Any) -> None:
    path = tmp_path / "inbox.sqlite3"
    inbox = open_inbox(f"sqlite:///{path}")
    inbox.create()
    with serve_in_thread(create_app(inbox, SANDBOX_SECRET)) as url:
        assert requests.get(f"{url}/health", timeout=5).status_code == 200
        for file in tmp_path.glob("inbox.sqlite3*"):
            file.unlink()
        response = requests.get(f"{url}/health", timeout=5)
        assert response.status_code == 503
        assert "inbox" in response.json()["error"]


def test_no_password_in_health_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    inbox = PostgresInbox("postgresql://svc:hunter2@127.0.0.1:1/db?password=hunter3")
    with serve_in_thread(create_app(inbox, SANDBOX_SECRET)) as url:
        health = requests.get(f"{url}/health", timeout=10)
        body = survey_event(1)
        assert post(url, body, signed_headers(body, "msg_1")).status_code == 503
    assert health.status_code == 503
    assert health.json()["inbox"] == "postgresql"
    assert "svc:***@" in caplog.text
    assert caplog.records  # the failures were logged ...
    assert "hunter" not in health.text + caplog.text  # ... without the password
