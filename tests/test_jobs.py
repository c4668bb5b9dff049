"""Every schedule in the project runs green end to end on DuckDB: `meltano schedule run`.

Each schedule's source is started (sandbox APIs, a webhook inbox, a seeded OMS database),
then the schedule runs its job (load, then build and test that source's models) and the
warehouse is checked against the source's truth. A schedule with no case here fails the
suite, so a new source cannot ship without proving its job.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from collector.testing import CollectorProcess
from sandbox.okendo import deliver_okendo_webhooks


def schedules(pipeline) -> dict[str, dict]:
    listed = pipeline.meltano("schedule", "list", "--format=json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    return {s["name"]: s for s in json.loads(listed.stdout)["schedules"]["job"]}


def okendo_reviews(pipeline, okendo_sandbox, **_):
    okendo = okendo_sandbox(counts={"approved": 40, "pending": 6, "rejected": 2})
    pipeline.point_at(okendo)
    yield
    assert pipeline.count("staging.stg_okendo__reviews") == okendo.truth()["reviews"]["total"]


def okendo_surveys(pipeline, okendo_sandbox, tmp_path, **_):
    okendo = okendo_sandbox(counts={"approved": 1}, surveys={"nps-post-purchase": 10})
    inbox = f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
    pipeline.env["TAP_WEBHOOK_INBOX_INBOX_URL"] = inbox
    with CollectorProcess(inbox_url=inbox, log_path=tmp_path / "collector.log") as collector:
        report = deliver_okendo_webhooks(
            okendo.surveys,
            f"{collector.url}/webhooks/okendo",
            seed=2,
            replay_history=10,
            creates=5,
            updates=5,
            deletes=2,
        )
    assert report.gave_up == []
    yield
    assert pipeline.count("raw_collector.okendo_events") == report.events
    # Without a backfill the merge holds what the feed carried: the replayed and new responses.
    truth = okendo.survey_truth()
    merged = {
        row[0]
        for row in pipeline.query("select survey_response_id from marts.okendo_survey_responses")
    }
    assert merged <= set(truth["responses"]) and len(merged) == 10 + 5 - 2


def oms(pipeline, oms_database, **_):
    seeded = oms_database.seed(seed=3, scale=0.1)
    pipeline.point_at_oms(oms_database)
    yield
    assert pipeline.count("staging.stg_oms__orders") == seeded["spree_orders"]


def recharge(pipeline, recharge_sandbox, **_):
    store = recharge_sandbox(scale=0.03)
    pipeline.env.update(
        {
            "TAP_RECHARGE_API_URL": store.api_url,
            "TAP_RECHARGE_ACCESS_TOKEN": store.sandbox.token,
            "TAP_RECHARGE_MAX_REQUESTS_PER_SECOND": "0",
        }
    )
    yield
    truth = store.truth()["counts"]
    assert pipeline.count("staging.stg_recharge__charges") == truth["charges"]
    assert pipeline.count("staging.stg_recharge__customers") == truth["customers"]


def ads(pipeline, ads_sandbox, **_):
    # One platform configured: tap-ads runs only it, and the ads models (every platform's
    # staging and the cross-platform mart) still build with the others' raw tables absent.
    tiktok = ads_sandbox("tiktok", scale=0.2)
    start = datetime.now(UTC).date() - timedelta(days=2)
    pipeline.point_at_ads(tiktok, start_date=start.isoformat())
    yield
    truth = tiktok.truth(start.isoformat(), (start + timedelta(days=4)).isoformat())["report"]
    assert pipeline.query(
        "select platform, count(*), sum(impressions) from marts.fct_ad_performance_daily group by 1"
    ) == [("tiktok", truth["rows"], truth["impressions"])]


def shopify(pipeline, shopify_sandbox, **_):
    shop = shopify_sandbox(scale=0.04, restore_rate=0)
    pipeline.point_at_shopify(shop, bulk_poll_interval_ms=20)
    yield
    truth = shop.truth()
    assert pipeline.count("staging.stg_shopify__orders") == truth["orders"]["rows"]
    assert pipeline.count("staging.stg_shopify__order_lines") == truth["order_lines"]["rows"]


CASES = {
    "ads-daily": ads,
    "okendo-reviews-daily": okendo_reviews,
    "okendo-surveys-every-15-minutes": okendo_surveys,
    "oms-hourly": oms,
    "recharge-hourly": recharge,
    "shopify-hourly": shopify,
}


def test_every_schedule_has_a_case(pipeline):
    assert set(schedules(pipeline)) == set(CASES)


@pytest.mark.parametrize("schedule", sorted(CASES))
def test_schedule_runs_green(schedule, pipeline, request, tmp_path):
    needs = {
        "oms-hourly": "oms_database",
        "recharge-hourly": "recharge_sandbox",
        "ads-daily": "ads_sandbox",
        "shopify-hourly": "shopify_sandbox",
    }
    fixtures = {"okendo_sandbox": request.getfixturevalue("okendo_sandbox")}
    if schedule in needs:
        fixtures[needs[schedule]] = request.getfixturevalue(needs[schedule])
    case = CASES[schedule](pipeline, tmp_path=tmp_path, **fixtures)
    next(case)
    done = pipeline.meltano("schedule", "run", schedule)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "dbt-duckdb" in done.stderr  # the job built and tested the source's models
    next(case, None)
