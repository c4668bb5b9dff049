"""Reddit Ads API v3. Reddit publishes no machine-readable definition of it (no SDK or
OpenAPI description on a registry): this follows the Reddit Ads API v3 documentation,
https://ads-api.reddit.com/docs/v3/ ("Get a Report": at most three breakdowns; SPEND and the
other cost fields in microcurrency, CONVERSION_*_TOTAL_VALUE in cents), transcribed in
sandbox.ads.contracts.REDDIT, which the sandbox tests hold these tables to.

  POST /api/v1/access_token                    refresh_token grant, HTTP Basic client:secret,
                                               User-Agent required (429 without one)
  GET  /api/v3/ad_accounts/{id}                {"data": {...currency, time_zone_id...}}
  GET  /api/v3/ad_accounts/{id}/campaigns|ad_groups|ads?page.size=
                                               {"data": [...], "pagination": {"next_url"}}:
                                               next_url is absolute and carries page.size
  POST /api/v3/ad_accounts/{id}/reports        {"data": {"breakdowns": ["AD_ID", "DATE"],
                                               "fields": [...], "starts_at", "ends_at",
                                               "time_zone_id"}} -> {"data": {"metrics": [...]},
                                               "pagination": {"next_url"}}; a next page is the
                                               same body POSTed to next_url
  *    /api/v2*                                410 Gone

API calls need `Authorization: Bearer T` and a User-Agent that is not a library default
(Reddit throttles generic agents: the sandbox answers 429 for a missing one or
python-requests' default). Errors: {"error": {"code": N, "message": "..."}}; 429 carries
`x-ratelimit-reset` (seconds), `x-ratelimit-remaining`, `x-ratelimit-used`.

Reports: starts_at / ends_at are ISO 8601 timestamps whose wall-clock date and time are read
in `time_zone_id` (which must be the account's zone or left out); both must fall on
midnight, ends_at exclusive: one day is starts_at=2026-11-01T00:00:00Z,
ends_at=2026-11-02T00:00:00Z. Fields served: IMPRESSIONS, CLICKS, SPEND (micros), CPC, CTR,
ECPM, CONVERSION_PURCHASE_CLICKS, CONVERSION_PURCHASE_VIEWS (post-click and post-view
purchases: conversions are their sum), CONVERSION_PURCHASE_TOTAL_VALUE (cents).
Breakdowns: at most three; the sandbox serves AD_ID and DATE with one of CAMPAIGN_ID or
AD_GROUP_ID; more than three is refused as Reddit refuses it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.ads.core import (
    ApiError,
    Platform,
    basic_credentials,
    json_response,
    owned,
    page_token,
    read_form,
    read_page_token,
    root_url,
)
from sandbox.ads.data import Account, Ad, AdGroup, Campaign, Row, micros

CLIENT_ID = "sandboxRedditClientId"
CLIENT_SECRET = "sandbox-reddit-client-secret-0123456789"
REFRESH_TOKEN = "sandbox-reddit-refresh-token-0123456789"
USER_AGENT = "tap-ads/0.1 (sandbox; by /u/acme_data)"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
FIELDS = {
    "IMPRESSIONS", "CLICKS", "SPEND", "CPC", "CTR", "ECPM", "CONVERSION_PURCHASE_CLICKS",
    "CONVERSION_PURCHASE_VIEWS", "CONVERSION_PURCHASE_TOTAL_VALUE",
}  # fmt: skip
BREAKDOWNS = {"AD_ID", "DATE", "CAMPAIGN_ID", "AD_GROUP_ID"}
MAX_BREAKDOWNS = 3
GENERIC_AGENTS = ("python-requests/",)


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class Reddit(Platform):
    name = "reddit"
    prefix = "/api/v3"

    def error(self, status: int, message: str, headers: dict | None = None) -> Response:
        return json_response({"error": {"code": status, "message": message}}, status, headers)

    def fail(self, message: str, status: int = 400) -> ApiError:
        return ApiError(self.error(status, message))

    def _agent_refused(self, request: Request) -> Response | None:
        agent = request.headers.get("user-agent", "").strip()
        if agent and not agent.startswith(GENERIC_AGENTS):
            return None
        return self.error(
            429,
            "Too Many Requests: send a unique, descriptive User-Agent "
            "(<platform>:<app id>:<version> (by /u/<username>)).",
            {"x-ratelimit-reset": "60", "x-ratelimit-remaining": "0", "x-ratelimit-used": "1"},
        )

    def precheck(self, request: Request) -> Response | None:
        return self._agent_refused(request)

    def auth_error(self, state: str, request: Request) -> Response:
        message = "Unauthorized" + (": the access token has expired" if state == "expired" else "")
        return self.error(401, message)

    def throttled(self, wait: float, request: Request) -> Response:
        return self.error(
            429,
            "Too Many Requests",
            {
                "x-ratelimit-reset": str(max(1, round(wait))),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "100",
            },
        )

    def server_error(self, status: int, request: Request) -> Response:
        return self.error(status, "Internal Server Error")

    # -- routes -----------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        p = self.prefix
        return [
            self.counted("/api/v1/access_token", self.token, ["POST"], "/api/v1/access_token"),
            Route("/api/v2{rest:path}", self.gone, methods=["GET", "POST", "PUT", "DELETE"]),
            self.api(
                f"{p}/ad_accounts/{{account_id}}", self.get_account, ["GET"], "/ad_accounts/{id}"
            ),
            *(
                self.api(
                    f"{p}/ad_accounts/{{account_id}}/{kind}",
                    self.lister(kind),
                    ["GET"],
                    f"/ad_accounts/{{id}}/{kind}",
                )
                for kind in ("campaigns", "ad_groups", "ads")
            ),
            self.api(
                f"{p}/ad_accounts/{{account_id}}/reports",
                self.report,
                ["POST"],
                "/ad_accounts/{id}/reports",
            ),
        ]

    async def gone(self, request: Request) -> Response:
        return self.error(410, "API v2 is gone: use /api/v3.")

    async def token(self, request: Request) -> Response:
        stats = self.sandbox.stats
        refused = self._agent_refused(request)
        if refused is not None:
            stats.token_refusals += 1
            return refused
        if basic_credentials(request) != f"{CLIENT_ID}:{CLIENT_SECRET}":
            stats.token_refusals += 1
            return json_response({"message": "Unauthorized", "error": 401}, 401)
        form = await read_form(request)
        if form.get("grant_type") != "refresh_token":
            stats.token_refusals += 1
            return json_response({"error": "unsupported_grant_type"}, 400)
        if form.get("refresh_token") != REFRESH_TOKEN:
            stats.token_refusals += 1
            return json_response({"error": "invalid_grant"}, 400)
        stats.token_grants += 1
        return json_response(
            {
                "access_token": self.sandbox.tokens.issue("eyJhbGciOiJSUzI1NiJ9.sandbox-"),
                "token_type": "bearer",
                "expires_in": int(self.sandbox.token_ttl or 86400),
                "scope": "adsread",
            }
        )

    def _account(self, request: Request) -> Account:
        account = self.sandbox.data.account(request.path_params["account_id"])
        if account is None:
            raise self.fail("Ad account not found or you do not have access to it.", 404)
        return account

    async def get_account(self, request: Request) -> Response:
        a = self._account(request)
        return json_response(
            {
                "data": {
                    "id": a.id,
                    "name": a.name,
                    "currency": a.currency,
                    "time_zone_id": a.time_zone,
                    "business_id": "b2_sandboxacme",
                    "type": "MANAGED",
                    "attribution_type": "CLICK_THROUGH_CONVERSION",
                    "click_attribution_window": "WEEK",
                    "view_attribution_window": "DAY",
                    "admin_approval": "APPROVED",
                    "created_at": _ts(a.created),
                    "modified_at": _ts(a.created + timedelta(days=10)),
                }
            }
        )

    def _page_args(self, request: Request, scope: str) -> tuple[int, int]:
        params = request.query_params
        try:
            size = int(params.get("page.size", DEFAULT_PAGE_SIZE))
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise self.fail(f"page.size: must be between 1 and {MAX_PAGE_SIZE}.")
        offset = 0
        if params.get("page.token"):
            found = read_page_token(scope, params["page.token"])
            if found is None:
                raise self.fail("page.token: invalid or for another request.")
            offset = found
        return offset, size

    def _pagination(self, request: Request, scope: str, offset: int, size: int, total: int) -> dict:
        next_url = None
        if offset + size < total:
            query = urlencode({"page.size": size, "page.token": page_token(scope, offset + size)})
            next_url = f"{root_url(request)}{request.url.path}?{query}"
        return {"next_url": next_url, "previous_url": None}

    def lister(self, kind: str) -> Any:
        shapes: dict[str, Callable[[Any], dict[str, Any]]] = {
            "campaigns": _campaign,
            "ad_groups": _ad_group,
            "ads": _ad,
        }
        shape = shapes[kind]

        async def handler(request: Request) -> Response:
            account = self._account(request)
            items = [shape(item) for item in owned(self.sandbox.data, kind, account.id)]
            scope = f"{account.id}/{kind}"
            offset, size = self._page_args(request, scope)
            return json_response(
                {
                    "data": items[offset : offset + size],
                    "pagination": self._pagination(request, scope, offset, size, len(items)),
                }
            )

        return handler

    async def report(self, request: Request) -> Response:
        account = self._account(request)
        raw = await request.body()
        try:
            spec = json.loads(raw or b"{}")["data"]
            breakdowns, fields = spec["breakdowns"], spec["fields"]
            starts = datetime.fromisoformat(spec["starts_at"].replace("Z", "+00:00"))
            ends = datetime.fromisoformat(spec["ends_at"].replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self.fail(
                'body: expected {"data": {"breakdowns", "fields", "starts_at", "ends_at", '
                '"time_zone_id"}} with ISO 8601 timestamps'
            ) from None
        if not isinstance(breakdowns, list) or len(breakdowns) > MAX_BREAKDOWNS:
            raise self.fail(
                f"breakdowns: at most {MAX_BREAKDOWNS} breakdowns are allowed "
                f"(got {len(breakdowns) if isinstance(breakdowns, list) else breakdowns!r})."
            )
        if not {"AD_ID", "DATE"} <= set(breakdowns) or not set(breakdowns) <= BREAKDOWNS:
            raise self.fail(
                "breakdowns: the sandbox serves AD_ID and DATE (optionally CAMPAIGN_ID, "
                "AD_GROUP_ID)."
            )
        unknown = sorted(set(fields) - FIELDS) if isinstance(fields, list) else ["<not a list>"]
        if not fields or unknown:
            raise self.fail(f"fields: unsupported {unknown}.")
        zone = spec.get("time_zone_id") or account.time_zone
        if zone != account.time_zone:
            raise self.fail(
                f"time_zone_id: the sandbox reports in the account's zone ({account.time_zone})."
            )
        if (starts.hour, starts.minute, starts.second) != (0, 0, 0) or (
            ends.hour,
            ends.minute,
            ends.second,
        ) != (0, 0, 0):
            raise self.fail("starts_at and ends_at must fall on midnight (ends_at exclusive).")
        start, end = starts.date(), ends.date() - timedelta(days=1)
        if start > end:
            raise self.fail("ends_at must be after starts_at.")
        rows = list(self.sandbox.data.iter_rows(account.id, start, end))
        scope = f"{account.id}/report/{hashlib.sha256(raw).hexdigest()}"
        offset, size = self._page_args(request, scope)
        metrics = [self._row(r, breakdowns, fields, account) for r in rows[offset : offset + size]]
        return json_response(
            {
                "data": {
                    "metrics": metrics,
                    "metrics_updated_at": _ts(datetime.now().astimezone()),
                },
                "pagination": self._pagination(request, scope, offset, size, len(rows)),
            }
        )

    def _row(
        self, row: Row, breakdowns: list[str], fields: list[str], account: Account
    ) -> dict[str, Any]:
        spend = micros(row.spend, account.digits)
        views = int(row.conversions) // 3
        values: dict[str, Any] = {
            "ad_id": row.ad_id,
            "date": row.day.isoformat(),
            "campaign_id": row.campaign_id,
            "ad_group_id": row.ad_group_id,
            "impressions": row.impressions,
            "clicks": row.clicks,
            "spend": spend,
            "cpc": round(spend / row.clicks) if row.clicks else 0,
            "ctr": round(row.clicks / row.impressions, 6),
            "ecpm": round(spend * 1000 / row.impressions),
            "conversion_purchase_clicks": int(row.conversions) - views,
            "conversion_purchase_views": views,
            "conversion_purchase_total_value": row.conversion_value * 10 ** (2 - account.digits),
        }
        keys = [b.lower() for b in breakdowns] + [f.lower() for f in fields]
        return {k: values[k] for k in keys}

    def tap_config(self, url: str) -> dict[str, Any]:
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "ad_account_ids": [a.id for a in self.sandbox.data.accounts],
            "user_agent": USER_AGENT,
            "api_url": f"{url}{self.prefix}",
            "token_url": f"{url}/api/v1/access_token",
        }


def _status(active: bool) -> str:
    return "ACTIVE" if active else "PAUSED"


def _campaign(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "ad_account_id": c.account_id,
        "name": c.name,
        "configured_status": _status(c.active),
        "effective_status": _status(c.active),
        "objective": {"CONVERSIONS": "CONVERSIONS", "TRAFFIC": "CLICKS"}.get(
            c.objective, "IMPRESSIONS"
        ),
        "spend_cap": None,
        "funding_instrument_id": "fi_sandbox01",
        "created_at": _ts(c.created),
        "modified_at": _ts(c.created + timedelta(days=2)),
    }


def _ad_group(g: AdGroup) -> dict[str, Any]:
    return {
        "id": g.id,
        "ad_account_id": g.account_id,
        "campaign_id": g.campaign_id,
        "name": g.name,
        "configured_status": _status(g.active),
        "effective_status": _status(g.active),
        "bid_strategy": "MANUAL_BIDDING",
        "bid_value": g.bid * 10_000,
        "goal_type": "DAILY_SPEND",
        "created_at": _ts(g.created),
        "modified_at": _ts(g.created + timedelta(days=1)),
    }


def _ad(a: Ad) -> dict[str, Any]:
    return {
        "id": a.id,
        "ad_account_id": a.account_id,
        "campaign_id": a.campaign_id,
        "ad_group_id": a.ad_group_id,
        "name": a.name,
        "configured_status": _status(a.active),
        "effective_status": _status(a.active),
        "type": "IMAGE",
        "post_id": f"t3_{a.creative_id[-7:]}",
        "click_url": a.url,
        "created_at": _ts(a.created),
        "modified_at": _ts(a.created + timedelta(hours=5)),
    }
