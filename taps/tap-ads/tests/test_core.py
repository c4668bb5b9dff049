"""The reporting core's small rules, in isolation: exact money, date ranges, the lookback
window, flattening, and reading the platforms' throttle answers."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
import requests
from tap_ads.core.dates import DateRange, read_range
from tap_ads.core.numbers import from_micros
from tap_ads.core.streams import flatten
from tap_ads.platforms.google_ads import GoogleAdsPolicy, find_retry_delay
from tap_ads.platforms.meta import MetaPolicy
from tap_ads.platforms.tiktok import TikTokPolicy


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
    for code, kind in ((40100, "throttled"), (40067, "too_large"), (51000, "retry"),
                       (60001, "retry"), (40105, "renew"), (40002, "fail"), (0, "ok")):  # fmt: skip
        assert TikTokPolicy().classify(answer(200, "{}"), {"code": code}).kind == kind, code
