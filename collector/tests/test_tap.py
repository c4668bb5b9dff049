"""tap-webhook-inbox as a real process (its console script), on both stores."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t
from datetime import UTC, datetime
from pathlib import Path

from collector.inbox import Delivery, Inbox, open_inbox
from collector.testing import survey_event

TAP = str(Path(sys.executable).with_name("tap-webhook-inbox"))


def fill(
    inbox: Inbox,
    first: int,
    count: int,
    vendor: str = "okendo",
    *,
    at: datetime | None = None,
    sequence: t.Callable[[int], int] = lambda i: i,
) -> list[int | None]:
    """Store deliveries first..first+count-1 in one transaction (all received at `at` if
    given, a burst); returns their inbox_sequence (None for a delivery already stored)."""
    writer = inbox.writer()
    try:
        return writer.insert(
            [
                Delivery(
                    delivery_id=f"{vendor}_{i:05d}",
                    vendor=vendor,
                    received_at=at or datetime.now(UTC),
                    topic="survey_response.create",
                    resource_type="survey_response",
                    sequence_number=sequence(i),
                    payload=survey_event(i),
                )
                for i in range(first, first + count)
            ]
        )
    finally:
        writer.close()


def run_tap(
    tmp_path: Path, inbox_url: str, *args: str, state: dict[str, t.Any] | None = None
) -> tuple[list[dict[str, t.Any]], subprocess.CompletedProcess[str]]:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"inbox_url": inbox_url, "batch_size": 37}))
    cmd = [TAP, "--config", str(config), *args]
    if state is not None:
        (tmp_path / "state.json").write_text(json.dumps(state))
        cmd += ["--state", str(tmp_path / "state.json")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if "--discover" in args:  # a pretty-printed catalog, not Singer messages
        return [], done
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()], done


def records(messages: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    return [m["record"] for m in messages if m["type"] == "RECORD"]


def bookmark(state_message: dict[str, t.Any]) -> int:
    return int(state_message["value"]["bookmarks"]["okendo_events"]["replication_key_value"])


def test_incremental_runs_emit_each_row_once(
    tmp_path: Path, collector_inbox_url: str, collector_inbox: Inbox
) -> None:
    fill(collector_inbox, 0, 250)
    fill(collector_inbox, 0, 5, vendor="other")  # another vendor's rows are not okendo_events

    messages, done = run_tap(tmp_path, collector_inbox_url)
    assert done.returncode == 0, done.stderr
    first = records(messages)
    inbox_rows = list(collector_inbox.read("okendo"))
    assert len(first) == len(inbox_rows) == 250
    assert [r["delivery_id"] for r in first] == [r["delivery_id"] for r in inbox_rows]
    assert [r["inbox_sequence"] for r in first] == sorted(r["inbox_sequence"] for r in first)
    sample = first[7]
    assert sample["payload"] == json.loads(survey_event(7))
    assert sample["sequence_number"] == 7
    assert sample["topic"] == "survey_response.create"
    assert datetime.fromisoformat(sample["received_at"]).tzinfo is not None

    # Every STATE bookmark points at a record already emitted before it (resumable anywhere).
    emitted: set[int] = set()
    states = []
    for message in messages:
        if message["type"] == "RECORD":
            emitted.add(message["record"]["inbox_sequence"])
        elif message["type"] == "STATE":
            assert bookmark(message) in emitted
            states.append(message)
    assert bookmark(states[-1]) == first[-1]["inbox_sequence"]

    # Nothing new: nothing emitted. Then 40 new rows: exactly those.
    messages, done = run_tap(tmp_path, collector_inbox_url, state=states[-1]["value"])
    assert done.returncode == 0, done.stderr
    assert records(messages) == []
    fill(collector_inbox, 250, 40)
    messages, done = run_tap(tmp_path, collector_inbox_url, state=states[-1]["value"])
    assert done.returncode == 0, done.stderr
    assert [r["delivery_id"] for r in records(messages)] == [
        f"okendo_{i:05d}" for i in range(250, 290)
    ]


def test_second_run_after_a_burst_and_redeliveries_emits_exactly_the_new_rows(
    tmp_path: Path, collector_inbox_url: str, collector_inbox: Inbox
) -> None:
    """Issue 14's scenario for the inbox feed: 400 deliveries received in one instant (a
    campaign's burst), Okendo's sequence numbers out of order, then between the runs 60 new
    deliveries in one instant plus 15 redeliveries of rows already read. The bookmark is
    inbox_sequence (unique, assigned in commit order), so there is no tie and no overlap:
    the second run emits exactly the 60 new rows."""
    burst = datetime.now(UTC)
    fill(collector_inbox, 0, 400, at=burst, sequence=lambda i: (i * 7919) % 1000)
    messages, done = run_tap(tmp_path, collector_inbox_url)
    assert done.returncode == 0, done.stderr
    assert len(records(messages)) == 400
    state = [m for m in messages if m["type"] == "STATE"][-1]

    assert fill(collector_inbox, 385, 15) == [None] * 15  # redeliveries: stored once only
    new = fill(collector_inbox, 400, 60, at=datetime.now(UTC), sequence=lambda i: 1000 - i)
    messages, done = run_tap(tmp_path, collector_inbox_url, state=state["value"])
    assert done.returncode == 0, done.stderr
    second = records(messages)
    assert [r["inbox_sequence"] for r in second] == new
    assert [r["delivery_id"] for r in second] == [f"okendo_{i:05d}" for i in range(400, 460)]
    final = [m for m in messages if m["type"] == "STATE"][-1]
    assert bookmark(final) == max(n for n in new if n is not None) > bookmark(state)


def test_discover_about_and_test(tmp_path: Path) -> None:
    inbox_url = f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
    inbox = open_inbox(inbox_url)
    inbox.create()
    fill(inbox, 0, 3)
    _, done = run_tap(tmp_path, inbox_url, "--discover")
    assert done.returncode == 0, done.stderr
    (stream,) = json.loads(done.stdout)["streams"]
    assert stream["tap_stream_id"] == "okendo_events"
    assert stream["key_properties"] == ["delivery_id"]
    assert stream["replication_key"] == "inbox_sequence"
    assert set(stream["schema"]["properties"]) == {
        "inbox_sequence",
        "delivery_id",
        "received_at",
        "topic",
        "resource_type",
        "sequence_number",
        "payload",
    }
    assert stream["schema"]["properties"]["payload"]["type"] == ["object", "null"]

    about = subprocess.run(
        [TAP, "--about", "--format=json"], capture_output=True, text=True, check=True
    )
    settings = json.loads(about.stdout)["settings"]
    assert settings["required"] == ["inbox_url"]
    assert settings["properties"]["inbox_url"]["secret"] is True

    _, done = run_tap(tmp_path, inbox_url, "--test")
    assert done.returncode == 0, done.stderr


def test_missing_sqlite_inbox_is_one_clear_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nowhere' / 'inbox.sqlite3'}"
    messages, done = run_tap(tmp_path, url)
    assert done.returncode != 0
    assert records(messages) == []
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-webhook-inbox: inbox sqlite:///") and "does not exist" in last
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "nowhere").exists()  # reading never creates an inbox


def test_unreachable_postgres_is_one_clear_line_without_password(tmp_path: Path) -> None:
    _, done = run_tap(tmp_path, "postgresql://svc:hunter2@127.0.0.1:1/inbox")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-webhook-inbox: cannot connect to inbox postgresql://svc:***@")
    assert "hunter2" not in done.stderr
    assert "Traceback" not in done.stderr
