"""Recharge end to end: sandbox -> tap-recharge -> Meltano -> DuckDB -> dbt staging."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sandbox.recharge import HISTORY_END, RESOURCES
from sandbox.recharge.data import iso

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]

BLOCKS = ("tap-recharge", "target-duckdb")
STAGING = {
    "customers": "customer_id",
    "addresses": "address_id",
    "subscriptions": "subscription_id",
    "onetimes": "onetime_id",
    "charges": "charge_id",
    "orders": "order_id",
    "discounts": "discount_id",
    "products": "product_id",
    "plans": "plan_id",
    "collections": "collection_id",
    "events": "event_id",
    "payment_methods": "payment_method_id",
}


@pytest.fixture
def recharge_pipeline(pipeline):
    if not (ROOT / ".meltano" / "extractors" / "tap-recharge" / "venv").is_dir():
        pytest.fail(
            "tap-recharge is not installed in Meltano: run `make test` (meltano install) or "
            "`meltano install extractor tap-recharge`."
        )
    return pipeline


def point_at(pipeline, recharge, **settings):
    pipeline.env.update(
        {
            "TAP_RECHARGE_API_URL": recharge.api_url,
            "TAP_RECHARGE_ACCESS_TOKEN": recharge.sandbox.token,
            "TAP_RECHARGE_MAX_REQUESTS_PER_SECOND": "0",
            **{f"TAP_RECHARGE_{k.upper()}": str(v) for k, v in settings.items()},
        }
    )


def dbt_build_recharge(pipeline):
    """`dbt build` of the Recharge staging models and their tests, via the project's dbt."""
    done = pipeline.meltano(
        "invoke",
        "dbt-duckdb",
        "build",
        "--project-dir",
        str(ROOT / "transform"),
        "--profiles-dir",
        str(ROOT / "transform"),
        "--target",
        "duckdb",
        "--select",
        "path:models/staging/recharge",
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done


def raw_rows(pipeline, resource):
    key = "created_at" if resource == "events" else "updated_at"
    rows = pipeline.query(
        f"select id, strftime({key}, '%Y-%m-%dT%H:%M:%S+00:00') from raw_recharge.{resource}"
    )
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), f"duplicate ids in raw_recharge.{resource}"
    return {int(i): v for i, v in rows}


def assert_warehouse_equals_sandbox(pipeline, recharge, *, skipped=("payment_methods",)):
    for resource in RESOURCES:
        expected = {} if resource in skipped else recharge.snapshot(resource)
        assert raw_rows(pipeline, resource) == expected, resource


def test_exact_copy_then_changes_arrive_once_and_staging_holds(recharge_sandbox, recharge_pipeline):
    """Issue 14's scenario through Meltano: a dense store (rows in every second up to the
    boundary), a `_min` bound read inclusively (so the second run's first page starts in
    the second before its bookmark), and the second run on the state Meltano saved."""
    pipeline = recharge_pipeline
    recharge = recharge_sandbox(scale=0.06, inclusive_bounds=True)
    point_at(pipeline, recharge)
    first = pipeline.run(*BLOCKS)
    assert_warehouse_equals_sandbox(pipeline, recharge)
    # the missing scope: one warning, the run still succeeded
    output = first.stdout + first.stderr
    assert output.count("Skipping stream payment_methods: the access token lacks") == 1
    assert recharge.sandbox.token not in output

    # changes: 9 charges and 4 subscriptions updated at one second, new customers (with
    # address, subscription and charge) and an order. The rows of the second before the
    # bookmark, and the tie group on it, are re-read and dropped again by the tap.
    boundary = iso(HISTORY_END)
    tied = sum(1 for v in recharge.snapshot("charges").values() if v == boundary)
    assert tied >= 3
    before = sum(1 for v in recharge.snapshot("charges").values() if v == iso(HISTORY_END - 1))
    assert before >= 3
    recharge.touch("charges", count=9)
    recharge.touch("subscriptions", count=4)
    created = recharge.create("customers", 3)
    recharge.create("orders", 1)
    recharge.reset_stats()
    second = pipeline.run(*BLOCKS)
    assert "Unsorted data" not in second.stderr
    assert_warehouse_equals_sandbox(pipeline, recharge)
    lines = recharge.stats()["recent"]
    charges_first = next(line for line in lines if "/charges?" in line and "cursor=" not in line)
    assert "updated_at_min=2025-06-30T11%3A59%3A59%2B00%3A00" in charges_first
    # follow-up pages never repeat a filter next to the cursor (the sandbox would 422)
    assert all("cursor=" not in line or "_min=" not in line for line in lines)

    dbt_build_recharge(pipeline)  # builds the views and runs unique/relationships tests
    truth = recharge.truth()
    for resource, key in STAGING.items():
        expected = 0 if resource == "payment_methods" else truth["counts"][resource]
        got = pipeline.query(
            f"select count(*), count(distinct {key}) from staging.stg_recharge__{resource}"
        )[0]
        assert got == (expected, expected), resource
    money = pipeline.query(
        "select sum(total_price), sum(total_tax) from staging.stg_recharge__charges"
    )[0]
    assert money == (
        Decimal(truth["money"]["charges.total_price"]),
        Decimal(truth["money"]["charges.total_tax"]),
    )
    assert pipeline.query("select sum(price) from staging.stg_recharge__subscriptions")[0][0] == (
        Decimal(truth["money"]["subscriptions.price"])
    )
    assert (
        pipeline.count("staging.stg_recharge__charge_line_items")
        == truth["rows"]["charge_line_items"]
    )
    new_customers = pipeline.query(
        "select customer_id from staging.stg_recharge__customers where customer_id in "
        f"({', '.join(map(str, created['customers']))})"
    )
    assert len(new_customers) == 3


def test_a_run_killed_mid_stream_resumes_to_the_same_tables(recharge_sandbox, recharge_pipeline):
    pipeline = recharge_pipeline
    recharge = recharge_sandbox(scale=0.06, missing_scopes=())
    point_at(pipeline, recharge, page_size=10, retry_backoff_ms=1)
    recharge.sandbox.outage_after = {"charges": 3}  # 3 pages of charges, then 503s
    failed = pipeline.meltano("run", *BLOCKS)
    assert failed.returncode != 0
    assert "Recharge kept failing on /charges after 8 attempts" in failed.stdout + failed.stderr
    loaded = raw_rows(pipeline, "charges")
    assert 0 < len(loaded) < len(recharge.snapshot("charges"))

    recharge.sandbox.outage_after = {}
    recharge.reset_stats()
    pipeline.run(*BLOCKS)
    assert_warehouse_equals_sandbox(pipeline, recharge, skipped=())
    # the restart resumed from the state Meltano kept: charges from its bookmark, and the
    # stream finished before the outage (events) only re-read its bookmark's second
    lines = recharge.stats()["recent"]
    charges_first = next(line for line in lines if "/charges?" in line and "cursor=" not in line)
    assert "updated_at_min=" in charges_first
    events_first = next(line for line in lines if "/events?" in line and "cursor=" not in line)
    assert "created_at_min=" in events_first
