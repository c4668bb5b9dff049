"""Reddit Ads API v3: ad accounts, campaigns, ad groups, ads and the daily ad-level report
(POST ad_accounts/{id}/reports with breakdowns AD_ID and DATE).

Auth: OAuth2 refresh token at `token_url` (HTTP Basic client id / secret) and a unique
User-Agent on every call (Reddit throttles generic ones). Paging: follow
`pagination.next_url` as given (report pages: the same body POSTed to it). Throttling: 429
with `x-ratelimit-reset` (seconds). Spend is in microcurrency, CONVERSION_PURCHASE_TOTAL_VALUE
in cents. A report takes at most three breakdowns: AD_GROUP_ID, AD_ID and DATE; each ad
group's campaign comes from the account's ad group list (read once per run).

Reddit publishes no machine-readable definition of its API; this follows the Reddit Ads API
v3 documentation (https://ads-api.reddit.com/docs/v3/).
"""

from __future__ import annotations

import typing as t
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version

import requests
from singer_sdk import typing as th

from tap_ads.core.dates import DateRange
from tap_ads.core.errors import fail
from tap_ads.core.http import ApiClient, Policy, Verdict
from tap_ads.core.numbers import to_decimal
from tap_ads.core.paging import next_url_pages
from tap_ads.core.platform import Account, Platform
from tap_ads.core.streams import (
    AccountsStream,
    EntityStream,
    ReportStream,
    account_schema,
    entity_schema,
    report_schema,
)
from tap_ads.core.versions import REDDIT

try:
    _VERSION = version("tap-ads")
except PackageNotFoundError:  # running from a source tree
    _VERSION = "0+unknown"

PAGE_SIZE = 1000
BREAKDOWNS = ("AD_GROUP_ID", "AD_ID", "DATE")  # Reddit takes at most three
REPORT_FIELDS = [
    "IMPRESSIONS", "CLICKS", "SPEND", "CONVERSION_PURCHASE_CLICKS", "CONVERSION_PURCHASE_VIEWS",
    "CONVERSION_PURCHASE_TOTAL_VALUE",
]  # fmt: skip


class RedditPolicy(Policy):
    platform = "Reddit"
    credentials_hint = (
        "check `reddit.client_id`, `reddit.client_secret` and `reddit.refresh_token` (scope "
        "adsread)"
    )
    remaining_header = "x-ratelimit-remaining"
    reset_header = "x-ratelimit-reset"

    def judge(self, response: requests.Response, body: t.Any) -> Verdict | None:
        if response.status_code == 410:
            return Verdict(
                "fail", f"HTTP 410: {self.message(body)}: set `reddit.api_url` to the v3 API"
            )
        return None


class Reddit(Platform):
    key = "reddit"
    label = "Reddit"
    accounts_setting = "ad_account_ids"
    default_lookback_days = 2
    versions = REDDIT
    required = ("client_id", "client_secret", "refresh_token", "ad_account_ids")
    secrets = ("client_secret", "refresh_token")
    settings: t.ClassVar[list[th.Property]] = [
        th.Property(
            "client_id", th.StringType, title="App ID", description="Reddit app client id."
        ),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="App secret",
            description="Reddit app client secret.",
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            title="Refresh token",
            description="OAuth refresh token with the adsread scope.",
        ),
        th.Property(
            "ad_account_ids",
            th.ArrayType(th.StringType),
            title="Ad account IDs",
            description="Reddit ad account ids to read (like a2_abc123).",
        ),
        th.Property(
            "user_agent",
            th.StringType,
            default=f"tap-ads:{_VERSION} (Singer tap for ad reporting)",
            title="User-Agent",
            description="A unique User-Agent, e.g. 'acme-ads:1.0 (by /u/acme_data)'; Reddit "
            "throttles generic ones.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default="https://ads-api.reddit.com/api/v3",
            title="API URL",
            description="Ads API root including the version; the sandbox in tests.",
        ),
        th.Property(
            "token_url",
            th.StringType,
            default="https://www.reddit.com/api/v1/access_token",
            title="Token URL",
            description="OAuth2 token endpoint for the refresh-token grant.",
        ),
        th.Property(
            "lookback_days",
            th.IntegerType,
            default=2,
            title="Lookback days",
            description="Days before the bookmark re-read on every run: Reddit's metrics "
            "settle within about 6 hours.",
        ),
    ]

    def check_account_id(self, account_id: str) -> None:
        if not account_id or not account_id.replace("_", "").isalnum():
            fail(f"`reddit.ad_account_ids` holds {account_id!r}, which is not an ad account id.")

    def make_client(self) -> ApiClient:
        agent = {"User-Agent": str(self.config["user_agent"])}
        return ApiClient(
            base_url=self.config["api_url"],
            auth=self.refresh_token_flow(
                self.config["token_url"], client_auth="basic", extra_headers=agent
            ),
            policy=RedditPolicy(),
            headers=agent,
            **self.client_options(),
        )

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self._campaigns: dict[str, dict[str, str]] = {}
        super().__init__(*args, **kwargs)

    def pages(self, account_id: str, edge: str) -> t.Iterator[dict]:
        path = f"ad_accounts/{account_id}/{edge}"
        for body in next_url_pages(self.client, path, {"page.size": PAGE_SIZE}):
            yield from body.get("data") or []

    def campaign_of(self, account_id: str) -> dict[str, str]:
        """Ad group id -> campaign id of one account (reports carry no campaign id)."""
        if account_id not in self._campaigns:
            self._campaigns[account_id] = {
                str(g["id"]): str(g["campaign_id"]) for g in self.pages(account_id, "ad_groups")
            }
        return self._campaigns[account_id]

    def load_account(self, account_id: str) -> Account:
        body = self.get_account_object(account_id, f"ad_accounts/{account_id}")
        data = body.get("data") or {}
        return Account(
            id=account_id,
            name=data.get("name"),
            currency=data["currency"],
            time_zone=data["time_zone_id"],
            extras={"type": data.get("type")},
        )


class RedditStream:
    platform: t.ClassVar[type[Platform]] = Reddit


class RedditAdAccounts(RedditStream, AccountsStream):
    name = "reddit_ad_accounts"
    schema = account_schema(th.Property("type", th.StringType))


class RedditEntityStream(RedditStream, EntityStream):
    edge: t.ClassVar[str]
    columns: t.ClassVar[dict[str, str]] = {"status": "effective_status"}

    def fetch(self, account: Account) -> t.Iterator[dict]:
        yield from self.runtime.pages(account.id, self.edge)  # type: ignore[attr-defined]


_COMMON = [
    th.Property("configured_status", th.StringType),
    th.Property("effective_status", th.StringType),
    th.Property("created_at", th.DateTimeType),
    th.Property("modified_at", th.DateTimeType),
]


class RedditCampaigns(RedditEntityStream):
    name = "reddit_campaigns"
    edge = "campaigns"
    schema = entity_schema(
        th.Property("objective", th.StringType),
        th.Property("spend_cap", th.IntegerType, description="Micros"),
        th.Property("funding_instrument_id", th.StringType),
        *_COMMON,
    )


class RedditAdGroups(RedditEntityStream):
    name = "reddit_ad_groups"
    edge = "ad_groups"
    schema = entity_schema(
        th.Property("bid_strategy", th.StringType),
        th.Property("bid_value", th.IntegerType, description="Micros"),
        th.Property("goal_type", th.StringType),
        *_COMMON,
        parents=("campaign_id",),
    )


class RedditAds(RedditEntityStream):
    name = "reddit_ads"
    edge = "ads"
    schema = entity_schema(
        th.Property("type", th.StringType),
        th.Property("post_id", th.StringType, description="The promoted post (the creative)"),
        th.Property("click_url", th.StringType),
        *_COMMON,
        parents=("campaign_id", "ad_group_id"),
    )


class RedditAdPerformanceDaily(RedditStream, ReportStream):
    name = "reddit_ad_performance_daily"
    max_window_days = 30
    micros = frozenset({"spend"})
    cents = frozenset({"conversion_value"})
    columns: t.ClassVar[dict[str, str]] = {
        "spend": "spend",
        "spend_micros": "spend",
        "conversion_value": "conversion_purchase_total_value",
    }
    schema = report_schema(
        th.Property("spend_micros", th.IntegerType),
        th.Property("conversion_purchase_clicks", th.NumberType, description="Post-click"),
        th.Property("conversion_purchase_views", th.NumberType, description="Post-view"),
    )

    def fetch(self, account: Account, window: DateRange) -> t.Iterator[dict]:
        # Wall-clock midnights read in the account's zone; ends_at is exclusive.
        body = {
            "data": {
                "breakdowns": list(BREAKDOWNS),
                "fields": REPORT_FIELDS,
                "starts_at": f"{window.start}T00:00:00Z",
                "ends_at": f"{window.end + timedelta(days=1)}T00:00:00Z",
                "time_zone_id": account.time_zone,
            }
        }
        reddit: Reddit = self.runtime  # type: ignore[assignment]
        campaigns = reddit.campaign_of(account.id)
        pages = next_url_pages(
            reddit.client,
            f"ad_accounts/{account.id}/reports",
            {"page.size": PAGE_SIZE},
            method="POST",
            body=body,
        )
        for page in pages:
            for row in (page.get("data") or {}).get("metrics") or []:
                clicks = to_decimal(row.get("conversion_purchase_clicks")) or 0
                views = to_decimal(row.get("conversion_purchase_views")) or 0
                row["conversions"] = clicks + views
                row["campaign_id"] = campaigns.get(str(row.get("ad_group_id")))
                yield row


STREAMS = [RedditAdAccounts, RedditCampaigns, RedditAdGroups, RedditAds, RedditAdPerformanceDaily]
Reddit.streams = STREAMS
