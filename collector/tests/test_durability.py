"""kill -9 under load: no acknowledged delivery is lost, and retries store each exactly once.

The collector runs as a real process. 20 sender threads deliver 400 signed events; once
enough have been acknowledged the collector is killed with SIGKILL mid-load. Everything it
acknowledged must already be in the inbox (checked before restarting it). Then it restarts
on the same inbox and the sender retries every delivery that never got a 2xx, with the same
svix-id and a fresh signature, as Okendo would.

(SIGKILL proves a 2xx only follows a commit; that the commit reached the disk, i.e.
synchronous=FULL, would take a power cut to prove.)
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from collector.inbox import Inbox
from collector.testing import CollectorProcess, signed_headers, survey_event

EVENTS = 400
SENDERS = 20
KILL_AFTER_ACKS = 120


class Sender:
    def __init__(self, bodies: dict[str, str]) -> None:
        self.bodies = bodies
        self.acked: set[str] = set()
        self.lock = threading.Lock()
        self.local = threading.local()
        self.enough = threading.Event()

    def deliver(self, url: str, msg_id: str) -> bool:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        body = self.bodies[msg_id]
        try:
            response = session.post(
                f"{url}/webhooks/okendo",
                data=body,
                headers=signed_headers(body, msg_id),
                timeout=15,
            )
        except requests.RequestException:
            self.local.session = None  # the connection died with the collector
            return False
        if not 200 <= response.status_code < 300:
            return False
        with self.lock:
            self.acked.add(msg_id)
            if len(self.acked) >= KILL_AFTER_ACKS:
                self.enough.set()
        return True


def stored_ids(inbox: Inbox) -> Counter[str]:
    return Counter(row["delivery_id"] for row in inbox.read("okendo", batch_size=500))


def test_kill_9_mid_load_loses_and_duplicates_nothing(
    collector_inbox_url: str, collector_inbox: Inbox, tmp_path: Path
) -> None:
    ids = [f"msg_{i:04d}" for i in range(EVENTS)]
    sender = Sender({msg_id: survey_event(i) for i, msg_id in enumerate(ids)})
    log = tmp_path / "collector.log"
    collector = CollectorProcess(collector_inbox_url, log_path=log).start()
    try:
        with ThreadPoolExecutor(SENDERS) as pool:
            results = pool.map(lambda msg_id: sender.deliver(collector.url, msg_id), ids)
            assert sender.enough.wait(30), "the collector never acknowledged enough deliveries"
            collector.kill9()
            first_round = dict(zip(ids, results, strict=True))
    finally:
        collector.stop()

    acked_before_kill = set(sender.acked)
    unanswered = [msg_id for msg_id, ok in first_round.items() if not ok]
    assert len(acked_before_kill) >= KILL_AFTER_ACKS
    assert unanswered, "the kill came after the load ended; nothing was tested"

    # Before any restart: every acknowledged delivery is on disk, exactly once.
    stored = stored_ids(collector_inbox)
    assert acked_before_kill <= set(stored)
    assert max(stored.values()) == 1

    # Restart on the same inbox and port; retry what never got a 2xx until it does.
    with CollectorProcess(collector_inbox_url, port=collector.port, log_path=log) as restarted:
        for _ in range(5):
            with ThreadPoolExecutor(SENDERS) as pool:
                retried = dict(
                    zip(
                        unanswered,
                        pool.map(lambda m: sender.deliver(restarted.url, m), unanswered),
                        strict=True,
                    )
                )
            unanswered = [msg_id for msg_id, ok in retried.items() if not ok]
            if not unanswered:
                break
        assert unanswered == []
        health = requests.get(f"{restarted.url}/health", timeout=5).json()

    stored = stored_ids(collector_inbox)
    assert sorted(stored) == ids
    assert set(stored.values()) == {1}
    assert health["events"] == EVENTS
    assert "Traceback" not in log.read_text()
