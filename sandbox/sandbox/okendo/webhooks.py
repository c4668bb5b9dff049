"""Okendo's survey-response webhook feed, as a sender that behaves like Okendo's (Svix).

Two steps, usable separately:

* `apply_script(store, WebhookScript(...))` changes a `SurveyStore` by a seeded script and
  returns its events in `sequenceNumber` order: first a replayed `create` for each of the
  newest historical responses (the feed began before the backfill ended, so the two
  overlap), then creates, updates and deletes in a seeded mix (updates and deletes hit
  historical and new responses alike; one response may change several times).
* `deliver_events(events, url, ...)` POSTs each event's envelope the way Svix does: headers
  `svix-id` (the event's message id, reused by every delivery of that event),
  `svix-timestamp` (unix seconds at send time) and `svix-signature` (`v1,<base64 HMAC>`
  from `svix.webhooks.Webhook(secret).sign`). Delivery order is shuffled, some events are
  delivered twice, and a delivery whose answer is not 2xx in time (or whose connection
  fails) is retried with doubling waits, freshly timestamped and signed, up to
  `max_attempts`; then it is given up and listed in the report.

`deliver_okendo_webhooks(store, url, ...)` does both. `sandbox webhooks okendo --to URL`
is the command-line face (see cli.py); with `--sandbox URL` it changes a running sandbox
through POST /_sandbox/surveys/script, so the API, its truth and the feed agree.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from svix.webhooks import Webhook

from sandbox.okendo.surveys import SurveyEvent, SurveyStore

# The contract's sandbox signing secret; the collector reads it from OKENDO_WEBHOOK_SECRET.
OKENDO_WEBHOOK_SECRET = "whsec_c2FuZGJveC1va2VuZG8td2ViaG9vay1zZWNyZXQ="
RESPONSE_DEADLINE_SECONDS = 15.0  # Okendo: answer 2xx within 15 s or the delivery is retried


@dataclass(frozen=True)
class WebhookScript:
    """The changes the sender makes before delivering, all drawn from `seed`."""

    seed: int = 1
    replay_history: int = 20  # create events re-sent for the newest historical responses
    creates: int = 20
    updates: int = 30
    deletes: int = 10

    def __post_init__(self) -> None:
        for name in ("replay_history", "creates", "updates", "deletes"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ValueError(f"{name} must be a whole number >= 0")


def apply_script(store: SurveyStore, script: WebhookScript) -> list[SurveyEvent]:
    """Change `store` by `script`; returns the events in sequenceNumber order."""
    rng = random.Random(f"script/{script.seed}")
    with store.lock:
        events = [store.replay_create(rid) for rid in store.newest_ids(script.replay_history)]
        live = store.live_ids()
        surveys = sorted(store.surveys)
        changes = ["create"] * script.creates + ["update"] * script.updates
        changes += ["delete"] * script.deletes
        rng.shuffle(changes)
        for change in changes:
            if change == "create" and surveys:
                event = store.create(rng.choice(surveys))
                live.append(event.envelope["resource"]["surveyResponseId"])
            elif change == "update" and live:
                event = store.update(rng.choice(live))
            elif change == "delete" and live:
                at = rng.randrange(len(live))
                live[at], live[-1] = live[-1], live[at]
                event = store.delete(live.pop())
            else:
                continue  # nothing left to change
            events.append(event)
    return events


@dataclass
class DeliveryReport:
    """What a delivery run did; `as_dict()` is what the CLI prints."""

    events: int = 0
    deliveries: int = 0  # one per event, plus the duplicates
    duplicates: int = 0  # events delivered a second time (same svix-id)
    attempts: int = 0  # HTTP requests made, retries included
    succeeded: int = 0  # deliveries that got a 2xx
    retries: int = 0  # attempts after a non-2xx answer, a timeout or a failed connection
    failed_deliveries: int = 0  # deliveries that used up max_attempts without a 2xx
    gave_up: list[str] = field(default_factory=list)  # svix-ids of events never answered 2xx
    outcomes: Counter = field(default_factory=Counter)  # "200", "500", "timeout", ...
    order: list[int] = field(default_factory=list)  # sequenceNumbers in first-send order
    last_sequence_number: int = 0

    @property
    def in_order(self) -> bool:
        return self.order == sorted(self.order)

    def as_dict(self, *, with_order: bool = False) -> dict[str, Any]:
        report = {
            "events": self.events,
            "deliveries": self.deliveries,
            "duplicates": self.duplicates,
            "attempts": self.attempts,
            "succeeded": self.succeeded,
            "retries": self.retries,
            "failed_deliveries": self.failed_deliveries,
            "gave_up": sorted(self.gave_up),
            "outcomes": dict(sorted(self.outcomes.items())),
            "delivered_in_order": self.in_order,
            "last_sequence_number": self.last_sequence_number,
        }
        if with_order:
            report["order"] = list(self.order)
        return report


def deliver_events(
    events: list[SurveyEvent],
    url: str,
    *,
    secret: str = OKENDO_WEBHOOK_SECRET,
    seed: int = 1,
    duplicate_rate: float = 0.1,
    shuffle: bool = True,
    concurrency: int = 4,
    timeout: float = RESPONSE_DEADLINE_SECONDS,
    max_attempts: int = 5,
    retry_backoff: float = 1.0,
) -> DeliveryReport:
    """POST every event to `url` as Okendo's Svix sender would; returns a DeliveryReport.

    secret: "whsec_<base64>" signing secret. seed: draws the order and the duplicates.
    duplicate_rate: share of events delivered twice. shuffle: random delivery order
    (else sequenceNumber order, a duplicate right after its original). concurrency:
    parallel senders (threads). timeout: seconds to wait for an answer. max_attempts:
    tries per delivery; the waits between them are retry_backoff * 1, 2, 4, ... seconds.
    """
    if not 0 <= duplicate_rate <= 1:
        raise ValueError("duplicate_rate must be between 0 and 1")
    if concurrency < 1 or max_attempts < 1:
        raise ValueError("concurrency and max_attempts must be at least 1")
    rng = random.Random(f"delivery/{seed}")
    ordered = sorted(events, key=lambda e: e.sequence_number)
    deliveries: list[SurveyEvent] = []
    for event in ordered:
        deliveries.append(event)
        if rng.random() < duplicate_rate:
            deliveries.append(event)
    if shuffle:
        rng.shuffle(deliveries)
    report = DeliveryReport(
        events=len(ordered),
        deliveries=len(deliveries),
        duplicates=len(deliveries) - len(ordered),
        last_sequence_number=ordered[-1].sequence_number if ordered else 0,
    )
    sender = _Sender(url, Webhook(secret), report, timeout, max_attempts, retry_backoff)
    try:
        with ThreadPoolExecutor(concurrency, thread_name_prefix="okendo-webhooks") as pool:
            for done in [pool.submit(sender.deliver, event) for event in deliveries]:
                done.result()
    finally:
        sender.close()
    report.gave_up = sorted({e.message_id for e in deliveries} - sender.acknowledged)
    return report


def deliver_okendo_webhooks(
    store: SurveyStore,
    url: str,
    secret: str = OKENDO_WEBHOOK_SECRET,
    *,
    seed: int = 1,
    replay_history: int = 20,
    creates: int = 20,
    updates: int = 30,
    deletes: int = 10,
    duplicate_rate: float = 0.1,
    shuffle: bool = True,
    concurrency: int = 4,
    timeout: float = RESPONSE_DEADLINE_SECONDS,
    max_attempts: int = 5,
    retry_backoff: float = 1.0,
) -> DeliveryReport:
    """Change `store` by a seeded script, then deliver its events to `url` (the receiver's
    full URL, e.g. http://127.0.0.1:8400/webhooks/okendo); returns a DeliveryReport.

    The script (`apply_script`): `replay_history` create events for the newest historical
    responses, then `creates` new responses, `updates` and `deletes` in a mix drawn from
    `seed`. Delivery (`deliver_events`): the other parameters. `store.truth()` afterwards
    is what a correct merge of backfill and feed must show.
    """
    script = WebhookScript(
        seed=seed,
        replay_history=replay_history,
        creates=creates,
        updates=updates,
        deletes=deletes,
    )
    return deliver_events(
        apply_script(store, script),
        url,
        secret=secret,
        seed=seed,
        duplicate_rate=duplicate_rate,
        shuffle=shuffle,
        concurrency=concurrency,
        timeout=timeout,
        max_attempts=max_attempts,
        retry_backoff=retry_backoff,
    )


def script_remote(sandbox_url: str, script: WebhookScript) -> list[SurveyEvent]:
    """Apply `script` to a running sandbox (POST /_sandbox/surveys/script)."""
    response = requests.post(
        f"{sandbox_url.rstrip('/')}/_sandbox/surveys/script",
        json=script.__dict__,
        timeout=300,
    )
    response.raise_for_status()
    return [SurveyEvent.from_dict(event) for event in response.json()["events"]]


class _Sender:
    """Delivers one event per call, with retries; one HTTP session per thread."""

    def __init__(
        self,
        url: str,
        webhook: Webhook,
        report: DeliveryReport,
        timeout: float,
        max_attempts: int,
        retry_backoff: float,
    ) -> None:
        self.url, self.webhook, self.report = url, webhook, report
        self.timeout, self.max_attempts, self.retry_backoff = timeout, max_attempts, retry_backoff
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self.acknowledged: set[str] = set()  # svix-ids answered 2xx at least once

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def deliver(self, event: SurveyEvent) -> None:
        body = event.body.encode()
        with self._lock:
            self.report.order.append(event.sequence_number)
        for attempt in range(self.max_attempts):
            if attempt:
                time.sleep(self.retry_backoff * 2 ** (attempt - 1))
            outcome = self._attempt(event.message_id, body)
            with self._lock:
                self.report.attempts += 1
                self.report.retries += bool(attempt)
                self.report.outcomes[outcome] += 1
                if outcome.startswith("2"):
                    self.report.succeeded += 1
                    self.acknowledged.add(event.message_id)
                    return
        with self._lock:
            self.report.failed_deliveries += 1

    def _attempt(self, message_id: str, body: bytes) -> str:
        now = datetime.now(UTC)  # each attempt is signed afresh, as Svix does
        headers = {
            "content-type": "application/json",
            "user-agent": "Svix-Webhooks/1.0 (sandbox okendo)",
            "svix-id": message_id,
            "svix-timestamp": str(int(now.timestamp())),
            "svix-signature": self.webhook.sign(message_id, now, body.decode()),
        }
        try:
            response = self._session().post(
                self.url, data=body, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            return "timeout"
        except requests.ConnectionError:
            return "connection error"
        return str(response.status_code)

    def close(self) -> None:
        for session in self._sessions:
            session.close()
