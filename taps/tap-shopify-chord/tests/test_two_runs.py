"""Two runs in a row for every incremental stream, the second with the state the first
emitted, against a busy store: dense timestamps (several rows a second, a burst of rows in
the second before the newest, the newest second shared by several rows) and changes between
the runs in the bookmark's own second (ties) and in the second after it (a burst).

The second run must end without error and copy exactly the changed rows plus the documented
overlap: the rows at the bookmark second itself (the filter is `updated_at:>=`, so ties are
re-read, never lost) and, for orders, everything updated within `refunds_lookback_hours`
before the bookmark (refunds written after their order's last update)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

FAST = {"bulk_poll_interval_ms": 20, "retry_backoff_ms": 1}
STREAMS = {  # stream -> (sandbox table, ids touched by mutate, lookback hours)
    "orders": ("orders", ("changed_orders", "refunded_orders"), 24),
    "customers": ("customers", ("changed_customers", "new_customers"), 0),
    "products": ("products", ("changed_products",), 0),
    "abandoned_checkouts": ("checkouts", ("changed_checkouts",), 0),
}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "plain"])
def test_second_run_copies_exactly_the_changes_plus_the_documented_overlap(
    shopify_sandbox, run_in_process, bulk
):
    shop = shopify_sandbox(scale=0.2, per_second=3, burst=40, restore_rate=0)
    config = shop.tap_config(**FAST, **({} if bulk else {"bulk_streams": []}))
    first = run_in_process(config)
    assert first.returncode == 0, first.stderr[-3000:]
    state = first.state
    anchor = datetime.fromtimestamp(shop.store.anchor, UTC)
    marks = {s: moment(state["bookmarks"][s]["replication_key_value"]) for s in STREAMS}
    assert set(marks.values()) == {anchor}  # the dense newest second is every bookmark

    # ties in the bookmark's own second, then a burst in the second after it
    changes = [
        shop.mutate(
            changed_orders=4,
            changed_customers=3,
            changed_products=2,
            changed_checkouts=3,
            second="bookmark",
        ),
        shop.mutate(
            changed_orders=40,
            refunds_on_old_orders=3,
            new_customers=5,
            changed_customers=4,
            changed_products=3,
            changed_checkouts=4,
            second="after",
        ),
    ]
    second = run_in_process(config, state=state)
    assert second.returncode == 0, second.stderr[-3000:]
    store = shop.store
    for stream, (table_name, touched, lookback) in STREAMS.items():
        records = second.records(stream)
        found = [r["id"] for r in records]
        assert len(found) == len(set(found)), f"{stream}: a row twice in one run"
        changed = {i for change in changes for key in touched for i in change[key]}
        since = marks[stream] - timedelta(hours=lookback)
        table = getattr(store, table_name)
        window = {i for updated, i in table.by_updated if updated >= since.timestamp()}
        assert set(found) == window, stream  # what the window holds, nothing else
        assert changed <= set(found), f"{stream}: a changed row was not copied"
        before = {i: u for u, i in table.by_updated}
        overlap = set(found) - changed
        if lookback:
            assert all(before[i] >= since.timestamp() for i in overlap), stream
        else:  # only the ties at the bookmark second are read again
            assert all(before[i] == marks[stream].timestamp() for i in overlap), stream
        assert len(overlap) < len(table) // 3, stream
        last = moment(second.state["bookmarks"][stream]["replication_key_value"])
        assert last == anchor + timedelta(seconds=1), stream  # moved on, never back
    # refunds written on old orders between the runs arrive with both keys
    refunds = {r["refund_id"]: r for r in second.records("order_line_refunds")}
    new_refunds = changes[1]["refunds"]
    assert set(new_refunds) <= set(refunds)
    refunded = changes[1]["refunded_orders"]
    assert [refunds[r]["order_id"] for r in new_refunds] == refunded
