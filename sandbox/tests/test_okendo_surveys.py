"""Okendo survey responses in the sandbox: the endpoint, the seeded data, changes and truth."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sandbox.faults import Density
from sandbox.okendo import SurveyStore, WebhookScript, apply_script
from sandbox.okendo.surveys import questions

VERSION = {"okendo-api-version": "2025-02-01"}
SURVEYS = {"nps-post-purchase": 237, "onsite-feedback": 40, "empty": 0}
CONTRACT_FIELDS = {
    "surveyResponseId",
    "surveyId",
    "subscriberId",
    "channel",
    "dateCreated",
    "dateUpdated",
    "order",
    "customer",
    "answers",
}


def get(okendo, survey="nps-post-purchase", auth=None, headers=None, **params):
    return requests.get(
        f"{okendo.api_url}/surveys/{survey}/responses",
        params=params,
        auth=auth or (okendo.sandbox.user_id, okendo.sandbox.api_key),
        headers=VERSION if headers is None else headers,
        timeout=30,
    )


def walk(okendo, survey, **params):
    """Follow nextUrl (relative to the /enterprise base path) to the end."""
    seen, response = [], get(okendo, survey, **params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        seen.extend(body["surveyResponses"])
        if "nextUrl" not in body:
            return seen
        assert body["nextUrl"].startswith(f"/surveys/{survey}/responses?")
        response = requests.get(
            okendo.api_url + body["nextUrl"],
            auth=(okendo.sandbox.user_id, okendo.sandbox.api_key),
            headers=VERSION,
            timeout=30,
        )


@pytest.mark.parametrize("order", ["date asc", "date desc"])
def test_paging_returns_every_response_once_in_order(okendo_sandbox, order):
    okendo = okendo_sandbox(surveys=SURVEYS)
    responses = walk(okendo, "nps-post-purchase", orderBy=order, limit=50)
    assert len(responses) == 237 == len({r["surveyResponseId"] for r in responses})
    assert {r["surveyId"] for r in responses} == {"nps-post-purchase"}
    dates = [r["dateCreated"] for r in responses]
    assert dates == sorted(dates, reverse=order == "date desc")
    assert len(walk(okendo, "onsite-feedback", limit=100)) == 40


def test_default_page_is_25_newest_first_and_empty_survey_is_one_empty_page(okendo_sandbox):
    okendo = okendo_sandbox(surveys=SURVEYS)
    body = get(okendo).json()
    assert len(body["surveyResponses"]) == 25
    dates = [r["dateCreated"] for r in body["surveyResponses"]]
    assert dates == sorted(dates, reverse=True)
    assert get(okendo, "empty").json() == {"surveyResponses": []}


def test_next_url_carries_a_json_last_evaluated_cursor(okendo_sandbox):
    okendo = okendo_sandbox(surveys=SURVEYS)
    next_url = get(okendo, limit=2, orderBy="date asc").json()["nextUrl"]
    query = parse_qs(urlparse(next_url).query)
    assert query["limit"] == ["2"] and query["orderBy"] == ["date asc"]
    assert set(json.loads(query["lastEvaluated"][0])) >= {"surveyResponseId", "dateCreated"}
    assert get(okendo, lastEvaluated="{not json").status_code == 400
    wrong = '{"surveyResponseId": "x", "dateCreated": "2025-10-01T00:00:00.000Z"}'
    assert get(okendo, lastEvaluated=wrong).status_code == 400


@pytest.mark.parametrize("limit", ["0", "101", "abc"])
def test_limit_outside_1_to_100_is_400(okendo_sandbox, limit):
    assert get(okendo_sandbox(surveys=SURVEYS), limit=limit).status_code == 400


def test_unknown_survey_is_a_json_404_behind_the_same_gate(okendo_sandbox):
    okendo = okendo_sandbox(surveys=SURVEYS)
    missing = get(okendo, "no-such-survey")
    assert missing.status_code == 404
    assert "no-such-survey" in missing.json()["error"]["message"]
    assert get(okendo, "no-such-survey", auth=(okendo.sandbox.user_id, "x" * 32)).status_code == 401
    assert get(okendo, headers={}).status_code == 400
    assert get(okendo, auth=(okendo.sandbox.user_id, "x" * 32)).status_code == 401
    assert okendo.stats()["by_status"] == {"400": 1, "401": 2, "404": 1}


def test_responses_follow_the_contract():
    store = SurveyStore(seed=3)
    responses = list(store.iter_live())
    assert len(responses) == 300
    for response in responses:
        assert set(response) == CONTRACT_FIELDS
        assert response["subscriberId"] == store.subscriber_id
        assert response["channel"] in {"email", "onsite", "post-purchase", "sms"}
        assert response["dateUpdated"] >= response["dateCreated"]
        assert response["order"] is None or set(response["order"]) == {"orderId", "orderNumber"}
        assert response["customer"] is None or set(response["customer"]) == {
            "customerId",
            "email",
        }
        nps = [a for a in response["answers"] if a["questionType"] == "nps"]
        assert len(nps) <= 1
        assert all(a["value"] in {str(n) for n in range(11)} for a in nps)
        for answer in response["answers"]:
            assert set(answer) == {
                "questionId",
                "questionText",
                "questionType",
                "value",
                "otherValue",
            }
            assert isinstance(answer["value"], str)
            assert answer["questionType"] in {"nps", "multiple-choice", "free-text", "rating"}
    for survey in store.surveys:
        assert [q.type for q in questions(survey)].count("nps") == 1
    # the awkward cases exist: skipped NPS, no answers at all, custom "other" answers
    assert sum(not any(a["questionType"] == "nps" for a in r["answers"]) for r in responses) > 10
    assert sum(not r["answers"] for r in responses) > 0
    assert sum(any(a["otherValue"] for a in r["answers"]) for r in responses) > 10


def test_data_and_changes_are_deterministic_per_seed():
    def run(seed):
        store = SurveyStore(seed=seed, surveys={"a": 30, "b": 20})
        events = apply_script(store, WebhookScript(seed=4, creates=5, updates=9, deletes=4))
        return [e.as_dict() for e in events], store.truth()

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert list(SurveyStore(seed=7).iter_live()) == list(SurveyStore(seed=7).iter_live())


def test_changes_are_events_with_increasing_sequence_numbers_and_reach_the_truth():
    store = SurveyStore(seed=2, surveys={"a": 10, "b": 5})
    before = store.truth()
    assert before["surveys"] == {"a": 10, "b": 5} and before["total"] == 15
    victim, edited, replayed = store.live_ids()[:3]
    created = store.create("b")
    updated = store.update(edited)
    deleted = store.delete(victim)
    replay = store.replay_create(replayed)
    events = [created, updated, deleted, replay]
    assert [e.sequence_number for e in events] == [1, 2, 3, 4]
    assert [e.topic for e in events] == [
        "survey_response.create",
        "survey_response.update",
        "survey_response.delete",
        "survey_response.create",
    ]
    assert len({e.message_id for e in events}) == 4
    assert set(deleted.envelope["resource"]) == {
        "surveyResponseId",
        "surveyId",
        "subscriberId",
        "dateUpdated",
    }
    assert {e.envelope["resourceType"] for e in events} == {"survey_response"}
    assert {e.envelope["version"] for e in events} == {"2025-02-01"}

    truth = store.truth()
    assert truth["surveys"] == {"a": 9, "b": 6} and truth["total"] == 15
    assert truth["deleted"] == [victim] and victim not in truth["responses"]
    assert truth["last_sequence_number"] == 4
    new_id = created.envelope["resource"]["surveyResponseId"]
    assert truth["responses"][new_id]["dateCreated"] > max(
        r["dateUpdated"] for r in before["responses"].values()
    )
    after, was = truth["responses"][edited], before["responses"][edited]
    assert after["dateUpdated"] > was["dateUpdated"]
    assert after["nps"] != was["nps"] or after["nps"] is None  # NPS always moves
    assert updated.envelope["resource"]["dateUpdated"] == after["dateUpdated"]
    assert truth["responses"][replayed] == before["responses"][replayed]  # a replay changes nothing
    with pytest.raises(LookupError):
        store.delete(victim)
    with pytest.raises(LookupError):
        store.create("no-such-survey")


def test_script_replays_history_then_mixes_changes():
    store = SurveyStore(seed=1, surveys={"a": 40, "b": 40})
    newest = store.newest_ids(6)
    events = apply_script(store, WebhookScript(replay_history=6, creates=4, updates=7, deletes=3))
    assert [e.sequence_number for e in events] == list(range(1, 21))
    assert [e.envelope["resource"]["surveyResponseId"] for e in events[:6]] == newest
    topics = Counter(e.topic for e in events[6:])
    assert topics == {
        "survey_response.create": 4,
        "survey_response.update": 7,
        "survey_response.delete": 3,
    }
    assert store.truth()["total"] == 80 + 4 - 3


def test_truth_daily_nps_matches_what_the_api_lists(okendo_sandbox):
    okendo = okendo_sandbox(surveys={"a": 120, "b": 60})
    apply_script(okendo.surveys, WebhookScript(seed=9, creates=15, updates=25, deletes=8))
    listed = walk(okendo, "a", limit=100, orderBy="date asc") + walk(okendo, "b", limit=100)
    truth = okendo.survey_truth()
    assert truth["total"] == len(listed) == 120 + 60 + 15 - 8
    daily: dict[str, Counter] = {}
    for response in listed:
        tally = daily.setdefault(response["dateCreated"][:10], Counter())
        tally["responses"] += 1
        for answer in response["answers"]:
            if answer["questionType"] == "nps":
                score = int(answer["value"])
                tally["nps_responses"] += 1
                tally["promoters"] += score >= 9
                tally["detractors"] += score <= 6
        assert (
            truth["responses"][response["surveyResponseId"]]["dateUpdated"]
            == (response["dateUpdated"])
        )
    assert set(truth["daily_nps"]) == set(daily)
    for day, tally in daily.items():
        block = truth["daily_nps"][day]
        assert block["responses"] == tally["responses"]
        assert block["nps_responses"] == tally["nps_responses"]
        assert block["promoters"] == tally["promoters"]
        assert block["detractors"] == tally["detractors"]
        expected = (
            100 * (tally["promoters"] - tally["detractors"]) / tally["nps_responses"]
            if tally["nps_responses"]
            else None
        )
        assert block["nps"] == expected
    by_survey = truth["daily_nps_by_survey"]
    assert sum(b["responses"] for days in by_survey.values() for b in days.values()) == len(listed)


def test_admin_routes_change_the_served_surveys(okendo_sandbox):
    okendo = okendo_sandbox(surveys={"a": 5})
    admin = f"{okendo.url}/_sandbox/surveys"
    created = requests.post(f"{admin}/a/responses", timeout=30).json()["event"]
    response_id = created["envelope"]["resource"]["surveyResponseId"]
    assert created["message_id"].startswith("msg_")
    answers = [
        {
            "questionId": "a-nps",
            "questionText": "How likely?",
            "questionType": "nps",
            "value": "10",
            "otherValue": None,
        }
    ]
    patched = requests.patch(
        f"{admin}/responses/{response_id}", json={"answers": answers}, timeout=30
    ).json()["event"]
    assert patched["envelope"]["resource"]["answers"] == answers
    assert requests.delete(f"{admin}/responses/{response_id}", timeout=30).ok
    assert requests.delete(f"{admin}/responses/{response_id}", timeout=30).status_code == 404
    assert requests.post(f"{admin}/zzz/responses", timeout=30).status_code == 404
    scripted = requests.post(
        f"{admin}/script", json={"seed": 2, "creates": 2, "updates": 1, "deletes": 1}, timeout=30
    )
    assert len(scripted.json()["events"]) == 5 + 2 + 1 + 1  # replays capped by the 5 live
    assert requests.post(f"{admin}/script", json={"creates": -1}, timeout=30).status_code == 400
    truth = okendo.truth()["survey_responses"]
    assert truth == okendo.survey_truth()
    assert truth["last_sequence_number"] == 3 + 9
    assert truth["total"] == len(walk(okendo, "a")) == 5 + 1 - 1 + 2 - 1


def test_cli_truth_includes_surveys(capsys):
    from sandbox.cli import main

    assert main(["truth", "okendo", "--approved", "1", "--surveys", "a=3,b-2=2"]) == 0
    truth = json.loads(capsys.readouterr().out)
    assert truth["reviews"]["approved"] == 1
    assert truth["survey_responses"]["surveys"] == {"a": 3, "b-2": 2}
    assert main(["truth", "okendo", "--scale", "0.1"]) == 0
    scaled = json.loads(capsys.readouterr().out)["survey_responses"]["surveys"]
    assert scaled == {"nps-post-purchase": 15, "onsite-feedback": 15}
    with pytest.raises(SystemExit):
        main(["truth", "okendo", "--surveys", "a=lots"])
    assert main(["truth", "okendo", "--surveys", "bad/id=3"]) == 2
    assert "survey id 'bad/id'" in capsys.readouterr().err


def test_the_newest_responses_are_dense_with_a_campaign_burst():
    store = SurveyStore(seed=2, surveys={"nps-post-purchase": 600})
    created = [store.created_ms("nps-post-purchase", i) for i in range(600)]
    assert created == sorted(set(created))  # strictly increasing: the paging bisects on it
    per_second = Counter(ms // 1000 for ms in created)
    newest = max(per_second)
    window = [per_second[newest - n] for n in range(6)]
    assert window[0] >= 3 and all(window), window  # several a second, second after second
    assert max(per_second.values()) >= 50  # an email blast answered within one second
    quiet = SurveyStore(seed=2, surveys={"nps-post-purchase": 600}, density=Density(fraction=0))
    spread = Counter(quiet.created_ms("nps-post-purchase", i) // 1000 for i in range(600))
    assert max(spread.values()) == 1  # configurable: off, one response a few hours apart
    assert quiet.truth()["total"] == store.truth()["total"] == 600
