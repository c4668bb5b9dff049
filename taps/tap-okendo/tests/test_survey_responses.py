"""tap-okendo's survey_responses backfill against the sandbox: exact, resumable, clear errors."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from jsonschema import Draft7Validator
from sandbox.faults import Faults

SURVEYS = {"nps-post-purchase": 130, "onsite-feedback": 45}
FEW_REVIEWS = {"approved": 2, "pending": 0, "rejected": 0}


def config(okendo, **overrides):
    settings = {"max_requests_per_second": 0, "review_statuses": ["approved"]}
    return okendo.tap_config(**{**settings, "survey_ids": list(SURVEYS), **overrides})


def survey_requests(okendo) -> list[str]:
    return [line for line in okendo.stats()["recent"] if "/surveys/" in line]


def last_state(run) -> dict:
    return [m["value"] for m in run.messages if m["type"] == "STATE"][-1]


def test_every_configured_survey_is_copied_exactly(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=FEW_REVIEWS, surveys={**SURVEYS, "not-configured": 7})
    run = run_tap(config(okendo))
    assert run.returncode == 0, run.stderr
    records = run.records("survey_responses")
    truth = okendo.survey_truth()
    for survey in SURVEYS:
        mine = [r for r in records if r["surveyId"] == survey]
        assert len(mine) == truth["surveys"][survey] == SURVEYS[survey]
        assert {r["survey_id"] for r in mine} == {survey}
    assert len({r["surveyResponseId"] for r in records}) == len(records) == 175
    assert set(truth["responses"]) - {r["surveyResponseId"] for r in records} == {
        rid for rid, r in truth["responses"].items() if r["surveyId"] == "not-configured"
    }
    # ceil(130/100) + ceil(45/100) pages, at the cheapest page size and order
    requests = survey_requests(okendo)
    assert len(requests) == 3
    assert all("limit=100" in line and "orderBy=date+asc" in line for line in requests)
    partitions = last_state(run)["bookmarks"]["survey_responses"]["partitions"]
    assert partitions == [
        {"context": {"survey_id": survey}, "complete": True} for survey in SURVEYS
    ]


def test_a_resumed_run_reads_only_the_unfinished_survey(okendo_sandbox, run_tap, tmp_path):
    okendo = okendo_sandbox(counts=FEW_REVIEWS, surveys=SURVEYS)
    state = {
        "bookmarks": {
            "survey_responses": {
                "partitions": [{"context": {"survey_id": "nps-post-purchase"}, "complete": True}]
            }
        }
    }
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))
    run = run_tap(config(okendo), "--state", str(state_file))
    assert run.returncode == 0, run.stderr
    assert {r["surveyId"] for r in run.records("survey_responses")} == {"onsite-feedback"}
    assert len(run.records("survey_responses")) == 45
    requests = survey_requests(okendo)
    assert requests and all("/surveys/onsite-feedback/responses" in line for line in requests)
    skipped = [line for line in run.stderr.splitlines() if "copied completely" in line]
    assert len(skipped) == 1 and "nps-post-purchase" in skipped[0]
    partitions = last_state(run)["bookmarks"]["survey_responses"]["partitions"]
    assert all(p["complete"] for p in partitions) and len(partitions) == 2


def test_a_run_that_dies_mid_backfill_keeps_the_finished_surveys(okendo_sandbox, run_tap, tmp_path):
    okendo = okendo_sandbox(counts=FEW_REVIEWS, surveys=SURVEYS)
    # 1 reviews page + 2 pages of the first survey succeed; then an outage
    okendo.sandbox.faults = Faults(fail_after=3)
    died = run_tap(config(okendo, retry_backoff_ms=1))
    assert died.returncode == 1
    assert "Okendo kept failing on /surveys/" in died.stderr.strip().splitlines()[-1]
    assert len(died.records("survey_responses")) == 130
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(last_state(died)))

    okendo.sandbox.faults = Faults()
    okendo.sandbox.stats.reset()
    resumed = run_tap(config(okendo), "--state", str(state_file))
    assert resumed.returncode == 0, resumed.stderr
    assert {r["surveyId"] for r in resumed.records("survey_responses")} == {"onsite-feedback"}
    assert all("onsite-feedback" in line for line in survey_requests(okendo))


@pytest.mark.parametrize("bad", ["no-such-survey", "a b/c"])
def test_an_unknown_survey_stops_with_one_line_naming_it(okendo_sandbox, run_tap, bad):
    okendo = okendo_sandbox(counts=FEW_REVIEWS, surveys=SURVEYS)
    run = run_tap(config(okendo, survey_ids=["onsite-feedback", bad]))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"tap-okendo: Okendo has no survey {bad!r} (HTTP 404)")
    assert "`survey_ids`" in last
    assert "Traceback" not in run.stderr
    assert len(run.records("survey_responses")) == 45  # the survey before it was copied
    if bad == "no-such-survey":  # the other one never reaches the API's router
        assert okendo.stats()["by_status"]["404"] == 1  # a 404 is not retried


def test_no_survey_ids_reads_no_survey(okendo_sandbox, run_tap):
    okendo = okendo_sandbox(counts=FEW_REVIEWS, surveys=SURVEYS)
    run = run_tap(config(okendo, survey_ids=[]))
    assert run.returncode == 0, run.stderr
    assert run.records("survey_responses") == []
    assert survey_requests(okendo) == []
    assert "no `survey_ids` set" in run.stderr
    assert len(run.records("reviews")) == 2 and len(run.records("sync_runs")) == 1


def test_schema_is_typed_and_every_record_fits_it(okendo_sandbox, run_tap):
    discovered = run_tap({}, "--discover")
    streams = json.loads(discovered.stdout)["streams"]
    (stream,) = [s for s in streams if s["tap_stream_id"] == "survey_responses"]
    assert stream["key_properties"] == ["surveyResponseId"]
    schema = stream["schema"]
    props = schema["properties"]
    assert props["surveyResponseId"]["type"] == ["string"]
    assert props["dateUpdated"]["format"] == "date-time"
    answer = props["answers"]["items"]["properties"]
    assert set(answer) == {"questionId", "questionText", "questionType", "value", "otherValue"}
    assert answer["value"]["type"] == ["string", "null"]
    assert set(props["order"]["properties"]) == {"orderId", "orderNumber"}
    assert set(props["customer"]["properties"]) == {"customerId", "email"}

    okendo = okendo_sandbox(counts=FEW_REVIEWS, surveys=SURVEYS)
    records = run_tap(config(okendo)).records("survey_responses")
    validator = Draft7Validator(schema)
    for record in records:
        assert not list(validator.iter_errors(record)), record["surveyResponseId"]
        assert set(record) == set(props)  # API fields as they are, plus the partition key


def test_a_second_run_on_the_first_runs_state_skips_the_finished_surveys(
    okendo_sandbox, run_tap, tmp_path
):
    """Two consecutive runs on a busy store (the newest responses several a second, one
    campaign burst), with responses created, edited and deleted in between. The backfill is
    per survey, not incremental: a finished survey is never read again (its changes arrive
    as webhooks through the collector, tested in collector/ and tests/test_surveys.py), and
    reviews are a full copy each run (Okendo has no updated-since filter). So the second run
    emits no survey response and every review once."""
    okendo = okendo_sandbox(counts=FEW_REVIEWS, surveys=SURVEYS)
    first = run_tap(config(okendo))
    assert first.returncode == 0, first.stderr
    created = [r["dateCreated"][:19] for r in first.records("survey_responses")]
    assert max(Counter(created).values()) >= 10  # dense: a burst shares one second
    assert len(first.records("survey_responses")) == sum(SURVEYS.values())

    surveys = okendo.surveys
    live = surveys.live_ids()
    for _ in range(5):
        surveys.create("nps-post-purchase")
    for response_id in live[:3]:
        surveys.update(response_id)
    for response_id in live[3:5]:
        surveys.delete(response_id)
    okendo.sandbox.stats.reset()
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(last_state(first)))
    second = run_tap(config(okendo), "--state", str(state_file))
    assert second.returncode == 0, second.stderr
    assert second.records("survey_responses") == []
    assert survey_requests(okendo) == []
    assert len(second.records("reviews")) == okendo.truth()["reviews"]["total"]
    skipped = [line for line in second.stderr.splitlines() if "copied completely" in line]
    assert len(skipped) == len(SURVEYS)
    assert (
        last_state(second)["bookmarks"]["survey_responses"]
        == (last_state(first)["bookmarks"]["survey_responses"])
    )
