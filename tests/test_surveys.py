"""Okendo survey responses end to end: backfill + signed webhook feed -> one merged table.

The sandbox holds the truth; the backfill reads history through tap-okendo, the sandbox's
sender delivers create/update/delete events (out of order, some twice, overlapping the
backfill) to a real `collector serve`, the inbox tap loads them, and dbt merges both feeds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from collector.testing import CollectorProcess
from sandbox.okendo import deliver_okendo_webhooks

SURVEYS = {"nps-post-purchase": 120, "onsite-feedback": 60}


def _utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def assert_merged_matches(pipeline, truth):
    rows = pipeline.query(
        "select survey_response_id, survey_id, updated_at, nps_score, nps_category "
        "from marts.okendo_survey_responses"
    )
    merged = {row[0]: row[1:] for row in rows}
    assert len(rows) == len(merged) == truth["total"]
    assert set(merged) == set(truth["responses"])
    assert not set(merged) & set(truth["deleted"])
    for response_id, expected in truth["responses"].items():
        survey_id, updated_at, nps, category = merged[response_id]
        assert survey_id == expected["surveyId"]
        assert updated_at == _utc(expected["dateUpdated"]), response_id
        assert nps == expected["nps"], response_id
        assert category == (
            None
            if nps is None
            else "detractor"
            if nps <= 6
            else "passive"
            if nps <= 8
            else "promoter"
        )
    assert pipeline.count("marts.okendo_survey_answers") == truth["answers"]

    daily = {
        str(day): (n, p, d, float(nps))
        for day, n, p, d, nps in pipeline.query(
            "select response_date, nps_responses, promoters, detractors, nps "
            "from marts.okendo_nps_daily"
        )
    }
    expected_days = {
        day: block for day, block in truth["daily_nps"].items() if block["nps_responses"]
    }
    assert set(daily) == set(expected_days)
    for day, block in expected_days.items():
        n, promoters, detractors, nps = daily[day]
        assert (n, promoters, detractors) == (
            block["nps_responses"],
            block["promoters"],
            block["detractors"],
        ), day
        assert abs(nps - block["nps"]) < 0.005, day


def test_backfill_and_webhook_feed_merge_to_the_truth(okendo_sandbox, pipeline, tmp_path):
    okendo = okendo_sandbox(counts={"approved": 3, "pending": 0, "rejected": 0}, surveys=SURVEYS)
    inbox = f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
    pipeline.point_at(okendo, survey_ids='["nps-post-purchase", "onsite-feedback"]')
    pipeline.env["TAP_WEBHOOK_INBOX_INBOX_URL"] = inbox

    pipeline.run("tap-okendo-survey-backfill", "target-duckdb")
    assert pipeline.count("raw_okendo.survey_responses") == 180

    with CollectorProcess(inbox_url=inbox, log_path=tmp_path / "collector.log") as collector:
        report = deliver_okendo_webhooks(
            okendo.surveys,
            f"{collector.url}/webhooks/okendo",
            seed=3,
            replay_history=30,
            creates=15,
            updates=40,
            deletes=12,
            duplicate_rate=0.25,
            shuffle=True,
            concurrency=4,
        )
    assert report.gave_up == [] and report.duplicates > 0 and not report.in_order
    pipeline.run("tap-webhook-inbox", "target-duckdb", "dbt-duckdb:build")
    truth = okendo.survey_truth()
    assert len(truth["deleted"]) == 12
    assert_merged_matches(pipeline, truth)
    # Every accepted delivery landed once, duplicates included in the feed but not the inbox.
    assert pipeline.count("raw_collector.okendo_events") == report.events

    # A second wave, merged incrementally: more updates and deletes, again out of order.
    with CollectorProcess(inbox_url=inbox, log_path=tmp_path / "collector.log") as collector:
        second = deliver_okendo_webhooks(
            okendo.surveys,
            f"{collector.url}/webhooks/okendo",
            seed=4,
            replay_history=0,
            creates=5,
            updates=25,
            deletes=6,
            duplicate_rate=0.25,
            shuffle=True,
        )
    assert second.gave_up == []
    # The backfill's second run, on the state Meltano saved (after all those changes): every
    # survey is complete, so it reads none again (the feed carried the changes).
    okendo.sandbox.stats.reset()
    again = pipeline.run("tap-okendo-survey-backfill", "target-duckdb")
    assert again.stderr.count("was copied completely by an earlier run") == 2
    assert not [line for line in okendo.stats()["recent"] if "/surveys/" in line]
    pipeline.run("tap-webhook-inbox", "target-duckdb", "dbt-duckdb:build")
    assert pipeline.count("raw_okendo.survey_responses") == 180
    assert pipeline.count("raw_collector.okendo_events") == report.events + second.events
    assert_merged_matches(pipeline, okendo.survey_truth())
