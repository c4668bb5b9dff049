"""The ad-platform sandboxes keep each platform's contract: entities and a daily report read
through the real wire shapes (paging to the end) match the ground truth exactly; async job
states, throttle answers, token expiry, too-large failures and revisions behave as the
platforms do."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from sandbox.ads import build, contracts, meta, reddit
from sandbox.ads import google_ads as gads
from sandbox.ads import pinterest as pins
from sandbox.ads import tiktok as tok
from sandbox.ads.data import HISTORY_DAYS, AdsData
from sandbox.ads.google_ads import QueryError, parse
from sandbox.cli import main as sandbox_cli

TODAY = date(2026, 11, 20)
START, END = date(2026, 10, 20), TODAY  # 32 days: over TikTok's 30-day limit, so windowed
SCALE = 0.4  # 2 campaigns per account: 36 ads per platform
Reader = Callable[[Any, date, date], tuple[dict[str, int], list[dict[str, Any]]]]


def _sum(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per account totals of normalized rows, in the truth's shape (decimal strings)."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        t = out.setdefault(
            row["account_id"],
            {"rows": 0, "impressions": 0, "clicks": 0} | dict.fromkeys(("s", "c", "v"), Decimal(0)),
        )
        t["rows"] += 1
        t["impressions"] += row["impressions"]
        t["clicks"] += row["clicks"]
        t["s"] += row["spend"]
        t["c"] += row["conversions"]
        t["v"] += row["conversion_value"]
    return {
        account: {
            "rows": t["rows"],
            "impressions": t["impressions"],
            "clicks": t["clicks"],
            "spend": t["s"],
            "conversions": t["c"],
            "conversion_value": t["v"],
        }
        for account, t in out.items()
    }


def _expected(truth: dict[str, Any], key: str = "report") -> dict[str, dict[str, Any]]:
    return {
        account: {
            k: (Decimal(v) if k in ("spend", "conversions", "conversion_value") else v)
            for k, v in totals.items()
            if k != "video_views"
        }
        for account, totals in truth[key]["by_account"].items()
    }


def _unique(rows: list[dict[str, Any]]) -> None:
    keys = [(r["account_id"], r["ad_id"], r["date"]) for r in rows]
    assert len(keys) == len(set(keys)), "duplicate report rows"


def _windows(start: date, end: date, days: int) -> list[tuple[date, date]]:
    out = []
    while start <= end:
        stop = min(end, start + timedelta(days=days - 1))
        out.append((start, stop))
        start = stop + timedelta(days=1)
    return out


# -- Meta -------------------------------------------------------------------------------
def _meta_pages(session: requests.Session, url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    response = session.get(url, params=params, timeout=30)
    while True:
        assert response.status_code == 200, response.text
        assert "X-Business-Use-Case-Usage" in response.headers
        body = response.json()
        items += body["data"]
        if "next" not in body.get("paging", {}):
            return items
        assert body["paging"]["cursors"]["after"]
        response = session.get(body["paging"]["next"], timeout=30)


def _meta_job(session: requests.Session, api: str, account: str, start: date, end: date) -> str:
    fields = "account_id,campaign_id,adset_id,ad_id,impressions,clicks,spend,actions,action_values"
    response = session.post(
        f"{api}/act_{account}/insights",
        data={
            "level": "ad",
            "time_increment": "1",
            "time_range": json.dumps({"since": start.isoformat(), "until": end.isoformat()}),
            "fields": fields,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["report_run_id"]


def _meta_poll(session: requests.Session, api: str, job: str) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    while not seen or seen[-1][0] not in ("Job Completed", "Job Failed"):
        body = session.get(f"{api}/{job}", timeout=30).json()
        seen.append((body["async_status"], body["async_percent_completion"]))
    return seen


def read_meta(run: Any, start: date, end: date) -> tuple[dict[str, int], list[dict[str, Any]]]:
    config = run.tap_config()
    api = config["api_url"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {config['access_token']}"
    counts = dict.fromkeys(("ad_accounts", "campaigns", "ad_groups", "ads", "creatives"), 0)
    rows = []
    for account in config["account_ids"]:
        info = session.get(
            f"{api}/act_{account}",
            params={"fields": "name,currency,timezone_name,account_status"},
            timeout=30,
        ).json()
        assert info["id"] == f"act_{account}" and info["account_status"] == 1
        counts["ad_accounts"] += 1
        for edge, key in (
            ("campaigns", "campaigns"),
            ("adsets", "ad_groups"),
            ("ads", "ads"),
            ("adcreatives", "creatives"),
        ):
            items = _meta_pages(session, f"{api}/act_{account}/{edge}", fields="id,name", limit=7)
            assert len({i["id"] for i in items}) == len(items)
            counts[key] += len(items)
        job = _meta_job(session, api, account, start, end)
        assert _meta_poll(session, api, job)[-1] == ("Job Completed", 100)
        for item in _meta_pages(session, f"{api}/{job}/insights", limit=100):
            assert isinstance(item["impressions"], str) and isinstance(item["spend"], str)
            assert item["date_start"] == item["date_stop"]
            actions = {a["action_type"]: a["value"] for a in item.get("actions", [])}
            values = {a["action_type"]: a["value"] for a in item.get("action_values", [])}
            rows.append(
                {
                    "account_id": item["account_id"],
                    "ad_id": item["ad_id"],
                    "date": item["date_start"],
                    "impressions": int(item["impressions"]),
                    "clicks": int(item["clicks"]),
                    "spend": Decimal(item["spend"]),
                    "conversions": Decimal(actions.get(meta.PURCHASE, "0")),
                    "conversion_value": Decimal(values.get(meta.PURCHASE, "0")),
                }
            )
    return counts, rows


# -- Google Ads -----------------------------------------------------------------------------
def _google_session(run: Any) -> tuple[requests.Session, dict[str, Any]]:
    config = run.tap_config()
    grant = requests.post(
        config["token_url"],
        data={
            "grant_type": "refresh_token",
            "client_id": config["client_id"],
            "client_secret": config["client_secret"],
            "refresh_token": config["refresh_token"],
        },
        timeout=30,
    )
    assert grant.status_code == 200, grant.text
    session = requests.Session()
    session.headers.update(
        {
            "Authorization": f"Bearer {grant.json()['access_token']}",
            "developer-token": config["developer_token"],
            "login-customer-id": config["login_customer_id"],
        }
    )
    return session, config


def _gaql(session: requests.Session, api: str, customer: str, query: str) -> list[dict]:
    rows, token = [], None
    while True:
        body = {"query": query, **({"pageToken": token} if token else {})}
        response = session.post(
            f"{api}/customers/{customer}/googleAds:search", json=body, timeout=30
        )
        assert response.status_code == 200, response.text
        page = response.json()
        rows += page.get("results", [])
        token = page.get("nextPageToken")
        if not token:
            return rows


def read_google(run: Any, start: date, end: date) -> tuple[dict[str, int], list[dict[str, Any]]]:
    session, config = _google_session(run)
    api = config["api_url"]
    counts = dict.fromkeys(("ad_accounts", "campaigns", "ad_groups", "ads", "creatives"), 0)
    rows = []
    window = f"segments.date BETWEEN '{start}' AND '{end}'"
    for customer in config["customer_ids"]:
        (info,) = _gaql(
            session, api, customer, "SELECT customer.id, customer.currency_code, "
            "customer.time_zone, customer.descriptive_name FROM customer"
        )  # fmt: skip
        assert info["customer"]["id"] == customer
        counts["ad_accounts"] += 1
        for resource, key in (("campaign", "campaigns"), ("ad_group", "ad_groups")):
            found = _gaql(session, api, customer, f"SELECT {resource}.id FROM {resource}")
            counts[key] += len(found)
        ads = _gaql(session, api, customer, "SELECT ad_group_ad.ad.id FROM ad_group_ad")
        counts["ads"] += len(ads)
        counts["creatives"] += len(ads)
        query = (
            "SELECT campaign.id, ad_group.id, ad_group_ad.ad.id, segments.date, "
            "metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, "
            f"metrics.conversions_value FROM ad_group_ad WHERE {window}"
        )
        for item in _gaql(session, api, customer, query):
            metrics = item["metrics"]
            assert isinstance(metrics["costMicros"], str)
            rows.append(
                {
                    "account_id": customer,
                    "ad_id": item["adGroupAd"]["ad"]["id"],
                    "date": item["segments"]["date"],
                    "impressions": int(metrics["impressions"]),
                    "clicks": int(metrics["clicks"]),
                    "spend": Decimal(metrics["costMicros"]) / 1_000_000,
                    "conversions": Decimal(str(metrics["conversions"])),
                    "conversion_value": Decimal(str(metrics["conversionsValue"])),
                }
            )
    return counts, rows


# -- TikTok ---------------------------------------------------------------------------------
def _tiktok_get(session: requests.Session, url: str, **params: Any) -> dict[str, Any]:
    response = session.get(url, params=params, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0, body
    return body["data"]


def _tiktok_pages(session: requests.Session, url: str, **params: Any) -> list[dict[str, Any]]:
    items, page = [], 1
    while True:
        data = _tiktok_get(session, url, page=page, **params)
        items += data["list"]
        if page >= data["page_info"]["total_page"]:
            assert len(items) == data["page_info"]["total_number"]
            return items
        page += 1


def read_tiktok(run: Any, start: date, end: date) -> tuple[dict[str, int], list[dict[str, Any]]]:
    config = run.tap_config()
    api = config["api_url"]
    session = requests.Session()
    session.headers["Access-Token"] = config["access_token"]
    info = _tiktok_get(
        session, f"{api}/advertiser/info/", advertiser_ids=json.dumps(config["advertiser_ids"])
    )
    counts = {"ad_accounts": len(info["list"])}
    rows = []
    for advertiser in config["advertiser_ids"]:
        for kind, key in (("campaign", "campaigns"), ("adgroup", "ad_groups"), ("ad", "ads")):
            found = _tiktok_pages(
                session, f"{api}/{kind}/get/", advertiser_id=advertiser, page_size=5
            )
            counts[key] = counts.get(key, 0) + len(found)
        counts["creatives"] = counts["ads"]
        for first, last in _windows(start, end, 30):
            for item in _tiktok_pages(
                session,
                f"{api}/report/integrated/get/",
                advertiser_id=advertiser,
                report_type="BASIC",
                data_level="AUCTION_AD",
                dimensions=json.dumps(["ad_id", "stat_time_day"]),
                metrics=json.dumps(
                    ["spend", "impressions", "clicks", "conversion", "total_complete_payment_rate"]
                ),
                start_date=first.isoformat(),
                end_date=last.isoformat(),
                page_size=200,
            ):
                m = item["metrics"]
                rows.append(
                    {
                        "account_id": advertiser,
                        "ad_id": item["dimensions"]["ad_id"],
                        "date": item["dimensions"]["stat_time_day"][:10],
                        "impressions": int(m["impressions"]),
                        "clicks": int(m["clicks"]),
                        "spend": Decimal(m["spend"]),
                        "conversions": Decimal(m["conversion"]),
                        "conversion_value": Decimal(m["total_complete_payment_rate"]),
                    }
                )
    return counts, rows


# -- Pinterest -----------------------------------------------------------------------------
def _pinterest_session(run: Any) -> tuple[requests.Session, dict[str, Any]]:
    config = run.tap_config()
    grant = requests.post(
        f"{config['api_url']}/oauth/token",
        auth=(config["client_id"], config["client_secret"]),
        data={"grant_type": "refresh_token", "refresh_token": config["refresh_token"]},
        timeout=30,
    )
    assert grant.status_code == 200, grant.text
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {grant.json()['access_token']}"
    return session, config


def _bookmarks(session: requests.Session, url: str, page_size: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    bookmark = None
    while True:
        params = {"page_size": page_size, **({"bookmark": bookmark} if bookmark else {})}
        response = session.get(url, params=params, timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        bookmark = body["bookmark"]
        if not bookmark:
            return items


def _pinterest_report(
    session: requests.Session, api: str, account: str, start: date, end: date
) -> tuple[list[str], dict[str, Any]]:
    created = session.post(
        f"{api}/ad_accounts/{account}/reports",
        json={
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "granularity": "DAY",
            "level": "PIN_PROMOTION",
            "report_format": "JSON",
            "columns": [
                "AD_ID",
                "SPEND_IN_MICRO_DOLLAR",
                "TOTAL_IMPRESSION",
                "TOTAL_CLICKTHROUGH",
                "TOTAL_CONVERSIONS",
                "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR",
            ],
        },
        timeout=30,
    )
    assert created.status_code == 200, created.text
    token = created.json()["token"]
    statuses: list[str] = []
    while not statuses or statuses[-1] == "IN_PROGRESS":
        body = session.get(
            f"{api}/ad_accounts/{account}/reports", params={"token": token}, timeout=30
        ).json()
        statuses.append(body["report_status"])
    return statuses, body


def read_pinterest(run: Any, start: date, end: date) -> tuple[dict[str, int], list[dict]]:
    session, config = _pinterest_session(run)
    api = config["api_url"]
    accounts = _bookmarks(session, f"{api}/ad_accounts", 1)
    counts = {"ad_accounts": len(accounts)}
    rows = []
    for account in config["ad_account_ids"]:
        info = session.get(f"{api}/ad_accounts/{account}", timeout=30).json()
        assert "time_zone" not in info and info["currency"]  # report dates are UTC
        for kind, key in (("campaigns", "campaigns"), ("ad_groups", "ad_groups"), ("ads", "ads")):
            found = _bookmarks(session, f"{api}/ad_accounts/{account}/{kind}", 5)
            counts[key] = counts.get(key, 0) + len(found)
        counts["creatives"] = counts["ads"]
        statuses, body = _pinterest_report(session, api, account, start, end)
        assert statuses == ["IN_PROGRESS", "FINISHED"]
        download = requests.get(body["url"], timeout=30)  # pre-signed: no Authorization
        assert download.status_code == 200 and len(download.content) == body["size"]
        for ad_id, daily in download.json().items():
            for item in daily:
                assert str(item["AD_ID"]) == ad_id
                rows.append(
                    {
                        "account_id": account,
                        "ad_id": ad_id,
                        "date": item["DATE"],
                        "impressions": item["TOTAL_IMPRESSION"],
                        "clicks": item["TOTAL_CLICKTHROUGH"],
                        "spend": Decimal(item["SPEND_IN_MICRO_DOLLAR"]) / 1_000_000,
                        "conversions": Decimal(item["TOTAL_CONVERSIONS"]),
                        "conversion_value": Decimal(item["TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR"])
                        / 1_000_000,
                    }
                )
    return counts, rows


# -- Reddit ---------------------------------------------------------------------------------
def _reddit_session(run: Any) -> tuple[requests.Session, dict[str, Any]]:
    config = run.tap_config()
    session = requests.Session()
    session.headers["User-Agent"] = config["user_agent"]
    grant = session.post(
        config["token_url"],
        auth=(config["client_id"], config["client_secret"]),
        data={"grant_type": "refresh_token", "refresh_token": config["refresh_token"]},
        timeout=30,
    )
    assert grant.status_code == 200, grant.text
    session.headers["Authorization"] = f"Bearer {grant.json()['access_token']}"
    return session, config


def _reddit_follow(session: requests.Session, url: str, body: Any = None) -> list[dict]:
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        if body is None:
            response = session.get(next_url, timeout=30)
        else:
            response = session.post(next_url, json=body, timeout=30)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["data"] if body is None else page["data"]["metrics"]
        next_url = page["pagination"]["next_url"]
        assert next_url is None or "page.size=" in next_url
    return items


def read_reddit(run: Any, start: date, end: date) -> tuple[dict[str, int], list[dict]]:
    session, config = _reddit_session(run)
    api = config["api_url"]
    counts: dict[str, int] = {"ad_accounts": 0}
    rows = []
    for account in config["ad_account_ids"]:
        info = session.get(f"{api}/ad_accounts/{account}", timeout=30).json()["data"]
        counts["ad_accounts"] += 1
        for kind in ("campaigns", "ad_groups", "ads"):
            found = _reddit_follow(session, f"{api}/ad_accounts/{account}/{kind}?page.size=5")
            counts[kind] = counts.get(kind, 0) + len(found)
        counts["creatives"] = counts["ads"]
        body = {
            "data": {
                "breakdowns": ["AD_ID", "DATE"],
                "fields": [
                    "IMPRESSIONS",
                    "CLICKS",
                    "SPEND",
                    "CONVERSION_PURCHASE_CLICKS",
                    "CONVERSION_PURCHASE_VIEWS",
                    "CONVERSION_PURCHASE_TOTAL_VALUE",
                ],
                "starts_at": f"{start}T00:00:00Z",
                "ends_at": f"{end + timedelta(days=1)}T00:00:00Z",
                "time_zone_id": info["time_zone_id"],
            }
        }
        for item in _reddit_follow(
            session, f"{api}/ad_accounts/{account}/reports?page.size=300", body
        ):
            rows.append(
                {
                    "account_id": account,
                    "ad_id": item["ad_id"],
                    "date": item["date"],
                    "impressions": item["impressions"],
                    "clicks": item["clicks"],
                    "spend": Decimal(item["spend"]) / 1_000_000,
                    "conversions": Decimal(
                        item["conversion_purchase_clicks"] + item["conversion_purchase_views"]
                    ),
                    # in cents (Reddit Ads API v3 docs)
                    "conversion_value": Decimal(item["conversion_purchase_total_value"]) / 100,
                }
            )
    return counts, rows


READERS: dict[str, Reader] = {
    "meta": read_meta,
    "google_ads": read_google,
    "tiktok": read_tiktok,
    "pinterest": read_pinterest,
    "reddit": read_reddit,
}


@pytest.mark.parametrize("platform", list(READERS))
def test_entities_and_report_match_the_truth(ads_sandbox, platform):
    run = ads_sandbox(platform, scale=SCALE, today=TODAY, gaql_page_size=150)
    truth = run.truth(START, END)
    counts, rows = READERS[platform](run, START, END)
    entities = {k: v for k, v in truth["entities"].items() if k != "videos"}
    assert (
        counts
        == entities
        == {
            "ad_accounts": 2,
            "campaigns": 4,
            "ad_groups": 12,
            "ads": 36,
            "creatives": 36,
        }
    )
    _unique(rows)
    assert all(START.isoformat() <= r["date"] <= END.isoformat() for r in rows)
    assert _sum(rows) == _expected(truth)
    assert truth["report"]["rows"] == len(rows) > 300
    zones = {a["time_zone"] for a in truth["accounts"].values()}
    if platform == "pinterest":  # no account zone in Pinterest's API: UTC report days
        assert zones == {"UTC"}
    else:
        assert "America/New_York" in zones and len(zones) == 2


def test_google_video_report_and_search_stream(ads_sandbox):
    run = ads_sandbox("google-ads", scale=SCALE, today=TODAY, gaql_page_size=40)
    session, config = _google_session(run)
    api, customer = config["api_url"], config["customer_ids"][1]
    truth = run.truth(START, END)["video_report"]["by_account"][customer]
    query = (
        "SELECT campaign.id, ad_group.id, ad_group_ad.ad.id, video.id, video.title, "
        "video.duration_millis, segments.date, metrics.impressions, metrics.clicks, "
        "metrics.cost_micros, metrics.conversions, metrics.conversions_value, "
        "metrics.video_trueview_views, metrics.video_quartile_p100_rate FROM video "
        f"WHERE segments.date BETWEEN '{START}' AND '{END}' "
        "AND campaign.advertising_channel_type = 'VIDEO' AND campaign.status != 'REMOVED'"
    )
    rows = _gaql(session, api, customer, query)
    assert len(rows) == truth["rows"] > 40  # more than one page
    assert sum(int(r["metrics"]["videoTrueviewViews"]) for r in rows) == truth["video_views"]
    assert sum(int(r["metrics"]["impressions"]) for r in rows) == truth["impressions"]
    first = rows[0]
    assert first["video"]["resourceName"] == f"customers/{customer}/videos/{first['video']['id']}"
    assert isinstance(first["video"]["durationMillis"], str)
    assert 0 < first["metrics"]["videoQuartileP100Rate"] < 1
    # searchStream answers the whole result as one array of batches.
    stream = session.post(
        f"{api}/customers/{customer}/googleAds:searchStream", json={"query": query}, timeout=30
    )
    assert stream.status_code == 200
    assert [r for batch in stream.json() for r in batch.get("results", [])] == rows
    # A channel filter that matches nothing: a page without `results`, as Google sends it.
    none = session.post(
        f"{api}/customers/{customer}/googleAds:search",
        json={"query": query.replace("= 'VIDEO'", "= 'SHOPPING'")},
        timeout=30,
    ).json()
    assert "results" not in none and "nextPageToken" not in none and none["fieldMask"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELECT campaign.id FROM campaign WHERE campaign.name LIKE '%x%'", "UNEXPECTED_INPUT"),
        ("SELECT campaign.id, metrics.clicks FROM campaign",
         "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
        ("SELECT ad_group_ad.ad.id, segments.date, metrics.clicks FROM ad_group_ad",
         "EXPECTED_FILTERS_ON_DATE_RANGE"),
        ("SELECT campaign.bogus FROM campaign", "UNRECOGNIZED_FIELD"),
        ("SELECT campaign.id FROM keyword_view", "INVALID_RESOURCE_NAME"),
        ("SELECT campaign.id FROM campaign WHERE ad_group.name = 'x'",
         "PROHIBITED_FIELD_IN_WHERE_CLAUSE"),
    ],
)  # fmt: skip
def test_gaql_outside_the_served_subset_is_invalid_argument(query, code):
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert caught.value.code == code


def test_gaql_bad_query_is_a_google_ads_failure(ads_sandbox):
    run = ads_sandbox("google_ads", scale=0.2, today=TODAY)
    session, config = _google_session(run)
    customer = config["customer_ids"][0]
    url = f"{config['api_url']}/customers/{customer}/googleAds:search"
    response = session.post(url, json={"query": "SELECT campaign.nope FROM campaign"}, timeout=30)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    (failure,) = error["details"]
    assert failure["@type"].endswith("GoogleAdsFailure")
    assert failure["errors"][0]["errorCode"] == {"queryError": "UNRECOGNIZED_FIELD"}
    sized = session.post(url, json={"query": "SELECT campaign.id FROM campaign", "pageSize": 5})
    assert sized.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
        "requestError": "PAGE_SIZE_NOT_SUPPORTED"
    }
    stranger = session.post(
        url,
        headers={"login-customer-id": "1234567890"},
        json={"query": "SELECT campaign.id FROM campaign"},
    )
    assert stranger.status_code == 403
    no_dev = session.post(
        url, headers={"developer-token": ""}, json={"query": "SELECT campaign.id FROM campaign"}
    )
    assert no_dev.status_code == 400
    assert no_dev.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
        "requestError": "DEVELOPER_TOKEN_PARAMETER_MISSING"
    }


# -- async jobs -----------------------------------------------------------------------------
def test_meta_job_states_failures_and_too_large(ads_sandbox):
    run = ads_sandbox("meta", scale=0.2, today=TODAY, job_polls=3, fail_jobs=1, max_job_days=7)
    config = run.tap_config()
    api, account = config["api_url"], config["account_ids"][0]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {config['access_token']}"
    # The first job fails outright; its rows answer a transient error.
    failed = _meta_job(session, api, account, TODAY - timedelta(days=6), TODAY)
    assert _meta_poll(session, api, failed) == [
        ("Job Running", 33),
        ("Job Running", 67),
        ("Job Failed", 0),
    ]
    error = session.get(f"{api}/{failed}/insights", timeout=30).json()["error"]
    assert (error["code"], error["is_transient"]) == (2, True)
    # The retry succeeds; asking for rows too early is an error naming the state.
    job = _meta_job(session, api, account, TODAY - timedelta(days=6), TODAY)
    early = session.get(f"{api}/{job}/insights", timeout=30).json()["error"]
    assert early["code"] == 100 and "Job Not Started" in early["message"]
    assert _meta_poll(session, api, job)[-1] == ("Job Completed", 100)
    # Over max_job_days: the job fails and its rows say "reduce the amount of data".
    large = _meta_job(session, api, account, TODAY - timedelta(days=7), TODAY)
    assert _meta_poll(session, api, large)[-1] == ("Job Failed", 0)
    error = session.get(f"{api}/{large}/insights", timeout=30).json()["error"]
    assert (error["code"], error["error_subcode"]) == (1, 1487534)
    stats = run.stats()
    assert stats["jobs"] == {"created": 3, "completed": 1, "failed": 2}
    assert stats["by_endpoint"]["POST /{node}/{edge}"] == 3
    assert stats["by_endpoint"]["GET /{node}"] == 3 + 3 + 3  # three polls per job
    assert stats["by_endpoint"]["GET /{node}/{edge}"] == 3  # failed, early, too large
    assert stats["by_status"] == {"200": 12, "400": 3} and stats["throttled"] == 0


def test_pinterest_report_fails_too_large_and_tiktok_answers_40002(ads_sandbox):
    pins = ads_sandbox("pinterest", scale=0.2, today=TODAY, max_job_days=10, job_polls=1)
    session, config = _pinterest_session(pins)
    api, account = config["api_url"], config["ad_account_ids"][0]
    statuses, body = _pinterest_report(session, api, account, TODAY - timedelta(days=10), TODAY)
    assert statuses == ["FAILED"] and body["url"] is None
    statuses, body = _pinterest_report(session, api, account, TODAY - timedelta(days=9), TODAY)
    assert statuses == ["FINISHED"] and body["url"]
    unknown = session.get(f"{api}/ad_accounts/{account}/reports", params={"token": "nope"})
    assert unknown.json()["report_status"] == "DOES_NOT_EXIST"

    tok = ads_sandbox("tiktok", scale=0.2, today=TODAY)
    config = tok.tap_config()
    params = {
        "advertiser_id": config["advertiser_ids"][0],
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": '["ad_id","stat_time_day"]',
        "metrics": '["spend"]',
        "start_date": (TODAY - timedelta(days=30)).isoformat(),
        "end_date": TODAY.isoformat(),
    }
    response = requests.get(
        f"{config['api_url']}/report/integrated/get/",
        params=params,
        headers={"Access-Token": config["access_token"]},
        timeout=30,
    )
    assert response.status_code == 200
    # TikTok's code table has no "too large" code: PARAM_ERROR, with the limit in the message.
    assert response.json()["code"] == 40002 and "30 days" in response.json()["message"]


# -- throttling -----------------------------------------------------------------------------
def _caller(run: Any) -> Callable[[], requests.Response]:
    """One cheap authenticated API call in the platform's shape, repeatable with the same
    credentials (OAuth platforms: one grant, reused)."""
    config = run.tap_config()
    api = config["api_url"]
    if run.name == "meta":
        url = f"{api}/act_{config['account_ids'][0]}"
        return lambda: requests.get(url, params={"access_token": config["access_token"]})
    if run.name == "tiktok":
        params = {"advertiser_ids": json.dumps(config["advertiser_ids"][:1])}
        headers = {"Access-Token": config["access_token"]}
        return lambda: requests.get(f"{api}/advertiser/info/", params=params, headers=headers)
    if run.name == "google_ads":
        session, _ = _google_session(run)
        url = f"{api}/customers/{config['customer_ids'][0]}/googleAds:search"
        return lambda: session.post(url, json={"query": "SELECT customer.id FROM customer"})
    if run.name == "pinterest":
        session, _ = _pinterest_session(run)
        return lambda: session.get(f"{api}/ad_accounts")
    session, _ = _reddit_session(run)
    return lambda: session.get(f"{api}/ad_accounts/{config['ad_account_ids'][0]}")


def test_every_platform_throttles_in_its_own_shape(ads_sandbox):
    shapes = {}
    for platform in READERS:
        run = ads_sandbox(platform, scale=0.2, today=TODAY, throttle_every=1)
        shapes[platform] = _caller(run)()
        assert run.stats()["throttled"] == 1
    meta_error = shapes["meta"].json()["error"]
    assert shapes["meta"].status_code == 400 and meta_error["code"] == 17
    usage = json.loads(shapes["meta"].headers["X-Business-Use-Case-Usage"])
    assert next(iter(usage.values()))[0]["call_count"] == 100
    google = shapes["google_ads"]
    assert google.status_code == 429
    (failure, retry) = google.json()["error"]["details"]
    assert failure["errors"][0]["errorCode"] == {"quotaError": "RESOURCE_EXHAUSTED"}
    assert failure["errors"][0]["details"]["quotaErrorDetails"]["retryDelay"] == "1s"
    assert retry["retryDelay"] == "1s"
    assert shapes["tiktok"].status_code == 200 and shapes["tiktok"].json()["code"] == 40100
    assert shapes["pinterest"].status_code == 429
    assert shapes["pinterest"].headers["X-RateLimit-Reset"] == "1"
    assert shapes["reddit"].status_code == 429 and shapes["reddit"].headers["x-ratelimit-reset"]


def test_every_platform_fails_5xx_in_its_own_shape(ads_sandbox):
    for platform in READERS:
        run = ads_sandbox(platform, scale=0.2, today=TODAY, error_rate=1.0)
        response = _caller(run)()
        if platform == "tiktok" and response.status_code == 200:
            assert response.json()["code"] == 51000  # TikTok's own errors ride on HTTP 200
        else:
            assert response.status_code in (500, 502, 503), (platform, response.status_code)
        if platform == "meta":
            assert response.json()["error"]["is_transient"] is True
        if platform == "google_ads":
            assert response.json()["error"]["status"] in ("INTERNAL", "UNAVAILABLE")
        assert run.stats()["errors"] == 1


def test_rate_limit_throttles_a_burst_and_recovers(ads_sandbox):
    run = ads_sandbox("tiktok", scale=0.2, today=TODAY, rate_limit=5)
    call = _caller(run)
    codes = [call().json()["code"] for _ in range(12)]
    assert codes[:5] == [0] * 5 and 40100 in codes
    time.sleep(0.3)
    assert call().json()["code"] == 0


# -- tokens ---------------------------------------------------------------------------------
def test_oauth_tokens_expire_and_are_refreshed(ads_sandbox):
    run = ads_sandbox("reddit", scale=0.2, today=TODAY, token_ttl=0.3)
    session, config = _reddit_session(run)
    url = f"{config['api_url']}/ad_accounts/{config['ad_account_ids'][0]}"
    assert session.get(url, timeout=30).status_code == 200
    time.sleep(0.35)
    expired = session.get(url, timeout=30)
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    session, _ = _reddit_session(run)  # a new grant from the refresh token
    assert session.get(url, timeout=30).status_code == 200
    assert run.stats()["token_grants"] == 2
    # Reddit wants a User-Agent (library defaults are refused) and v2 is gone.
    anonymous = requests.get(url, headers={"Authorization": session.headers["Authorization"]})
    assert anonymous.status_code == 429
    assert session.get(f"{run.url}/api/v2.0/accounts", timeout=30).status_code == 410


@pytest.mark.parametrize(
    ("platform", "status", "check"),
    [
        ("meta", 400, lambda b: (b["error"]["code"], b["error"]["error_subcode"]) == (190, 463)),
        ("tiktok", 200, lambda b: b["code"] == 40102),  # ACCESS_TOKEN_EXPIRE
        ("google_ads", 401, lambda b: b["error"]["details"][0]["errors"][0]["errorCode"]
         == {"authenticationError": "OAUTH_TOKEN_EXPIRED"}),
        ("pinterest", 401, lambda b: b["code"] == 2),
        ("reddit", 401, lambda b: b["error"]["code"] == 401),
    ],
)  # fmt: skip
def test_expired_tokens_get_the_platform_401_shape(ads_sandbox, platform, status, check):
    # Meta's and TikTok's long-lived tokens expire only when token_ttl is given.
    run = ads_sandbox(platform, scale=0.2, today=TODAY, token_ttl=600)
    call = _caller(run)
    assert call().status_code == 200
    assert run.expire_tokens() >= 1
    response = call()
    assert response.status_code == status
    assert check(response.json())
    assert run.stats()["auth_failures"] == 1
    config = run.tap_config()
    secrets = [config[k] for k in ("access_token", "client_secret", "refresh_token") if k in config]
    assert secrets and not any(secret in response.text for secret in secrets)


def test_secrets_stay_out_of_paging_links_and_stats(ads_sandbox):
    run = ads_sandbox("meta", scale=0.2, today=TODAY)
    config = run.tap_config()
    response = requests.get(
        f"{config['api_url']}/act_{config['account_ids'][0]}/ads",
        params={"access_token": config["access_token"], "limit": 2, "fields": "id"},
        timeout=30,
    )
    next_url = response.json()["paging"]["next"]
    assert config["access_token"] not in next_url and "after=" in next_url
    recent = run.stats()["recent"]
    assert recent and "access_token=***" in recent[0]
    assert config["access_token"] not in json.dumps(recent)


# -- revisions ------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["meta", "google_ads"])
def test_revise_changes_only_the_window(ads_sandbox, platform):
    run = ads_sandbox(platform, scale=SCALE, today=TODAY)
    old_start, old_end = TODAY - timedelta(days=60), TODAY - timedelta(days=3)
    before_old = run.truth(old_start, old_end)
    before_new = run.truth(TODAY - timedelta(days=2), TODAY)
    summary = run.revise(3, seed=7)
    assert summary["changed_rows"] > 0 and summary["added_rows"] > 0
    assert run.truth(old_start, old_end) == before_old
    after_new = run.truth(TODAY - timedelta(days=2), TODAY)
    assert after_new["report"]["rows"] == before_new["report"]["rows"] + summary["added_rows"]
    assert Decimal(after_new["report"]["conversions"]) > Decimal(
        before_new["report"]["conversions"]
    )
    # The API serves the revised numbers.
    _, rows = READERS[platform](run, TODAY - timedelta(days=2), TODAY)
    assert _sum(rows) == _expected(after_new)
    _unique(rows)


# -- command line -----------------------------------------------------------------------------
def test_truth_command_and_bad_options(capsys):
    args = ["--scale", "0.2", "--today", "2026-11-20", "--start", "2026-11-01", "--end"]
    assert sandbox_cli(["truth", "reddit", *args, "2026-11-20"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["platform"] == "reddit" and body["entities"]["ads"] == 18
    assert body == build("reddit", scale=0.2, today=TODAY).sandbox.data.truth(
        date(2026, 11, 1), TODAY
    )
    assert sandbox_cli(["serve", "meta", "--port", "1", "--scale", "0"]) == 2
    assert capsys.readouterr().err == "sandbox: scale must be greater than 0\n"
    assert sandbox_cli(["truth", "meta", *args, "2026-10-01"]) == 2
    assert capsys.readouterr().err == "sandbox: --start must not be after --end\n"


def test_serve_prints_the_tap_settings_and_serves():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The ads CLI directly (sandbox.cli imports every vendor; its delegation is tested above).
    entry = "import sys; from sandbox.ads.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", entry, "serve", "tiktok", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--scale", "0.2", "--today", "2026-11-20"], stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stderr is not None
        lines = []
        while not (line := server.stderr.readline()).startswith("tiktok sandbox:"):
            assert line, "the server exited before announcing itself"
            lines.append(line)
        config = json.loads("".join(lines))["tiktok"]
        assert config["api_url"] == f"http://127.0.0.1:{port}/open_api/v1.3"
        deadline = time.monotonic() + 20
        while True:
            try:
                response = requests.get(
                    f"{config['api_url']}/campaign/get/",
                    params={"advertiser_id": config["advertiser_ids"][0], "page_size": 1000},
                    headers={"Access-Token": config["access_token"]},
                    timeout=5,
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the server did not start within 20 s"
                time.sleep(0.1)
        assert response.json()["data"]["page_info"]["total_number"] == 1
    finally:
        server.terminate()
        server.wait(timeout=20)
        assert server.stderr is not None
        server.stderr.close()


# -- the platforms' own definitions ---------------------------------------------------------
# The sandbox's tables are held to the official client libraries (sandbox.ads.contracts),
# and what they refuse is answered with the platform's own codes.
def _google_codes_exist(body: dict[str, Any]) -> list[tuple[str, str]]:
    """Each errorCode of a GoogleAdsFailure, checked to be a value of its v26 enum."""
    found = []
    for detail in body["error"]["details"]:
        for error in detail.get("errors", []):
            ((kind, code),) = error["errorCode"].items()
            enum = kind[0].upper() + kind[1:]
            assert code in contracts.google_error_codes(gads.VERSION, enum), (kind, code)
            found.append((kind, code))
    return found


def test_google_sandbox_fields_versions_and_errors_are_the_protos(ads_sandbox):
    assert contracts.google_versions()[-1] == gads.VERSION
    assert set(gads.FIELDS) <= contracts.google_fields(gads.VERSION)
    assert set(gads.RESOURCES) <= contracts.google_resources(gads.VERSION)
    assert "campaign.start_date" not in contracts.google_fields("v23")  # gone since v23
    run = ads_sandbox("google_ads", scale=0.2, today=TODAY)
    session, config = _google_session(run)
    customer = config["customer_ids"][0]
    url = f"{config['api_url']}/customers/{customer}/googleAds:search"
    old = session.post(url, json={"query": "SELECT campaign.start_date FROM campaign"})
    assert old.status_code == 400
    assert _google_codes_exist(old.json()) == [("queryError", "UNRECOGNIZED_FIELD")]
    sunset = session.post(
        url.replace(f"/{gads.VERSION}/", "/v21/"),
        json={"query": "SELECT customer.id FROM customer"},
    )
    assert sunset.status_code == 400
    assert _google_codes_exist(sunset.json()) == [("requestError", "UNSUPPORTED_VERSION")]
    answers = [
        session.post(url, json={"query": "SELECT campaign.nope FROM campaign"}),
        session.post(url, headers={"developer-token": ""}, json={"query": "x"}),
        session.post(url, headers={"developer-token": "wrong"}, json={"query": "x"}),
        session.post(url, headers={"login-customer-id": "1"}, json={"query": "x"}),
        session.post(url, headers={"Authorization": "Bearer nope"}, json={"query": "x"}),
    ]
    assert [code for a in answers for code in _google_codes_exist(a.json())] == [
        ("queryError", "UNRECOGNIZED_FIELD"),
        ("requestError", "DEVELOPER_TOKEN_PARAMETER_MISSING"),
        ("authenticationError", "DEVELOPER_TOKEN_INVALID"),
        ("authorizationError", "USER_PERMISSION_DENIED"),
        ("authenticationError", "OAUTH_TOKEN_INVALID"),
    ]


def test_meta_sandbox_fields_and_refusals_are_the_sdk(ads_sandbox):
    assert contracts.meta_api_version() == meta.VERSION
    assert contracts.meta_fields("AdsInsights") >= meta.INSIGHTS_FIELDS
    assert contracts.meta_fields("AdAccount") >= meta.ACCOUNT_FIELDS
    for edge, fields in meta.ENTITY_FIELDS.items():
        assert fields <= contracts.meta_fields(meta.NODE_TYPES[edge]), edge
    assert set(meta.LEVELS) == contracts.meta_insights_enum("Level")
    assert contracts.meta_insights_enum("ActionAttributionWindows") == meta.ATTRIBUTION_WINDOWS
    assert set(meta.REPORT_TIMES) == contracts.meta_insights_enum("ActionReportTime")
    run = ads_sandbox("meta", scale=0.2, today=TODAY)
    config = run.tap_config()
    api, account = config["api_url"], config["account_ids"][0]
    auth = {"Authorization": f"Bearer {config['access_token']}"}
    base = {"fields": "ad_id", "time_range": '{"since":"2026-11-19","until":"2026-11-20"}'}

    def job(**params: str) -> dict[str, Any]:
        answer = requests.post(f"{api}/act_{account}/insights", data=base | params, headers=auth)
        return answer.json()

    assert job(level="AD")["error"]["message"].startswith(
        "(#100) level must be one of the following values: account, ad, adset, campaign"
    )
    assert (
        "action_attribution_windows[0] must be one of"
        in job(action_attribution_windows='["7d_clicks"]')["error"]["message"]
    )
    assert "nonexisting field (cost)" in job(fields="cost")["error"]["message"]
    assert "report_run_id" in job(level="ad", action_attribution_windows='["7d_click"]')
    old = requests.get(f"{run.url}/v19.0/act_{account}", headers=auth).json()["error"]
    assert (old["code"], old["type"]) == (2635, "OAuthException")
    assert old["message"].startswith("(#2635) You are calling a deprecated version")


def test_pinterest_sandbox_levels_columns_and_objects_are_the_openapi_models(ads_sandbox):
    assert contracts.pinterest_levels() == pins.LEVELS
    assert contracts.pinterest_columns() >= pins.COLUMNS
    assert set(pins.STATUSES.values()) <= contracts.pinterest_allowed(
        "bulk_reporting_job_status", "BulkReportingJobStatus"
    )
    run = ads_sandbox("pinterest", scale=0.2, today=TODAY)
    data = run.platform.sandbox.data
    shapes = (
        (pins._account, data.accounts, "ad_account", "AdAccount"),
        (pins._campaign, data.campaigns, "campaign_response", "CampaignResponse"),
        (pins._ad_group, data.ad_groups, "ad_group_response", "AdGroupResponse"),
        (pins._ad, data.ads, "ad_response", "AdResponse"),
    )
    for shape, items, module, model in shapes:
        assert set(shape(items[0])) <= contracts.pinterest_attributes(module, model), model
    assert "time_zone" not in pins._account(data.accounts[0])
    session, config = _pinterest_session(run)
    url = f"{config['api_url']}/ad_accounts/{config['ad_account_ids'][0]}/reports"
    body = {"start_date": "2026-11-19", "end_date": "2026-11-20", "granularity": "DAY"}
    body |= {"columns": ["SPEND_IN_MICRO_DOLLAR"], "report_format": "JSON"}
    refused = session.post(url, json=body | {"level": "AD"})
    assert refused.status_code == 400 and refused.json()["code"] == 1
    assert refused.json()["message"].startswith("Invalid parameters: level: 'AD' is not one of")
    assert session.post(url, json=body | {"level": "PIN_PROMOTION"}).status_code == 200


def test_tiktok_sandbox_codes_and_parameters_are_the_sdk():
    table = contracts.tiktok_codes()
    assert {name: table[name] for name in tok.CODES if name != "OK"} == {
        name: code for name, code in tok.CODES.items() if name != "OK"
    }
    assert set(contracts.tiktok_endpoints()) >= {
        "report/integrated/get/",
        "campaign/get/",
        "adgroup/get/",
        "ad/get/",
    }


def test_reddit_sandbox_follows_the_v3_documentation(ads_sandbox):
    spec = contracts.REDDIT
    assert spec.fields >= reddit.FIELDS and spec.breakdowns >= reddit.BREAKDOWNS
    assert reddit.MAX_BREAKDOWNS == spec.max_breakdowns == 3
    run = ads_sandbox("reddit", scale=0.2, today=TODAY)
    session, config = _reddit_session(run)
    account = config["ad_account_ids"][0]
    body = {
        "data": {
            "breakdowns": ["AD_ID", "DATE", "CAMPAIGN_ID", "AD_GROUP_ID"],
            "fields": ["SPEND", "CONVERSION_PURCHASE_TOTAL_VALUE"],
            "starts_at": "2026-11-20T00:00:00Z",
            "ends_at": "2026-11-21T00:00:00Z",
        }
    }
    refused = session.post(f"{config['api_url']}/ad_accounts/{account}/reports", json=body)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith("breakdowns: at most 3 breakdowns")
    body["data"]["breakdowns"] = ["AD_GROUP_ID", "AD_ID", "DATE"]
    rows = session.post(f"{config['api_url']}/ad_accounts/{account}/reports", json=body).json()
    truth = run.truth("2026-11-20", "2026-11-20")["report"]["by_account"][account]
    metrics = rows["data"]["metrics"]
    assert {"ad_group_id", "ad_id", "date"} <= set(metrics[0]) and "campaign_id" not in metrics[0]
    # spend in microcurrency, purchase value in cents
    assert sum(Decimal(m["spend"]) for m in metrics) / 1_000_000 == Decimal(truth["spend"])
    value = sum(Decimal(m["conversion_purchase_total_value"]) for m in metrics) / 100
    assert value == Decimal(truth["conversion_value"])


# -- boundaries -----------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["meta", "google_ads", "tiktok", "pinterest", "reddit"])
def test_every_day_a_reader_may_cut_at_has_rows_on_both_sides(platform):
    now = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    data = AdsData(platform, scale=0.2, now=now)

    def gaps() -> list[date]:
        return [
            a.first_day + timedelta(days=i)
            for a in data.accounts
            for i in range(HISTORY_DAYS + 1)
            if not data.rows[a.id].get(a.first_day + timedelta(days=i))
        ]

    assert gaps() == []
    # Each account's today is its own zone's date (Pinterest: UTC); at 23:30 UTC Tokyo,
    # Berlin and Sydney are a day ahead of New York (London is on UTC's day in December).
    todays = {a.time_zone: a.today for a in data.accounts}
    assert todays == {z: now.astimezone(ZoneInfo(z)).date() for z in todays}
    assert all(max(data.rows[a.id]) == a.today for a in data.accounts)
    if platform in ("google_ads", "tiktok", "reddit"):
        assert len(set(todays.values())) == 2
    data.revise(7)
    assert gaps() == []
