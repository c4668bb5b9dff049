"""Per platform, against its sandbox: a run copies exactly the truth's rows and totals; after
the platform revises recent numbers, the next run re-reads the lookback window and the
merged copy equals the revised truth (upserts on the primary key, no duplicates)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tap_ads.core import dates

# platform -> (daily report stream(s), entity streams and the truth's entity key)
PLATFORMS = {
    "meta": (
        ["meta_ad_insights_daily"],
        {
            "meta_ad_accounts": "ad_accounts",
            "meta_campaigns": "campaigns",
            "meta_adsets": "ad_groups",
            "meta_ads": "ads",
            "meta_adcreatives": "creatives",
        },
    ),
    "google_ads": (
        ["google_ads_ad_performance_daily", "google_ads_video_performance_daily"],
        {
            "google_ads_customers": "ad_accounts",
            "google_ads_campaigns": "campaigns",
            "google_ads_ad_groups": "ad_groups",
            "google_ads_ads": "ads",
        },
    ),
    "tiktok": (
        ["tiktok_ad_performance_daily"],
        {
            "tiktok_advertisers": "ad_accounts",
            "tiktok_campaigns": "campaigns",
            "tiktok_adgroups": "ad_groups",
            "tiktok_ads": "ads",
        },
    ),
    "pinterest": (
        ["pinterest_ad_performance_daily"],
        {
            "pinterest_ad_accounts": "ad_accounts",
            "pinterest_campaigns": "campaigns",
            "pinterest_ad_groups": "ad_groups",
            "pinterest_ads": "ads",
        },
    ),
    "reddit": (
        ["reddit_ad_performance_daily"],
        {
            "reddit_ad_accounts": "ad_accounts",
            "reddit_campaigns": "campaigns",
            "reddit_ad_groups": "ad_groups",
            "reddit_ads": "ads",
        },
    ),
}
SECRETS = {
    "meta": ["access_token"],
    "google_ads": ["client_secret", "refresh_token", "developer_token"],
    "tiktok": ["access_token"],
    "pinterest": ["client_secret", "refresh_token"],
    "reddit": ["client_secret", "refresh_token"],
}
LOOKBACK = {"meta": 28, "google_ads": 30, "tiktok": 3, "pinterest": 7, "reddit": 2}


def key(stream: str, row: dict) -> tuple:
    video = (row["video_id"],) if "video" in stream else ()
    return (row["account_id"], row["ad_group_id"], row["ad_id"], *video, row["date"])


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_exact_copy_then_the_lookback_window_picks_up_revisions(ads_case, sync_tap, platform):
    # Three days more than the lookback, so that the second run reads less than the first.
    case = ads_case(platform, days=LOOKBACK[platform] + 3)
    totals, truth_totals = case.totals, case.truth_totals
    reports, entities = PLATFORMS[platform]

    first = sync_tap(case.config)
    assert first.returncode == 0, first.stderr
    for name in SECRETS[platform]:  # not in a record, the state or a log line
        assert case.config[platform][name] not in first.stdout + first.stderr, name
    truth = case.truth()
    for stream, truth_key in entities.items():
        assert len(first.records(stream)) == truth["entities"][truth_key], stream
    accounts = first.records(entities and next(iter(entities)))
    assert {a["id"]: (a["currency"], a["time_zone"]) for a in accounts} == {
        i: (a["currency"], a["time_zone"]) for i, a in truth["accounts"].items()
    }
    copies: dict[str, dict[tuple, dict]] = {}
    for stream, truth_part in zip(reports, ["report", "video_report"], strict=False):
        rows = first.records(stream)
        copies[stream] = {key(stream, r): r for r in rows}
        assert len(copies[stream]) == len(rows)  # the primary key is unique
        assert totals(rows) == truth_totals(truth[truth_part]), stream
        for row in rows:  # the account's currency and zone on every row
            account = truth["accounts"][row["account_id"]]
            assert (row["currency"], row["time_zone"]) == (
                account["currency"],
                account["time_zone"],
            )
    if platform == "google_ads":
        videos = first.records("google_ads_video_performance_daily")
        assert sum(r["video_views"] for r in videos) == truth["video_report"]["video_views"]
        assert len({r["video_id"] for r in videos}) <= truth["entities"]["videos"]

    revised = case.ads.revise(LOOKBACK[platform])
    assert revised["changed_rows"] > 0 and revised["added_rows"] > 0
    second = sync_tap(case.config, state=first.state)
    assert second.returncode == 0, second.stderr
    after = case.truth()
    today = case.todays
    for stream, truth_part in zip(reports, ["report", "video_report"], strict=False):
        rows = second.records(stream)
        assert len({key(stream, r) for r in rows}) == len(rows), stream  # no duplicates
        bookmarks = {
            p["context"]["account_id"]: date.fromisoformat(p["replication_key_value"])
            for p in first.state["bookmarks"][stream]["partitions"]
        }
        for account_id, day in today.items():
            # The first run's bookmark is the account's own today (its zone: the day edges
            # differ from UTC's); the second run reads exactly [bookmark - lookback, today]:
            # every revised and late row, plus the documented overlap, nothing else.
            assert bookmarks[account_id] == day, (stream, account_id)
            since = max(case.start, day - timedelta(days=LOOKBACK[platform]))
            mine = [r for r in rows if r["account_id"] == account_id]
            window = case.ads.truth(since, day)[truth_part]["by_account"][account_id]
            assert totals(mine) == truth_totals({"by_account": {account_id: window}}), stream
            assert revised["by_account"][account_id]["start"] >= since.isoformat()
            assert min(r["date"] for r in mine) == since.isoformat()
            assert max(r["date"] for r in mine) == day.isoformat()
        copies[stream].update({key(stream, r): r for r in rows})
        assert totals(list(copies[stream].values())) == truth_totals(after[truth_part]), stream
    assert totals(list(copies[reports[0]].values())) != truth_totals(truth["report"])


# Instants at the day edges: at 23:30 UTC Tokyo, Berlin and Sydney are already on the next
# day and New York is not; at 02:00 UTC New York is still on the day before, while
# Pinterest's report days (UTC) have turned.
LATE = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
EARLY = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
EDGES = {"google_ads": LATE, "tiktok": LATE, "reddit": LATE, "pinterest": EARLY}


@pytest.mark.parametrize("platform", list(EDGES))
def test_each_account_reads_up_to_its_own_today_at_the_day_edges(
    ads_case, sync_tap, monkeypatch, platform
):
    now = EDGES[platform]
    monkeypatch.setattr(dates, "now_utc", lambda: now)
    case = ads_case(platform, days=3, scale=0.2, now=now)
    todays = case.todays
    if platform == "pinterest":
        assert set(todays.values()) == {now.date()}
        assert now.astimezone(ZoneInfo("America/New_York")).date() < now.date()
    else:  # one account on UTC's day, the other a day ahead
        assert sorted(todays.values()) == [now.date(), now.date() + timedelta(days=1)]
    run = sync_tap(case.config)
    assert run.returncode == 0, run.stderr
    rows = run.records(PLATFORMS[platform][0][0])
    for account_id, day in todays.items():  # rows up to the account's own today, no further
        assert max(r["date"] for r in rows if r["account_id"] == account_id) == str(day)
    assert case.totals(rows) == case.truth_totals(case.truth()["report"])
