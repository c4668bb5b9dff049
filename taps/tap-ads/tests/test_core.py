"""The reporting core's small rules, in isolation: exact money, date ranges, the lookback
window, flattening, and reading the platforms' throttle answers."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests
from tap_ads.core.dates import DateRange, read_range
from tap_ads.core.jsonstream import CutJSON, keyed_arrays
from tap_ads.core.numbers import from_micros
from tap_ads.core.streams import flatten
from tap_ads.core.versions import GOOGLE_ADS, META, WARN_DAYS
from tap_ads.platforms.google_ads import GoogleAdsPolicy, find_retry_delay
from tap_ads.platforms.meta import MetaPolicy
from tap_ads.platforms.tiktok import TikTokPolicy
from tap_ads.tap import PLATFORMS


@pytest.mark.parametrize(
    ("micros", "units"),
    [("1230000", "1.23"), (1, "0.000001"), ("150000000", "150"), (0, "0"),
     ("123456789012345678", "123456789012.345678")],
)  # fmt: skip
def test_micros_become_exact_currency_units(micros, units):
    value = from_micros(micros)
    assert value == Decimal(units) and str(value) == units


def test_a_range_splits_in_halves_and_windows_oldest_first():
    days = DateRange(date(2026, 11, 1), date(2026, 11, 5))
    assert days.halves() == (
        DateRange(date(2026, 11, 1), date(2026, 11, 2)),
        DateRange(date(2026, 11, 3), date(2026, 11, 5)),
    )
    assert [str(w) for w in days.windows(2)] == [
        "2026-11-01..2026-11-02", "2026-11-03..2026-11-04", "2026-11-05..2026-11-05",
    ]  # fmt: skip


def test_the_lookback_window_starts_before_the_bookmark_but_not_before_start_date():
    common = {"end_date": None, "today": date(2026, 11, 22), "lookback_days": 3}
    first = read_range(start_date=date(2026, 11, 1), bookmark=None, **common)
    assert first == DateRange(date(2026, 11, 1), date(2026, 11, 22))
    later = read_range(start_date=date(2026, 11, 1), bookmark=date(2026, 11, 22), **common)
    assert later == DateRange(date(2026, 11, 19), date(2026, 11, 22))
    young = read_range(start_date=date(2026, 11, 21), bookmark=date(2026, 11, 22), **common)
    assert young == DateRange(date(2026, 11, 21), date(2026, 11, 22))


def test_flatten_joins_nested_keys_in_snake_case():
    raw = {"adGroupAd": {"ad": {"id": "7"}}, "metrics": {"costMicros": "5"}, "AD_ID": 3}
    assert flatten(raw) == {"ad_group_ad_ad_id": "7", "metrics_cost_micros": "5", "ad_id": 3}


def answer(status: int, body: str, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body.encode()
    response.headers.update(headers or {})
    return response


def test_each_platform_policy_reads_its_own_throttle_and_token_answers():
    google = '{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{"errors": [{"errorCode": {"quotaError": "RESOURCE_EXHAUSTED"}, "details": {"quotaErrorDetails": {"retryDelay": "17s"}}}]}]}}'  # noqa: E501
    verdict = GoogleAdsPolicy().classify(answer(429, google), json.loads(google))
    assert (verdict.kind, verdict.wait) == ("throttled", 17.0)
    assert find_retry_delay({"a": [{"retryDelay": "2.5s"}]}) == 2.5
    meta = {"error": {"code": 80004, "error_subcode": 2446079, "message": "too many calls"}}
    usage = '{"1": [{"call_count": 100, "estimated_time_to_regain_access": 2}]}'
    verdict = MetaPolicy().classify(
        answer(400, json.dumps(meta), {"X-Business-Use-Case-Usage": usage}), meta
    )
    assert (verdict.kind, verdict.wait) == ("throttled", 120.0)
    expired = {"error": {"code": 190, "error_subcode": 463, "message": "Session has expired"}}
    assert MetaPolicy().classify(answer(400, ""), expired).kind == "renew"
    # TikTok's code table (test_contracts checks every code by name against the SDK's).
    for code, kind in ((40100, "throttled"), (40132, "throttled"), (51000, "retry"),
                       (60001, "retry"), (40102, "renew"), (40105, "renew"), (40002, "fail"),
                       (40101, "fail"), (40700, "fail"), (0, "ok")):  # fmt: skip
        assert TikTokPolicy().classify(answer(200, "{}"), {"code": code}).kind == kind, code


def test_a_report_file_is_parsed_as_it_arrives():
    doc = json.dumps({"1": [{"a": 1.5, "b": "é"}, {"a": 2}], "2": [], "3": [{"c": [1]}]})
    raw = doc.encode()
    expected = [("1", {"a": Decimal("1.5"), "b": "é"}), ("1", {"a": 2}), ("3", {"c": [1]})]
    for size in (1, 2, 5, len(raw)):  # any chunking, even inside a UTF-8 character
        assert list(keyed_arrays(raw[i : i + size] for i in range(0, len(raw), size))) == expected
    pulled = []

    def chunks():
        for i in range(0, len(raw), 4):
            pulled.append(i)
            yield raw[i : i + 4]

    first = next(keyed_arrays(chunks()))
    assert first == expected[0] and len(pulled) < len(raw) // 4  # not the whole file first
    assert list(keyed_arrays([b"{}"])) == []
    with pytest.raises(CutJSON):
        list(keyed_arrays([raw[: len(raw) // 2]]))


def test_api_versions_warn_before_their_end_and_fail_after_it(caplog):
    logger = logging.getLogger("tap-ads-versions")
    day = date(2026, 12, 15)
    with caplog.at_level(logging.WARNING, logger.name):
        GOOGLE_ADS.check("https://googleads.googleapis.com/v26", logger, today=day)
        assert caplog.messages == []
        GOOGLE_ADS.check("https://googleads.googleapis.com/v23", logger, today=day)
        META.check("https://graph.facebook.com/v21.0", logger, today=date(2026, 12, 2))
    assert caplog.messages == [
        "Google Ads API v23 reaches its end of support on 2027-02-01 (in 48 days): set "
        "`google_ads.api_url` to the v26 API (…/v26).",
        "Meta Graph API v21.0 reaches its end of support on 2027-01-21 (in 50 days): set "
        "`meta.api_url` to the v26.0 API (…/v26.0).",
    ]
    with pytest.raises(SystemExit) as ended:
        GOOGLE_ADS.check("https://googleads.googleapis.com/v22", logger, today=day)
    assert str(ended.value) == (
        "tap-ads: Google Ads API v22 reached its end of support on 2026-10-07: set "
        "`google_ads.api_url` to the v26 API (…/v26)."
    )
    with pytest.raises(SystemExit, match="Google Ads API v19 is no longer supported"):
        GOOGLE_ADS.check("https://googleads.googleapis.com/v19", logger, today=day)
    with pytest.raises(SystemExit, match="names no Meta Graph API version"):
        META.check("https://graph.facebook.com", logger, today=day)


def test_every_platform_defaults_to_its_current_version():
    today = datetime.now(UTC).date()
    for platform in PLATFORMS:
        url = platform.with_defaults({})["api_url"]
        versions = platform.versions
        assert versions.version_of(url) == versions.current, platform.label
        end = versions.ends[versions.current]
        assert end is None or (end - today).days > WARN_DAYS, platform.label
