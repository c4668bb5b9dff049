"""tap-shopify-chord against the Shopify sandbox: exact copies in bulk and with plain pages,
resumed bulk jobs, faults, scopes, token renewal and the one-line errors."""

from __future__ import annotations

import contextlib
import io
import json
from decimal import Decimal

import pytest
from sandbox.shopify import READ_SCOPES
from tap_shopify_chord.tap import TapShopifyChord

FAST = {"bulk_poll_interval_ms": 20, "retry_backoff_ms": 1}
EXPORTS = {"orders", "customers", "products"}
KEYS = {
    "customer_tags": ("customer_id", "value"),
    "order_tags": ("order_id", "value"),
    "product_tags": ("product_id", "value"),
    "discount_allocations": ("order_line_id", "discount_allocation_index"),
    "discount_codes": ("order_id", "code"),
}
PARENT_KEYS = {
    "customer_addresses": "customer_id",
    "customer_tags": "customer_id",
    "order_lines": "order_id",
    "order_tags": "order_id",
    "discount_allocations": "order_line_id",
    "discount_codes": "order_id",
    "order_line_refunds": "refund_id",
    "product_tags": "product_id",
    "product_variants": "product_id",
}


def ids(run, table: str) -> list:
    key = KEYS.get(table, ("id",))
    rows = run.records(table)
    found = [list(r[k] for k in key) if len(key) > 1 else r[key[0]] for r in rows]
    return sorted(found)


def money(rows, column: str, times: str | None = None) -> str:
    total = sum(
        (Decimal(r[column]) * (r[times] if times else 1) for r in rows if r[column] is not None),
        Decimal(0),
    )
    return str(total.quantize(Decimal("0.01")))


def assert_exact(run, truth, tables=None) -> None:
    """Every table: the same keys as the sandbox's truth (so no row missing or repeated) and
    the same money totals, to the cent."""
    for table in tables or [k for k, v in truth.items() if isinstance(v, dict)]:
        assert ids(run, table) == sorted(truth[table]["ids"]), table
    assert money(run.records("orders"), "total_price") == truth["orders"]["total_price"]
    lines = run.records("order_lines")
    assert money(lines, "price", "quantity") == truth["order_lines"]["price_x_quantity"]
    refunds = run.records("order_line_refunds")
    assert money(refunds, "subtotal") == truth["order_line_refunds"]["subtotal"]
    allocations = run.records("discount_allocations")
    assert money(allocations, "amount") == truth["discount_allocations"]["amount"]


def test_bulk_copy_is_exact_and_children_carry_parent_keys(shopify_sandbox, run_in_process):
    shop = shopify_sandbox(scale=0.2)
    run = run_in_process(shop.tap_config(**FAST))
    assert run.returncode == 0, run.stderr[-3000:]
    truth = shop.truth()
    assert_exact(run, truth)
    assert truth["orders"]["rows"] == 100 and truth["order_line_refunds"]["rows"] > 0
    for table, key in PARENT_KEYS.items():
        assert all(r[key] is not None for r in run.records(table)), table
    # one bulk job per export, paced by the bucket: never throttled
    stats = shop.stats()
    assert stats["bulk_operations_created"] == {"orders": 1, "customers": 1, "products": 1}
    assert stats["throttled"] == 0
    assert "not found in catalog schema" not in run.stderr
    assert "Traceback" not in run.stderr
    # semantic tags travel in the SCHEMA messages
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    assert schemas["customers"]["properties"]["email"]["x-semantic-tags"] == ["email"]
    assert schemas["customer_addresses"]["properties"]["zip"]["x-semantic-tags"] == ["postal"]
    # final state: a bookmark per incremental root, no running job left behind
    final = run.states[-1]["bookmarks"]
    for stream in ("orders", "customers", "products", "abandoned_checkouts"):
        assert final[stream]["replication_key"] == "updated_at", stream
        assert "bulk_operation" not in final[stream]
    money_text = run.records("orders")[0]["total_price"]
    assert isinstance(money_text, str) and Decimal(money_text) >= 0


def test_plain_paginated_queries_give_the_same_tables(shopify_sandbox, run_in_process):
    shop = shopify_sandbox(scale=0.06, restore_rate=0)
    run = run_in_process(shop.tap_config(bulk_streams=[], **FAST))
    assert run.returncode == 0, run.stderr[-3000:]
    assert_exact(run, shop.truth())
    assert shop.stats()["bulk_operations"] == 0


def test_faults_end_with_exact_tables_or_one_loud_line(shopify_sandbox, run_in_process):
    # the first two bulk jobs FAIL (with partial data), throttle storms, 5% 5xx answers
    shop = shopify_sandbox(scale=0.05, bulk_fail=2, throttle_storm_every=5, error_rate=0.05)
    run = run_in_process(shop.tap_config(page_size=20, **FAST))  # small pages: short bucket waits
    assert run.returncode == 0, run.stderr[-3000:]
    assert_exact(run, shop.truth())
    stats = shop.stats()
    assert stats["storms"] > 0 and stats["errors_injected"] > 0
    assert sum(stats["bulk_operations_created"].values()) == 3 + 2
    assert run.stderr.count("its partial data is not used, starting a new job") == 2

    # more failures than retries: the run stops with one line and no bookmark for orders
    broken = shopify_sandbox(scale=0.05, bulk_fail=5, restore_rate=0)
    run = run_in_process(broken.tap_config(bulk_retries=1, **FAST))
    assert run.returncode == 1
    assert run.last_line.startswith("tap-shopify-chord: the orders bulk export: bulk operation ")
    assert "ended FAILED (INTERNAL_SERVER_ERROR), 2 jobs in a row" in run.last_line
    assert run.counts().get("orders", 0) == 0
    assert all("replication_key_value" not in s["bookmarks"].get("orders", {}) for s in run.states)


def test_a_run_killed_while_the_job_runs_resumes_the_same_job(
    shopify_sandbox, run_in_process, kill_tap
):
    shop = shopify_sandbox(scale=0.05, bulk_polls=4, restore_rate=0)
    config = shop.tap_config(**FAST)
    killed = kill_tap(config, until=lambda s: "bulk_operation" in s["bookmarks"].get("orders", {}))
    saved = killed.states[-1]
    job = saved["bookmarks"]["orders"]["bulk_operation"]["id"]
    assert job.startswith("gid://shopify/BulkOperation/")
    assert killed.counts() == {}
    assert shop.access_token not in json.dumps(saved)  # the state holds the job id only

    # restarted with the saved state: it polls the same job instead of starting another
    run = run_in_process(config, state=saved)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"resuming bulk operation {job} from state" in run.stderr
    assert_exact(run, shop.truth())
    assert shop.stats()["bulk_operations_created"] == {"orders": 1, "customers": 1, "products": 1}
    # (a kill before the state reached the target: tests/test_shopify_pipeline.py)


def test_missing_scopes_warn_and_skip(shopify_sandbox, run_in_process):
    scopes = tuple(s for s in READ_SCOPES if s not in {"read_all_orders", "read_products"})
    shop = shopify_sandbox(scale=0.2, scopes=scopes, restore_rate=0)
    run = run_in_process(shop.tap_config(**FAST))
    assert run.returncode == 0, run.stderr[-3000:]
    truth = shop.truth(scopes=scopes)
    assert 0 < truth["orders"]["rows"] < shop.truth(scopes=READ_SCOPES)["orders"]["rows"]
    counts = run.counts()
    for table in ("products", "product_tags", "product_variants"):
        assert table not in counts
    assert_exact(
        run,
        truth,
        tables=[t for t in truth if isinstance(truth[t], dict) and not t.startswith("product")],
    )
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert sum("lacks the read_all_orders scope" in w for w in warnings) == 1
    assert "only the last 60 days of orders" in run.stderr
    skipped = [w for w in warnings if "Skipping products, product_tags, product_variants" in w]
    assert len(skipped) == 1 and "read_products" in skipped[0]
    # order lines point at products: those columns stay empty, said once
    assert (
        run.stderr.count(
            "The app lacks the read_products scope: order_lines.product_id, variant_id, grams "
            "stay empty"
        )
        == 1
    )
    assert {r["product_id"] for r in run.records("order_lines")} == {None}


def test_client_credentials_token_is_renewed_and_never_shown(shopify_sandbox, run_in_process):
    shop = shopify_sandbox(scale=0.05, token_ttl=0.5, restore_rate=0, bulk_polls=4)
    config = shop.tap_config(
        access_token=None, client_id=shop.client_id, client_secret=shop.client_secret, **FAST
    )
    run = run_in_process(config)
    assert run.returncode == 0, run.stderr[-3000:]
    assert_exact(run, shop.truth())
    assert shop.stats()["token_grants"] >= 2  # a 0.5 s token, renewed during the run
    for secret in (shop.client_secret, "shpca_"):  # stdout holds the STATE messages too
        assert secret not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("override", "line"),
    [
        (
            {"access_token": "shpat_wrong"},
            "tap-shopify-chord: Shopify rejected the access token (HTTP 401): use an Admin API",
        ),
        (
            {"access_token": None, "client_id": "nope", "client_secret": "wrong-secret"},
            "tap-shopify-chord: Shopify refused the client credentials (HTTP 40",
        ),
        (
            {"api_version": "2025-10"},
            "tap-shopify-chord: `api_version` 2025-10 is past Shopify's end of support "
            "(2026-10-01): set `api_version` to 2026-10",
        ),
        (
            {"api_version": "2026-02"},
            "tap-shopify-chord: `api_version` '2026-02' is not a version this tap supports",
        ),
        (
            {"access_token": None},
            "tap-shopify-chord: set either `access_token`, or both `client_id` and `client_secret`",
        ),
        ({"shop": "my store!"}, "tap-shopify-chord: `shop` must be the store's myshopify handle"),
        (
            {"api_url": "http://127.0.0.1:9"},
            "tap-shopify-chord: cannot reach http://127.0.0.1:9 (ConnectionError): check `shop`",
        ),
    ],
)
def test_bad_settings_end_with_one_line(shopify_sandbox, override, line):
    # in process (the CLI prints this SystemExit text as its one stderr line, exit 1: the
    # first case is also run as a subprocess below)
    shop = shopify_sandbox(scale=0.02)
    tap = TapShopifyChord(config=shop.tap_config(**override), parse_env_config=False)
    with pytest.raises(SystemExit) as stopped:
        tap.sync_all()
    message = str(stopped.value)
    assert message.startswith(line), message
    assert "\n" not in message
    assert "wrong-secret" not in message and "shpat_wrong" not in message


def test_the_cli_stops_with_one_line_and_exit_1(shopify_sandbox, run_tap):
    shop = shopify_sandbox(scale=0.02)
    run = run_tap(shop.tap_config(access_token="shpat_wrong"))
    assert run.returncode == 1
    assert run.last_line.startswith("tap-shopify-chord: Shopify rejected the access token")
    assert "Traceback" not in run.stderr and "shpat_wrong" not in run.stderr


def test_connection_test_and_discovery(shopify_sandbox):
    shop = shopify_sandbox(scale=0.02)
    tap = TapShopifyChord(config=shop.tap_config(), parse_env_config=False)
    with contextlib.redirect_stdout(io.StringIO()):
        assert tap.run_connection_test()
    assert shop.stats()["bulk_operations"] == 0  # a dry run reads one object per stream
    catalog = TapShopifyChord(config={"shop": "x", "access_token": "y"}).catalog_dict
    streams = {s["tap_stream_id"]: s for s in catalog["streams"]}
    assert len(streams) == 14
    email = streams["customers"]["schema"]["properties"]["email"]
    assert email["x-semantic-tags"] == ["email"]
