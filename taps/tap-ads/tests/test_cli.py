"""What a user sees: one line for a bad credential, a missing setting or an unknown account
(never a secret), discovery without network, and a cheap connection test."""

from __future__ import annotations

import json

import pytest
from tap_ads.tap import TapAds

STREAMS = {
    "meta": ["meta_ad_accounts", "meta_ad_insights_daily", "meta_adcreatives", "meta_ads",
             "meta_adsets", "meta_campaigns"],
    "google_ads": ["google_ads_ad_groups", "google_ads_ad_performance_daily", "google_ads_ads",
                   "google_ads_campaigns", "google_ads_customers",
                   "google_ads_video_performance_daily"],
    "tiktok": ["tiktok_ad_performance_daily", "tiktok_adgroups", "tiktok_ads",
               "tiktok_advertisers", "tiktok_campaigns"],
    "pinterest": ["pinterest_ad_accounts", "pinterest_ad_groups",
                  "pinterest_ad_performance_daily", "pinterest_ads", "pinterest_campaigns"],
    "reddit": ["reddit_ad_accounts", "reddit_ad_groups", "reddit_ad_performance_daily",
               "reddit_ads", "reddit_campaigns"],
}  # fmt: skip
# platform -> (setting to spoil, the start of the one line)
# A static bearer token, an error inside an HTTP 200 answer, and an OAuth refresh grant
# (Pinterest and Reddit use the same refresh flow as Google, with HTTP Basic).
BAD_CREDENTIAL = {
    "meta": ("access_token", "tap-ads: Meta rejected the credentials on /act_"),
    "tiktok": ("access_token", "tap-ads: TikTok rejected the credentials on /advertiser/info/"),
    "google_ads": ("refresh_token", "tap-ads: Google Ads rejected the OAuth credentials (HTTP 400"),
}
SECRETS = {
    "meta": ["access_token"],
    "google_ads": ["client_secret", "refresh_token", "developer_token"],
    "tiktok": ["access_token"],
    "pinterest": ["client_secret", "refresh_token"],
    "reddit": ["client_secret", "refresh_token"],
}


def only_line(run) -> str:
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    return run.last_line


@pytest.mark.parametrize("platform", list(BAD_CREDENTIAL))
def test_a_rejected_credential_is_one_line_without_secrets(ads_case, run_tap, platform):
    case = ads_case(platform)
    setting, start = BAD_CREDENTIAL[platform]
    good = case.config[platform]
    wrong = "WRONG" + good[setting][::-1]
    case.config[platform] = {**good, setting: wrong}
    run = run_tap(case.config)
    line = only_line(run)
    assert line.startswith(start), line
    assert f"`{platform}.{setting}`" in line or "create a new" in line or "authorize" in line
    for name in SECRETS[platform]:
        assert good[name] not in run.stdout + run.stderr, name
    assert wrong not in run.stdout + run.stderr
    assert run.records(STREAMS[platform][0]) == []


def test_a_missing_setting_is_named_before_any_request(ads_case, sync_tap):
    case = ads_case("google_ads")
    del case.config["google_ads"]["developer_token"]
    run = sync_tap(case.config)
    assert only_line(run) == (
        "tap-ads: the `google_ads` block is missing `developer_token`: set "
        "`google_ads.developer_token` (env TAP_ADS_GOOGLE_ADS_DEVELOPER_TOKEN) or remove the "
        "`google_ads` block to skip Google Ads."
    )
    assert case.ads.stats()["requests"] == 0
    assert case.config["google_ads"]["client_secret"] not in run.stderr


@pytest.mark.parametrize(
    ("platform", "account", "reason"),
    [
        ("meta", "123456789", "error 100/33"),
        ("google_ads", "1234567890", "USER_PERMISSION_DENIED"),
    ],
)
def test_an_unknown_account_id_is_one_line(ads_case, run_tap, platform, account, reason):
    case = ads_case(platform)
    ids = {"meta": "account_ids", "google_ads": "customer_ids"}
    case.config[platform][ids[platform]].append(account)
    run = run_tap(case.config)
    line = only_line(run)
    assert line.startswith(f"tap-ads: {case.ads.platform.sandbox.data.platform}"[:9])
    assert f"account {account} is unknown or not readable" in line and reason in line
    assert f"`{platform}.{ids[platform]}`" in line


def test_no_configured_platform_is_one_line(sync_tap):
    run = sync_tap({"start_date": "2026-01-01", "meta": {"api_url": "http://127.0.0.1:9"}})
    assert only_line(run).startswith("tap-ads: no platform is configured")


def test_discovery_needs_no_network_and_lists_configured_platforms_only(run_tap):
    everything = run_tap({}, "--discover")
    assert everything.returncode == 0, everything.stderr
    streams = {s["tap_stream_id"]: s for s in json.loads(everything.stdout)["streams"]}
    assert sorted(streams) == sorted(name for names in STREAMS.values() for name in names)
    for name, stream in streams.items():
        props = stream["schema"]["properties"]
        if name.endswith("_daily"):
            assert stream["replication_key"] == "date"
            key = ["account_id", "ad_group_id", "ad_id", "date"]
            if "video" in name:
                key.insert(3, "video_id")
            assert stream["key_properties"] == key
            assert props["spend"]["type"] == ["number", "null"]
            assert {"currency", "time_zone", "impressions", "clicks", "conversions",
                    "conversion_value", "campaign_id"} <= set(props)  # fmt: skip
        else:
            assert stream["key_properties"] == ["id"]
            assert {"id", "account_id", "name", "status"} <= set(props)
    about = json.loads(run_tap({}, "--about", "--format=json").stdout)
    assert about["settings"]["properties"]["meta"]["properties"]["access_token"]["secret"]
    only_tiktok = TapAds(
        config={"start_date": "2026-01-01", "tiktok": {"access_token": "x" * 8}},
        validate_config=False,
    )
    assert sorted(s.name for s in only_tiktok.discover_streams()) == STREAMS["tiktok"]


def test_connection_test_reads_little(ads_case, run_tap):
    case = ads_case("tiktok")
    run = run_tap(case.config, "--test")
    assert run.returncode == 0, run.stderr
    by_endpoint = case.ads.stats()["by_endpoint"]
    # One page of each advertiser's last days, and of each entity list.
    assert by_endpoint["GET /report/integrated/get/"] == 2
    assert sum(by_endpoint.values()) == 5 * 2
