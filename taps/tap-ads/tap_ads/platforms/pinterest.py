"""Pinterest API v5 (ads): ad accounts, campaigns, ad groups, ads (promoted pins) and the
daily ad-level report through async reports (POST .../reports with level PIN_PROMOTION ->
token -> poll -> download the JSON file, read as a stream; at most 90 days per report).

Pinterest's ad accounts carry no time zone (AdAccount: id, name, owner, country, currency,
permissions, created/updated time) and its report dates are UTC days: the tap reads UTC
dates and gives the accounts and report rows the time zone "UTC".

Auth: OAuth2 refresh token (HTTP Basic client id / secret at `{api_url}/oauth/token`).
Paging: `bookmark`. Throttling: 429 with `X-RateLimit-Reset` (seconds). Money in
micro-currency of the account (`*_IN_MICRO_DOLLAR`, whatever the currency).
"""

from __future__ import annotations

import typing as t

import requests
from singer_sdk import typing as th

from tap_ads.core.dates import DateRange
from tap_ads.core.errors import ApiError, fail
from tap_ads.core.http import ApiClient, Policy
from tap_ads.core.jobs import JobState
from tap_ads.core.jsonstream import CutJSON, keyed_arrays
from tap_ads.core.paging import bookmark_pages
from tap_ads.core.platform import Account, Platform
from tap_ads.core.streams import (
    AccountsStream,
    EntityStream,
    ReportStream,
    account_schema,
    entity_schema,
    report_schema,
)
from tap_ads.core.versions import PINTEREST

PAGE_SIZE = 250
LEVEL = "PIN_PROMOTION"  # the ad level (a MetricsReportingLevel)
REPORT_TIME_ZONE = "UTC"  # report dates are UTC days
REPORT_COLUMNS = [
    "CAMPAIGN_ID", "AD_GROUP_ID", "AD_ID", "PIN_ID", "SPEND_IN_MICRO_DOLLAR", "IMPRESSION_1",
    "CLICKTHROUGH_1", "TOTAL_IMPRESSION", "TOTAL_CLICKTHROUGH", "TOTAL_CONVERSIONS",
    "TOTAL_CHECKOUT", "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR",
]  # fmt: skip


class PinterestPolicy(Policy):
    platform = "Pinterest"
    credentials_hint = (
        "check `pinterest.client_id`, `pinterest.client_secret` and `pinterest.refresh_token` "
        "(the app needs the ads:read scope)"
    )
    remaining_header = "X-RateLimit-Remaining"
    reset_header = "X-RateLimit-Reset"


class Pinterest(Platform):
    key = "pinterest"
    label = "Pinterest"
    accounts_setting = "ad_account_ids"
    default_lookback_days = 7
    versions = PINTEREST
    required = ("client_id", "client_secret", "refresh_token", "ad_account_ids")
    secrets = ("client_secret", "refresh_token")
    settings: t.ClassVar[list[th.Property]] = [
        th.Property("client_id", th.StringType, title="App ID", description="Pinterest app id."),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="App secret",
            description="Pinterest app secret key.",
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            title="Refresh token",
            description="OAuth refresh token of a user with ads:read on the ad accounts.",
        ),
        th.Property(
            "ad_account_ids",
            th.ArrayType(th.StringType),
            title="Ad account IDs",
            description="Pinterest ad account ids to read.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default="https://api.pinterest.com/v5",
            title="API URL",
            description="API root including the version (the token endpoint is "
            "{api_url}/oauth/token); the sandbox in tests.",
        ),
        th.Property(
            "lookback_days",
            th.IntegerType,
            default=7,
            title="Lookback days",
            description="Days before the bookmark re-read on every run (Pinterest "
            "attributes conversions for days after the click or view).",
        ),
        th.Property(
            "poll_interval_ms",
            th.IntegerType,
            default=2000,
            title="Poll interval (ms)",
            description="First wait between polls of a report; grows to 30 s.",
        ),
        th.Property(
            "max_job_attempts",
            th.IntegerType,
            default=3,
            title="Max job attempts",
            description="Times a failed one-day report is requested again before the run "
            "stops (longer failed reports are split in halves first).",
        ),
    ]

    def make_client(self) -> ApiClient:
        return ApiClient(
            base_url=self.config["api_url"],
            auth=self.refresh_token_flow(
                f"{str(self.config['api_url']).rstrip('/')}/oauth/token", client_auth="basic"
            ),
            policy=PinterestPolicy(),
            **self.client_options(),
        )

    def load_account(self, account_id: str) -> Account:
        body = self.get_account_object(account_id, f"ad_accounts/{account_id}")
        return Account(
            id=account_id,
            name=body.get("name"),
            currency=body["currency"],
            time_zone=REPORT_TIME_ZONE,
            extras={"country": body.get("country")},
        )

    def pages(self, path: str) -> t.Iterator[dict]:
        for body in bookmark_pages(self.client, path, {"page_size": PAGE_SIZE}):
            yield from body.get("items") or []


class PinterestStream:
    platform: t.ClassVar[type[Platform]] = Pinterest


class PinterestAdAccounts(PinterestStream, AccountsStream):
    name = "pinterest_ad_accounts"
    schema = account_schema(th.Property("country", th.StringType))


class PinterestEntityStream(PinterestStream, EntityStream):
    edge: t.ClassVar[str]

    def fetch(self, account: Account) -> t.Iterator[dict]:
        yield from self.runtime.pages(f"ad_accounts/{account.id}/{self.edge}")  # type: ignore[attr-defined]


_TIMES = [
    th.Property(n, th.IntegerType, description="Unix seconds")
    for n in ("created_time", "updated_time")
]


class PinterestCampaigns(PinterestEntityStream):
    name = "pinterest_campaigns"
    edge = "campaigns"
    schema = entity_schema(
        th.Property("objective_type", th.StringType),
        th.Property("summary_status", th.StringType),
        th.Property("daily_spend_cap", th.IntegerType, description="Micro-currency"),
        th.Property("lifetime_spend_cap", th.IntegerType, description="Micro-currency"),
        th.Property("start_time", th.IntegerType),
        th.Property("end_time", th.IntegerType),
        *_TIMES,
    )


class PinterestAdGroups(PinterestEntityStream):
    name = "pinterest_ad_groups"
    edge = "ad_groups"
    schema = entity_schema(
        th.Property("summary_status", th.StringType),
        th.Property("bid_in_micro_currency", th.IntegerType),
        th.Property("budget_type", th.StringType),
        th.Property("billable_event", th.StringType),
        *_TIMES,
        parents=("campaign_id",),
    )


class PinterestAds(PinterestEntityStream):
    name = "pinterest_ads"
    edge = "ads"
    schema = entity_schema(
        th.Property("pin_id", th.StringType, description="The promoted pin (the creative)"),
        th.Property("creative_type", th.StringType),
        th.Property("destination_url", th.StringType),
        th.Property("review_status", th.StringType),
        th.Property("summary_status", th.StringType),
        *_TIMES,
        parents=("campaign_id", "ad_group_id"),
    )


class AdsReport:
    """Pinterest's async reports for one ad account (core.jobs.AsyncReport)."""

    def __init__(self, pinterest: Pinterest, account: Account) -> None:
        self.pinterest, self.account = pinterest, account
        self.path = f"ad_accounts/{account.id}/reports"
        self.urls: dict[str, str] = {}

    def create(self, window: DateRange) -> str:
        body = self.pinterest.client.post(
            self.path,
            {
                "start_date": str(window.start),
                "end_date": str(window.end),
                "granularity": "DAY",
                "level": LEVEL,
                "columns": REPORT_COLUMNS,
                "report_format": "JSON",
            },
        )
        if not body.get("token"):
            fail(f"Pinterest started no report for ad account {self.account.id} (no token).")
        return str(body["token"])

    def status(self, job_id: str) -> tuple[JobState, str]:
        body = self.pinterest.client.get(self.path, token=job_id)
        status = str(body.get("report_status"))
        if status == "FINISHED" and body.get("url"):
            self.urls[job_id] = str(body["url"])
            return "done", status
        if status in ("FAILED", "CANCELLED", "EXPIRED", "DOES_NOT_EXIST"):
            return "failed", status
        return "running", status

    def rows(self, job_id: str) -> t.Iterator[dict]:
        """The file's rows, streamed. A download that breaks off is read again from the
        start, skipping the rows already given (the file does not change)."""
        url = self.urls.pop(job_id)
        client = self.pinterest.client
        given, reason = 0, ""
        for attempt in range(1, client.max_retries + 1):
            try:
                # A pre-signed download URL: no Authorization header (it could leak the token).
                chunks = client.stream(url, authenticated=False)
                for index, (_, row) in enumerate(keyed_arrays(chunks)):
                    if index >= given:
                        given += 1
                        yield row
                return
            except (CutJSON, requests.RequestException) as exc:
                reason = f"{type(exc).__name__}: {exc}"[:160]
                self.pinterest.logger.warning(
                    "Pinterest: report file of ad account %s broke off after %d rows "
                    "(attempt %d): %s",
                    self.account.id,
                    given,
                    attempt,
                    reason,
                )
        raise ApiError("Pinterest", "the report file", reason, 0)


class PinterestAdPerformanceDaily(PinterestStream, ReportStream):
    name = "pinterest_ad_performance_daily"
    max_window_days = 90  # Pinterest's limit per report
    micros = frozenset({"spend", "conversion_value"})
    columns: t.ClassVar[dict[str, str]] = {
        "campaign_id": "campaign_id",
        "ad_group_id": "ad_group_id",
        "ad_id": "ad_id",
        "impressions": "impression_1",
        "clicks": "clickthrough_1",
        "spend": "spend_in_micro_dollar",
        "conversions": "total_conversions",
        "conversion_value": "total_checkout_value_in_micro_dollar",
    }
    schema = report_schema(
        th.Property("pin_id", th.StringType),
        th.Property("spend_in_micro_dollar", th.IntegerType, description="Micro-currency"),
        th.Property("total_impression", th.IntegerType, description="Paid and earned"),
        th.Property("total_clickthrough", th.IntegerType, description="Paid and earned"),
        th.Property("total_checkout", th.NumberType, description="Checkouts (purchases)"),
    )

    def fetch(self, account: Account, window: DateRange) -> t.Iterator[dict]:
        pinterest: Pinterest = self.runtime  # type: ignore[assignment]
        runner = self.job_runner(f"ad account {account.id}", split_failed=True)
        yield from runner.fetch(AdsReport(pinterest, account), window)


STREAMS = [
    PinterestAdAccounts,
    PinterestCampaigns,
    PinterestAdGroups,
    PinterestAds,
    PinterestAdPerformanceDaily,
]
Pinterest.streams = STREAMS
