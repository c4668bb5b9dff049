"""The OMS end to end: Solidus in PostgreSQL -> tap-postgres (tap-oms) -> Meltano -> DuckDB -> dbt.

An incremental run after rows change in PostgreSQL must read exactly those rows (and the row
each stream's bookmark points at, since tap-postgres reads `updated_at >= bookmark`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal

from sandbox.oms import TABLE_NAMES

STATE_ID = "dev:tap-oms-to-target-duckdb"
METRIC = re.compile(r"METRIC: (\{.*\})")
# Staging models are stg_oms__<table without spree_>, keyed on <singular>_id.
IRREGULAR = {"countries": "country", "addresses": "address", "user_addresses": "user_address"}


def emitted(done) -> dict[str, int]:
    """Records the tap emitted per table, from its record_count metrics (summed: the SDK logs
    a running stream's count in increments)."""
    counts = dict.fromkeys(TABLE_NAMES, 0)
    for line in (done.stdout + done.stderr).splitlines():
        if "target-duckdb" in line:
            continue  # the SDK target counts the records it loads with the same metric
        found = METRIC.search(line)
        metric = json.loads(found[1]) if found else {}
        if metric.get("metric") == "record_count":
            schema, _, table = metric["tags"]["stream"].partition("-")
            assert schema == "public"
            counts[table] += metric["value"]
    return counts


def utc(value: datetime) -> datetime:
    """PostgreSQL timestamptz as DuckDB holds it: naive UTC."""
    return value.astimezone(UTC).replace(tzinfo=None)


def assert_warehouse_matches(pipeline, db) -> None:
    truth = db.truth()
    for table in TABLE_NAMES:
        entity = table.removeprefix("spree_")
        model = f"staging.stg_oms__{entity}"
        key = IRREGULAR.get(entity, entity.removesuffix("s"))
        # Every row, at its current version: (id, updated_at) pairs are equal.
        source = {(row[0], utc(row[1])) for row in db.query(f"SELECT id, updated_at FROM {table}")}
        staged = pipeline.query(f"select {key}_id, updated_at from {model}")
        assert len(staged) == truth["rows"][table], table
        assert set(staged) == source, table
        assert pipeline.count(f"raw_oms.{table}") == truth["rows"][table], table
    totals = truth["totals"]
    (orders, payment_total, quantity) = pipeline.query(
        "select sum(total) filter (where order_state = 'complete'), sum(payment_total), "
        "(select sum(quantity) from staging.stg_oms__line_items) from staging.stg_oms__orders"
    )[0]
    assert orders == Decimal(totals["completed_order_total"])
    assert payment_total == Decimal(totals["order_payment_total"])
    assert quantity == int(totals["line_item_quantity"])
    (refunds,) = pipeline.query("select sum(amount) from staging.stg_oms__refunds")[0]
    assert refunds == Decimal(totals["refund_amount"])


def bookmarks(pipeline) -> dict[str, datetime]:
    state = json.loads(pipeline.meltano("state", "get", STATE_ID).stdout)
    return {
        stream.partition("-")[2]: datetime.fromisoformat(b["replication_key_value"])
        for stream, b in state["singer_state"]["bookmarks"].items()
    }


def test_full_copy_then_incremental_reads_exactly_the_changed_rows(oms_database, pipeline):
    seeded = oms_database.seed(seed=5, scale=0.2)
    pipeline.point_at_oms(oms_database)

    first = pipeline.run("tap-oms", "target-duckdb", "dbt-duckdb:build")
    assert emitted(first) == seeded
    assert_warehouse_matches(pipeline, oms_database)
    # Each stream's bookmark is its table's newest updated_at.
    newest = oms_database.truth()["max_updated_at"]
    assert bookmarks(pipeline) == {t: datetime.fromisoformat(v) for t, v in newest.items()}
    at_bookmark = {
        table: {
            row[0]
            for row in oms_database.query(
                f"SELECT id FROM {table} WHERE updated_at = %s", (newest[table],)
            )
        }
        for table in TABLE_NAMES
    }
    loaded_first = {
        table: pipeline.query(f"select max(_sdc_batched_at) from raw_oms.{table}")[0][0]
        for table in TABLE_NAMES
    }

    changes = oms_database.touch(seed=5, updates=4, new_orders=3, new_users=2)
    expected = oms_database.truth(since=newest)["changed"]
    for table in TABLE_NAMES:
        assert set(expected[table]) == changes.ids(table) | at_bookmark[table], table

    second = pipeline.run("tap-oms", "target-duckdb", "dbt-duckdb:build")
    assert emitted(second) == {table: len(ids) for table, ids in expected.items()}
    for table in TABLE_NAMES:
        reloaded = pipeline.query(
            f"select id from raw_oms.{table} where _sdc_batched_at > '{loaded_first[table]}'"
        )
        assert {row[0] for row in reloaded} == set(expected[table]), table
    assert_warehouse_matches(pipeline, oms_database)
    newest = oms_database.truth()["max_updated_at"]
    assert bookmarks(pipeline) == {t: datetime.fromisoformat(v) for t, v in newest.items()}

    # Nothing changed: only the rows under each bookmark are read again (the new rows of one
    # touch share a timestamp), and nothing doubles.
    third = pipeline.run("tap-oms", "target-duckdb")
    assert emitted(third) == {
        table: len(ids) for table, ids in oms_database.truth(since=newest)["changed"].items()
    }
    assert_warehouse_matches(pipeline, oms_database)
