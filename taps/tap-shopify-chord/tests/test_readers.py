"""The readers' guards against silently short data, with a scripted fake Shopify: a bulk job
that claims 0 objects while a plain query finds some, a file shorter than its objectCount,
and plain pages whose nested connections were cut at their inline `first`."""

from __future__ import annotations

import json
import logging
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

    def iter_lines(self) -> Iterator[bytes]:
        for line in self._lines:
            yield json.dumps(line).encode()


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

    def graphql(self, query: str, variables: dict | None = None, *, what: str) -> dict[str, Any]:
        self.queries.append((query, variables or {}))
        if query.startswith("query Current"):
            return {"currentBulkOperation": None}
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
