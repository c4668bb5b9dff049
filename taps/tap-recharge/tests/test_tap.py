"""tap-recharge against the sandbox: exact copies, the missing scope, faults, clear failures."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlparse

import pytest
import requests
from sandbox.faults import Faults
from sandbox.recharge import RESOURCES

INCREMENTAL = {
    "events": "created_at",
    "orders": "updated_at",
    "charges": "updated_at",
    "onetimes": "updated_at",
    "subscriptions": "updated_at",
    "addresses": "updated_at",
    "customers": "updated_at",
    "discounts": "updated_at",
    "plans": "updated_at",
}
FULL_TABLE = {"payment_methods", "products", "collections"}
OFF = {"max_requests_per_second": 0}


def requests_of(recharge) -> list[tuple[str, dict[str, str]]]:
    """(path, query) of every API request the sandbox answered, in order."""
    out = []
    for line in recharge.stats()["recent"]:
        url = urlparse(line.split(" ", 2)[2])
        out.append((url.path, dict(parse_qsl(url.query))))
    return out


def test_full_copy_is_exact_and_the_unscoped_stream_is_skipped_with_one_warning(
    recharge_sandbox, run_tap
):
    recharge = recharge_sandbox(scale=0.08)
    run = run_tap(recharge.tap_config(page_size=25, **OFF))
    assert run.returncode == 0, run.stderr
    truth = recharge.truth()
    counts = run.counts()
    assert set(counts) == set(RESOURCES) - {"payment_methods"}
    for resource in counts:
        assert counts[resource] == truth["counts"][resource], resource
        assert len({r["id"] for r in run.records(resource)}) == counts[resource], resource
    warnings = [line for line in run.stderr.splitlines() if "read_payment_methods" in line]
    assert len(warnings) == 1
    assert "WARNING" in warnings[0]
    assert (
        "Skipping stream payment_methods: the access token lacks the read_payment_methods"
        in (warnings[0])
    )
    assert "Traceback" not in run.stderr
    # children before parents, so every reference a run loads finds its target in that run
    order = list(dict.fromkeys(m["stream"] for m in run.messages if m["type"] == "SCHEMA"))
    assert order == [
        "events",
        "orders",
        "charges",
        "onetimes",
        "subscriptions",
        "addresses",
        "payment_methods",
        "customers",
        "discounts",
        "plans",
        "products",
        "collections",
    ]
    # The SDK drops (and warns about) fields missing from the schema: none may be missing.
    assert "not found in catalog schema" not in run.stderr
    # The final state holds a bookmark per incremental stream at its newest value.
    final = run.states[-1]["bookmarks"]
    for stream, key in INCREMENTAL.items():
        assert final[stream]["replication_key"] == key
        assert final[stream]["replication_key_value"] == truth["newest"][stream], stream


def test_money_is_exact_decimal_text(recharge_sandbox, run_tap):
    recharge = recharge_sandbox(scale=0.08, missing_scopes=())
    run = run_tap(recharge.tap_config(**OFF))
    truth = recharge.truth()["money"]
    charges = run.records("charges")
    assert str(sum(Decimal(c["total_price"]) for c in charges)) == truth["charges.total_price"]
    assert str(sum(Decimal(c["total_tax"]) for c in charges)) == truth["charges.total_tax"]
    orders = run.records("orders")
    assert str(sum(Decimal(o["total_price"]) for o in orders)) == truth["orders.total_price"]
    subscriptions = run.records("subscriptions")
    assert str(sum(Decimal(s["price"]) for s in subscriptions)) == truth["subscriptions.price"]
    line = charges[0]["line_items"][0]
    assert isinstance(line["unit_price"], str) and re.fullmatch(r"\d+\.\d\d", line["unit_price"])
    rates = [t["rate"] for c in charges for li in c["line_items"] for t in li["tax_lines"]]
    assert rates and all(isinstance(r, str) and Decimal(r) < 1 for r in rates)
    assert len(run.records("payment_methods")) == recharge.truth()["counts"]["payment_methods"]


def test_first_pages_carry_filters_and_follow_ups_only_cursor_and_limit(recharge_sandbox, run_tap):
    recharge = recharge_sandbox(scale=0.08)
    run = run_tap(recharge.tap_config(page_size=10, start_date="2023-06-01T00:00:00Z", **OFF))
    assert run.returncode == 0, run.stderr
    seen = requests_of(recharge)
    follow_ups = [(path, q) for path, q in seen if "cursor" in q]
    first = [(path, q) for path, q in seen if "cursor" not in q]
    assert len(follow_ups) > 20
    assert all(set(q) == {"cursor", "limit"} and q["limit"] == "10" for _, q in follow_ups)
    assert {path for path, _ in first} == {f"/{r}" for r in RESOURCES}
    for path, q in first:
        stream = path.strip("/")
        if stream in INCREMENTAL:
            key = INCREMENTAL[stream]
            # start_date less the one-second overlap, in UTC with an explicit offset; only
            # charges take a sort (recharge-api declares sort_by for ChargeListQuery alone)
            assert q == {
                "limit": "10",
                f"{key}_min": ("2023-05-31T23:59:59+00:00"),
            } | ({"sort_by": "updated_at-asc"} if stream == "charges" else {})
        else:
            assert q == {"limit": "10"}
    # every record a first page's filter allows, and no other
    for stream, key in INCREMENTAL.items():
        expected = {i for i, v in recharge.snapshot(stream).items() if v >= "2023-06-01"}
        assert {r["id"] for r in run.records(stream)} == expected, stream
        assert all(r[key] >= "2023-06-01" for r in run.records(stream))


def changed(before: dict[int, str], after: dict[int, str]) -> set[int]:
    """Ids added or given a new replication value between two snapshots."""
    return {i for i, v in after.items() if before.get(i) != v}


class Store:
    """What a second run must emit, read from the in-process sandbox store: the rows given a
    new replication value, and the rows still on the old bookmark's second whose content
    changed since (a save within that second, or an order whose charge changed: Recharge
    objects embed others, and the tap compares what it emitted there by digest)."""

    def __init__(self, recharge, first) -> None:
        self.recharge, self.store = recharge, recharge.sandbox.store
        marks = first.state["bookmarks"]
        self.marks = {s: marks[s]["replication_key_value"] for s in INCREMENTAL}
        self.before = {stream: recharge.snapshot(stream) for stream in INCREMENTAL}
        self.rendered = {stream: self.on_mark(stream) for stream in INCREMENTAL}

    def on_mark(self, stream: str) -> dict[int, object]:
        snapshot = self.recharge.snapshot(stream)
        rows = self.store.tables[stream].rows
        return {
            i: self.store.render(stream, rows[i])
            for i, v in snapshot.items()
            if v == self.marks.get(stream)
        }

    def expected(self, stream: str) -> set[int]:
        now = self.on_mark(stream)
        resaved = {i for i, body in now.items() if self.rendered[stream].get(i) != body}
        return changed(self.before[stream], self.recharge.snapshot(stream)) | resaved


def merged(*runs, stream: str) -> dict[int, str]:
    key = INCREMENTAL[stream]
    out: dict[int, str] = {}
    for run in runs:
        out |= {r["id"]: r[key] for r in run.records(stream)}
    return out


@pytest.mark.parametrize("inclusive", [False, True], ids=["min-exclusive", "min-inclusive"])
def test_second_run_on_a_busy_store_emits_exactly_the_changes(recharge_sandbox, run_tap, inclusive):
    """Issue 14's scenario: several rows a second up to the boundary (sandbox Density), a
    first run, a batch job touching 120 charges in one second plus other changes, then a
    second run with the first run's state. It used to die on its first re-read row with
    InvalidStreamSortException (a row from the second before the bookmark)."""
    recharge = recharge_sandbox(scale=0.08, inclusive_bounds=inclusive)
    config = recharge.tap_config(**OFF)
    first = run_tap(config)
    assert first.returncode == 0, first.stderr
    store = Store(recharge, first)
    before = store.before
    for stream in INCREMENTAL:  # the first run is a full, exact copy of a dense store
        assert merged(first, stream=stream) == before[stream], stream
        seconds = list(before[stream].values())
        mark = first.state["bookmarks"][stream]["replication_key_value"]
        if len(seconds) > 100:  # dense: rows in the second before the bookmark
            before_mark = (datetime.fromisoformat(mark) - timedelta(seconds=1)).isoformat()
            assert seconds.count(before_mark) >= 2, stream

    batch = recharge.touch("charges", count=120)  # one batch-job second
    recharge.touch("subscriptions", count=3)
    recharge.create("customers", 2)  # with address, subscription and charge each
    recharge.create("orders", 1)

    second = run_tap(config, state=first.state)
    assert second.returncode == 0, second.stderr
    assert "Unsorted data" not in second.stderr
    for stream in INCREMENTAL:
        after = recharge.snapshot(stream)
        emitted = [r["id"] for r in second.records(stream)]
        # exactly the changes: no re-read row emitted again, none lost, none twice
        assert sorted(emitted) == sorted(store.expected(stream)), stream
        assert merged(first, second, stream=stream) == after, stream
        old = first.state["bookmarks"][stream]["replication_key_value"]
        new = second.state["bookmarks"][stream]["replication_key_value"]
        assert new >= old, stream  # the bookmark never moves backwards
    assert set(batch["ids"]) <= {r["id"] for r in second.records("charges")}
    # full-table streams are copied again in full
    for stream in FULL_TABLE - {"payment_methods"}:
        assert len(second.records(stream)) == recharge.truth()["counts"][stream]

    if not inclusive:  # once is enough: nothing changed, nothing emitted
        third = run_tap(config, state=second.state)
        assert third.returncode == 0, third.stderr
        assert not any(third.records(stream) for stream in INCREMENTAL)


@pytest.mark.parametrize("inclusive", [False, True], ids=["min-exclusive", "min-inclusive"])
def test_a_run_killed_inside_a_tie_group_resumes_exactly(recharge_sandbox, run_tap, inclusive):
    """60 charges share one second; an outage of /charges stops the run among them. The
    saved state lists the tied ids already emitted: the resumed run emits the others."""
    recharge = recharge_sandbox(scale=0.08, inclusive_bounds=inclusive)
    first = run_tap(recharge.tap_config(**OFF))
    tie = recharge.touch("charges", count=60)
    config = recharge.tap_config(page_size=7, retry_backoff_ms=1, **OFF)
    recharge.sandbox.outage_after = {"charges": 4}  # 4 pages of 7, then 503s
    broken = run_tap(config, state=first.states[-1])
    assert broken.returncode == 1
    assert broken.last_line.startswith("tap-recharge: Recharge kept failing on /charges after 8")
    got = {r["id"] for r in broken.records("charges")}
    assert 0 < len(got & set(tie["ids"])) < 60  # stopped inside the tie group
    saved = broken.states[-1]
    assert saved["bookmarks"]["charges"]["replication_key_value"] == tie["updated_at"]
    assert sorted(saved["bookmarks"]["charges"]["emitted_at_bookmark"]) == sorted(map(str, got))

    recharge.sandbox.outage_after = {}
    resumed = run_tap(config, state=saved)
    assert resumed.returncode == 0, resumed.stderr
    again = [r["id"] for r in resumed.records("charges")]
    assert sorted(again) == sorted(set(tie["ids"]) - got)  # the rest of the tie, once
    assert merged(first, broken, resumed, stream="charges") == recharge.snapshot("charges")


def test_a_row_saved_again_within_the_bookmarks_second_is_emitted_again(recharge_sandbox, run_tap):
    """With whole-second timestamps a second save in the bookmark's own second keeps its
    updated_at: the state's digest of each row emitted on that second tells it from a re-read."""
    recharge = recharge_sandbox(scale=0.08, inclusive_bounds=True)
    config = recharge.tap_config(**OFF)
    first = run_tap(config)
    assert first.returncode == 0, first.stderr
    mark = first.state["bookmarks"]["charges"]
    store = Store(recharge, first)
    tied = sorted(store.rendered["charges"])
    assert sorted(mark["emitted_at_bookmark"]) == sorted(map(str, tied)) and len(tied) >= 3
    saved = requests.post(
        f"{recharge.url}/_sandbox/charges/touch",
        json={"ids": [tied[0]], "same_second": True},
        timeout=30,
    )
    assert saved.json()["updated_at"] == mark["replication_key_value"]

    second = run_tap(config, state=first.state)
    assert second.returncode == 0, second.stderr
    (again,) = second.records("charges")
    old = next(r for r in first.records("charges") if r["id"] == tied[0])
    assert again["id"] == tied[0] and again["updated_at"] == old["updated_at"]
    assert again["total_price"] != old["total_price"] or again["line_items"] != old["line_items"]
    for stream in INCREMENTAL:  # elsewhere: the event the save logged, the orders it billed
        emitted = sorted(r["id"] for r in second.records(stream))
        assert emitted == sorted(store.expected(stream)), stream


@pytest.mark.parametrize("stream", ["orders", "charges"], ids=["default-order", "sorted"])
def test_sigkill_mid_stream_then_restart_from_the_last_state(
    recharge_sandbox, run_tap, kill_tap, stream
):
    """A first run SIGKILLed inside a stream (orders: the API's order, resumed through
    `emitted_since_bookmark`; charges: sorted, resumed after the last saved page)."""
    recharge = recharge_sandbox(scale=0.1)
    config = recharge.tap_config(page_size=20, **OFF)
    killed = kill_tap(config, until=lambda counts: counts.get(stream, 0) >= 40)
    assert killed.returncode == -9
    order = list(INCREMENTAL)
    assert order[order.index(stream) + 1] not in killed.counts()  # killed inside `stream`
    restarted = run_tap(config, state=killed.states[-1])
    assert restarted.returncode == 0, restarted.stderr
    for name in INCREMENTAL:
        assert merged(killed, restarted, stream=name) == recharge.snapshot(name), name
    # the restart did not start over: the streams before had finished (nothing again), the
    # killed one resumes after what its saved state covers (no row twice)
    for name in order[: order.index(stream)]:
        assert not restarted.records(name), name
    done = {r["id"] for r in killed.records(stream)}
    rest = [r["id"] for r in restarted.records(stream)]
    assert not done & set(rest) and len(done) + len(rest) == len(recharge.snapshot(stream))


def test_a_second_run_that_dies_inside_an_unsorted_stream_resumes_exactly(
    recharge_sandbox, run_tap
):
    """Orders come in the API's default order, so their bookmark moves only when the stream
    ends; the rows emitted since are saved with each page (`emitted_since_bookmark`), so a
    run that dies inside the stream resumes from the previous bookmark without emitting
    them again: nothing lost, none twice, and the finished stream before it (events) is
    not read again."""
    recharge = recharge_sandbox(scale=0.05)
    first = run_tap(recharge.tap_config(**OFF))
    store = Store(recharge, first)
    config = recharge.tap_config(page_size=10, retry_backoff_ms=1, **OFF)  # small increments
    recharge.create("orders", 40)  # each with its charge (and an event), at one second
    recharge.sandbox.outage_after = {"orders": 2}  # 2 pages of orders, then 503s
    died = run_tap(config, state=first.state)
    assert died.returncode == 1 and len(died.records("orders")) == 20
    saved = died.states[-1]["bookmarks"]["orders"]
    # still the first run's bookmark (the SDK's progress marker was never promoted)
    assert (
        saved["replication_key_value"]
        == first.state["bookmarks"]["orders"]["replication_key_value"]
    )
    done = [r["id"] for r in died.records("orders")]
    assert sorted(saved["emitted_since_bookmark"]) == sorted(map(str, done))
    recharge.sandbox.outage_after = {}
    resumed = run_tap(config, state=died.states[-1])
    assert resumed.returncode == 0, resumed.stderr
    expected = store.expected("orders")
    rest = [r["id"] for r in resumed.records("orders")]
    assert sorted(done + rest) == sorted(expected)  # each changed order once, in all
    assert not resumed.records("events")  # finished before the outage: exact
    final = resumed.state["bookmarks"]["orders"]
    assert "emitted_since_bookmark" not in final
    assert final["replication_key_value"] == max(recharge.snapshot("orders").values())
    assert merged(first, died, resumed, stream="orders") == recharge.snapshot("orders")


def test_storms_5xx_cut_bodies_and_html_errors_still_give_exact_counts(recharge_sandbox, run_tap):
    faults = Faults(storm_every=16, storm_length=2, error_rate=0.12, truncate_rate=0.15, seed=5)
    # a bucket too large to overflow, so answers carry X-Recharge-Limit as Recharge's do
    recharge = recharge_sandbox(scale=0.08, faults=faults, html_errors=True, rate_limit=1000)
    run = run_tap(recharge.tap_config(page_size=25, retry_backoff_ms=20, **OFF))
    assert run.returncode == 0, run.stderr
    truth = recharge.truth()["counts"]
    for stream, count in run.counts().items():
        assert len({r["id"] for r in run.records(stream)}) == count == truth[stream], stream
    stats = recharge.stats()
    assert stats["by_status"]["429"] >= 4
    assert stats["faults"]["truncate"] >= 2 and stats["faults"]["error"] >= 2
    assert "Retrying" in run.stderr and "HTTP 429" in run.stderr
    assert "a cut or unreadable response body" in run.stderr  # the cut JSON
    assert "ChunkedEncodingError" in run.stderr  # the body shorter than Content-Length


def test_retry_after_is_honoured(recharge_sandbox, run_tap):
    recharge = recharge_sandbox(
        scale=0.02, retry_after=True, faults=Faults(storm_every=5, storm_length=1)
    )
    run = run_tap(recharge.tap_config(retry_backoff_ms=10, **OFF))
    assert run.returncode == 0, run.stderr
    assert re.search(r"Retrying /\w+ in 1\.[01]s \(attempt 1\): HTTP 429", run.stderr)


def test_without_retry_after_a_429_waits_for_room_in_the_bucket(recharge_sandbox, run_tap):
    # pacing off and an 8-call bucket: the tap overflows it and must wait for room
    recharge = recharge_sandbox(scale=0.02, rate_limit=4, bucket_size=8, missing_scopes=())
    run = run_tap(recharge.tap_config(**OFF, retry_backoff_ms=10_000))
    assert run.returncode == 0, run.stderr
    waits = [float(w) for w in re.findall(r"in (\d+\.\d)s \(attempt \d+\): HTTP 429", run.stderr)]
    # "8/8" used: room for a call with 2 kept free is 3 calls away, at Recharge's 2/s
    assert waits and all(1.5 <= w <= 1.7 for w in waits), waits
    assert run.counts() == {k: v for k, v in recharge.truth()["counts"].items() if v}


def test_pacing_fills_the_bucket_then_holds_the_drain_rate_without_429s(recharge_sandbox, run_tap):
    # Recharge's bucket shape, 5x faster so the test is quick: 10 calls draining 10/s.
    recharge = recharge_sandbox(scale=0.1, rate_limit=10, bucket_size=10)
    run = run_tap(recharge.tap_config(page_size=25, max_requests_per_second=10))
    assert run.returncode == 0, run.stderr
    stats = recharge.stats(times=True)
    assert stats["by_status"].get("429", 0) == 0
    times = stats["times"]
    assert len(times) > 35
    # after the burst of free calls, the pace is the drain rate (85% allows a loaded machine;
    # the burst itself is timed exactly in test_client.py)
    steady = (len(times) - 1 - 10) / (times[-1] - times[10])
    assert 8.5 <= steady <= 10.5, steady


def test_a_vendor_that_keeps_failing_stops_with_one_readable_line(recharge_sandbox, run_tap):
    recharge = recharge_sandbox(faults=Faults(error_rate=1.0, seed=2), html_errors=True)
    run = run_tap(recharge.tap_config(retry_backoff_ms=1, **OFF))
    assert run.returncode == 1
    assert re.fullmatch(
        r"tap-recharge: Recharge kept failing on /events after 8 attempts \(HTTP 50\d: 50\d "
        r"[A-Za-z -]+\); the state saved up to the last complete page lets the next run "
        r"resume there\. Try again later\.",
        run.last_line,
    ), run.last_line
    assert "<html>" not in run.stderr
    assert recharge.stats()["requests"] == 8


def test_a_non_json_404_names_the_setting_to_fix(recharge_sandbox, run_tap):
    recharge = recharge_sandbox()
    run = run_tap(recharge.tap_config(api_url=f"{recharge.url}/v1", **OFF))
    assert run.returncode == 1
    assert run.last_line == (
        "tap-recharge: Recharge answered HTTP 404 on /events (Not Found): check `api_url` "
        "(https://api.rechargeapps.com for Recharge itself)."
    )


def test_rejected_token_ends_with_one_line_and_no_secret(recharge_sandbox, run_tap):
    recharge = recharge_sandbox()
    wrong = "sk_wrong_" + "7" * 40
    run = run_tap(recharge.tap_config(access_token=wrong))
    assert run.returncode == 1
    assert run.last_line == (
        "tap-recharge: Recharge rejected the access token (HTTP 401): create or copy an API "
        "token in Recharge (Apps & integrations > API tokens) with the read scopes of the "
        "streams you sync, and set it as `access_token`."
    )
    assert "Traceback" not in run.stderr
    for secret in (wrong, recharge.sandbox.token):
        assert secret not in run.stdout + run.stderr
    assert recharge.stats()["requests"] == 1  # a 401 is not retried


def test_token_whitespace_is_caught_before_any_request(recharge_sandbox, run_tap):
    recharge = recharge_sandbox()
    run = run_tap(recharge.tap_config(access_token=recharge.sandbox.token + "\n"))
    assert run.returncode == 1
    assert "`access_token` has leading or trailing whitespace" in run.last_line
    assert recharge.sandbox.token not in run.stderr + run.stdout
    assert recharge.stats()["requests"] == 0


def test_bad_page_size_fails_validation(recharge_sandbox, run_tap):
    recharge = recharge_sandbox()
    run = run_tap(recharge.tap_config(page_size=500))
    assert run.returncode == 1
    assert "500 is greater than the maximum of 250" in run.stderr
    assert recharge.sandbox.token not in run.stderr


def test_connection_test_asks_each_resource_for_one_record(recharge_sandbox, run_tap):
    recharge = recharge_sandbox()
    run = run_tap(recharge.tap_config(), "--test")
    assert run.returncode == 0, run.stderr
    seen = requests_of(recharge)
    assert len(seen) == len(RESOURCES)
    assert all(q["limit"] == "1" for _, q in seen)
    assert " ERROR " not in run.stderr
    bad = run_tap(recharge.tap_config(access_token="nope"), "--test")
    assert bad.returncode == 1 and "HTTP 401" in bad.last_line


def test_discover_and_about_need_no_network(run_tap):
    run = run_tap({}, "--discover")
    assert run.returncode == 0, run.stderr
    catalog = json.loads(run.stdout)
    streams = {s["tap_stream_id"]: s for s in catalog["streams"]}
    assert set(streams) == set(RESOURCES)
    charges = streams["charges"]
    assert charges["key_properties"] == ["id"]
    assert charges["replication_key"] == "updated_at"
    money = charges["schema"]["properties"]["total_price"]
    assert money["type"] == ["string", "null"] and money["pattern"]
    assert streams["events"]["replication_key"] == "created_at"
    assert streams["products"].get("replication_key") is None
    about = json.loads(run_tap({}, "--about", "--format=json").stdout)
    settings = about["settings"]["properties"]
    assert settings["access_token"].get("secret") is True or settings["access_token"].get(
        "writeOnly"
    )
    assert settings["api_url"]["default"] == "https://api.rechargeapps.com"
    assert settings["page_size"]["default"] == 250
