"""The Shopify sandbox keeps the GraphQL Admin API's contract (sandbox/sandbox/shopify/CONTRACT.md):
paging to the end matches the truth, cost and throttling, bulk JSONL, tokens, scopes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

import pytest
import requests
from sandbox.shopify import READ_SCOPES, Store
from sandbox.shopify.cli import main as shopify_cli
from sandbox.shopify.data import DAY, legacy, parse_iso

ORDERS_QUERY = """
query Orders($after: String, $query: String) {
  orders(first: 5, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id createdAt updatedAt tags discountCodes
      totalPriceSet { shopMoney { amount } }
      discountApplications(first: 5) { nodes { index ... on DiscountCodeApplication { code } } }
      lineItems(first: 5) { nodes {
        id quantity originalUnitPriceSet { shopMoney { amount } }
        discountAllocations {
          allocatedAmountSet { shopMoney { amount } } discountApplication { index }
        }
      } }
      refunds(first: 5) { id refundLineItems(first: 5) { nodes {
        id lineItem { id } subtotalSet { shopMoney { amount } }
      } } }
    } }
  }
}
"""
BULK_ORDERS = """
{ orders { edges { node {
  id name
  lineItems { edges { node { id quantity } } }
  refunds { id }
} } } }
"""
# The shape tap-shopify-chord sent before (a connection inside the Order.refunds list):
# Shopify refuses it, and so does the sandbox now.
BULK_ORDERS_REFUND_LINES = BULK_ORDERS.replace(
    "refunds { id }", "refunds { id refundLineItems { edges { node { id quantity } } } }"
)
RUN_BULK = """
mutation Run($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""
POLL_BULK = """
query Poll($id: ID!) {
  node(id: $id) { ... on BulkOperation {
    id status errorCode objectCount rootObjectCount url partialDataUrl
  } }
}
"""


def gql(shop, query, variables=None, *, token=None, version="2026-10"):
    response = requests.post(
        shop.graphql_url(version),
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token or shop.access_token},
        timeout=60,
    )
    return response


def data(shop, query, variables=None, **kwargs):
    """The query's data; on THROTTLED, waits as throttleStatus says (as a client should)."""
    while True:
        body = gql(shop, query, variables, **kwargs).json()
        errors = body.get("errors") or [{}]
        if errors[0].get("extensions", {}).get("code") != "THROTTLED":
            break
        cost = body["extensions"]["cost"]
        status = cost["throttleStatus"]
        short = cost["requestedQueryCost"] - status["currentlyAvailable"]
        time.sleep(max(short, 1) / status["restoreRate"])
    assert "errors" not in body, body
    return body["data"]


def num(global_id):
    return legacy(global_id)[1]


def money(amounts):
    return str(sum((Decimal(a) for a in amounts), Decimal(0)).quantize(Decimal("0.01")))


def walk_orders(shop, query=None, **kwargs):
    orders, after = [], None
    while True:
        page = data(shop, ORDERS_QUERY, {"after": after, "query": query}, **kwargs)["orders"]
        orders += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return orders
        after = page["pageInfo"]["endCursor"]


def order_tables(orders):
    """The REST-style tables a tap builds from the orders query."""
    lines = [line for order in orders for line in order["lineItems"]["nodes"]]
    refund_lines = [
        item
        for order in orders
        for refund in order["refunds"]
        for item in refund["refundLineItems"]["nodes"]
    ]
    allocations = [(num(line["id"]), a) for line in lines for a in line["discountAllocations"]]
    return {
        "orders": sorted(num(o["id"]) for o in orders),
        "order_lines": sorted(num(line["id"]) for line in lines),
        "order_tags": sorted([num(o["id"]), tag] for o in orders for tag in o["tags"]),
        "discount_codes": sorted([num(o["id"]), c] for o in orders for c in o["discountCodes"]),
        "discount_allocations": sorted(
            [line_id, a["discountApplication"]["index"]] for line_id, a in allocations
        ),
        "order_line_refunds": sorted(num(item["id"]) for item in refund_lines),
        "orders.total_price": money(o["totalPriceSet"]["shopMoney"]["amount"] for o in orders),
        "order_lines.price_x_quantity": money(
            Decimal(line["originalUnitPriceSet"]["shopMoney"]["amount"]) * line["quantity"]
            for line in lines
        ),
        "order_line_refunds.subtotal": money(
            item["subtotalSet"]["shopMoney"]["amount"] for item in refund_lines
        ),
        "discount_allocations.amount": money(
            a["allocatedAmountSet"]["shopMoney"]["amount"] for _, a in allocations
        ),
    }


def assert_matches_truth(tables, truth):
    for name, value in tables.items():
        if "." in name:
            table, column = name.split(".")
            assert value == truth[table][column], name
        else:
            assert value == truth[name]["ids"], name
            assert len(value) == truth[name]["rows"], name


def run_bulk(shop, query, **kwargs):
    body = data(shop, RUN_BULK, {"query": query}, **kwargs)["bulkOperationRunQuery"]
    assert body["userErrors"] == [], body
    assert body["bulkOperation"]["status"] == "CREATED"
    return body["bulkOperation"]["id"]


def poll_bulk(shop, operation_id, **kwargs):
    statuses = []
    for _ in range(200):
        node = data(shop, POLL_BULK, {"id": operation_id}, **kwargs)["node"]
        statuses.append(node["status"])
        if node["status"] not in ("CREATED", "RUNNING"):
            return node, statuses
        time.sleep(0.02)
    raise AssertionError(f"bulk operation never finished: {statuses[-3:]}")


def test_paging_a_nested_query_to_the_end_matches_the_truth(shopify_sandbox):
    shop = shopify_sandbox(scale=0.3, restore_rate=2000)
    orders = walk_orders(shop)
    keys = [(o["updatedAt"], num(o["id"])) for o in orders]
    assert keys == sorted(keys) and len(keys) == len(set(keys))
    truth = shop.truth()
    assert truth["orders"]["rows"] == 150 and truth["order_line_refunds"]["rows"] > 10
    assert truth["discount_allocations"]["rows"] > 10
    assert_matches_truth(order_tables(orders), truth)

    customers = data(
        shop,
        "{ customers(first: 100) { nodes { id tags addressesV2(first: 3) { nodes { id } } } } }",
    )["customers"]["nodes"]
    assert sorted(num(c["id"]) for c in customers) == truth["customers"]["ids"]
    addresses = sorted(num(a["id"]) for c in customers for a in c["addressesV2"]["nodes"])
    assert addresses == truth["customer_addresses"]["ids"]
    tags = sorted([num(c["id"]), t] for c in customers for t in c["tags"])
    assert tags == truth["customer_tags"]["ids"]

    default = data(shop, "{ locations(first: 10) { nodes { id } } }")["locations"]["nodes"]
    every = data(
        shop,
        "{ locations(first: 10, includeLegacy: true, includeInactive: true) { nodes { id } } }",
    )["locations"]["nodes"]
    assert len(default) == 2  # the inactive and the fulfillment-service location are opt-in
    assert sorted(num(loc["id"]) for loc in every) == truth["locations"]["ids"]


def test_search_filter_sort_and_cursor_errors(shopify_sandbox):
    shop = shopify_sandbox(scale=0.2, restore_rate=2000)
    everything = walk_orders(shop)
    middle = everything[len(everything) // 2]["updatedAt"]
    newer = walk_orders(shop, f"updated_at:>='{middle}'")
    assert newer == [o for o in everything if o["updatedAt"] >= middle]
    assert walk_orders(shop, f"updated_at:>'{middle}' AND updated_at:<='{middle}'") == []

    for query, message in (
        ("{ orders { nodes { id } } }", "you must provide one of first or last"),
        ("{ orders(first: 251) { nodes { id } } }", "must be between 0 and 250 (got 251)"),
        ('{ orders(first: 5, after: "bm9wZQ") { nodes { id } } }', "Invalid cursor"),
        ('{ orders(first: 5, query: "status:any") { nodes { id } } }', "Unsupported search"),
        ("{ orders(first: 5) { nodes { idd } } }", "Cannot query field 'idd' on type 'Order'."),
    ):
        body = gql(shop, query).json()
        assert message in body["errors"][0]["message"], (query, body)
        assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 2000.0


def test_cost_and_throttling_follow_the_leaky_bucket(shopify_sandbox):
    shop = shopify_sandbox(scale=0.2, bucket=200, restore_rate=20)
    query = "{ orders(first: 10) { nodes { id lineItems(first: 5) { nodes { id } } } } }"
    body = gql(shop, query).json()
    lines = sum(len(o["lineItems"]["nodes"]) for o in body["data"]["orders"]["nodes"])
    cost = body["extensions"]["cost"]
    # Requested: 2 + 10 x (order 1 + lineItems 2 + 5 x line 1); actual counts what came back.
    assert cost["requestedQueryCost"] == 82
    assert cost["actualQueryCost"] == 2 + 10 * 3 + lines
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 200.0 and status["restoreRate"] == 20.0
    assert (
        200 - cost["actualQueryCost"]
        <= status["currentlyAvailable"]
        <= 200 - cost["actualQueryCost"] + 2
    )
    big = "{ orders(first: 90) { nodes { id lineItems(first: 1) { nodes { id } } } } }"  # 362
    throttled = gql(shop, big).json()
    assert throttled["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert throttled["extensions"]["cost"]["requestedQueryCost"] == 362
    assert "data" not in throttled
    too_big = gql(
        shop, "{ orders(first: 250) { nodes { id lineItems(first: 5) { nodes { id } } } } }"
    )
    error = too_big.json()["errors"][0]
    assert error["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 2002, "maxCost": 1000}
    assert shop.stats()["throttled"] == 1

    stormy = shopify_sandbox(scale=0.1, throttle_storm_every=3)
    codes = []
    for _ in range(6):
        errors = gql(stormy, "{ shop { name } }").json().get("errors")
        codes.append(errors[0]["extensions"]["code"] if errors else "ok")
    # Calls 3 and 6 find the bucket drained by "another app"; what follows a storm depends
    # on how fast the bucket refills, so only the storms themselves are asserted.
    assert codes[:3] == ["ok", "ok", "THROTTLED"] and codes[5] == "THROTTLED"
    assert stormy.stats()["storms"] == 2


def test_bulk_export_has_every_row_once_with_parents_and_unordered_children(shopify_sandbox):
    shop = shopify_sandbox(scale=0.3)
    operation = run_bulk(shop, BULK_ORDERS)
    node, statuses = poll_bulk(shop, operation)
    assert statuses[0] == "RUNNING" and statuses[-1] == "COMPLETED"  # bulk_polls=2
    lines = [json.loads(line) for line in requests.get(node["url"], timeout=60).text.splitlines()]
    truth = shop.truth()
    roots = [line for line in lines if "__parentId" not in line]
    children = [line for line in lines if "__parentId" in line]
    assert sorted(num(r["id"]) for r in roots) == truth["orders"]["ids"]
    kinds = Counter(legacy(c["id"])[0] for c in children)
    assert kinds == {"LineItem": truth["order_lines"]["rows"]}
    assert len({line["id"] for line in lines}) == len(lines) == int(node["objectCount"])
    assert int(node["rootObjectCount"]) == truth["orders"]["rows"]
    store = shop.store
    order_of_line = {
        line["id"]: store.order(i)["id"]
        for i in range(len(store.orders))
        for line in store.order(i)["_lines"]
    }
    order_of_refund = {  # refunds are a list, inline in their order's line
        refund["id"]: order["id"] for order in roots for refund in order["refunds"]
    }
    assert len(order_of_refund) == sum(len(store.order(i)["_refunds"]) for i in range(150))
    for child in children:
        assert child["__parentId"] == order_of_line[child["id"]]
    position = {line["id"]: n for n, line in enumerate(lines)}
    early = [
        c
        for c in children
        if c["__parentId"] in position and position[c["__parentId"]] > position[c["id"]]
    ]
    assert len(early) > 50  # ungrouped: many children come before their parent
    stats = shop.stats()
    assert stats["bulk_operations_created"] == {"orders": 1}
    listed = data(
        shop,
        '{ bulkOperations(first: 5, query: "status:completed operation_type:query") '
        "{ nodes { id status } } }",
    )["bulkOperations"]["nodes"]
    assert listed == [{"id": operation, "status": "COMPLETED"}]


def test_failed_bulk_job_serves_partial_data(shopify_sandbox):
    shop = shopify_sandbox(scale=0.2, bulk_fail=1, bulk_polls=1)
    failed, _ = poll_bulk(shop, run_bulk(shop, BULK_ORDERS))
    assert failed["status"] == "FAILED" and failed["errorCode"] == "INTERNAL_SERVER_ERROR"
    assert failed["url"] is None and failed["partialDataUrl"].endswith("/partial.jsonl")
    partial = requests.get(failed["partialDataUrl"], timeout=60).text.splitlines()
    assert len(partial) == int(failed["objectCount"]) // 2 > 0
    retried, _ = poll_bulk(shop, run_bulk(shop, BULK_ORDERS))
    complete = requests.get(retried["url"], timeout=60).text.splitlines()
    assert retried["status"] == "COMPLETED" and len(complete) == int(failed["objectCount"])
    assert {json.loads(x)["id"] for x in partial} < {json.loads(x)["id"] for x in complete}
    assert shop.stats()["bulk_operations_created"] == {"orders": 2}
    failed_url = failed["partialDataUrl"].removesuffix("/partial.jsonl") + ".jsonl"
    assert requests.get(failed_url, timeout=30).status_code == 404  # no full file for it


def bulk_lines(shop, query):
    node, _ = poll_bulk(shop, run_bulk(shop, query))
    assert node["status"] == "COMPLETED", node
    text = requests.get(node["url"], timeout=60).text
    return [json.loads(line) for line in text.splitlines()]


def test_bulk_customers_and_products_carry_their_children(shopify_sandbox):
    shop = shopify_sandbox(scale=0.2, bulk_polls=1)
    truth = shop.truth()
    customers = bulk_lines(
        shop, "{ customers { edges { node { id tags addressesV2 { edges { node { id } } } } } } }"
    )
    roots = {num(c["id"]): c for c in customers if "__parentId" not in c}
    assert sorted(roots) == truth["customers"]["ids"]
    addresses = [a for a in customers if "__parentId" in a]
    assert sorted(num(a["id"]) for a in addresses) == truth["customer_addresses"]["ids"]
    assert {num(a["__parentId"]) for a in addresses} <= set(roots)
    assert (
        sorted([k, t] for k, c in roots.items() for t in c["tags"]) == truth["customer_tags"]["ids"]
    )

    products = bulk_lines(
        shop,
        "{ products(query: \"updated_at:>='2000-01-01'\") { edges { node { id tags "
        "variants { edges { node { id price "
        "inventoryItem { measurement { weight { unit value } } } } } } } } } }",
    )
    variants = [v for v in products if "__parentId" in v]
    assert sorted(num(v["id"]) for v in variants) == truth["product_variants"]["ids"]
    assert (
        sorted(num(p["id"]) for p in products if "__parentId" not in p) == truth["products"]["ids"]
    )
    assert all(v["inventoryItem"]["measurement"]["weight"]["value"] > 0 for v in variants)
    by_product = Counter(v["__parentId"] for v in variants)
    assert set(by_product.values()) <= set(range(1, 7)) and len(set(by_product.values())) > 3

    checkouts, after = [], None
    while True:
        page = data(
            shop,
            "query($after: String) { abandonedCheckouts(first: 50, after: $after) { "
            "nodes { id totalPriceSet { presentmentMoney { currencyCode } } } "
            "pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )["abandonedCheckouts"]
        checkouts += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(num(c["id"]) for c in checkouts) == truth["abandoned_checkouts"]["ids"]
    last = data(shop, "{ orders(last: 3, sortKey: CREATED_AT) { nodes { id } } }")["orders"]
    assert [num(o["id"]) for o in last["nodes"]] == truth["orders"]["ids"][-3:]
    first = truth["orders"]["ids"][0]
    node = data(shop, f'{{ node(id: "gid://shopify/Order/{first}") {{ id }} }}')["node"]
    assert node == {"id": f"gid://shopify/Order/{first}"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ orders { edges { node { id } }", "Invalid bulk query: Syntax Error"),
        ("", "Invalid bulk query: syntax error, unexpected end of file"),
        (
            '{ node(id: "gid://shopify/Order/1") { id } }',
            "Bulk queries cannot contain a top level `node` field.",
        ),
        ("{ shop { name } }", "Bulk queries must contain at least one connection."),
        (
            "{ orders { edges { node { name lineItems { edges { node { id } } } } } } }",
            "The parent 'node' field for a nested connection must select the 'id' field "
            "without an alias and must be of 'ID' return type. Connection fields without "
            "'id': lineItems.",
        ),
        (
            "{ orders { nodes { id } } }",
            "All connection fields in a bulk query must select their contents using 'edges' > "
            "'node', e.g: 'orders { edges { node {'. Selecting via 'nodes' is not supported. "
            "Invalid connection fields: 'orders'.",
        ),
        (
            BULK_ORDERS_REFUND_LINES,
            "Queries that contain a connection field within a list field are not currently "
            "supported.",
        ),
        # a field of a later version (Order.cartToken is new in 2026-10): Shopify's schema
        # of the requested version (2026-01) refuses it
        (
            "{ orders { edges { node { id cartToken } } } }",
            "Invalid bulk query: Cannot query field 'cartToken' on type 'Order'.",
        ),
        (
            "{ orders { edges { node { id lineItems { edges { node { id } } } "
            "discountApplications { edges { node { index } } } "
            "refunds { id refundLineItems { edges { node { id } } } } "
            "customer { id addressesV2 { edges { node { id } } } "
            "lastOrder { id lineItems { edges { node { id } } } } } } } } }",
            "Bulk queries cannot contain more than 5 connections.",
        ),
        (
            "{ products { edges { node { id variants { edges { node { id product { id "
            "variants { edges { node { id product { id variants { edges { node { id } } } "
            "} } } } } } } } } } } }",
            "Bulk queries cannot contain connections with a nesting depth greater than 2.",
        ),
    ],
)
def test_invalid_bulk_queries_answer_user_errors(shopify_sandbox, query, message):
    shop = shopify_sandbox(scale=0.05)
    body = data(shop, RUN_BULK, {"query": query}, version="2026-01")["bulkOperationRunQuery"]
    assert body["bulkOperation"] is None
    assert body["userErrors"][0]["code"] == "INVALID"
    assert body["userErrors"][0]["message"].startswith(message)
    assert shop.stats()["bulk_operations"] == 0


def test_client_credentials_tokens_expire(shopify_sandbox):
    shop = shopify_sandbox(scale=0.05, token_ttl=1)
    url = f"{shop.url}/admin/oauth/access_token"
    form = {
        "grant_type": "client_credentials",
        "client_id": shop.client_id,
        "client_secret": shop.client_secret,
    }
    grant = requests.post(url, data=form, timeout=30).json()
    assert grant["expires_in"] == 1 and grant["scope"] == ",".join(READ_SCOPES)
    token = grant["access_token"]
    assert gql(shop, "{ shop { name } }", token=token).status_code == 200
    time.sleep(1.1)
    expired = gql(shop, "{ shop { name } }", token=token)
    assert expired.status_code == 401
    assert expired.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    wrong = requests.post(url, json={**form, "client_secret": "nope-secret"}, timeout=30)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_client"
    assert "nope-secret" not in wrong.text and shop.client_secret not in wrong.text
    for missing in ("2027-01", "2026-02", "v1"):
        assert gql(shop, "{ shop { name } }", version=missing).json() == {"errors": "Not Found"}
    assert shop.stats()["token_grants"] == 1


def test_without_read_all_orders_only_60_days_are_visible(shopify_sandbox):
    scopes = tuple(s for s in READ_SCOPES if s not in ("read_all_orders", "read_customers"))
    shop = shopify_sandbox(scale=0.5, scopes=scopes, bulk_polls=1, restore_rate=2000)
    orders = walk_orders(shop)
    truth = shop.truth()
    again = shop.truth(scopes)  # the 60-day line moves with the clock: compare the rest
    assert abs(parse_iso(again.pop("visible_from")) - parse_iso(truth["visible_from"])) <= 2
    assert {k: v for k, v in truth.items() if k != "visible_from"} == again
    assert 0 < truth["orders"]["rows"] < shop.truth(READ_SCOPES)["orders"]["rows"]
    assert_matches_truth(order_tables(orders), truth)
    oldest = min(parse_iso(o["createdAt"]) for o in orders)
    assert oldest >= time.time() - 60 * DAY - 5
    bulk, _ = poll_bulk(shop, run_bulk(shop, BULK_ORDERS))
    rows = [json.loads(x) for x in requests.get(bulk["url"], timeout=60).text.splitlines()]
    assert sorted(num(r["id"]) for r in rows if "__parentId" not in r) == truth["orders"]["ids"]

    denied = gql(shop, "{ customers(first: 5) { nodes { id } } }").json()
    assert denied["data"] is None
    assert denied["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "`read_customers` access scope" in denied["errors"][0]["message"]
    job, _ = poll_bulk(shop, run_bulk(shop, "{ customers { edges { node { id } } } }"))
    assert (job["status"], job["errorCode"], job["url"]) == ("FAILED", "ACCESS_DENIED", None)
    handles = data(shop, "{ currentAppInstallation { accessScopes { handle } } }")
    assert [s["handle"] for s in handles["currentAppInstallation"]["accessScopes"]] == sorted(
        scopes
    )


def test_mutations_show_up_in_filters_and_truth(shopify_sandbox):
    shop = shopify_sandbox(scale=0.3, restore_rate=2000)
    before = shop.truth()
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    touched = shop.mutate(changed_orders=4, refunds_on_old_orders=3, new_customers=2)
    after = shop.truth()
    changed = set(touched["changed_orders"]) | set(touched["refunded_orders"])
    assert len(changed) == 7 and len(touched["refunds"]) == 3
    recent = walk_orders(shop, f"updated_at:>='{since}'")
    assert {num(o["id"]) for o in recent} == changed
    assert {o["updatedAt"] for o in recent} == {touched["updated_at"]}
    grown = after["order_line_refunds"]["rows"] - before["order_line_refunds"]["rows"]
    assert grown == 3
    assert after["customers"]["rows"] == before["customers"]["rows"] + 2
    assert set(touched["new_customers"]) <= set(after["customers"]["ids"])
    assert_matches_truth(order_tables(walk_orders(shop)), after)
    refused = requests.post(
        f"{shop.url}/_sandbox/mutate", json={"refunds_on_old_orders": 10_000}, timeout=30
    )
    assert refused.status_code == 400
    assert "orders older than 90 days can take another refund" in refused.json()["errors"]
    assert shop.truth() == after  # a refused mutation changes nothing
    for refunded in touched["refunded_orders"]:
        order = next(o for o in recent if num(o["id"]) == refunded)
        assert parse_iso(order["createdAt"]) < time.time() - 90 * DAY
        assert max(r["id"] for r in order["refunds"]) in {
            f"gid://shopify/Refund/{r}" for r in touched["refunds"]
        }


def test_bulk_concurrency_limit_and_cancel(shopify_sandbox):
    # mid-2026: 2025-10 is still supported (one bulk query at a time before 2026-01)
    shop = shopify_sandbox(scale=0.05, bulk_polls=50, now=parse_iso("2026-06-01T00:00:00Z"))
    query = "{ products { edges { node { id } } } }"
    ids = [run_bulk(shop, query) for _ in range(5)]
    sixth = data(shop, RUN_BULK, {"query": query})["bulkOperationRunQuery"]
    assert sixth["userErrors"][0]["code"] == "LIMIT_REACHED"
    old = data(shop, RUN_BULK, {"query": query}, version="2025-10")["bulkOperationRunQuery"]
    assert old["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"
    cancel = """mutation($id: ID!) {
      bulkOperationCancel(id: $id) { bulkOperation { status } userErrors { message } }
    }"""
    answer = data(shop, cancel, {"id": ids[0]})["bulkOperationCancel"]
    assert answer == {"bulkOperation": {"status": "CANCELING"}, "userErrors": []}
    assert data(shop, POLL_BULK, {"id": ids[0]})["node"]["status"] == "CANCELED"
    assert run_bulk(shop, query)
    assert shop.stats()["bulk_operations_created"] == {"products": 6}


def test_store_is_deterministic_and_compact():
    one, two = (
        Store(seed=3, orders_count=400, now=1_780_000_000),
        Store(seed=3, orders_count=400, now=1_780_000_000),
    )
    assert one.truth() == two.truth()
    assert one.truth()["orders"]["rows"] == 400


def test_cli_truth_prints_the_truth(capsys):
    assert (
        shopify_cli(["truth", "shopify", "--scale", "0.05", "--now", "2026-03-01T00:00:00Z"]) == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["orders"]["rows"] == 25 and printed["locations"]["rows"] == 4
    assert shopify_cli(["truth", "shopify", "--missing-scopes", "read_everything"]) == 2
    assert "unknown scope(s) in --missing-scopes: read_everything" in capsys.readouterr().err


def test_cli_serve_prints_tap_settings_and_injects_5xx(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # `sandbox serve shopify` hands its argv to this module; run it directly to skip
    # importing every other vendor's sandbox (seconds on a busy machine).
    command = [sys.executable, "-m", "sandbox.shopify.cli", "serve", "shopify", "--port", str(port)]
    command += ["--scale", "0.05", "--error-rate", "1"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        banner = [process.stderr.readline() for _ in range(2)]
        settings = json.loads(banner[1].split(": ", 1)[1])
        assert settings["api_url"] == f"http://127.0.0.1:{port}"
        url = f"{settings['api_url']}/admin/api/2026-01/graphql.json"
        for _ in range(100):  # the banner comes just before uvicorn binds
            try:
                answer = requests.post(
                    url,
                    json={"query": "{ shop { name } }"},
                    headers={"X-Shopify-Access-Token": settings["access_token"]},
                    timeout=10,
                )
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert answer.status_code in (500, 502, 503, 504)
        assert (
            "wrong-token"
            not in requests.post(
                url,
                json={"query": "{ shop { name } }"},
                headers={"X-Shopify-Access-Token": "wrong-token"},
                timeout=10,
            ).text
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def test_versions_answer_as_shopify_does(shopify_sandbox):
    """A retired version falls forward to the oldest supported one (Shopify's rule, shown
    in X-Shopify-API-Version); each version validates against its own real schema; a
    deprecated field still answers."""
    shop = shopify_sandbox(scale=0.02, now=parse_iso("2026-12-02T00:00:00Z"))
    retired = gql(shop, "{ shop { name } }", version="2024-04")
    assert retired.headers["X-Shopify-API-Version"] == "2026-01"
    assert retired.json()["data"] == {"shop": {"name": "Chord Sandbox Shop"}}
    assert gql(shop, "{ shop { name } }").headers["X-Shopify-API-Version"] == "2026-10"
    query = "{ orders(first: 1) { nodes { id cartToken } } }"
    old = gql(shop, query, version="2026-01").json()
    assert old["errors"][0]["message"] == "Cannot query field 'cartToken' on type 'Order'."
    # valid for 2026-10, which has it; the sandbox's engine lacks it and says so
    new = gql(shop, query, version="2026-10").json()
    assert new["errors"][0]["message"].startswith("The sandbox does not serve this yet: ")
    wrong_arg = gql(shop, "{ orders(first: 1, sortKey: SPEED) { nodes { id } } }").json()
    assert (
        "Value 'SPEED' does not exist in 'OrderSortKeys' enum" in wrong_arg["errors"][0]["message"]
    )


def test_refund_line_items_page_through_node_and_nodes(shopify_sandbox):
    """What a client does after a bulk export, which cannot reach a refund's line items:
    `nodes(ids:)` on the orders, then `node(id:)` on a refund for the rest of its lines."""
    shop = shopify_sandbox(scale=0.3)
    store = shop.store
    refunded = [store.order(i) for i in range(len(store.orders)) if store.order(i)["_refunds"]]
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { id
      refunds(first: 5) { id refundLineItems(first: 1) {
        pageInfo { hasNextPage endCursor } nodes { id } } } } } }"""
    orders = data(shop, query, {"ids": [o["id"] for o in refunded[:40]]})["nodes"]
    assert [o["id"] for o in orders] == [o["id"] for o in refunded[:40]]
    refund = next(
        r for o in orders for r in o["refunds"] if r["refundLineItems"]["pageInfo"]["hasNextPage"]
    )
    more = """query($id: ID!, $after: String) { node(id: $id) { ... on Refund {
      refundLineItems(first: 5, after: $after) { nodes { id } } } } }"""
    rest = data(
        shop,
        more,
        {"id": refund["id"], "after": refund["refundLineItems"]["pageInfo"]["endCursor"]},
    )["node"]["refundLineItems"]["nodes"]
    assert rest and refund["refundLineItems"]["nodes"][0] not in rest
    ids = [o["id"] for o in refunded[:40]]
    cost = gql(shop, query, {"ids": ids}).json()["extensions"]
    assert cost["cost"]["requestedQueryCost"] == len(ids) * (1 + 5 * (1 + 2 + 1))  # per id


def test_without_the_cached_schemas_the_sandbox_says_so_and_uses_its_own(
    monkeypatch, tmp_path, caplog
):
    from sandbox.shopify import contract

    monkeypatch.setenv("SHOPIFY_CONTRACTS", str(tmp_path))
    contract.load.cache_clear()
    contract.real_schema.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match=r"run `make contracts`\.$"):
            contract.load("2026-10")
        assert contract.real_schema("2026-10") is None
        assert "validates against its own schema.graphql only" in caplog.text
    finally:
        contract.load.cache_clear()
        contract.real_schema.cache_clear()
