"""The Okendo webhook sender against a tiny receiver that verifies with svix and misbehaves."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import time
from collections import Counter, defaultdict

import pytest
from sandbox.okendo import (
    OKENDO_WEBHOOK_SECRET,
    SurveyStore,
    WebhookScript,
    apply_script,
    deliver_events,
    deliver_okendo_webhooks,
)
from sandbox.server import serve_in_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from svix.webhooks import Webhook, WebhookVerificationError

OTHER_SECRET = "whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=="


class Receiver:
    """Answers 500 to the first attempt of some events, stalls on others, and keeps a log."""

    def __init__(self, *, fail_first=(), stall_first=(), always_fail=(), stall_seconds=0.6):
        self.fail_first, self.stall_first = set(fail_first), set(stall_first)
        self.always_fail, self.stall_seconds = set(always_fail), stall_seconds
        self.log: list[dict] = []  # one entry per request, in arrival order
        self.attempts: Counter = Counter()  # by svix-id
        self.app = Starlette(routes=[Route("/webhooks/okendo", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> JSONResponse:
        body = await request.body()
        headers = dict(request.headers)
        try:
            Webhook(OKENDO_WEBHOOK_SECRET).verify(body, headers)
        except WebhookVerificationError:
            self.log.append({"verified": False})
            return JSONResponse({"error": "bad signature"}, 400)
        with pytest.raises(WebhookVerificationError):  # a signature, not a formality
            Webhook(OTHER_SECRET).verify(body, headers)
        envelope = json.loads(body)
        message_id, sequence = headers["svix-id"], envelope["sequenceNumber"]
        self.attempts[message_id] += 1
        first = self.attempts[message_id] == 1
        status = 200
        if sequence in self.always_fail or (first and sequence in self.fail_first):
            status = 500
        elif first and sequence in self.stall_first:
            await asyncio.sleep(self.stall_seconds)  # longer than the sender waits
        self.log.append(
            {
                "verified": True,
                "id": message_id,
                "sequence": sequence,
                "timestamp": int(headers["svix-timestamp"]),
                "body": hashlib.sha256(body).hexdigest(),
                "status": status,
            }
        )
        return JSONResponse({"ok": status == 200}, status)


def test_deliveries_are_signed_shuffled_duplicated_and_retried_until_2xx():
    store = SurveyStore(seed=6, surveys={"a": 20, "b": 10})
    script = WebhookScript(seed=3, replay_history=5, creates=5, updates=8, deletes=3)
    events = apply_script(store, script)
    assert len(events) == 21
    receiver = Receiver(fail_first={2, 9, 14}, stall_first={5}, always_fail={17})
    with serve_in_thread(receiver.app) as url:
        started = time.time()
        report = deliver_events(
            events,
            f"{url}/webhooks/okendo",
            seed=3,
            duplicate_rate=0.3,
            concurrency=3,
            timeout=0.3,
            max_attempts=4,
            retry_backoff=0.05,
        )
        time.sleep(0.5)  # let the stalled first attempt finish at the receiver
    log = receiver.log
    assert log and all(entry["verified"] for entry in log)
    assert all(started - 1 <= entry["timestamp"] <= time.time() + 1 for entry in log)

    by_sequence = {e.sequence_number: e.message_id for e in events}
    answered = defaultdict(list)
    for entry in log:
        assert by_sequence[entry["sequence"]] == entry["id"]
        answered[entry["id"]].append(entry["status"])
    # every event but the one that always fails got a 200; that one was given up
    assert {i for i, statuses in answered.items() if 200 in statuses} == set(
        by_sequence.values()
    ) - {by_sequence[17]}
    assert report.gave_up == [by_sequence[17]]
    sent = Counter(report.order)  # deliveries per sequenceNumber
    assert answered[by_sequence[17]] == [500] * 4 * sent[17]
    assert report.failed_deliveries == sent[17]
    # retries: a 500 or a stall is followed by another attempt with the same svix-id
    for sequence in (2, 9, 14):
        assert answered[by_sequence[sequence]][:2] == [500, 200]
    assert answered[by_sequence[5]][:2] == [200, 200]  # stalled past the timeout: sent again
    assert report.outcomes["timeout"] == 1
    assert report.retries == report.attempts - report.deliveries >= 3 + 1 + 3
    # duplicates: delivered again with the same svix-id and the same body
    duplicated = [sequence for sequence, count in sent.items() if count == 2 and sequence != 17]
    assert report.duplicates >= 2 and duplicated
    for sequence in duplicated:
        assert answered[by_sequence[sequence]].count(200) >= 2
    for message_id in answered:
        assert len({e["body"] for e in log if e["id"] == message_id}) == 1
    # out of order: neither sent nor received in sequenceNumber order
    assert not report.in_order
    received = [e["sequence"] for e in log]
    assert received != sorted(received)
    assert report.as_dict()["delivered_in_order"] is False
    assert report.events == 21 and report.deliveries == 21 + report.duplicates
    assert report.succeeded == report.deliveries - len(report.gave_up)


def test_the_library_call_changes_the_store_and_delivers_every_event():
    store = SurveyStore(seed=2, surveys={"a": 30})
    receiver = Receiver()
    with serve_in_thread(receiver.app) as url:
        report = deliver_okendo_webhooks(
            store,
            f"{url}/webhooks/okendo",
            seed=5,
            replay_history=4,
            creates=3,
            updates=4,
            deletes=2,
            duplicate_rate=0.0,
            shuffle=False,
            concurrency=1,
        )
    assert report.events == report.deliveries == report.succeeded == 13
    assert report.retries == 0 and report.gave_up == [] and report.in_order
    assert [e["sequence"] for e in receiver.log] == list(range(1, 14))
    assert store.truth()["last_sequence_number"] == 13
    assert store.truth()["total"] == 30 + 3 - 2


def test_an_unreachable_receiver_is_retried_then_given_up():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = SurveyStore(seed=1, surveys={"a": 3})
    events = apply_script(store, WebhookScript(replay_history=2, creates=0, updates=0, deletes=0))
    report = deliver_events(
        events, f"http://127.0.0.1:{port}/webhooks/okendo", max_attempts=3, retry_backoff=0.01
    )
    assert report.outcomes == {"connection error": 6}
    assert report.retries == 4
    assert sorted(report.gave_up) == sorted(e.message_id for e in events)


def test_cli_changes_a_running_sandbox_and_reports(okendo_sandbox, capsys):
    from sandbox.cli import main

    okendo = okendo_sandbox(surveys={"a": 12, "b": 4})
    receiver = Receiver()
    with serve_in_thread(receiver.app) as url:
        argv = ["webhooks", "okendo", "--to", f"{url}/webhooks/okendo", "--sandbox", okendo.url]
        argv += ["--replay-history", "3", "--creates", "2", "--updates", "3", "--deletes", "1"]
        assert main([*argv, "--duplicate-rate", "0", "--retry-backoff", "0.01"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["events"] == report["succeeded"] == 9 and report["gave_up"] == []
    truth = okendo.survey_truth()
    assert truth["last_sequence_number"] == 9 and truth["total"] == 16 + 2 - 1
    assert len({e["id"] for e in receiver.log}) == 9


def test_bad_knobs_are_refused():
    with pytest.raises(ValueError, match="duplicate_rate"):
        deliver_events([], "http://127.0.0.1:1/", duplicate_rate=2)
    with pytest.raises(ValueError, match="deletes"):
        WebhookScript(deletes=-1)
