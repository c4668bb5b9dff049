"""Throttling, 5xx, too-large and failed report jobs, and access tokens that expire mid-run:
the run still copies exactly the truth's rows and totals, or stops with one line."""

from __future__ import annotations

import threading
import time

from tap_ads.core import versions

REPORTS = {
    "meta": "meta_ad_insights_daily",
    "google_ads": "google_ads_ad_performance_daily",
    "tiktok": "tiktok_ad_performance_daily",
    "pinterest": "pinterest_ad_performance_daily",
    "reddit": "reddit_ad_performance_daily",
}


def assert_exact(case, run, platform):
    assert run.returncode == 0, run.stderr
    rows = run.records(REPORTS[platform])
    assert case.totals(rows) == case.truth_totals(case.truth()["report"])
    keys = {(r["account_id"], r["ad_group_id"], r["ad_id"], r["date"]) for r in rows}
    assert len(keys) == len(rows)


def test_meta_throttles_5xx_too_large_and_failed_jobs(ads_case, sync_tap):
    # Jobs over 4 days fail as too large (the tap asks for 8); the second job fails outright.
    case = ads_case("meta", throttle_every=9, error_rate=0.05, max_job_days=4, fail_jobs=2)
    case.config["meta"]["max_job_days"] = 8
    run = sync_tap(case.config)
    assert_exact(case, run, "meta")
    stats = case.ads.stats()
    assert stats["throttled"] >= 2 and stats["errors"] >= 1
    # Per account 10 days = 8 + 2; the 8-day job fails as too large and is read as 4 + 4.
    # The first 4-day job fails outright once and is created again.
    assert stats["jobs"] == {"created": 9, "completed": 6, "failed": 3}
    assert "error 80000/2446079" in run.stderr or "error 17/2446079" in run.stderr
    assert "too large (" in run.stderr and "1487534" in run.stderr
    assert "failed (attempt 1 of 3)" in run.stderr


def test_tiktok_throttle_codes_too_large_ranges_and_an_expired_token(ads_case, sync_tap):
    # Throttling (40100) and server errors (51000) are waited out: the copy is exact.
    case = ads_case("tiktok", throttle_every=5, error_rate=0.05)
    run = sync_tap(case.config)
    assert_exact(case, run, "tiktok")
    assert case.ads.stats()["throttled"] >= 2 and "code 40100" in run.stderr
    # TikTok's code table has no "too large" code: a range it refuses (40002 PARAM_ERROR,
    # here over a 4-day limit) ends the run in one line with TikTok's message, no rows lost
    # silently and no bookmark past them.
    small = ads_case("tiktok", max_job_days=4)
    refused = sync_tap(small.config)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.last_line.startswith(
        "tap-ads: TikTok answered /report/integrated/get/ with code 40002: The time range of "
        "a report with a daily dimension cannot exceed 4 days (got 10)"
    )
    assert not any(
        "replication_key_value" in p
        for m in refused.messages
        if m["type"] == "STATE"
        for p in m["value"]["bookmarks"].get(REPORTS["tiktok"], {}).get("partitions", [])
    )
    # An expired long-term token (40102 ACCESS_TOKEN_EXPIRE) cannot be renewed: one line.
    case.ads.expire_tokens()
    expired = sync_tap(case.config, state=run.state)
    assert expired.returncode == 1
    assert expired.last_line.startswith("tap-ads: TikTok rejected the credentials on ")
    assert "code 40102" in expired.last_line and "set `tiktok.access_token`" in expired.last_line


def test_google_quota_errors_paging_and_a_short_lived_token(ads_case, sync_tap):
    # Every 8th call is RESOURCE_EXHAUSTED with retryDelay 1s; tokens live 1 s; small pages.
    case = ads_case("google_ads", throttle_every=8, token_ttl=1, gaql_page_size=100)
    run = sync_tap(case.config)
    assert_exact(case, run, "google_ads")
    videos = run.records("google_ads_video_performance_daily")
    assert case.totals(videos) == case.truth_totals(case.truth()["video_report"])
    stats = case.ads.stats()
    assert stats["throttled"] >= 1
    # The token outlives no 1 s throttle wait: it is renewed before the next call.
    assert stats["token_grants"] >= 2
    assert "Google Ads: retrying" in run.stderr and "RESOURCE_EXHAUSTED" in run.stderr


def test_pinterest_failed_reports_and_a_token_revoked_mid_run(ads_case, sync_tap):
    case = ads_case("pinterest", fail_jobs=2, job_polls=4)
    case.config["pinterest"]["poll_interval_ms"] = 60
    stop = threading.Event()

    def expire_once_a_report_runs() -> None:
        while not stop.is_set():
            if case.ads.platform.sandbox.jobs.created >= 1:
                case.ads.expire_tokens()
                return
            time.sleep(0.02)

    expirer = threading.Thread(target=expire_once_a_report_runs)
    expirer.start()
    try:
        run = sync_tap(case.config)
    finally:
        stop.set()
        expirer.join()
    assert_exact(case, run, "pinterest")
    stats = case.ads.stats()
    assert stats["auth_failures"] >= 1 and stats["token_grants"] == 2
    assert stats["jobs"]["failed"] == 2
    assert "access token expired; renewing it" in run.stderr


def test_reddit_rate_limit_headers(ads_case, sync_tap):
    case = ads_case("reddit", throttle_every=6, error_rate=0.05)
    run = sync_tap(case.config)
    assert_exact(case, run, "reddit")
    assert case.ads.stats()["throttled"] >= 1
    assert "Reddit: retrying" in run.stderr and "HTTP 429" in run.stderr


def test_jobs_that_keep_failing_stop_the_run_loudly(ads_case, sync_tap):
    case = ads_case("meta", fail_jobs=100, job_polls=1)
    case.config["meta"]["max_job_attempts"] = 2
    run = sync_tap(case.config)
    assert run.returncode == 1
    assert run.last_line.startswith("tap-ads: Meta report jobs for act_")
    assert "failed 2 times" in run.last_line and "next run reads it again" in run.last_line
    assert "Traceback" not in run.stderr
    assert run.records(REPORTS["meta"]) == []
    bookmarks = [m for m in run.messages if m["type"] == "STATE"]
    assert all(
        "replication_key_value" not in p
        for m in bookmarks
        for p in m["value"]["bookmarks"].get(REPORTS["meta"], {}).get("partitions", [])
    )


def test_pinterest_report_files_are_streamed_and_a_cut_download_is_read_again(ads_case, sync_tap):
    # The first two downloads break off halfway: each file is read again from its start,
    # the rows already given are skipped, and the copy is exact.
    case = ads_case("pinterest", cut_downloads=2)
    run = sync_tap(case.config)
    assert_exact(case, run, "pinterest")
    assert case.ads.stats()["downloads"] == case.ads.stats()["jobs"]["completed"] + 2
    assert run.stderr.count("report file of ad account") == 2
    assert "broke off after" in run.stderr


def test_a_sunset_api_version_stops_the_run_in_one_line(ads_case, sync_tap, monkeypatch):
    case = ads_case("google_ads", days=2, scale=0.2)
    case.config["google_ads"]["api_url"] = f"{case.ads.url}/v21"
    run = sync_tap(case.config)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.last_line == (
        "tap-ads: Google Ads API v21 reached its end of support on 2026-08-05: set "
        "`google_ads.api_url` to the v26 API (…/v26)."
    )
    assert case.ads.stats()["requests"] == 0  # stopped before any call
    # Were the tap's table behind the platform: the platform's own answer, in one line.
    monkeypatch.setitem(versions.GOOGLE_ADS.ends, "v21", None)
    run = sync_tap(case.config)
    assert run.returncode == 1
    assert "requestError" not in run.last_line and "(UNSUPPORTED_VERSION)" in run.last_line
    assert "set `google_ads.api_url` to v26 or later" in run.last_line
    meta = ads_case("meta", days=2, scale=0.2)
    meta.config["meta"]["api_url"] = f"{meta.ads.url}/v19.0"
    monkeypatch.setitem(versions.META.ends, "v19.0", None)
    run = sync_tap(meta.config)
    assert run.returncode == 1
    assert run.last_line.startswith("tap-ads: Meta answered /act_")
    assert "error 2635/0: (#2635) You are calling a deprecated version" in run.last_line
    assert "set `meta.api_url` to the v26.0 API" in run.last_line
