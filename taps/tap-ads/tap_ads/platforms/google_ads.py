"""Google Ads API (YouTube ads are VIDEO campaigns): customers, campaigns, ad groups, ads, the
daily ad performance report and the daily YouTube video performance report.

API version: v26 by default (google-ads 34.0.0 ships v23..v26; v23 replaced
`campaign.start_date` with `campaign.start_date_time`, "yyyy-MM-dd HH:mm:ss"). Everything is
GAQL over `POST customers/{id}/googleAds:search` (pages of 10,000 rows,
`nextPageToken`); reports are synchronous. Auth: OAuth2 refresh token + `developer-token`
(+ `login-customer-id` for a manager account). Quota errors (RESOURCE_EXHAUSTED) carry a
`retryDelay`. Cost is in micros.
"""

from __future__ import annotations

import re
import typing as t

import requests
from singer_sdk import typing as th

from tap_ads.core.dates import DateRange
from tap_ads.core.errors import ApiError, fail
from tap_ads.core.http import ApiClient, Policy, Verdict
from tap_ads.core.paging import page_token_pages
from tap_ads.core.platform import Account, Platform
from tap_ads.core.streams import (
    AccountsStream,
    EntityStream,
    ReportStream,
    account_schema,
    entity_schema,
    report_schema,
)
from tap_ads.core.versions import GOOGLE_ADS

_DELAY = re.compile(r"^\s*([0-9.]+)s\s*$")
RETRYABLE = {"INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED"}
THROTTLED = {"RESOURCE_EXHAUSTED", "RESOURCE_TEMPORARILY_EXHAUSTED"}
# Every developer-token code of the v23..v26 error enums (AuthenticationError,
# AuthorizationError, RequestError): no retry or token renewal fixes them.
BAD_DEVELOPER_TOKEN = {
    "DEVELOPER_TOKEN_INVALID",
    "DEVELOPER_TOKEN_NOT_APPROVED",
    "DEVELOPER_TOKEN_PARAMETER_MISSING",
    "DEVELOPER_TOKEN_PROHIBITED",
    "DEVELOPER_TOKEN_NOT_ON_ALLOWLIST",
    "ORGANIZATION_NOT_ASSOCIATED_WITH_DEVELOPER_TOKEN",
}
SUNSET = "UNSUPPORTED_VERSION"  # RequestError: "This API version has been sunset"
UNKNOWN_CUSTOMER = {"USER_PERMISSION_DENIED", "CUSTOMER_NOT_FOUND", "CUSTOMER_NOT_ENABLED"}


def find_retry_delay(node: t.Any) -> float | None:
    """The first `retryDelay` ("30s") anywhere in a Google error body."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "retryDelay" and isinstance(value, str) and (m := _DELAY.match(value)):
                return float(m[1])
            found = find_retry_delay(value)
            if found is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            found = find_retry_delay(item)
            if found is not None:
                return found
    return None


def error_codes(node: t.Any) -> set[str]:
    """Every Google Ads error code value (quotaError: RESOURCE_EXHAUSTED -> that) in a body."""
    codes: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "errorCode" and isinstance(value, dict):
                codes |= {str(v) for v in value.values()}
            else:
                codes |= error_codes(value)
    elif isinstance(node, list):
        for item in node:
            codes |= error_codes(item)
    return codes


class GoogleAdsPolicy(Policy):
    platform = "Google Ads"
    credentials_hint = (
        "check `google_ads.client_id`, `google_ads.client_secret`, "
        "`google_ads.refresh_token` and `google_ads.developer_token`"
    )

    def judge(self, response: requests.Response, body: t.Any) -> Verdict | None:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(body, list) and body and isinstance(body[0], dict):
            error = body[0].get("error")  # searchStream wraps errors in a list
        if not isinstance(error, dict):
            return None
        status = str(error.get("status", ""))
        codes = error_codes(error)
        message = f"{status or response.status_code}: {str(error.get('message', ''))[:160]}"
        if codes:
            message += f" ({', '.join(sorted(codes))})"
        if status in THROTTLED or codes & THROTTLED or response.status_code == 429:
            return Verdict("throttled", message, find_retry_delay(error))
        unauthenticated = status == "UNAUTHENTICATED" or response.status_code == 401
        if unauthenticated and not codes & BAD_DEVELOPER_TOKEN:
            return Verdict("renew", message)
        if SUNSET in codes:
            return Verdict(
                "fail", f"{message}: set `google_ads.api_url` to {GOOGLE_ADS.current} or later"
            )
        if codes & BAD_DEVELOPER_TOKEN:
            return Verdict(
                "fail", f"{message}: check `google_ads.developer_token` (Google Ads API Center)"
            )
        if status in RETRYABLE or response.status_code >= 500:
            return Verdict("retry", message)
        return Verdict("fail", message)


class GoogleAds(Platform):
    key = "google_ads"
    label = "Google Ads"
    accounts_setting = "customer_ids"
    default_lookback_days = 30
    versions = GOOGLE_ADS
    required = ("client_id", "client_secret", "refresh_token", "developer_token", "customer_ids")
    secrets = ("client_secret", "refresh_token", "developer_token")
    settings: t.ClassVar[list[th.Property]] = [
        th.Property(
            "client_id",
            th.StringType,
            title="OAuth client ID",
            description="OAuth2 client id of the Google Cloud project.",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="OAuth client secret",
            description="OAuth2 client secret of the same project.",
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            title="Refresh token",
            description="OAuth2 refresh token of a user with access to the customers "
            "(scope https://www.googleapis.com/auth/adwords).",
        ),
        th.Property(
            "developer_token",
            th.StringType,
            secret=True,
            title="Developer token",
            description="Google Ads API developer token (Basic access or above).",
        ),
        th.Property(
            "login_customer_id",
            th.StringType,
            title="Login customer ID",
            description="Manager account id (digits) when access to the customers goes "
            "through a manager account.",
        ),
        th.Property(
            "customer_ids",
            th.ArrayType(th.StringType),
            title="Customer IDs",
            description="Google Ads customer ids to read, digits only (no dashes).",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=f"https://googleads.googleapis.com/{GOOGLE_ADS.current}",
            title="API URL",
            description="Google Ads API root including the version; the sandbox in tests.",
        ),
        th.Property(
            "token_url",
            th.StringType,
            default="https://oauth2.googleapis.com/token",
            title="Token URL",
            description="OAuth2 token endpoint for the refresh-token grant.",
        ),
        th.Property(
            "lookback_days",
            th.IntegerType,
            default=30,
            title="Lookback days",
            description="Days before the bookmark re-read on every run: conversions "
            "arrive within the 30-day conversion window.",
        ),
    ]

    def check_account_id(self, account_id: str) -> None:
        if re.fullmatch(r"\d{3}-\d{3}-\d{4}", account_id):
            fail(
                f"`google_ads.customer_ids` holds {account_id!r}: give it without dashes "
                f"({account_id.replace('-', '')})."
            )
        super().check_account_id(account_id)

    def validate(self) -> None:
        super().validate()
        login = str(self.config.get("login_customer_id") or "").replace("-", "")
        if login and not login.isdigit():
            fail(
                f"`google_ads.login_customer_id` must be the manager account's id (digits), "
                f"got {login!r}."
            )

    def make_client(self) -> ApiClient:
        headers = {"developer-token": str(self.config["developer_token"])}
        if self.config.get("login_customer_id"):
            headers["login-customer-id"] = str(self.config["login_customer_id"]).replace("-", "")
        return ApiClient(
            base_url=self.config["api_url"],
            auth=self.refresh_token_flow(self.config["token_url"], client_auth="form"),
            policy=GoogleAdsPolicy(),
            headers=headers,
            **self.client_options(),
        )

    def search(self, customer_id: str, query: str) -> t.Iterator[dict]:
        path = f"customers/{customer_id}/googleAds:search"
        for body in page_token_pages(self.client, path, {"query": " ".join(query.split())}):
            yield from body.get("results") or []

    def load_account(self, account_id: str) -> Account:
        query = (
            "SELECT customer.id, customer.descriptive_name, customer.currency_code, "
            "customer.time_zone, customer.status, customer.manager FROM customer"
        )
        try:
            rows = list(self.search(account_id, query))
        except ApiError as exc:
            if UNKNOWN_CUSTOMER & set(re.findall(r"[A-Z_]{6,}", exc.reason)):
                self.unknown_account(account_id, exc.reason)
            raise
        if not rows:
            self.unknown_account(account_id, "no customer row")
        customer = rows[0]["customer"]
        return Account(
            id=account_id,
            name=customer.get("descriptiveName"),
            currency=customer["currencyCode"],
            time_zone=customer["timeZone"],
            status=customer.get("status"),
            extras={"manager": customer.get("manager")},
        )


class GoogleAdsStream:
    platform: t.ClassVar[type[Platform]] = GoogleAds


class GoogleAdsCustomers(GoogleAdsStream, AccountsStream):
    name = "google_ads_customers"
    schema = account_schema(th.Property("manager", th.BooleanType))


class GaqlEntityStream(GoogleAdsStream, EntityStream):
    query: t.ClassVar[str]

    def fetch(self, account: Account) -> t.Iterator[dict]:
        yield from self.runtime.search(account.id, self.query)  # type: ignore[attr-defined]


class GoogleAdsCampaigns(GaqlEntityStream):
    name = "google_ads_campaigns"
    query = (
        "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, "
        "campaign.start_date_time FROM campaign"
    )
    columns: t.ClassVar[dict[str, str]] = {
        "id": "campaign_id",
        "name": "campaign_name",
        "status": "campaign_status",
        "advertising_channel_type": "campaign_advertising_channel_type",
        "start_date_time": "campaign_start_date_time",
    }
    schema = entity_schema(
        th.Property("advertising_channel_type", th.StringType, description="VIDEO = YouTube"),
        th.Property(
            "start_date_time",
            th.StringType,
            description="'yyyy-MM-dd HH:mm:ss' in the account's time zone",
        ),
    )


class GoogleAdsAdGroups(GaqlEntityStream):
    name = "google_ads_ad_groups"
    query = (
        "SELECT ad_group.id, ad_group.name, ad_group.status, ad_group.type, campaign.id "
        "FROM ad_group"
    )
    columns: t.ClassVar[dict[str, str]] = {
        "id": "ad_group_id",
        "name": "ad_group_name",
        "status": "ad_group_status",
        "type": "ad_group_type",
    }
    schema = entity_schema(th.Property("type", th.StringType), parents=("campaign_id",))


class GoogleAdsAds(GaqlEntityStream):
    name = "google_ads_ads"
    query = (
        "SELECT ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.status, "
        "ad_group_ad.ad.type, ad_group_ad.ad.final_urls, ad_group.id, campaign.id "
        "FROM ad_group_ad"
    )
    columns: t.ClassVar[dict[str, str]] = {
        "id": "ad_group_ad_ad_id",
        "name": "ad_group_ad_ad_name",
        "status": "ad_group_ad_status",
        "type": "ad_group_ad_ad_type",
        "final_urls": "ad_group_ad_ad_final_urls",
    }
    schema = entity_schema(
        th.Property("type", th.StringType),
        th.Property("final_urls", th.ArrayType(th.StringType)),
        parents=("campaign_id", "ad_group_id"),
    )


_REPORT_COLUMNS = {
    "ad_id": "ad_group_ad_ad_id",
    "date": "segments_date",
    "impressions": "metrics_impressions",
    "clicks": "metrics_clicks",
    "spend": "metrics_cost_micros",
    "cost_micros": "metrics_cost_micros",
    "conversions": "metrics_conversions",
    "conversion_value": "metrics_conversions_value",
}
_METRICS = (
    "metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, "
    "metrics.conversions_value"
)


class GaqlReportStream(GoogleAdsStream, ReportStream):
    max_window_days = 90
    micros = frozenset({"spend"})
    select: t.ClassVar[str]
    resource: t.ClassVar[str]
    where: t.ClassVar[str] = ""

    def fetch(self, account: Account, window: DateRange) -> t.Iterator[dict]:
        query = (
            f"SELECT {self.select} FROM {self.resource} WHERE {self.where}"
            f"segments.date BETWEEN '{window.start}' AND '{window.end}'"
        )
        yield from self.runtime.search(account.id, query)  # type: ignore[attr-defined]


class GoogleAdsAdPerformanceDaily(GaqlReportStream):
    name = "google_ads_ad_performance_daily"
    resource = "ad_group_ad"
    select = f"campaign.id, ad_group.id, ad_group_ad.ad.id, segments.date, {_METRICS}"
    columns: t.ClassVar[dict[str, str]] = _REPORT_COLUMNS
    schema = report_schema(th.Property("cost_micros", th.IntegerType))


_QUARTILES = ("p25", "p50", "p75", "p100")


class GoogleAdsVideoPerformanceDaily(GaqlReportStream):
    name = "google_ads_video_performance_daily"
    primary_keys = ("account_id", "ad_group_id", "ad_id", "video_id", "date")
    resource = "video"
    where = "campaign.advertising_channel_type = 'VIDEO' AND "
    select = (
        "campaign.id, ad_group.id, ad_group_ad.ad.id, video.id, video.title, "
        f"video.duration_millis, segments.date, {_METRICS}, metrics.video_trueview_views, "
        + ", ".join(f"metrics.video_quartile_{q}_rate" for q in _QUARTILES)
    )
    columns: t.ClassVar[dict[str, str]] = {
        **_REPORT_COLUMNS,
        "video_views": "metrics_video_trueview_views",
        **{f"video_quartile_{q}_rate": f"metrics_video_quartile_{q}_rate" for q in _QUARTILES},
    }
    schema = report_schema(
        th.Property("cost_micros", th.IntegerType),
        th.Property("video_id", th.StringType, required=True, description="YouTube video id"),
        th.Property("video_title", th.StringType),
        th.Property("video_duration_millis", th.IntegerType),
        th.Property("video_views", th.IntegerType, description="TrueView views"),
        *(th.Property(f"video_quartile_{q}_rate", th.NumberType) for q in _QUARTILES),
    )


STREAMS = [
    GoogleAdsCustomers,
    GoogleAdsCampaigns,
    GoogleAdsAdGroups,
    GoogleAdsAds,
    GoogleAdsAdPerformanceDaily,
    GoogleAdsVideoPerformanceDaily,
]
GoogleAds.streams = STREAMS
