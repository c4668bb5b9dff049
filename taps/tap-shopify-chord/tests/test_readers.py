"""The readers' guards against silently short data, with a scripted fake Shopify: a bulk job
that claims 0 objects while a plain query finds some, a file shorter than its objectCount,
and plain pages whose nested connections were cut at their inline `first`."""

from __future__ import annotations

import json
import logging
import typing as t
from collections.abc import Iterator
from typing import Any, cast

import pytest
from tap_shopify_chord import queries as q
from tap_shopify_chord.client import ShopifyClient
from tap_shopify_chord.readers import BulkReader, BulkSettings, PlainReader

LOG = logging.getLogger("test")
ORDER = {"__typename": "Order", "id": "gid://shopify/Order/1", "updatedAt": "2026-01-01T00:00:00Z"}
LINE = {"__typename": "LineItem", "id": "gid://shopify/LineItem/2", "__parentId": ORDER["id"]}


class FakeResponse:
    def __init__(self, lines: list[dict]) -> None:
        self.status_code = 200
        self._lines = lines

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def iter_content(self, size: int) -> Iterator[bytes]:
        body = b"".join(json.dumps(line).encode() + b"\n" for line in self._lines)
        for start in range(0, len(body), 7):  # small pieces: lines split across chunks
            yield body[start : start + 7]


class FakeShopify:
    """Answers by operation name; `jobs` are the successive bulk jobs' (objectCount, lines)."""

    max_retries = 3
    backoff = 0.0

    def __init__(self, jobs: list[tuple[int, list[dict]]], probe_finds: bool = True) -> None:
        self.jobs = jobs
        self.started = 0
        self.probe_finds = probe_finds
        self.session = self
        self.queries: list[tuple[str, dict]] = []
        self.open: dict[str, Any] = {"edges": []}  # completed jobs bulkOperations lists

    def graphql(self, query: str, variables: dict | None = None, *, what: str) -> dict[str, Any]:
        self.queries.append((query, variables or {}))
        if query.startswith("query Open"):
            return {"created": {"edges": []}, "running": {"edges": []}, "completed": self.open}
        if query.startswith("mutation Run"):
            self.started += 1
            return {"bulkOperationRunQuery": {"bulkOperation": self._job(), "userErrors": []}}
        if query.startswith("query Poll"):
            return {"node": self._job()}
        if query.startswith("query Probe"):
            return {"orders": {"nodes": [{"id": ORDER["id"]}] if self.probe_finds else []}}
        raise AssertionError(query)

    def _job(self) -> dict[str, Any]:
        count, _ = self.jobs[self.started - 1]
        return {
            "id": f"gid://shopify/BulkOperation/{self.started}",
            "status": "COMPLETED",
            "objectCount": str(count),
            "url": f"http://files/{self.started}.jsonl" if count else None,
        }

    def get(self, url: str, **_: Any) -> FakeResponse:
        return FakeResponse(self.jobs[int(url.rsplit("/", 1)[1].split(".")[0]) - 1][1])


class Slot:
    def __init__(self) -> None:
        self.job: dict | None = None
        self.last: str | None = None

    def get(self) -> dict | None:
        return self.job

    def put(self, job: dict | None, consumed: str | None = None) -> None:
        self.job = job
        self.last = consumed or self.last

    def consumed(self) -> str | None:
        return self.last


def bulk(shopify: FakeShopify) -> BulkReader:
    settings = BulkSettings(poll_interval=0.001, retries=2)
    return BulkReader(cast(ShopifyClient, shopify), q.ORDERS, settings, Slot(), LOG)


def test_an_empty_job_is_not_believed_while_a_plain_query_finds_objects():
    shopify = FakeShopify([(0, []), (2, [LINE, ORDER])])
    lines = list(bulk(shopify).lines("2026-01-01T00:00:00Z", None))
    assert lines == [LINE, ORDER] and shopify.started == 2


def test_an_empty_job_is_believed_when_the_window_is_empty():
    shopify = FakeShopify([(0, [])], probe_finds=False)
    assert list(bulk(shopify).lines("2026-01-01T00:00:00Z", None)) == []
    assert shopify.started == 1


def test_a_file_shorter_than_its_object_count_fails_the_run():
    shopify = FakeShopify([(3, [ORDER, LINE])])
    reader = bulk(shopify)
    with pytest.raises(SystemExit, match="reports 3 objects but its file gave 2"):
        list(reader.lines(None, None))
    assert reader.slot.consumed() is None  # the job stays unconsumed: the next run reads it again


class FakePages(FakeShopify):
    """Plain pages: one order whose lineItems page was cut (hasNextPage), then the rest."""

    def __init__(self) -> None:
        super().__init__([])

    def graphql(self, query: str, variables: dict | None = None, *, what: str) -> dict[str, Any]:
        self.queries.append((query, variables or {}))
        empty = {"nodes": [], "pageInfo": {"hasNextPage": False}}
        if query.startswith("query Page"):
            node = {
                **{k: v for k, v in ORDER.items()},
                "lineItems": {
                    "nodes": [{"__typename": "LineItem", "id": "gid://shopify/LineItem/1"}],
                    "pageInfo": {"hasNextPage": True, "endCursor": "c1"},
                },
                "discountApplications": empty,
                "refunds": [],
            }
            return {"orders": {"nodes": [node], "pageInfo": {"hasNextPage": False}}}
        if query.startswith("query More"):
            assert variables == {"id": ORDER["id"], "after": "c1"}
            rest = [{"__typename": "LineItem", "id": f"gid://shopify/LineItem/{n}"} for n in (2, 3)]
            return {"node": {"lineItems": {"nodes": rest, "pageInfo": {"hasNextPage": False}}}}
        raise AssertionError(query)


def test_plain_pages_follow_up_nested_connections_cut_at_their_first():
    shopify = FakePages()
    reader = PlainReader(cast(ShopifyClient, shopify), q.ORDERS, 50, LOG)
    lines = list(reader.lines(None, None))
    items = [line["id"] for line in lines if line["__typename"] == "LineItem"]
    assert items == [f"gid://shopify/LineItem/{n}" for n in (1, 2, 3)]
    assert all(line["__parentId"] == ORDER["id"] for line in lines[1:])
    assert "lineItems" not in lines[0]


def test_resume_adopts_only_a_job_whose_query_is_the_one_this_run_builds():
    since = "2026-01-01T00:00:00Z"
    mine = q.bulk_query(q.ORDERS, q.search(q.ORDERS, since, "2026-01-02T03:04:05Z"))
    other_window = q.bulk_query(q.ORDERS, q.search(q.ORDERS, "2025-12-31T00:00:00Z", None))
    other_root = q.bulk_query(q.CUSTOMERS, q.search(q.CUSTOMERS, since, "2026-01-02T03:04:05Z"))
    shopify = FakeShopify([(2, [ORDER, LINE])])
    shopify.started = 1  # the killed run's job: number 1
    shopify.open = {
        "edges": [
            {
                "node": {
                    "id": "gid://shopify/BulkOperation/9",
                    "status": "COMPLETED",
                    "url": "u",
                    "query": query,
                }
            }
            for query in (other_window, other_root, mine.replace("name", "nom"))
        ]
        + [{"node": {**shopify._job(), "query": mine}}]
    }
    reader = bulk(shopify)
    assert list(reader.lines(since, "2026-01-02T09:00:00Z")) == [ORDER, LINE]
    assert shopify.started == 1  # adopted, no new job
    assert reader.slot.consumed() == "gid://shopify/BulkOperation/1"
    run = [v for query, v in shopify.queries if query.startswith("mutation Run")]
    assert run == []
    assert "groupObjects: false" in q.BULK_RUN


REFUND = "gid://shopify/Refund/7"


class FakeRefunds(FakeShopify):
    """Answers the refund follow-up: one order, one refund, two line items (one id null)."""

    def graphql(self, query: str, variables: dict | None = None, *, what: str) -> dict[str, Any]:
        self.queries.append((query, variables or {}))
        assert query.startswith("query Lists"), query
        item = {
            "__typename": "RefundLineItem",
            "quantity": 1,
            "lineItem": {"id": "gid://shopify/LineItem/2"},
            "subtotalSet": {"shopMoney": {"amount": "10.10"}},
        }
        nodes = [{**item, "id": "gid://shopify/RefundLineItem/5"}, {**item, "id": None}]
        refund = {
            "__typename": "Refund",
            "id": REFUND,
            "refundLineItems": {"nodes": nodes, "pageInfo": {"hasNextPage": False}},
        }
        return {"nodes": [{"id": i, "refunds": [refund]} for i in variables["ids"]]}


def test_refund_lines_follow_the_bulk_export_with_their_order_and_refund_keys():
    from decimal import Decimal

    from tap_shopify_chord.readers import ListFollower
    from tap_shopify_chord.rows import rows_of

    shopify = FakeRefunds([])
    batch = q.list_batch(t.cast("q.ListOf", q.ORDERS.children[2]), 1)
    bulk_lines = [
        {**ORDER, "id": f"gid://shopify/Order/{n}", "refunds": [{"id": REFUND}] if n % 2 else []}
        for n in range(1, 2 * batch + 2)
    ]
    follower = ListFollower(cast(ShopifyClient, shopify), q.ORDERS, LOG)
    lines = list(follower.lines(iter(bulk_lines)))
    batches = [v["ids"] for _, v in shopify.queries]
    assert [len(b) for b in batches] == [batch, 1]  # only orders with refunds
    assert all("refunds(first: 1)" in query for query, _ in shopify.queries)  # as many as exist
    refunds = [
        row for line in lines for table, row in rows_of(line) if table == "order_line_refunds"
    ]
    assert len(refunds) == 2 * (batch + 1)
    first, unnamed = refunds[0], refunds[1]
    assert (first["id"], first["order_id"], first["refund_id"]) == (5, 1, 7)
    assert (unnamed["id"], unnamed["order_id"], unnamed["refund_id"]) == (-7001, 1, 7)
    assert Decimal(first["subtotal"]) == Decimal("10.10")
    assert "refundLineItems" not in q.bulk_query(q.ORDERS, None)  # no connection in a list


def test_api_versions_warn_near_their_end_and_stop_after_it(caplog):
    from datetime import date

    from tap_shopify_chord.client import DEFAULT_VERSION, check_version

    assert DEFAULT_VERSION == "2026-10"
    check_version("2026-10", date(2026, 12, 2), LOG)
    assert not caplog.records
    check_version("2026-01", date(2026, 12, 2), LOG)
    assert caplog.records[-1].getMessage() == (
        "api_version 2026-01 leaves Shopify's support on 2027-01-01 (30 days): move to 2026-10."
    )
    with pytest.raises(SystemExit) as ended:
        check_version("2025-10", date(2026, 12, 2), LOG)
    assert str(ended.value) == (
        "tap-shopify-chord: `api_version` 2025-10 is past Shopify's end of support "
        "(2026-10-01): set `api_version` to 2026-10 (supported: 2026-01, 2026-04, 2026-07, "
        "2026-10)."
    )
    with pytest.raises(SystemExit, match="not a version this tap supports"):
        check_version("2027-01", date(2026, 12, 2), LOG)
