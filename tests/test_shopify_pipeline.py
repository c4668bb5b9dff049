"""Shopify end to end: sandbox -> tap-shopify-chord -> Meltano -> DuckDB -> dbt staging.

Exact tables against the sandbox's truth (every key once, money to the cent) after a run
killed while its bulk job ran and its restart, then after an incremental run of changed
orders, refunds on old orders and new customers whose bulk job failed, all through
throttle storms and 5xx answers. One test, one store: each Meltano run costs seconds."""

from __future__ import annotations

import re
import threading
import time
from decimal import Decimal

import psutil
import pytest

pytestmark = pytest.mark.e2e

BLOCKS = ("tap-shopify-chord", "target-duckdb")
FAST = {"bulk_poll_interval_ms": 20, "retry_backoff_ms": 1, "page_size": 20}
KEYS = {
    "customer_tags": "customer_id, value",
    "order_tags": "order_id, value",
    "product_tags": "product_id, value",
    "discount_allocations": "order_line_id, discount_allocation_index",
    "discount_codes": "order_id, code",
}
# staging model -> (raw table, its grain in staging)
STAGING = {
    "customers": "customer_id",
    "customer_addresses": "customer_address_id",
    "customer_tags": "customer_id, tag",
    "orders": "order_id",
    "order_lines": "order_line_id",
    "order_tags": "order_id, tag",
    "discount_allocations": "order_line_id, discount_allocation_index",
    "discount_codes": "order_id, code",
    "order_line_refunds": "order_line_refund_id",
    "locations": "location_id",
    "products": "product_id",
    "product_tags": "product_id, tag",
    "product_variants": "product_variant_id",
    "abandoned_checkouts": "abandoned_checkout_id",
}
TOTALS = {
    ("orders", "total_price"): "sum(cast(total_price as decimal(18, 2)))",
    ("order_lines", "price_x_quantity"): "sum(cast(price as decimal(18, 2)) * quantity)",
    ("order_line_refunds", "subtotal"): "sum(cast(subtotal as decimal(18, 2)))",
    ("discount_allocations", "amount"): "sum(cast(amount as decimal(18, 2)))",
}


def keys(pipeline, sql: str) -> list:
    return sorted((list(row) if len(row) > 1 else row[0]) for row in pipeline.query(sql))


TAGS = ("customer_tags", "order_tags", "product_tags")


def assert_raw_equals_truth(pipeline, truth, *, stale_tags: bool = False) -> None:
    """Each raw table holds exactly the truth's keys (no row missing, none twice). A tag
    removed from an order stays in raw (the loader upserts, never deletes): with
    `stale_tags`, the tag tables must hold the truth's rows and may hold such leftovers
    (staging keeps only the tags a parent carries now, and is checked exactly)."""
    for table, expected in truth.items():
        if not isinstance(expected, dict):
            continue
        found = keys(pipeline, f"select {KEYS.get(table, 'id')} from raw_shopify.{table}")
        if stale_tags and table in TAGS:
            assert len(found) == len({tuple(k) for k in found}), table  # none twice
            assert {tuple(k) for k in expected["ids"]} <= {tuple(k) for k in found}, table
            continue
        assert found == sorted(expected["ids"]), table
    for (table, column), sql in TOTALS.items():
        (total,) = pipeline.query(f"select {sql} from raw_shopify.{table}")[0]
        assert str(Decimal(total).quantize(Decimal("0.01"))) == truth[table][column], table


def assert_staging_equals_truth(pipeline, truth) -> None:
    for table, grain in STAGING.items():
        found = keys(pipeline, f"select {grain} from staging.stg_shopify__{table}")
        assert found == sorted(truth[table]["ids"]), table
    (total,) = pipeline.query("select sum(total_price) from staging.stg_shopify__orders")[0]
    assert str(total) == truth["orders"]["total_price"]


def test_killed_resumed_then_incremental_through_faults_gives_exact_tables(
    shopify_sandbox, pipeline
):
    # throttle storms and 3% 5xx answers all along; bulk jobs take 6 polls
    shop = shopify_sandbox(scale=0.05, throttle_storm_every=11, error_rate=0.03, bulk_polls=6)
    pipeline.point_at_shopify(shop, **FAST)

    # 1. a run killed while its three bulk jobs run side by side (the tap starts them all
    # before reading the first), before the target saw any state
    run = threading.Thread(target=pipeline.meltano, args=("run", *BLOCKS), daemon=True)
    run.start()
    deadline = time.monotonic() + 90
    while len(shop.stats()["bulk_operations_created"]) < 3:
        assert time.monotonic() < deadline, "the three bulk jobs never started"
        time.sleep(0.05)
    for process in psutil.Process().children(recursive=True):
        process.kill()  # SIGKILL meltano, the tap and the target: this test's own children
    run.join(timeout=60)
    assert not run.is_alive()

    # 2. restarted (Meltano still sees the killed run as running: --force, as it advises),
    # it goes on with the killed run's jobs instead of starting more: resumed from the state
    # Meltano saved (target-duckdb forwards state as soon as it arrives) or, for a job whose
    # state the kill beat, adopted through `bulkOperations` (its query the one it builds)
    done = pipeline.meltano("run", "--force", *BLOCKS)
    assert done.returncode == 0, done.stderr[-4000:]
    for export in ("orders", "customers", "products"):
        assert re.search(
            rf"the {export} bulk export: (resuming bulk operation \S+ from state"
            r"|adopting running bulk operation)",
            done.stderr,
        ), export
    assert_raw_equals_truth(pipeline, shop.truth())
    jobs = shop.stats()["bulk_operations_created"]
    assert jobs == {"orders": 1, "customers": 1, "products": 1}

    # 3. orders change, old orders get refunds, customers sign up; the next bulk job FAILS
    # with partial data: the incremental run re-runs it and the tables are exact again
    # (first ties in the bookmark's own second: the filter is >=, so they are not lost)
    shop.mutate(
        changed_orders=2,
        changed_customers=2,
        changed_products=2,
        changed_checkouts=2,
        second="bookmark",
    )
    changed = shop.mutate(changed_orders=6, refunds_on_old_orders=3, new_customers=4)
    shop.sandbox.jobs.fail_first = sum(jobs.values()) + 1
    # (--force again: Meltano marks the killed run stale only after 5 minutes)
    done = pipeline.meltano("run", "--force", *BLOCKS, "dbt-duckdb:build-shopify")
    assert done.returncode == 0, done.stderr[-4000:]  # the views built, their data tests pass
    output = done.stdout + done.stderr
    assert "Starting incremental sync of 'orders' with bookmark value: 20" in output
    assert "bookmark value: 2020-01-01T00:00:00Z" not in output  # from the saved state
    assert "its partial data is not used, starting a new job" in output
    assert shop.access_token not in output
    truth = shop.truth()
    assert_raw_equals_truth(pipeline, truth, stale_tags=True)
    assert_staging_equals_truth(pipeline, truth)
    after = shop.stats()
    assert after["storms"] > 0 and after["errors_injected"] > 0
    new_jobs = {k: after["bulk_operations_created"][k] - jobs[k] for k in jobs}
    assert new_jobs == {"orders": 2, "customers": 1, "products": 1}  # the failed one re-run
    refunds = ", ".join(map(str, changed["refunds"]))
    assert pipeline.query(
        f"select count(distinct refund_id) from staging.stg_shopify__order_line_refunds "
        f"where refund_id in ({refunds})"
    ) == [(3,)]
    # every refund line carries its order: the order of the line it refunds
    assert pipeline.query(
        "select count(*) from staging.stg_shopify__order_line_refunds r "
        "join staging.stg_shopify__order_lines l on l.order_line_id = r.line_item_id "
        "where r.order_id is distinct from l.order_id"
    ) == [(0,)]
