"""Per platform, against its sandbox: a run copies exactly the truth's rows and totals; after
the platform revises recent numbers, the next run re-reads the lookback window and the
merged copy equals the revised truth (upserts on the primary key, no duplicates)."""

from __future__ import annotations

from datetime import timedelta

import pytest

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
        # Only the lookback window is read again: from each account's bookmark minus it.
        for account_id, day in today.items():
            dates = {r["date"] for r in rows if r["account_id"] == account_id}
            if dates:
                assert min(dates) >= str(day - timedelta(days=LOOKBACK[platform]))
        copies[stream].update({key(stream, r): r for r in rows})
        assert totals(list(copies[stream].values())) == truth_totals(after[truth_part]), stream
    assert totals(list(copies[reports[0]].values())) != truth_totals(truth["report"])
