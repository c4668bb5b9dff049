"""The Recharge sandbox keeps Recharge's contract: token, version, cursors, bucket, faults."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sandbox.faults import Faults
from sandbox.recharge import DEFAULT_TOKEN, HISTORY_END, RESOURCES, RechargeStore
from sandbox.recharge.app import LeakyBucket
from sandbox.recharge.data import iso

HEADERS = {"X-Recharge-Access-Token": DEFAULT_TOKEN, "X-Recharge-Version": "2021-11"}
DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"


def get(recharge, path, headers=None, **params):
    return requests.get(
        recharge.api_url + path,
        params=params,
        headers=HEADERS if headers is None else headers,
        timeout=30,
    )


def walk(recharge, path, **params):
    """Every page: filters on the first request, then only the cursor (and limit)."""
    limit = params.get("limit")
    response = get(recharge, path, **params)
    pages = [response.json()]
    while "next_cursor" in pages[-1]:
        follow = {"cursor": pages[-1]["next_cursor"], **({"limit": limit} if limit else {})}
        response = get(recharge, path, **follow)
        assert response.status_code == 200, response.text
        pages.append(response.json())
    return pages


def test_token_is_required_and_errors_are_json(recharge_sandbox):
    recharge = recharge_sandbox()
    for headers in ({"X-Recharge-Version": "2021-11"}, {**HEADERS, "X-Recharge-Access-Token": "x"}):
        response = get(recharge, "/customers", headers=headers)
        assert response.status_code == 401
        assert "X-Recharge-Access-Token" in response.json()["errors"]


def test_api_root_answers_a_valid_token(recharge_sandbox):
    recharge = recharge_sandbox()
    assert requests.get(recharge.url, headers=HEADERS, timeout=30).status_code == 200
    bare = requests.get(recharge.url, headers={"X-Recharge-Access-Token": "x"}, timeout=30)
    assert bare.status_code == 401


def test_version_2021_11_is_required(recharge_sandbox):
    recharge = recharge_sandbox()
    assert get(recharge, "/customers").status_code == 200
    unknown = get(recharge, "/customers", headers={**HEADERS, "X-Recharge-Version": "1999-01"})
    assert unknown.status_code == 426
    missing = get(recharge, "/customers", headers={"X-Recharge-Access-Token": DEFAULT_TOKEN})
    assert missing.status_code == 426
    assert "X-Recharge-Version is missing" in missing.json()["errors"]


@pytest.mark.parametrize("limit", ["0", "251", "abc"])
def test_limit_is_1_to_250(recharge_sandbox, limit):
    assert get(recharge_sandbox(), "/charges", limit=limit).status_code == 400


def test_default_page_is_50_newest_id_first(recharge_sandbox):
    recharge = recharge_sandbox(scale=0.1)
    body = get(recharge, "/charges").json()
    ids = [c["id"] for c in body["charges"]]
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    assert "next_cursor" in body and "previous_cursor" not in body


def test_cursor_paging_returns_every_row_once_in_updated_order(recharge_sandbox):
    recharge = recharge_sandbox(scale=0.1)
    pages = walk(recharge, "/charges", limit=7, sort_by="updated_at-asc")
    rows = [c for page in pages for c in page["charges"]]
    assert len(rows) == len({c["id"] for c in rows}) == recharge.truth()["counts"]["charges"]
    keys = [(c["updated_at"], c["id"]) for c in rows]
    assert keys == sorted(keys)
    assert "previous_cursor" not in pages[0] and "next_cursor" not in pages[-1]
    assert all("previous_cursor" in page for page in pages[1:])
    back = get(recharge, "/charges", cursor=pages[2]["previous_cursor"], limit=7).json()
    assert [c["id"] for c in back["charges"]] == [c["id"] for c in pages[1]["charges"]]


def test_filters_go_on_the_first_request_only(recharge_sandbox):
    recharge = recharge_sandbox(scale=0.1)
    first = get(recharge, "/customers", limit=5, sort_by="updated_at-asc").json()
    cursor = first["next_cursor"]
    for extra in ({"sort_by": "updated_at-asc"}, {"updated_at_min": "2024-01-01"}):
        response = get(recharge, "/customers", cursor=cursor, limit=5, **extra)
        assert response.status_code == 422
        assert "send only cursor and limit" in response.json()["errors"]
    assert get(recharge, "/customers", cursor=cursor, limit=5).status_code == 200
    assert get(recharge, "/customers", cursor=cursor).status_code == 200  # limit is optional


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"updated_since": "2024-01-01"}, "unknown parameter"),
        ({"updated_at_min": "yesterday"}, "must be a date"),
        ({"updated_at_min": "2025-06-30T12:00:00 00:00"}, "must be a date"),  # an unencoded +
        ({"sort_by": "price-asc"}, "not supported"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "not a cursor"),
    ],
)
def test_bad_queries_are_422(recharge_sandbox, params, message):
    response = get(recharge_sandbox(), "/customers", **params)
    assert response.status_code == 422
    assert message in response.json()["errors"]


def test_a_cursor_belongs_to_its_resource(recharge_sandbox):
    recharge = recharge_sandbox(scale=0.1)
    cursor = get(recharge, "/customers", limit=2).json()["next_cursor"]
    response = get(recharge, "/addresses", cursor=cursor)
    assert response.status_code == 422 and "/customers" in response.json()["errors"]


def test_products_have_no_updated_filter_and_events_use_created_at(recharge_sandbox):
    recharge = recharge_sandbox()
    assert get(recharge, "/products", updated_at_min="2024-01-01").status_code == 422
    assert get(recharge, "/events", updated_at_min="2024-01-01").status_code == 422
    events = walk(recharge, "/events", sort_by="created_at-asc", created_at_min="2024-01-01")
    created = [e["created_at"] for page in events for e in page["events"]]
    assert created == sorted(created) and min(created) > "2024-01-01"


@pytest.mark.parametrize("inclusive", [False, True])
def test_updated_at_min_is_strictly_after_unless_inclusive(recharge_sandbox, inclusive):
    recharge = recharge_sandbox(inclusive_bounds=inclusive)
    boundary = iso(HISTORY_END)
    pages = walk(recharge, "/charges", sort_by="updated_at-asc", updated_at_min=boundary)
    rows = [c for page in pages for c in page["charges"]]
    at_boundary = [i for i, u in recharge.snapshot("charges").items() if u == boundary]
    assert len(at_boundary) >= 3
    assert sorted(c["id"] for c in rows) == (sorted(at_boundary) if inclusive else [])


def test_every_resource_has_a_tie_group_on_the_boundary_second():
    store = RechargeStore(seed=3, scale=0.05)
    for resource in RESOURCES:
        if resource != "events":
            tied = [r for r in store.tables[resource].rows.values() if r.updated == HISTORY_END]
            assert len(tied) >= min(3, len(store.tables[resource])), resource


def test_token_without_a_scope_gets_403_on_that_resource_only(recharge_sandbox):
    recharge = recharge_sandbox()
    response = get(recharge, "/payment_methods")
    assert response.status_code == 403
    assert "read_payment_methods" in response.json()["errors"]
    assert get(recharge, "/customers").status_code == 200
    assert get(recharge_sandbox(missing_scopes=()), "/payment_methods").status_code == 200


def test_leaky_bucket_holds_40_and_drains_2_per_second():
    now = [0.0]
    bucket = LeakyBucket(2.0, 40, clock=lambda: now[0])
    assert all(bucket.take() for _ in range(40))
    assert not bucket.take() and bucket.used() == 40
    assert bucket.seconds_until_free() == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.take() and not bucket.take()
    now[0] += 10
    assert bucket.used() == 20


def test_overflow_is_429_with_the_limit_header_and_no_retry_after(recharge_sandbox):
    recharge = recharge_sandbox(rate_limit=2)
    answers = [get(recharge, "/collections") for _ in range(42)]
    assert [a.status_code for a in answers[:40]] == [200] * 40
    assert answers[0].headers["X-Recharge-Limit"] == "1/40"
    over = answers[-1]
    assert over.status_code == 429 and over.headers["X-Recharge-Limit"] == "40/40"
    assert "Retry-After" not in over.headers
    with_retry_after = recharge_sandbox(rate_limit=2, bucket_size=1, retry_after=True)
    get(with_retry_after, "/collections")
    assert get(with_retry_after, "/collections").headers["Retry-After"] == "1"


def test_truncated_bodies_alternate_cut_json_and_short_content_length(recharge_sandbox):
    recharge = recharge_sandbox(faults=Faults(truncate_rate=1.0))
    cut = get(recharge, "/customers")
    assert cut.status_code == 200
    with pytest.raises(ValueError):
        cut.json()
    with pytest.raises(requests.exceptions.RequestException):
        get(recharge, "/customers")  # declared Content-Length, half the body, then closed
    assert recharge.stats()["faults"] == {"truncate": 2}


def test_html_error_bodies(recharge_sandbox):
    recharge = recharge_sandbox(faults=Faults(error_rate=1.0), html_errors=True)
    response = get(recharge, "/customers")
    assert response.status_code >= 500
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>" in response.text


def test_referential_integrity_and_decimal_text():
    store = RechargeStore(seed=7, scale=0.2)
    rows = {r: [store.render(r, row) for row in store.tables[r].rows.values()] for r in RESOURCES}
    ids = {r: {o["id"] for o in objs} for r, objs in rows.items()}
    address_owner = {a["id"]: a["customer_id"] for a in rows["addresses"]}
    pm_owner = {p["id"]: p["customer_id"] for p in rows["payment_methods"]}
    sub_address = {s["id"]: s["address_id"] for s in rows["subscriptions"]}
    products = {p["external_product_id"] for p in rows["products"]}
    for a in rows["addresses"]:
        assert a["customer_id"] in ids["customers"]
        assert pm_owner[a["payment_method_id"]] == a["customer_id"]
    for s in rows["subscriptions"] + rows["onetimes"]:
        assert address_owner[s["address_id"]] == s["customer_id"]
        assert s["external_product_id"]["ecommerce"] in products
    for c in rows["charges"]:
        assert address_owner[c["address_id"]] == c["customer"]["id"]
        assert {d["id"] for d in c["discounts"]} <= ids["discounts"]
        for line in c["line_items"]:
            if line["purchase_item_type"] == "subscription":
                assert sub_address[line["purchase_item_id"]] == c["address_id"]
            else:
                assert line["purchase_item_id"] in ids["onetimes"]
        total = (
            Decimal(c["subtotal_price"])
            + Decimal(c["total_tax"])
            + sum(Decimal(s["price"]) for s in c["shipping_lines"])
        )
        assert Decimal(c["total_price"]) == total
    for o in rows["orders"]:
        assert o["charge"]["id"] in ids["charges"]
        assert address_owner[o["address_id"]] == o["customer"]["id"]
    assert {p["external_product_id"]["ecommerce"] for p in rows["plans"]} <= products
    assert {e["customer_id"] for e in rows["events"]} <= ids["customers"]
    assert all(isinstance(s["price"], str) and "." in s["price"] for s in rows["subscriptions"])


def test_admin_touch_moves_rows_to_one_new_second_and_create_keeps_integrity(recharge_sandbox):
    recharge = recharge_sandbox()
    before = recharge.truth()
    touched = recharge.touch("charges", count=5)
    assert len(touched["ids"]) == 5 and touched["updated_at"] > iso(HISTORY_END)
    pages = walk(recharge, "/charges", sort_by="updated_at-asc", updated_at_min=iso(HISTORY_END))
    assert [c["id"] for c in pages[0]["charges"]] == touched["ids"]
    assert {c["updated_at"] for c in pages[0]["charges"]} == {touched["updated_at"]}
    created = recharge.create("customers", 2)
    assert {k: len(v) for k, v in created.items()} == {
        "customers": 2,
        "payment_methods": 2,
        "addresses": 2,
        "subscriptions": 2,
        "charges": 2,
    }
    after = recharge.truth()["counts"]
    assert after["customers"] == before["counts"]["customers"] + 2
    assert after["events"] == before["counts"]["events"] + 5 + 2 * 3  # updated; created x3


def test_events_cannot_be_touched(recharge_sandbox):
    recharge = recharge_sandbox()
    response = requests.post(f"{recharge.url}/_sandbox/events/touch", json={"count": 1}, timeout=30)
    assert response.status_code == 400


def test_same_seed_same_data_and_cli_truth_matches():
    one, two = RechargeStore(seed=4, scale=0.05), RechargeStore(seed=4, scale=0.05)
    row = one.tables["charges"].ids[3]
    assert one.render("charges", one.tables["charges"].rows[row]) == two.render(
        "charges", two.tables["charges"].rows[row]
    )
    cli = Path(sys.executable).with_name("sandbox")
    done = subprocess.run(
        [cli, "truth", "recharge", "--seed", "4", "--scale", "0.05"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == json.loads(json.dumps(one.truth()))
