"""Pinterest API v5 (ads), from Pinterest's OpenAPI description (the models of
Pinterest-Generated-Client 0.1.10; the sandbox tests check these tables against them).

  POST /v5/oauth/token                         refresh_token grant, HTTP Basic client:secret
  GET  /v5/ad_accounts                         bookmark paging: {"items": [...], "bookmark"}
  GET  /v5/ad_accounts/{id}                    the ad account: id, name, owner, country,
                                               currency, permissions, created/updated_time
                                               (no time zone: report dates are UTC days)
  GET  /v5/ad_accounts/{id}/campaigns|ad_groups|ads?page_size=&bookmark=   page_size <= 250
  POST /v5/ad_accounts/{id}/reports            async report -> {"token", "report_status"}
  GET  /v5/ad_accounts/{id}/reports?token=     IN_PROGRESS / FINISHED (+ url, size) / FAILED
  GET  /_files/pinterest/reports/{name}.json   the report file (a pre-signed URL: no auth)

Report request (JSON body): start_date, end_date (<= 90 days per report, none older than
914 days), granularity DAY, level PIN_PROMOTION (the ad level; any other
MetricsReportingLevel is valid but not served, anything else is refused), columns,
report_format JSON. Dates are UTC. The file is a JSON
object keyed by ad id, each a list of daily rows {"DATE", "AD_ID", <columns>...}; money
columns in micro-currency of the account (`*_IN_MICRO_DOLLAR`, despite the name).
Errors are {"code": N, "message": "..."}; 429 carries X-RateLimit-Reset (seconds).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from sandbox.ads.core import (
    ApiError,
    Job,
    Platform,
    basic_credentials,
    dumps,
    json_response,
    owned,
    page_token,
    read_form,
    read_page_token,
    root_url,
)
from sandbox.ads.data import Account, Ad, AdGroup, Campaign, Row, micros

CLIENT_ID = "1500000"  # Pinterest app ids are numeric
CLIENT_SECRET = "sandbox-pinterest-app-secret-0123456789abcdef"
REFRESH_TOKEN = "pinr.sandbox-pinterest-refresh-token"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 250
MAX_REPORT_DAYS = 90
MAX_DAYS_BACK = 914
COLUMNS = {
    "AD_ACCOUNT_ID", "CAMPAIGN_ID", "CAMPAIGN_NAME", "AD_GROUP_ID", "AD_GROUP_NAME", "AD_ID",
    "PIN_ID", "SPEND_IN_MICRO_DOLLAR", "SPEND_IN_DOLLAR", "TOTAL_IMPRESSION", "IMPRESSION_1",
    "TOTAL_CLICKTHROUGH", "CLICKTHROUGH_1", "TOTAL_CONVERSIONS", "TOTAL_CHECKOUT",
    "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR", "CTR", "CPC_IN_MICRO_DOLLAR",
}  # fmt: skip
LEVELS = {
    "ADVERTISER", "ADVERTISER_TARGETING", "CAMPAIGN", "CAMPAIGN_TARGETING", "AD_GROUP",
    "AD_GROUP_TARGETING", "PIN_PROMOTION", "PIN_PROMOTION_TARGETING", "KEYWORD", "PRODUCT_GROUP",
    "PRODUCT_GROUP_TARGETING", "PRODUCT_ITEM", "PRODUCT_ITEM_TARGETING",
}  # fmt: skip
SERVED_LEVEL = "PIN_PROMOTION"
STATUSES = {"pending": "IN_PROGRESS", "running": "IN_PROGRESS", "completed": "FINISHED"} | {
    "failed": "FAILED"
}


def _ts(dt: Any) -> int:
    return int(dt.timestamp())


class Pinterest(Platform):
    name = "pinterest"
    prefix = "/v5"

    def error(self, status: int, code: int, message: str, headers: dict | None = None) -> Response:
        return json_response({"code": code, "message": message}, status, headers)

    def fail(self, message: str, status: int = 400, code: int = 1) -> ApiError:
        return ApiError(self.error(status, code, message))

    def auth_error(self, state: str, request: Request) -> Response:
        message = "Authentication failed." + (
            " The access token has expired." if state == "expired" else ""
        )
        return self.error(401, 2, message)

    def throttled(self, wait: float, request: Request) -> Response:
        reset = str(max(1, round(wait)))
        return self.error(
            429,
            8,
            "You have exceeded your rate limit. Try again later.",
            {"X-RateLimit-Reset": reset, "X-RateLimit-Remaining": "0"},
        )

    def server_error(self, status: int, request: Request) -> Response:
        return self.error(status, 3, "Something went wrong on our end. Please try again.")

    # -- routes -----------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        p = self.prefix
        return [
            self.counted(f"{p}/oauth/token", self.token, ["POST"], "/oauth/token"),
            self.counted(
                "/_files/pinterest/reports/{name}.json", self.download, ["GET"], "/_files/report"
            ),
            self.api(f"{p}/ad_accounts", self.list_accounts, ["GET"], "/ad_accounts"),
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
                self.reports,
                ["GET", "POST"],
                "/ad_accounts/{id}/reports",
            ),
        ]

    async def token(self, request: Request) -> Response:
        stats = self.sandbox.stats
        if basic_credentials(request) != f"{CLIENT_ID}:{CLIENT_SECRET}":
            stats.token_refusals += 1
            return self.error(401, 2, "Authentication failed: invalid client credentials.")
        form = await read_form(request)
        if form.get("grant_type") != "refresh_token":
            stats.token_refusals += 1
            return self.error(400, 1, "grant_type: must be refresh_token (or authorization_code).")
        if form.get("refresh_token") != REFRESH_TOKEN:
            stats.token_refusals += 1
            return self.error(400, 283, "Invalid refresh token.")
        stats.token_grants += 1
        return json_response(
            {
                "access_token": self.sandbox.tokens.issue("pina_sandbox"),
                "token_type": "bearer",
                "expires_in": int(self.sandbox.token_ttl or 2592000),
                "scope": "ads:read user_accounts:read",
                "response_type": "refresh_token",
            }
        )

    def _page(self, request: Request, scope: str, items: list[dict[str, Any]]) -> Response:
        params = request.query_params
        try:
            size = int(params.get("page_size", DEFAULT_PAGE_SIZE))
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise self.fail(f"page_size: must be between 1 and {MAX_PAGE_SIZE}.")
        offset = 0
        if params.get("bookmark"):
            found = read_page_token(scope, params["bookmark"])
            if found is None:
                raise self.fail("Invalid bookmark.")
            offset = found
        chunk = items[offset : offset + size]
        more = offset + size < len(items)
        return json_response(
            {"items": chunk, "bookmark": page_token(scope, offset + size) if more else None}
        )

    async def list_accounts(self, request: Request) -> Response:
        return self._page(request, "ad_accounts", [_account(a) for a in self.sandbox.data.accounts])

    def _account(self, request: Request) -> Account:
        account = self.sandbox.data.account(request.path_params["account_id"])
        if account is None:
            raise self.fail("Ad account not found or not accessible.", 404, 2916)
        return account

    async def get_account(self, request: Request) -> Response:
        return json_response(_account(self._account(request)))

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
            return self._page(request, f"{account.id}/{kind}", items)

        return handler

    async def reports(self, request: Request) -> Response:
        account = self._account(request)
        if request.method == "POST":
            return await self.create_report(request, account)
        token = request.query_params.get("token")
        if not token:
            raise self.fail("token: required (the token POST .../reports returned).")
        job = self.sandbox.jobs.jobs.get(token)
        if job is None or job.account_id != account.id:
            return json_response({"report_status": "DOES_NOT_EXIST", "url": None, "size": None})
        self.sandbox.jobs.poll(job)
        body: dict[str, Any] = {"report_status": STATUSES[job.status], "url": None, "size": None}
        if job.status == "completed":
            body["url"] = f"{root_url(request)}/_files/pinterest/reports/{job.id}.json"
            body["size"] = len(self._file(job))
        return json_response(body)

    async def create_report(self, request: Request, account: Account) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            start = date.fromisoformat(body["start_date"])
            end = date.fromisoformat(body["end_date"])
        except (ValueError, KeyError, TypeError):
            raise self.fail("start_date and end_date are required (YYYY-MM-DD).") from None
        if body.get("granularity") != "DAY":
            raise self.fail("granularity: the sandbox serves DAY only.")
        level = body.get("level")
        if level not in LEVELS:
            raise self.fail(f"Invalid parameters: level: {level!r} is not one of {sorted(LEVELS)}.")
        if level != SERVED_LEVEL:
            raise self.fail(f"level: the sandbox serves {SERVED_LEVEL} only.")
        if body.get("report_format", "JSON") != "JSON":
            raise self.fail("report_format: the sandbox serves JSON only.")
        columns = body.get("columns")
        if not isinstance(columns, list) or not columns:
            raise self.fail("columns: a non-empty list is required.")
        unknown = sorted(set(columns) - COLUMNS)
        if unknown:
            raise self.fail(f"columns: unsupported {unknown}.")
        if start > end:
            raise self.fail("start_date must not be after end_date.")
        if (end - start).days + 1 > MAX_REPORT_DAYS:
            raise self.fail(f"The date range cannot exceed {MAX_REPORT_DAYS} days.")
        if start < account.today - timedelta(days=MAX_DAYS_BACK):
            raise self.fail(f"start_date cannot be more than {MAX_DAYS_BACK} days ago.")
        token = secrets.token_hex(16)
        job = self.sandbox.jobs.create(account.id, start, end, {"columns": columns}, token)
        return json_response(
            {
                "report_status": STATUSES[job.status],
                "token": job.id,
                "message": None,
            }
        )

    def _file(self, job: Job) -> bytes:
        cached = job.params.get("_file")
        if cached is None:
            account = self.sandbox.data.account(job.account_id)
            assert account is not None
            by_ad: dict[str, list[dict[str, Any]]] = {}
            for row in job.rows:
                by_ad.setdefault(row.ad_id, []).append(
                    self._row(row, job.params["columns"], account)
                )
            cached = job.params["_file"] = dumps(by_ad)
        return cached

    async def download(self, request: Request) -> Response:
        job = self.sandbox.jobs.jobs.get(request.path_params["name"])
        if job is None or job.status != "completed":
            return Response(
                "<Error><Code>NoSuchKey</Code></Error>", 404, media_type="application/xml"
            )
        self.sandbox.stats.downloads += 1
        body = self._file(job)
        if self.sandbox.stats.downloads <= self.sandbox.cut_downloads:
            return StreamingResponse(_cut(body), media_type="application/json")
        return Response(body, media_type="application/json")

    def _row(self, row: Row, columns: list[str], account: Account) -> dict[str, Any]:
        names = self.sandbox.data.names
        spend = micros(row.spend, account.digits)
        values: dict[str, Any] = {
            "AD_ACCOUNT_ID": account.id,
            "CAMPAIGN_ID": int(row.campaign_id),
            "CAMPAIGN_NAME": names[row.campaign_id],
            "AD_GROUP_ID": int(row.ad_group_id),
            "AD_GROUP_NAME": names[row.ad_group_id],
            "AD_ID": int(row.ad_id),
            "PIN_ID": int(row.ad_id) + 1,
            "SPEND_IN_MICRO_DOLLAR": spend,
            "SPEND_IN_DOLLAR": spend / 1_000_000,
            "TOTAL_IMPRESSION": row.impressions,
            "IMPRESSION_1": row.impressions,
            "TOTAL_CLICKTHROUGH": row.clicks,
            "CLICKTHROUGH_1": row.clicks,
            "TOTAL_CONVERSIONS": int(row.conversions),
            "TOTAL_CHECKOUT": int(row.conversions),
            "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR": micros(row.conversion_value, account.digits),
            "CTR": round(row.clicks / row.impressions, 6),
            "CPC_IN_MICRO_DOLLAR": round(spend / row.clicks, 2) if row.clicks else 0,
        }
        return {"DATE": row.day.isoformat(), **{c: values[c] for c in columns}}

    def tap_config(self, url: str) -> dict[str, Any]:
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "ad_account_ids": [a.id for a in self.sandbox.data.accounts],
            "api_url": f"{url}{self.prefix}",
        }


async def _cut(body: bytes) -> AsyncIterator[bytes]:
    """Half of the file, then the connection drops (a cut chunked transfer)."""
    yield body[: len(body) // 2]
    raise ConnectionResetError("download cut (sandbox fault)")


def _account(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "owner": {"username": "acme_commerce", "id": "1045904510230"},
        "country": "US" if a.currency == "USD" else "GB",
        "currency": a.currency,
        "permissions": ["OWNER"],
        "created_time": _ts(a.created),
        "updated_time": _ts(a.created + timedelta(days=10)),
    }


def _status(active: bool) -> str:
    return "ACTIVE" if active else "PAUSED"


def _campaign(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "ad_account_id": c.account_id,
        "name": c.name,
        "status": _status(c.active),
        "objective_type": {"CONVERSIONS": "WEB_CONVERSION", "TRAFFIC": "CONSIDERATION"}.get(
            c.objective, "AWARENESS"
        ),
        "daily_spend_cap": c.daily_budget * 10_000,
        "lifetime_spend_cap": None,
        "tracking_urls": None,
        "start_time": _ts(c.created),
        "end_time": None,
        "summary_status": "RUNNING" if c.active else "PAUSED",
        "created_time": _ts(c.created),
        "updated_time": _ts(c.created + timedelta(days=2)),
        "type": "campaign",
    }


def _ad_group(g: AdGroup) -> dict[str, Any]:
    return {
        "id": g.id,
        "ad_account_id": g.account_id,
        "campaign_id": g.campaign_id,
        "name": g.name,
        "status": _status(g.active),
        "bid_in_micro_currency": g.bid * 10_000,
        "budget_type": "CBO_ADGROUP",
        "billable_event": "CLICKTHROUGH",
        "summary_status": "RUNNING" if g.active else "PAUSED",
        "created_time": _ts(g.created),
        "updated_time": _ts(g.created + timedelta(days=1)),
        "type": "adgroup",
    }


def _ad(a: Ad) -> dict[str, Any]:
    return {
        "id": a.id,
        "ad_account_id": a.account_id,
        "campaign_id": a.campaign_id,
        "ad_group_id": a.ad_group_id,
        "pin_id": str(int(a.id) + 1),
        "name": a.name,
        "status": _status(a.active),
        "creative_type": "REGULAR",
        "destination_url": a.url,
        "review_status": "APPROVED",
        "summary_status": "APPROVED" if a.active else "PAUSED",
        "created_time": _ts(a.created),
        "updated_time": _ts(a.created + timedelta(hours=5)),
        "type": "pinpromotion",
    }
