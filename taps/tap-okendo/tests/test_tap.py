"""tap-okendo against the sandbox: exact copies, faults survived, clear failures."""

from __future__ import annotations

import json
import re

import pytest
from sandbox.faults import Faults

COUNTS = {"approved": 230, "pending": 41, "rejected": 7}


def test_full_copy_reads_every_status_exactly(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=COUNTS)
    run = run_tap(okendo.tap_config(max_requests_per_second=0))
    assert run.returncode == 0, run.stderr
    reviews = run.records("reviews")
    truth = okendo.truth()
    assert len(reviews) == truth["reviews"]["total"] == 278
    assert len({r["reviewId"] for r in reviews}) == 278
    for status, count in COUNTS.items():
        assert sum(r["status"] == status for r in reviews) == count
    assert sum(r["rating"] for r in reviews) == truth["rating_sum"]
    # ceil(230/100) + ceil(41/100) + ceil(7/100) pages, at the cheapest page size and order
    recent = okendo.stats()["recent"]
    assert len(recent) == 5
    assert all("limit=100" in line and "orderBy=date+asc" in line for line in recent)


def test_one_completed_copy_is_recorded_after_the_reviews(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=COUNTS)
    run = run_tap(okendo.tap_config(max_requests_per_second=0))
    (ledger,) = run.records("sync_runs")
    assert ledger["stream"] == "reviews"
    assert ledger["record_count"] == 278
    assert ledger["review_statuses"] == ["approved", "pending", "rejected"]
    assert {r["_sync_started_at"] for r in run.records("reviews")} == {ledger["sync_started_at"]}
    kinds = [(m["type"], m.get("stream")) for m in run.messages if m["type"] == "RECORD"]
    assert kinds[-1] == ("RECORD", "sync_runs")


def test_configured_statuses_only(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=COUNTS)
    run = run_tap(
        okendo.tap_config(max_requests_per_second=0, review_statuses=["pending"], page_size=10)
    )
    assert run.returncode == 0, run.stderr
    assert len(run.records("reviews")) == 41
    assert okendo.stats()["requests"] == 5


def test_429_storms_5xx_truncation_and_slow_pages_still_give_exact_counts(okendo_sandbox, run_tap):
    faults = Faults(
        storm_every=8,
        storm_length=2,
        error_rate=0.15,
        truncate_rate=0.2,
        slow_rate=0.05,
        slow_seconds=3,
        seed=11,
    )
    okendo = okendo_sandbox(counts=COUNTS, faults=faults)
    run = run_tap(
        okendo.tap_config(
            max_requests_per_second=0, page_size=25, request_timeout=1, retry_backoff_ms=50
        )
    )
    assert run.returncode == 0, run.stderr
    assert len({r["reviewId"] for r in run.records("reviews")}) == 278
    assert len(run.records("reviews")) == 278
    stats = okendo.stats()
    assert stats["by_status"].get("429", 0) >= 4  # storms of 2: more than one retry each
    assert stats["faults"].get("error", 0) >= 1 and stats["faults"].get("truncate", 0) >= 1
    assert len(run.records("sync_runs")) == 1


def test_retry_after_is_honoured(okendo_sandbox, run_tap):
    # every second request is a 429 with Retry-After: 1, though the backoff base is tiny
    okendo = okendo_sandbox(counts={"approved": 5}, faults=Faults(storm_every=2, storm_length=1))
    run = run_tap(okendo.tap_config(max_requests_per_second=0, retry_backoff_ms=10))
    assert run.returncode == 0, run.stderr
    # waits at least the Retry-After second (plus at most 10% jitter), not the tiny backoff
    assert re.search(r"Retrying /reviews in 1\.[01]s \(attempt 1\): HTTP 429", run.stderr)


def test_a_vendor_that_keeps_failing_stops_the_run_with_one_line(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=COUNTS)
    okendo.sandbox.faults = Faults(error_rate=1.0)
    run = run_tap(okendo.tap_config(max_requests_per_second=0, retry_backoff_ms=10))
    assert run.returncode == 1
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .startswith("tap-okendo: Okendo kept failing on /reviews after 8 attempts (HTTP 5")
    )
    assert okendo.stats()["requests"] == 8
    assert run.records("sync_runs") == []  # no completed copy: nothing will look deleted


def test_rejected_credentials_end_with_one_line_and_no_secret(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=COUNTS)
    wrong_key = "WRONGkey" + "9" * 24
    run = run_tap(okendo.tap_config(api_key=wrong_key))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-okendo: Okendo rejected the User ID / API key pair (HTTP 401)")
    assert "`user_id` and `api_key`" in last
    assert "Traceback" not in run.stderr
    for secret in (wrong_key, okendo.sandbox.api_key):
        assert secret not in run.stdout + run.stderr
    assert okendo.stats()["requests"] == 1  # a 401 is not retried


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("user_id", "store@example.com", "`user_id` must be the Okendo User ID, a UUID"),
        ("api_key", " sbx0kendoKey00000000000000000042", "`api_key` has leading or trailing"),
    ],
)
def test_credential_typos_are_caught_before_any_request(
    okendo_sandbox, run_tap, field, value, message
):
    okendo = okendo_sandbox(counts=COUNTS)
    run = run_tap(okendo.tap_config(**{field: value}))
    assert run.returncode == 1
    assert message in run.stderr.strip().splitlines()[-1]
    assert okendo.sandbox.api_key not in run.stderr + run.stdout
    assert okendo.stats()["requests"] == 0


def test_bad_setting_fails_validation(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=COUNTS)
    run = run_tap(okendo.tap_config(page_size=500))
    assert run.returncode == 1
    assert "500 is greater than the maximum of 100" in run.stderr
    assert okendo.sandbox.api_key not in run.stderr


def test_connection_test_asks_for_one_review(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=COUNTS)
    run = run_tap(okendo.tap_config(), "--test")
    assert run.returncode == 0, run.stderr
    recent = okendo.stats()["recent"]
    assert len(recent) == 1
    assert recent[0].startswith("200 GET /enterprise/reviews?limit=1&")


def test_connection_test_with_a_wrong_key_fails(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=COUNTS)
    run = run_tap(okendo.tap_config(api_key="x" * 32), "--test")
    assert run.returncode == 1
    assert "HTTP 401" in run.stderr


def test_discover_and_about_need_no_network(run_tap):
    run = run_tap({}, "--discover")
    assert run.returncode == 0, run.stderr
    catalog = json.loads(run.stdout)
    streams = {s["tap_stream_id"]: s for s in catalog["streams"]}
    assert set(streams) == {"reviews", "survey_responses", "sync_runs"}
    schema = streams["reviews"]["schema"]["properties"]
    assert schema["reviewer"]["properties"]["location"]["properties"]["country"]["type"] == [
        "object",
        "null",
    ]
    assert schema["media"]["items"]["properties"]["isHidden"]["type"] == ["boolean", "null"]
    about = run_tap({}, "--about", "--format=json")
    settings = json.loads(about.stdout)["settings"]["properties"]
    assert settings["api_key"].get("secret") is True or settings["api_key"].get("writeOnly")
    assert settings["api_url"]["default"] == "https://api.okendo.io/enterprise"
    assert settings["api_version"]["default"] == "2025-02-01"
