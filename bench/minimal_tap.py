"""The SDK floor: the simplest singer-sdk tap that emits the same review records as tap-okendo.

Same REVIEW_SCHEMA (so the SDK does the same conformance work), one page per request over
Okendo's relative `nextUrl`, JSON parsed once per page. No pacing, no retry customisation,
no credential checks, no sync_runs ledger. Run: `python bench/minimal_tap.py --config cfg.json`.
"""

from __future__ import annotations

import decimal
import typing as t
from datetime import UTC, datetime
from urllib.parse import ParseResult, parse_qsl

from requests.auth import HTTPBasicAuth
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.pagination import BaseHATEOASPaginator
from singer_sdk.streams import RESTStream
from tap_okendo.streams import REVIEW_SCHEMA

if t.TYPE_CHECKING:
    import requests

STATUSES = ["approved", "pending", "rejected"]


def _body(response: requests.Response) -> dict[str, t.Any]:
    if "_body" not in response.__dict__:
        response.__dict__["_body"] = response.json(parse_float=decimal.Decimal)
    return response.__dict__["_body"]


class NextUrl(BaseHATEOASPaginator):
    def get_next_url(self, response: requests.Response) -> str | None:
        return _body(response).get("nextUrl")


class Reviews(RESTStream[ParseResult]):
    name = "reviews"
    path = "/reviews"
    primary_keys = ("reviewId",)
    schema = REVIEW_SCHEMA

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.started_at = datetime.now(UTC).isoformat()

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"])

    @property
    def http_headers(self) -> dict[str, str]:
        return {"okendo-api-version": "2025-02-01"}

    @property
    def authenticator(self) -> HTTPBasicAuth:
        return HTTPBasicAuth(self.config["user_id"], self.config["api_key"])

    @property
    def partitions(self) -> list[dict[str, t.Any]]:
        return [{"status": s} for s in self.config.get("review_statuses", STATUSES)]

    def get_new_paginator(self) -> NextUrl:
        return NextUrl()

    def get_url_params(self, context: t.Any, next_page_token: ParseResult | None) -> dict:
        if next_page_token is not None:
            return dict(parse_qsl(next_page_token.query))
        return {"status": context["status"], "limit": 100, "orderBy": "date asc"}

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        yield from _body(response)["reviews"]

    def post_process(self, row: dict, context: t.Any = None) -> dict:
        row["_sync_started_at"] = self.started_at
        return row


class MinimalTap(Tap):
    name = "minimal-okendo"
    config_jsonschema = th.PropertiesList(
        th.Property("api_url", th.StringType, required=True),
        th.Property("user_id", th.StringType, required=True),
        th.Property("api_key", th.StringType, required=True),
        th.Property("review_statuses", th.ArrayType(th.StringType)),
    ).to_dict()

    def discover_streams(self) -> list[Stream]:
        return [Reviews(self)]


if __name__ == "__main__":
    MinimalTap.cli()
