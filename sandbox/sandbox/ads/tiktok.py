"""TikTok Business API v1.3, as ../../shared/vendors/ads.md describes it.

  GET /open_api/v1.3/advertiser/info/?advertiser_ids=["..."]
  GET /open_api/v1.3/campaign/get/ | adgroup/get/ | ad/get/?advertiser_id=&page=&page_size=
      page_size <= 1000; data {"list": [...], "page_info": {page, page_size, total_number,
      total_page}}
  GET /open_api/v1.3/report/integrated/get/?advertiser_id=&report_type=BASIC
      &data_level=AUCTION_AD&dimensions=["ad_id","stat_time_day"]&metrics=[...]
      &start_date=&end_date=&page=&page_size=   (<= 30 days per call with a daily dimension)

Header `Access-Token: T` (long-lived; no token endpoint). Every answer is HTTP 200 with
{"code", "message", "request_id", "data"}: code 0 is success. Codes are TikTok's code table
(tiktok-business-api-sdk's NumericErrorCodes; the sandbox tests check them against it):
40001 PERMISSION_ERROR for an advertiser not granted, 40002 PARAM_ERROR for a bad parameter
(also a date range over the limit: the table has no "too large" code), 40100
REQUEST_TOO_FREQUENT throttled, 40102 ACCESS_TOKEN_EXPIRE, 40105 INVALID_ACCESS_TOKEN,
51000 RPC_ERROR server error (with `error_rate`, a third of the 5xx faults are instead
an HTTP 502 HTML page from the gateway). JSON-array parameters are JSON-encoded strings, as the
real API takes them in a query string. Metric values are strings.

Report metrics served: spend, impressions, clicks, conversion, complete_payment,
total_complete_payment_rate (TikTok's name for the total purchase value), cpc, cpm, ctr,
conversion_rate, cost_per_conversion, and the attributes campaign_id, campaign_name,
adgroup_id, adgroup_name, ad_name.
"""

from __future__ import annotations

import json
import math
import secrets
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from sandbox.ads.core import AdsSandbox, ApiError, Platform, json_response
from sandbox.ads.data import Account, Ad, AdGroup, Campaign, Row, dec_text, money

PREFIX = "/open_api/v1.3"
ACCESS_TOKEN = "sandbox0tiktok0access0token0123456789abcdef"  # public sandbox constant
MAX_PAGE_SIZE = 1000
MAX_REPORT_DAYS = 30
# The codes the sandbox answers, by their names in TikTok's code table (NumericErrorCodes).
CODES = {
    "OK": 0,
    "PERMISSION_ERROR": 40001,
    "PARAM_ERROR": 40002,
    "REQUEST_TOO_FREQUENT": 40100,
    "ACCESS_TOKEN_EXPIRE": 40102,
    "EMPTY_ACCESS_TOKEN": 40104,
    "INVALID_ACCESS_TOKEN": 40105,
    "RPC_ERROR": 51000,
}
METRICS = {
    "spend", "impressions", "clicks", "conversion", "complete_payment",
    "total_complete_payment_rate", "cpc", "cpm", "ctr", "conversion_rate",
    "cost_per_conversion", "campaign_id", "campaign_name", "adgroup_id", "adgroup_name",
    "ad_name",
}  # fmt: skip


def _time(dt: Any) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def _q(value: Decimal) -> str:
    return dec_text(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


class TikTok(Platform):
    name = "tiktok"
    prefix = PREFIX

    def __init__(self, sandbox: AdsSandbox) -> None:
        super().__init__(sandbox)
        sandbox.tokens.issue("", ACCESS_TOKEN)

    # -- shapes -----------------------------------------------------------------------
    def answer(self, code: int, message: str, data: Any = None) -> Response:
        body = {
            "code": code,
            "message": message,
            "request_id": secrets.token_hex(12),
            "data": {} if data is None else data,
        }
        return json_response(body, 200)

    def fail(self, code: int, message: str) -> ApiError:
        return ApiError(self.answer(code, message))

    def read_token(self, request: Request) -> str | None:
        return request.headers.get("access-token")

    def auth_error(self, state: str, request: Request) -> Response:
        if state == "expired":
            return self.answer(
                CODES["ACCESS_TOKEN_EXPIRE"], "The access token has expired. Please re-authorize."
            )
        if state == "missing":
            return self.answer(CODES["EMPTY_ACCESS_TOKEN"], "Access token is null.")
        return self.answer(
            CODES["INVALID_ACCESS_TOKEN"], "Access token is incorrect or has been revoked."
        )

    def throttled(self, wait: float, request: Request) -> Response:
        return self.answer(
            40100, "Too many requests. Please retry in some time. (QPS limit reached)"
        )

    def server_error(self, status: int, request: Request) -> Response:
        # TikTok reports its own server trouble in the body (HTTP 200, code 51xxx); a 502
        # comes from the gateway in front of it, as an HTML page.
        if status == 502:
            return Response(
                "<html><body><h1>502 Bad Gateway</h1></body></html>", 502, media_type="text/html"
            )
        return self.answer(51000, "System error. Please try again later.")

    # -- routes -----------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            self.api(
                f"{PREFIX}/advertiser/info/", self.advertiser_info, ["GET"], "/advertiser/info/"
            ),
            self.api(f"{PREFIX}/campaign/get/", self.campaigns, ["GET"], "/campaign/get/"),
            self.api(f"{PREFIX}/adgroup/get/", self.adgroups, ["GET"], "/adgroup/get/"),
            self.api(f"{PREFIX}/ad/get/", self.ads, ["GET"], "/ad/get/"),
            self.api(
                f"{PREFIX}/report/integrated/get/", self.report, ["GET"], "/report/integrated/get/"
            ),
        ]

    def _json_list(self, request: Request, name: str, *, required: bool = True) -> list[Any]:
        raw = request.query_params.get(name)
        if raw is None:
            if required:
                raise self.fail(40002, f"{name}: Missing data for required field.")
            return []
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, list):
            raise self.fail(40002, f"{name}: Not a valid list (send a JSON array).")
        return value

    def _advertiser(self, request: Request) -> Account:
        advertiser_id = request.query_params.get("advertiser_id")
        if not advertiser_id:
            raise self.fail(40002, "advertiser_id: Missing data for required field.")
        account = self.sandbox.data.account(advertiser_id)
        if account is None:
            raise self.fail(
                40001, f"No permission to operate advertiser {advertiser_id}, or it does not exist."
            )
        return account

    def _page_args(self, request: Request) -> tuple[int, int]:
        try:
            page = int(request.query_params.get("page", "1"))
            size = int(request.query_params.get("page_size", "10"))
        except ValueError:
            raise self.fail(40002, "page / page_size: Not a valid integer.") from None
        if page < 1:
            raise self.fail(40002, "page: Must be greater than or equal to 1.")
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise self.fail(40002, f"page_size: Must be between 1 and {MAX_PAGE_SIZE}.")
        return page, size

    def _paged(self, request: Request, items: list[dict[str, Any]]) -> Response:
        page, size = self._page_args(request)
        fields = self._json_list(request, "fields", required=False)
        chunk = items[(page - 1) * size : page * size]
        if fields:
            chunk = [{k: item[k] for k in fields if k in item} for item in chunk]
        page_info = {
            "page": page,
            "page_size": size,
            "total_number": len(items),
            "total_page": math.ceil(len(items) / size),
        }
        return self.answer(0, "OK", {"list": chunk, "page_info": page_info})

    async def advertiser_info(self, request: Request) -> Response:
        ids = self._json_list(request, "advertiser_ids")
        if not ids or len(ids) > 100:
            raise self.fail(40002, "advertiser_ids: Length must be between 1 and 100.")
        found = []
        for advertiser_id in ids:
            account = self.sandbox.data.account(str(advertiser_id))
            if account is None:
                raise self.fail(40001, f"No permission to operate advertiser {advertiser_id}.")
            found.append(
                {
                    "advertiser_id": account.id,
                    "name": account.name,
                    "currency": account.currency,
                    # TikTok also sends `timezone`; the docs are unclear whether it is an
                    # IANA name or an "Etc/GMT+5" offset, so the sandbox sends the IANA
                    # name in both and the tap should read display_timezone.
                    "timezone": account.time_zone,
                    "display_timezone": account.time_zone,
                    "status": "STATUS_ENABLE",
                    "company": "Acme Commerce",
                    "country": "US",
                    "create_time": int(account.created.timestamp()),
                }
            )
        return self.answer(0, "OK", {"list": found})

    def _account_items(self, request: Request, kind: str) -> list[dict[str, Any]]:
        account = self._advertiser(request)
        if request.query_params.get("filtering"):
            raise self.fail(40002, "filtering: the sandbox serves unfiltered lists only.")
        data = self.sandbox.data
        if kind == "campaign":
            return [_campaign(c) for c in data.campaigns if c.account_id == account.id]
        if kind == "adgroup":
            return [_adgroup(g) for g in data.ad_groups if g.account_id == account.id]
        return [_ad(a) for a in data.ads if a.account_id == account.id]

    async def campaigns(self, request: Request) -> Response:
        return self._paged(request, self._account_items(request, "campaign"))

    async def adgroups(self, request: Request) -> Response:
        return self._paged(request, self._account_items(request, "adgroup"))

    async def ads(self, request: Request) -> Response:
        return self._paged(request, self._account_items(request, "ad"))

    async def report(self, request: Request) -> Response:
        params = request.query_params
        account = self._advertiser(request)
        if params.get("report_type") != "BASIC":
            raise self.fail(40002, "report_type: the sandbox serves BASIC reports only.")
        if params.get("data_level") != "AUCTION_AD":
            raise self.fail(40002, "data_level: the sandbox serves AUCTION_AD only.")
        if params.get("service_type", "AUCTION") != "AUCTION":
            raise self.fail(40002, "service_type: must be AUCTION.")
        dimensions = self._json_list(request, "dimensions")
        if sorted(dimensions) != ["ad_id", "stat_time_day"]:
            raise self.fail(
                40002, 'dimensions: the sandbox serves ["ad_id", "stat_time_day"] only.'
            )
        metrics = self._json_list(request, "metrics")
        unknown = [m for m in metrics if m not in METRICS]
        if not metrics or unknown:
            raise self.fail(40002, f"metrics: invalid or unsupported metrics {unknown}.")
        try:
            start = date.fromisoformat(params["start_date"])
            end = date.fromisoformat(params["end_date"])
        except (KeyError, ValueError):
            raise self.fail(40002, "start_date / end_date: required, YYYY-MM-DD.") from None
        if start > end:
            raise self.fail(40002, "start_date must not be after end_date.")
        days = (end - start).days + 1
        limit = min(MAX_REPORT_DAYS, self.sandbox.max_job_days or MAX_REPORT_DAYS)
        if days > limit:
            self.sandbox.jobs.failed += 1  # counted with the async platforms' too-large jobs
            raise self.fail(
                CODES["PARAM_ERROR"],
                f"The time range of a report with a daily dimension cannot exceed {limit} "
                f"days (got {days}); split it into smaller ranges.",
            )
        rows = list(self.sandbox.data.iter_rows(account.id, start, end))
        page, size = self._page_args(request)
        chunk = rows[(page - 1) * size : page * size]
        items = [self._report_row(r, metrics, account) for r in chunk]
        page_info = {
            "page": page,
            "page_size": size,
            "total_number": len(rows),
            "total_page": math.ceil(len(rows) / size),
        }
        return self.answer(0, "OK", {"list": items, "page_info": page_info})

    def _report_row(self, row: Row, metrics: list[str], account: Account) -> dict[str, Any]:
        data = self.sandbox.data
        names = data.names
        spend = money(row.spend, account.digits)
        conversions = row.conversions
        values = {
            "spend": dec_text(spend),
            "impressions": str(row.impressions),
            "clicks": str(row.clicks),
            "conversion": dec_text(conversions),
            "complete_payment": dec_text(conversions),
            "total_complete_payment_rate": dec_text(money(row.conversion_value, account.digits)),
            "cpc": _q(spend / row.clicks) if row.clicks else "0.00",
            "cpm": _q(spend * 1000 / row.impressions),
            "ctr": _q(Decimal(row.clicks * 100) / row.impressions),
            "conversion_rate": _q(conversions * 100 / row.clicks) if row.clicks else "0.00",
            "cost_per_conversion": _q(spend / conversions) if conversions else "0.00",
            "campaign_id": row.campaign_id,
            "campaign_name": names[row.campaign_id],
            "adgroup_id": row.ad_group_id,
            "adgroup_name": names[row.ad_group_id],
            "ad_name": names[row.ad_id],
        }
        return {
            "dimensions": {"ad_id": row.ad_id, "stat_time_day": f"{row.day} 00:00:00"},
            "metrics": {m: values[m] for m in metrics},
        }

    def tap_config(self, url: str) -> dict[str, Any]:
        return {
            "access_token": ACCESS_TOKEN,
            "advertiser_ids": [a.id for a in self.sandbox.data.accounts],
            "api_url": f"{url}{PREFIX}",
        }


def _status(active: bool) -> str:
    return "ENABLE" if active else "DISABLE"


def _campaign(c: Campaign) -> dict[str, Any]:
    return {
        "campaign_id": c.id,
        "advertiser_id": c.account_id,
        "campaign_name": c.name,
        "operation_status": _status(c.active),
        "secondary_status": "CAMPAIGN_STATUS_ENABLE" if c.active else "CAMPAIGN_STATUS_DISABLE",
        "objective_type": {"CONVERSIONS": "WEB_CONVERSIONS", "TRAFFIC": "TRAFFIC"}.get(
            c.objective, "REACH"
        ),
        "budget_mode": "BUDGET_MODE_DAY",
        "budget": float(money(c.daily_budget, 2)),
        "create_time": _time(c.created),
        "modify_time": _time(c.created + timedelta(days=2)),
    }


def _adgroup(g: AdGroup) -> dict[str, Any]:
    return {
        "adgroup_id": g.id,
        "advertiser_id": g.account_id,
        "campaign_id": g.campaign_id,
        "adgroup_name": g.name,
        "operation_status": _status(g.active),
        "secondary_status": "ADGROUP_STATUS_DELIVERY_OK" if g.active else "ADGROUP_STATUS_DISABLE",
        "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
        "bid_price": float(money(g.bid, 2)),
        "create_time": _time(g.created),
        "modify_time": _time(g.created + timedelta(days=1)),
    }


def _ad(a: Ad) -> dict[str, Any]:
    return {
        "ad_id": a.id,
        "advertiser_id": a.account_id,
        "campaign_id": a.campaign_id,
        "adgroup_id": a.ad_group_id,
        "ad_name": a.name,
        "operation_status": _status(a.active),
        "secondary_status": "AD_STATUS_DELIVERY_OK" if a.active else "AD_STATUS_DISABLE",
        "ad_format": "SINGLE_VIDEO",
        "ad_text": a.headline,
        "call_to_action": "SHOP_NOW",
        "landing_page_url": a.url,
        "video_id": f"v10044g50000{a.creative_id}",
        "image_ids": [],
        "create_time": _time(a.created),
        "modify_time": _time(a.created + timedelta(hours=5)),
    }
