"""Meta (Facebook/Instagram) Marketing API: ad accounts, campaigns, ad sets, ads, creatives
and the daily ad-level insights, read through async report jobs.

Paging: `paging.cursors.after`. Throttling: error codes 4/17/613/80000/80004 and the
`X-Business-Use-Case-Usage` header (per-business usage in %, and the minutes until access
returns). Insights jobs: POST act_X/insights -> report_run_id -> poll -> GET .../insights.
"""

from __future__ import annotations

import json
import typing as t
from decimal import Decimal

import requests
from singer_sdk import typing as th

from tap_ads.core.auth import StaticToken
from tap_ads.core.dates import DateRange
from tap_ads.core.errors import ApiError, TooLargeError, fail
from tap_ads.core.http import ApiClient, Pacer, Policy, Verdict
from tap_ads.core.jobs import JobState
from tap_ads.core.numbers import to_decimal
from tap_ads.core.paging import cursor_pages, dig
from tap_ads.core.platform import Account, Platform
from tap_ads.core.streams import (
    AccountsStream,
    EntityStream,
    ReportStream,
    entity_schema,
    report_schema,
)
from tap_ads.core.versions import META

THROTTLE_CODES = {4, 17, 613, 80000, 80004}
DEPRECATED_VERSION = 2635  # "You are calling a deprecated version of the Ads API"
TOO_LARGE_SUBCODE = 1487534
TOKEN_CODES = {190, 102}
USAGE_SLOWDOWN_PERCENT = 75  # above this, pause before the platform has to throttle us
ACCOUNT_FIELDS = "id,account_id,name,currency,timezone_name,account_status"


class MetaPolicy(Policy):
    platform = "Meta"
    credentials_hint = (
        "create a new long-lived access token with the ads_read permission (a System User "
        "token does not expire) and set `meta.access_token`"
    )

    def observe(self, response: requests.Response, body: t.Any, pacer: Pacer) -> None:
        if response.status_code == 200 and (wait := usage_wait(response)):
            pacer.hold(wait)

    def judge(self, response: requests.Response, body: t.Any) -> Verdict | None:
        error = dig(body, "error")
        if not isinstance(error, dict):
            return None
        code = int(error.get("code") or 0)
        subcode = int(error.get("error_subcode") or 0)
        message = f"error {code}/{subcode}: {str(error.get('message', ''))[:160]}"
        if code in THROTTLE_CODES:
            return Verdict("throttled", message, regain_access_wait(response))
        if subcode == TOO_LARGE_SUBCODE:
            return Verdict("too_large", message)
        if code in TOKEN_CODES:
            return Verdict("renew", message)
        if code == DEPRECATED_VERSION:
            return Verdict("fail", f"{message}: set `meta.api_url` to the {META.current} API")
        if code in (1, 2) or error.get("is_transient"):
            return Verdict("retry", message)
        if response.status_code >= 500:
            return Verdict("retry", message)
        return Verdict("fail", f"HTTP {response.status_code} {message}")


def _usage_entries(response: requests.Response) -> list[dict[str, t.Any]]:
    """`X-Business-Use-Case-Usage`: {business id: [{type, call_count, total_cputime,
    total_time (% of the budget), estimated_time_to_regain_access (minutes)}]}."""
    try:
        usage = json.loads(response.headers.get("X-Business-Use-Case-Usage") or "{}")
    except ValueError:
        return []
    entries = usage.values() if isinstance(usage, dict) else []
    return [e for group in entries if isinstance(group, list) for e in group if isinstance(e, dict)]


def _insights_usage(response: requests.Response) -> list[float]:
    """`X-FB-Ads-Insights-Throttle`: {app_id_util_pct, acc_id_util_pct} in %."""
    try:
        usage = json.loads(response.headers.get("X-FB-Ads-Insights-Throttle") or "{}")
    except ValueError:
        return []
    if not isinstance(usage, dict):
        return []
    return [float(usage.get(k) or 0) for k in ("app_id_util_pct", "acc_id_util_pct")]


def usage_wait(response: requests.Response) -> float | None:
    """A pause that grows (up to 1 s a call) as usage passes USAGE_SLOWDOWN_PERCENT, so the
    budget drains slower than it refills before Meta has to throttle us."""
    top = max(
        (
            float(entry.get(key) or 0)
            for entry in _usage_entries(response)
            for key in ("call_count", "total_cputime", "total_time")
        ),
        default=0.0,
    )
    top = max([top, *_insights_usage(response)])
    return (top - USAGE_SLOWDOWN_PERCENT) / 25 if top > USAGE_SLOWDOWN_PERCENT else None


def regain_access_wait(response: requests.Response) -> float | None:
    """After a throttle: the minutes Meta says access returns in; None (back off) if 0."""
    minutes = max(
        (float(e.get("estimated_time_to_regain_access") or 0) for e in _usage_entries(response)),
        default=0.0,
    )
    return minutes * 60 or None


class Meta(Platform):
    key = "meta"
    label = "Meta"
    accounts_setting = "account_ids"
    default_lookback_days = 28
    versions = META
    required = ("access_token", "account_ids")
    secrets = ("access_token",)
    settings: t.ClassVar[list[th.Property]] = [
        th.Property(
            "access_token",
            th.StringType,
            secret=True,
            title="Access token",
            description="Marketing API access token with ads_read (a System User token "
            "does not expire).",
        ),
        th.Property(
            "account_ids",
            th.ArrayType(th.StringType),
            title="Ad account IDs",
            description="Ad account ids to read, digits only (without the act_ prefix).",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=f"https://graph.facebook.com/{META.current}",
            title="API URL",
            description="Graph API root including the version; the sandbox in tests.",
        ),
        th.Property(
            "lookback_days",
            th.IntegerType,
            default=28,
            title="Lookback days",
            description="Days before the bookmark re-read on every run: Meta revises "
            "attributed conversions for 28 days.",
        ),
        th.Property(
            "max_job_days",
            th.IntegerType,
            default=30,
            title="Max days per insights job",
            description="Days per async insights job; a job Meta fails as too large is "
            "split in halves.",
        ),
        th.Property(
            "page_size",
            th.IntegerType,
            default=500,
            title="Page size",
            description="Objects per page of entity lists and insights results.",
        ),
        th.Property(
            "poll_interval_ms",
            th.IntegerType,
            default=2000,
            title="Poll interval (ms)",
            description="First wait between polls of an insights job; grows to 30 s.",
        ),
        th.Property(
            "max_job_attempts",
            th.IntegerType,
            default=3,
            title="Max job attempts",
            description="Times a failed insights job is created again before the run stops.",
        ),
        th.Property(
            "conversion_action_types",
            th.ArrayType(th.StringType),
            default=["offsite_conversion.fb_pixel_purchase"],
            title="Conversion action types",
            description="Action types summed into `conversions` and `conversion_value` "
            "(from `actions` and `action_values`).",
        ),
    ]

    def make_client(self) -> ApiClient:
        return ApiClient(
            base_url=self.config["api_url"],
            auth=StaticToken(self.config["access_token"]),
            policy=MetaPolicy(),
            **self.client_options(),
        )

    def check_account_id(self, account_id: str) -> None:
        if account_id.startswith("act_"):
            fail(
                f"`meta.account_ids` holds {account_id!r}: give the id without the act_ "
                f"prefix ({account_id.removeprefix('act_')})."
            )
        super().check_account_id(account_id)

    def load_account(self, account_id: str) -> Account:
        try:
            body = self.client.get(f"act_{account_id}", fields=ACCOUNT_FIELDS)
        except ApiError as exc:
            if f"error {DEPRECATED_VERSION}/" in exc.reason:
                raise  # the version, not the account
            self.unknown_account(account_id, exc.reason)
        return Account(
            id=account_id,
            name=body.get("name"),
            currency=body["currency"],
            time_zone=body["timezone_name"],
            status=str(body.get("account_status")) if body.get("account_status") else None,
        )

    def pages(self, path: str, fields: t.Sequence[str], **params: t.Any) -> t.Iterator[dict]:
        query = {"limit": self.config["page_size"], **params}
        if fields:  # a job's results come with the fields the job was created with
            query["fields"] = ",".join(fields)
        for body in cursor_pages(self.client, path, query):
            yield from body.get("data") or []


class MetaStream:
    platform: t.ClassVar[type[Platform]] = Meta


class MetaAdAccounts(MetaStream, AccountsStream):
    name = "meta_ad_accounts"


class MetaEntityStream(MetaStream, EntityStream):
    edge: t.ClassVar[str]
    fields: t.ClassVar[tuple[str, ...]]

    def fetch(self, account: Account) -> t.Iterator[dict]:
        yield from self.runtime.pages(f"act_{account.id}/{self.edge}", self.fields)  # type: ignore[attr-defined]


_TIMES = [th.Property(n, th.DateTimeType) for n in ("created_time", "updated_time")]


class MetaCampaigns(MetaEntityStream):
    name = "meta_campaigns"
    edge = "campaigns"
    fields = (
        "id",
        "account_id",
        "name",
        "status",
        "effective_status",
        "objective",
        "buying_type",
        "daily_budget",
        "start_time",
        "stop_time",
        "created_time",
        "updated_time",
    )
    schema = entity_schema(
        th.Property("effective_status", th.StringType),
        th.Property("objective", th.StringType),
        th.Property("buying_type", th.StringType),
        th.Property("daily_budget", th.StringType, description="In the currency's minor unit"),
        th.Property("start_time", th.DateTimeType),
        th.Property("stop_time", th.DateTimeType),
        *_TIMES,
    )


class MetaAdsets(MetaEntityStream):
    name = "meta_adsets"
    edge = "adsets"
    fields = (
        "id",
        "account_id",
        "campaign_id",
        "name",
        "status",
        "effective_status",
        "optimization_goal",
        "billing_event",
        "bid_amount",
        "daily_budget",
        "start_time",
        "end_time",
        "created_time",
        "updated_time",
    )
    schema = entity_schema(
        th.Property("effective_status", th.StringType),
        th.Property("optimization_goal", th.StringType),
        th.Property("billing_event", th.StringType),
        th.Property("bid_amount", th.IntegerType, description="In the minor unit"),
        th.Property("daily_budget", th.StringType, description="In the minor unit"),
        th.Property("start_time", th.DateTimeType),
        th.Property("end_time", th.DateTimeType),
        *_TIMES,
        parents=("campaign_id",),
    )


class MetaAds(MetaEntityStream):
    name = "meta_ads"
    edge = "ads"
    fields = (
        "id",
        "account_id",
        "campaign_id",
        "adset_id",
        "name",
        "status",
        "effective_status",
        "creative",
        "created_time",
        "updated_time",
    )
    columns: t.ClassVar[dict[str, str]] = {"ad_group_id": "adset_id", "creative_id": "creative_id"}
    schema = entity_schema(
        th.Property("adset_id", th.StringType),
        th.Property("effective_status", th.StringType),
        th.Property("creative_id", th.StringType),
        *_TIMES,
        parents=("campaign_id", "ad_group_id"),
    )


class MetaAdcreatives(MetaEntityStream):
    name = "meta_adcreatives"
    edge = "adcreatives"
    fields = (
        "id",
        "account_id",
        "name",
        "status",
        "title",
        "body",
        "object_type",
        "link_url",
        "thumbnail_url",
        "call_to_action_type",
    )
    schema = entity_schema(
        th.Property("title", th.StringType),
        th.Property("body", th.StringType),
        th.Property("object_type", th.StringType),
        th.Property("link_url", th.StringType),
        th.Property("thumbnail_url", th.StringType),
        th.Property("call_to_action_type", th.StringType),
    )


_ACTIONS = th.ArrayType(
    th.ObjectType(th.Property("action_type", th.StringType), th.Property("value", th.NumberType))
)
# date_start / date_stop come with every row (time_increment=1) without being asked for.
INSIGHT_FIELDS = (
    "account_id",
    "account_currency",
    "campaign_id",
    "adset_id",
    "ad_id",
    "impressions",
    "clicks",
    "spend",
    "inline_link_clicks",
    "actions",
    "action_values",
)


class InsightsJob:
    """Meta's async insights API for one account (core.jobs.AsyncReport)."""

    def __init__(self, meta: Meta, account: Account) -> None:
        self.meta, self.account = meta, account

    def create(self, window: DateRange) -> str:
        body = self.meta.client.post(
            f"act_{self.account.id}/insights",
            level="ad",
            time_increment=1,
            time_range=json.dumps({"since": str(window.start), "until": str(window.end)}),
            fields=",".join(INSIGHT_FIELDS),
            action_attribution_windows=json.dumps(["7d_click", "1d_view"]),
            action_report_time="impression",
        )
        run_id = body.get("report_run_id")
        if not run_id:
            fail(f"Meta started no insights job for act_{self.account.id} (no report_run_id).")
        return str(run_id)

    def status(self, job_id: str) -> tuple[JobState, str]:
        body = self.meta.client.get(job_id)
        status = str(body.get("async_status", ""))
        detail = f"{status}, {body.get('async_percent_completion', 0)}%"
        if status == "Job Completed":
            return "done", detail
        if status in ("Job Failed", "Job Skipped"):
            # The job's status does not say why; reading its results does (error_subcode
            # 1487534: "reduce the amount of data"). A few attempts: a 5xx there says nothing.
            try:
                self.meta.client.request("GET", f"{job_id}/insights", attempts=3)
            except TooLargeError as exc:
                return "too_large", f"{detail}: {exc}"
            except ApiError as exc:
                return "failed", f"{detail}: {exc.reason}"
            return "failed", detail
        return "running", detail

    def rows(self, job_id: str) -> t.Iterator[dict]:
        yield from self.meta.pages(f"{job_id}/insights", ())


class MetaAdInsightsDaily(MetaStream, ReportStream):
    name = "meta_ad_insights_daily"
    columns: t.ClassVar[dict[str, str]] = {"ad_group_id": "adset_id", "date": "date_start"}
    schema = report_schema(
        th.Property("adset_id", th.StringType),
        th.Property("inline_link_clicks", th.IntegerType),
        th.Property("actions", _ACTIONS, description="All action counts, by action_type"),
        th.Property("action_values", _ACTIONS, description="Action values, by action_type"),
    )

    def window_days(self) -> int:
        return int(self.runtime.config["max_job_days"])

    def fetch(self, account: Account, window: DateRange) -> t.Iterator[dict]:
        meta: Meta = self.runtime  # type: ignore[assignment]
        runner = self.job_runner(f"act_{account.id}")
        wanted = set(meta.config["conversion_action_types"])
        for raw in runner.fetch(InsightsJob(meta, account), window):
            for name in ("actions", "action_values"):  # Meta sends the values as text
                raw[name] = [
                    {**action, "value": to_decimal(action.get("value"))}
                    for action in raw.get(name) or []
                ] or None
            raw["conversions"] = _sum_actions(raw.get("actions"), wanted)
            raw["conversion_value"] = _sum_actions(raw.get("action_values"), wanted)
            yield raw


def _sum_actions(actions: t.Any, wanted: set[str]) -> Decimal:
    """The sum of the wanted action types' values (0 when there are none)."""
    return sum(
        (
            to_decimal(a.get("value")) or Decimal(0)
            for a in actions or []
            if a.get("action_type") in wanted
        ),
        Decimal(0),
    )


STREAMS = [
    MetaAdAccounts,
    MetaCampaigns,
    MetaAdsets,
    MetaAds,
    MetaAdcreatives,
    MetaAdInsightsDaily,
]
Meta.streams = STREAMS
