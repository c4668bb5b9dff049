"""The Recharge sandbox keeps Recharge's contract: token, version, cursors, bucket, faults."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
import typing
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sandbox.faults import Density, Faults
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
    first = get(recharge, "/customers", limit=5, updated_at_min="2023-01-01").json()
    cursor = first["next_cursor"]
    for extra in ({"created_at_min": "2023-01-01"}, {"updated_at_min": "2024-01-01"}):
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
        ({"cursor": "bm90IGEgY3Vyc29y"}, "not a cursor"),
    ],
)
def test_bad_queries_are_422(recharge_sandbox, params, message):
    response = get(recharge_sandbox(), "/customers", **params)
    assert response.status_code == 422
    assert message in response.json()["errors"]


def test_a_sort_the_list_does_not_declare_is_accepted_and_ignored(recharge_sandbox):
    """recharge-api declares sort_by for charges only; peers send it everywhere and nothing
    promises it is honoured: the list keeps its default order (id-desc)."""
    recharge = recharge_sandbox(scale=0.1)
    pages = walk(recharge, "/customers", limit=9, sort_by="updated_at-asc")
    ids = [c["id"] for page in pages for c in page["customers"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == recharge.truth()["counts"]["customers"]
    updated = [c["updated_at"] for page in pages for c in page["customers"]]
    assert updated != sorted(updated)


@pytest.mark.parametrize("sort", ["price-asc", "created_at-asc", "scheduled_at-asc"])
def test_charges_take_only_the_sorts_the_sandbox_models(recharge_sandbox, sort):
    response = get(recharge_sandbox(), "/charges", sort_by=sort)
    assert response.status_code == 422
    assert (
        "is not supported on /charges; use one of id-asc, id-desc, updated_at-asc"
        in (response.json()["errors"])
    )


def test_a_cursor_belongs_to_its_resource(recharge_sandbox):
    recharge = recharge_sandbox(scale=0.1)
    cursor = get(recharge, "/customers", limit=2).json()["next_cursor"]
    response = get(recharge, "/addresses", cursor=cursor)
    assert response.status_code == 422 and "/customers" in response.json()["errors"]


def test_products_have_no_updated_filter_and_events_use_created_at(recharge_sandbox):
    recharge = recharge_sandbox()
    assert get(recharge, "/products", updated_at_min="2024-01-01").status_code == 422
    assert get(recharge, "/events", updated_at_min="2024-01-01").status_code == 422
    assert get(recharge, "/plans", created_at_min="2024-01-01").status_code == 422
    events = walk(recharge, "/events", created_at_min="2024-01-01")
    created = [e["created_at"] for page in events for e in page["events"]]
    ids = [e["id"] for page in events for e in page["events"]]
    assert ids == sorted(ids, reverse=True) and min(created) > "2024-01-01"  # id-desc


@pytest.mark.parametrize("inclusive", [False, True])
def test_updated_at_min_is_strictly_after_unless_inclusive(recharge_sandbox, inclusive):
    recharge = recharge_sandbox(inclusive_bounds=inclusive)
    boundary = iso(HISTORY_END)
    pages = walk(recharge, "/charges", sort_by="updated_at-asc", updated_at_min=boundary)
    rows = [c for page in pages for c in page["charges"]]
    at_boundary = [i for i, u in recharge.snapshot("charges").items() if u == boundary]
    assert len(at_boundary) >= 3
    assert sorted(c["id"] for c in rows) == (sorted(at_boundary) if inclusive else [])


def test_the_seconds_before_the_boundary_are_dense_with_a_batch_job_burst():
    store = RechargeStore(seed=3, scale=0.2)
    for resource in ("charges", "orders", "subscriptions", "events"):
        table = store.tables[resource]
        key = "created" if resource == "events" else "updated"
        newest = max(getattr(r, key) for r in table.rows.values())
        per_second = Counter(getattr(r, key) for r in table.rows.values())
        window = [per_second[newest - n] for n in range(1, 7)]
        assert window[0] >= 3, resource  # the second before the one a reader bookmarks on
        assert sum(1 for c in window if c) >= 5, resource  # continuous, second after second
        assert max(per_second.values()) >= 15, resource  # a batch job's second
    # configurable, and the truth still counts every row
    quiet = RechargeStore(seed=3, scale=0.2, density=Density(fraction=0))
    assert quiet.truth()["counts"] == store.truth()["counts"]
    assert Density(per_second=10, burst=0).stamps(random.Random(1), 50, 100)[-10:] == [99] * 10


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


# -- agreement with Recharge's own client (recharge-api, module `recharge`) ---------------
def _library_query(resource: str) -> type:
    import importlib

    module = importlib.import_module(f"recharge.api.v2.{resource}")
    (query,) = [v for k, v in vars(module).items() if k.endswith("ListQuery")]
    return query


@pytest.mark.parametrize("resource", sorted(set(RESOURCES)))
def test_filters_and_sorts_are_the_ones_recharges_client_declares(resource):
    """Every parameter the sandbox takes is a field of the client's <Resource>ListQuery, with
    the same sort_by values (the sandbox leaves scheduled_at out, and says so in a 422)."""
    from sandbox.recharge import paging

    fields = typing.get_type_hints(_library_query(resource))
    assert paging.allowed_filters(resource) <= set(fields), resource
    # the date filters the client declares are all modelled
    dates = {f for f in fields if f.endswith(("_at_min", "_at_max"))}
    modelled = {f for f in dates if f.split("_at_")[0] in {"created", "updated"}}
    assert paging.allowed_filters(resource) == modelled, resource
    if "sort_by" in fields:
        assert paging.allowed_sorts(resource) == set(typing.get_args(fields["sort_by"]))
    else:
        assert paging.allowed_sorts(resource) == set(), resource


def test_the_client_library_pages_through_the_sandbox_with_its_own_cursor_rule(recharge_sandbox):
    """recharge-api's own paginator (it keeps only cursor and limit after the first page)
    reads every charge updated since a date, in the order its sort_by declares."""
    from recharge.api.v2.charges import ChargeResource
    from recharge.client import RechargeClient

    recharge = recharge_sandbox(scale=0.1)
    client = RechargeClient(DEFAULT_TOKEN, logging_level=logging.WARNING)
    charges = ChargeResource(client, scopes=["read_orders"])
    charges.base_url = recharge.api_url
    since = iso(HISTORY_END - 5)
    rows = charges._paginate(
        charges._url, {"limit": "7", "sort_by": "updated_at-asc", "updated_at_min": since}
    )
    expected = {i for i, v in recharge.snapshot("charges").items() if v > since}
    assert len(expected) > 14  # more than two pages, all within a few busy seconds
    assert [c["id"] for c in rows] == [
        i
        for _, i in sorted((v, i) for i, v in recharge.snapshot("charges").items() if i in expected)
    ]
    seen = [line for line in recharge.stats()["recent"] if "/charges" in line]
    assert all("cursor=" in line and "sort_by" not in line for line in seen[1:])
