"""TikTok Business API v1.3: advertisers, campaigns, ad groups, ads and the daily
ad-level BASIC report (`report/integrated/get/`, AUCTION_AD, dimensions ad_id and
stat_time_day, at most 30 days per request).

Errors come as HTTP 200 with `code != 0`, read from TikTok's code table (the SDK's
NumericErrorCodes): 40100 / 40132 / 61000 throttled (wait and ask again), 40102 access
token expired, 40104 / 40105 token empty / invalid (a static token cannot renew: one line),
50000 / 50002 / 51xxx / 52xxx server errors, 40200 task error and 60001 maintenance (retry).
Everything else (40002 parameter error, 40101 invalid partner, 40700 validation error,
...) no retry fixes: one line. The table has no "too large" code: the tap keeps to TikTok's
documented limits (30 days per daily report), so a range TikTok still refuses stops the run
with TikTok's own message rather than being split.
Paging: `page` / `page_size` (<= 1000) / `page_info.total_page`.
"""

from __future__ import annotations

import json
import typing as t

import requests
from singer_sdk import typing as th

from tap_ads.core.auth import StaticToken
from tap_ads.core.dates import DateRange
from tap_ads.core.errors import ApiError
from tap_ads.core.http import ApiClient, Policy, Verdict
from tap_ads.core.paging import page_number_pages
from tap_ads.core.platform import Account, Platform
from tap_ads.core.streams import (
    AccountsStream,
    EntityStream,
    ReportStream,
    entity_schema,
    report_schema,
)
from tap_ads.core.versions import TIKTOK

OK = 0
# REQUEST_TOO_FREQUENT, REQUEST_FREQUENCY_LIMITED, TOO_MANY_REQUESTS_BL
THROTTLED = {40100, 40132, 61000}
TOKEN = {40102, 40104, 40105}  # ACCESS_TOKEN_EXPIRE, EMPTY_ACCESS_TOKEN, INVALID_ACCESS_TOKEN
RETRY = {40200, 50000, 50002, 60001}  # GENERAL_TASK_ERROR, SYS_ERROR, SYS_TIMEOUT, MAINTENANCE
SERVER_ERRORS = range(51000, 53000)  # RPC / statistics / DB errors of TikTok's services
# PERMISSION_ERROR, ADVERTISER_NOT_EXIST, ADVERTISER_ROLE_ERROR
ADVERTISER_DENIED = {40001, 40300, 40301}
PAGE_SIZE = 1000
# total_complete_payment_rate is TikTok's name for the total purchase value.
REPORT_METRICS = (
    "campaign_id",
    "adgroup_id",
    "spend",
    "impressions",
    "clicks",
    "conversion",
    "complete_payment",
    "total_complete_payment_rate",
)


class TikTokPolicy(Policy):
    platform = "TikTok"
    credentials_hint = (
        "authorize the app again in TikTok for Business to get a new long-term access token "
        "and set `tiktok.access_token`"
    )

    def judge(self, response: requests.Response, body: t.Any) -> Verdict | None:
        if response.status_code != 200 or not isinstance(body, dict):
            return None
        code = int(body.get("code", OK))
        if code == OK:
            return Verdict.ok()
        message = f"code {code}: {str(body.get('message', ''))[:160]}"
        if code in THROTTLED:
            return Verdict("throttled", message)
        if code in TOKEN:
            return Verdict("renew", message)  # a static token cannot renew: one-line error
        if code in RETRY or code in SERVER_ERRORS:
            return Verdict("retry", message)
        return Verdict("fail", message)


class TikTok(Platform):
    key = "tiktok"
    label = "TikTok"
    accounts_setting = "advertiser_ids"
    default_lookback_days = 3
    versions = TIKTOK
    required = ("access_token", "advertiser_ids")
    secrets = ("access_token",)
    settings: t.ClassVar[list[th.Property]] = [
        th.Property(
            "access_token",
            th.StringType,
            secret=True,
            title="Access token",
            description="Long-term access token of the TikTok for Business app "
            "(Reporting and Ad Account Management read scopes).",
        ),
        th.Property(
            "advertiser_ids",
            th.ArrayType(th.StringType),
            title="Advertiser IDs",
            description="TikTok advertiser (ad account) ids to read.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default="https://business-api.tiktok.com/open_api/v1.3",
            title="API URL",
            description="Business API root including the version; the sandbox in tests.",
        ),
        th.Property(
            "lookback_days",
            th.IntegerType,
            default=3,
            title="Lookback days",
            description="Days before the bookmark re-read on every run: TikTok's numbers "
            "settle within about a day.",
        ),
    ]

    def make_client(self) -> ApiClient:
        return ApiClient(
            base_url=self.config["api_url"],
            auth=StaticToken(self.config["access_token"], header="Access-Token", prefix=""),
            policy=TikTokPolicy(),
            **self.client_options(),
        )

    def load_account(self, account_id: str) -> Account:
        try:
            body = self.client.get("advertiser/info/", advertiser_ids=json.dumps([account_id]))
        except ApiError as exc:
            if exc.reason.startswith(tuple(f"code {c}:" for c in ADVERTISER_DENIED)):
                self.unknown_account(account_id, exc.reason)
            raise
        found = [
            a
            for a in (body.get("data") or {}).get("list") or []
            if str(a.get("advertiser_id")) == account_id
        ]
        if not found:
            self.unknown_account(account_id, "advertiser/info/ returned no such advertiser")
        info = found[0]
        return Account(
            id=account_id,
            name=info.get("name"),
            currency=info["currency"],
            # display_timezone is the IANA name; `timezone` may be an offset ("Etc/GMT+5")
            time_zone=info.get("display_timezone") or info["timezone"],
            status=info.get("status"),
        )

    def pages(self, path: str, params: dict[str, t.Any]) -> t.Iterator[dict]:
        query = {**params, "page_size": PAGE_SIZE}
        for body in page_number_pages(self.client, path, query):
            yield from (body.get("data") or {}).get("list") or []


class TikTokStream:
    platform: t.ClassVar[type[Platform]] = TikTok


class TikTokAdvertisers(TikTokStream, AccountsStream):
    name = "tiktok_advertisers"


class TikTokEntityStream(TikTokStream, EntityStream):
    path: t.ClassVar[str]

    def fetch(self, account: Account) -> t.Iterator[dict]:
        yield from self.runtime.pages(self.path, {"advertiser_id": account.id})  # type: ignore[attr-defined]


_TIMES = [th.Property(n, th.StringType) for n in ("create_time", "modify_time")]


class TikTokCampaigns(TikTokEntityStream):
    name = "tiktok_campaigns"
    path = "campaign/get/"
    columns: t.ClassVar[dict[str, str]] = {
        "id": "campaign_id",
        "name": "campaign_name",
        "status": "operation_status",
    }
    schema = entity_schema(
        th.Property("secondary_status", th.StringType),
        th.Property("objective_type", th.StringType),
        th.Property("budget", th.NumberType),
        th.Property("budget_mode", th.StringType),
        *_TIMES,
    )


class TikTokAdgroups(TikTokEntityStream):
    name = "tiktok_adgroups"
    path = "adgroup/get/"
    columns: t.ClassVar[dict[str, str]] = {
        "id": "adgroup_id",
        "name": "adgroup_name",
        "status": "operation_status",
    }
    schema = entity_schema(
        th.Property("secondary_status", th.StringType),
        th.Property("optimization_goal", th.StringType),
        th.Property("bid_price", th.NumberType),
        th.Property("budget", th.NumberType),
        *_TIMES,
        parents=("campaign_id",),
    )


class TikTokAds(TikTokEntityStream):
    name = "tiktok_ads"
    path = "ad/get/"
    columns: t.ClassVar[dict[str, str]] = {
        "id": "ad_id",
        "name": "ad_name",
        "status": "operation_status",
        "ad_group_id": "adgroup_id",
    }
    schema = entity_schema(
        th.Property("adgroup_id", th.StringType),
        th.Property("secondary_status", th.StringType),
        th.Property("ad_format", th.StringType),
        th.Property("ad_text", th.StringType),
        th.Property("call_to_action", th.StringType),
        th.Property("landing_page_url", th.StringType),
        th.Property("video_id", th.StringType),
        *_TIMES,
        parents=("campaign_id", "ad_group_id"),
    )


class TikTokAdPerformanceDaily(TikTokStream, ReportStream):
    name = "tiktok_ad_performance_daily"
    max_window_days = 30  # TikTok's limit with a daily dimension
    columns: t.ClassVar[dict[str, str]] = {
        "ad_id": "dimensions_ad_id",
        "date": "dimensions_stat_time_day",
        "campaign_id": "metrics_campaign_id",
        "ad_group_id": "metrics_adgroup_id",
        "impressions": "metrics_impressions",
        "clicks": "metrics_clicks",
        "spend": "metrics_spend",
        "conversions": "metrics_conversion",
        "conversion_value": "metrics_total_complete_payment_rate",
        "complete_payment": "metrics_complete_payment",
    }
    schema = report_schema(th.Property("complete_payment", th.NumberType, description="Purchases"))

    def fetch(self, account: Account, window: DateRange) -> t.Iterator[dict]:
        params = {
            "advertiser_id": account.id,
            "report_type": "BASIC",
            "data_level": "AUCTION_AD",
            "dimensions": json.dumps(["ad_id", "stat_time_day"]),
            "metrics": json.dumps(list(REPORT_METRICS)),
            "start_date": str(window.start),
            "end_date": str(window.end),
        }
        for raw in self.runtime.pages("report/integrated/get/", params):  # type: ignore[attr-defined]
            day = str((raw.get("dimensions") or {}).get("stat_time_day", ""))
            raw["dimensions"]["stat_time_day"] = day[:10]  # "2026-11-01 00:00:00"
            yield raw


STREAMS = [TikTokAdvertisers, TikTokCampaigns, TikTokAdgroups, TikTokAds, TikTokAdPerformanceDaily]
TikTok.streams = STREAMS
