"""Ads end to end: five ad-platform sandboxes -> tap-ads (one `meltano run`) -> DuckDB ->
staging per platform and marts.fct_ad_performance_daily, checked against each sandbox's truth;
then the platforms revise recent numbers and the next run must land exactly the revised truth.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

PLATFORMS = ("meta", "google-ads", "tiktok", "pinterest", "reddit")
JOB = ("tap-ads", "target-duckdb", "dbt-duckdb:build-ads")
# The tap's default lookback per platform: revisions inside it must be picked up.
LOOKBACK = {"meta": 28, "google_ads": 30, "tiktok": 3, "pinterest": 7, "reddit": 2}
DAYS = 14  # history copied: start_date is this many days back
SCALE = 0.4  # 2 campaigns per account (Google: one VIDEO, one SEARCH), 36 ads per platform
MEASURES = ("rows", "impressions", "clicks", "spend", "conversions", "conversion_value")
ENTITIES = {"ad_accounts": "accounts", "campaigns": "campaigns", "ad_groups": "ad_groups"}
ENTITIES |= {"ads": "ads"}
SECRET_KEYS = ("access_token", "client_secret", "refresh_token", "developer_token")
KEY = "platform, account_id, ad_group_id, ad_id, date"
RAW_REPORTS = {p: f"raw_ads.{p}_ad_performance_daily" for p in LOOKBACK}
RAW_REPORTS["meta"] = "raw_ads.meta_ad_insights_daily"


def key(platform: str) -> str:
    return platform.replace("-", "_")


def totals(pipeline: Any, sql: str) -> dict[str, dict[str, Any]]:
    """{account_id: {rows, impressions, ...}} of a query grouped by account_id."""
    return {
        account: dict(zip(MEASURES, values, strict=True))
        for account, *values in pipeline.query(sql)
    }


def report_totals(pipeline: Any, table: str, where: str = "true") -> dict[str, dict[str, Any]]:
    return totals(
        pipeline,
        "select account_id, count(*), sum(impressions), sum(clicks), sum(spend), "
        f"sum(conversions), sum(conversion_value) from {table} where {where} group by 1",
    )


def expected(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Truth's by_account totals, typed like the warehouse's (ints, exact Decimals)."""
    return {
        account: {
            m: Decimal(t[m]) if m in ("spend", "conversions", "conversion_value") else t[m]
            for m in MEASURES
        }
        for account, t in report["by_account"].items()
        if t["rows"]
    }


def fct_totals(pipeline: Any, platform: str) -> dict[str, dict[str, Any]]:
    return report_totals(pipeline, "marts.fct_ad_performance_daily", f"platform = '{platform}'")


def assert_no_duplicates(pipeline: Any) -> None:
    rows, distinct = pipeline.query(
        f"select count(*), count(distinct ({KEY})) from marts.fct_ad_performance_daily"
    )[0]
    assert rows == distinct


def test_five_platforms_in_one_run_then_revisions_replace(ads_sandbox: Any, pipeline: Any):
    sandboxes = {key(p): ads_sandbox(p, seed=7, scale=SCALE) for p in PLATFORMS}
    start = (datetime.now(UTC) - timedelta(days=DAYS)).date()
    end = start + timedelta(days=DAYS + 2)  # past "today" in every account's time zone

    def truths() -> dict[str, dict[str, Any]]:
        return {p: s.truth(start.isoformat(), end.isoformat()) for p, s in sandboxes.items()}

    # Async report jobs (Meta, Pinterest) polled every 50 ms, not the production 2 s.
    polls = {f"{p}.poll_interval_ms": 50 for p in ("meta", "pinterest")}
    pipeline.point_at_ads(*sandboxes.values(), start_date=start.isoformat(), **polls)
    first = pipeline.run(*JOB)
    before = truths()
    for platform, truth in before.items():
        assert fct_totals(pipeline, platform) == expected(truth["report"]), platform
        # Each account's rows carry its own currency and zone (amounts are not converted).
        accounts = pipeline.query(
            "select distinct account_id, currency, time_zone from marts.fct_ad_performance_daily "
            f"where platform = '{platform}'"
        )
        assert {a: (c, z) for a, c, z in accounts} == {
            a: (v["currency"], v["time_zone"]) for a, v in truth["accounts"].items()
        }, platform
        for entity, model in ENTITIES.items():
            count = pipeline.count(f"staging.stg_{platform}__{model}")
            assert count == truth["entities"][entity], (platform, entity)
    assert pipeline.count("staging.stg_meta__creatives") == before["meta"]["entities"]["creatives"]
    # YouTube: the per-video report holds the VIDEO campaigns' ads once; the fct's Google
    # totals above equal the whole ad report (VIDEO ads included), so nothing is counted twice.
    google = before["google_ads"]
    video = report_totals(pipeline, "staging.stg_google_ads__video_performance_daily")
    assert video == expected(google["video_report"])
    assert 0 < google["video_report"]["rows"] < google["report"]["rows"]
    in_fct = report_totals(
        pipeline,
        "marts.fct_ad_performance_daily join staging.stg_google_ads__campaigns "
        "using (account_id, campaign_id)",
        "platform = 'google_ads' and advertising_channel_type = 'VIDEO'",
    )
    assert in_fct == video  # the fct holds the YouTube ads' numbers once, from the ad report
    assert_no_duplicates(pipeline)

    # Secrets stay out of the logs and of Meltano's state.
    secrets = [
        str(v) for s in sandboxes.values() for k, v in s.tap_config().items() if k in SECRET_KEYS
    ]
    assert len(secrets) == 9  # Meta 1, Google 3, TikTok 1, Pinterest 2, Reddit 2
    with sqlite3.connect(pipeline.tmp / "meltano.db") as db:
        state = " ".join(str(row) for row in db.execute("select * from state"))
    assert "replication_key_value" in state
    for secret in secrets:
        assert secret not in first.stdout + first.stderr
        assert secret not in state

    # Late conversions and delivery corrections inside each platform's lookback window.
    for platform, sandbox in sandboxes.items():
        revised = sandbox.revise(LOOKBACK[platform], seed=1)
        assert revised["changed_rows"] > 0 and revised["added_rows"] > 0, platform
    pipeline.run(*JOB)
    for platform, truth in truths().items():
        assert truth["report"] != before[platform]["report"], platform
        assert fct_totals(pipeline, platform) == expected(truth["report"]), platform
        # Re-read rows replaced their old copies in the raw table too (upsert on the key).
        assert pipeline.count(RAW_REPORTS[platform]) == truth["report"]["rows"], platform
    after = truths()["google_ads"]["video_report"]
    assert report_totals(pipeline, "staging.stg_google_ads__video_performance_daily") == (
        expected(after)
    )
    assert_no_duplicates(pipeline)
