"""The Okendo sandbox keeps Okendo's contract: auth, version header, paging, limits, faults."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sandbox.faults import Faults, TokenBucket
from sandbox.okendo import ReviewStore

VERSION = {"okendo-api-version": "2025-02-01"}


def get(okendo, path="/reviews", auth=None, headers=None, **params):
    auth = auth or (okendo.sandbox.user_id, okendo.sandbox.api_key)
    return requests.get(
        okendo.api_url + path,
        params=params,
        auth=auth,
        headers=VERSION if headers is None else headers,
        timeout=30,
    )


def walk(okendo, **params):
    """Follow nextUrl (appended to the /enterprise base path) to the end."""
    seen, response = [], get(okendo, **params)
    while True:
        body = response.json()
        seen.extend(body["reviews"])
        if "nextUrl" not in body:
            return seen
        assert body["nextUrl"].startswith("/reviews?")
        response = requests.get(
            okendo.api_url + body["nextUrl"],
            headers=VERSION,
            timeout=30,
            auth=(okendo.sandbox.user_id, okendo.sandbox.api_key),
        )


def test_wrong_key_is_401_with_json_error(okendo_sandbox):
    okendo = okendo_sandbox()
    response = get(okendo, auth=(okendo.sandbox.user_id, "x" * 32))
    assert response.status_code == 401
    assert "Unauthorized" in response.json()["error"]["message"]
    assert get(okendo, auth=("not-the-user", okendo.sandbox.api_key)).status_code == 401


def test_version_header_is_required(okendo_sandbox):
    okendo = okendo_sandbox()
    assert get(okendo, headers={}).status_code == 400
    assert get(okendo, headers={"okendo-api-version": "1999-01-01"}).status_code == 400


@pytest.mark.parametrize("limit", ["0", "101", "abc"])
def test_limit_outside_1_to_100_is_400(okendo_sandbox, limit):
    assert get(okendo_sandbox(), limit=limit).status_code == 400


def test_default_is_25_approved_newest_first(okendo_sandbox):
    okendo = okendo_sandbox(counts={"approved": 30, "pending": 5, "rejected": 0})
    reviews = get(okendo).json()["reviews"]
    assert len(reviews) == 25
    assert {r["status"] for r in reviews} == {"approved"}
    dates = [r["dateCreated"] for r in reviews]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("order", ["date asc", "date desc"])
def test_paging_returns_every_review_once_in_order(okendo_sandbox, order):
    okendo = okendo_sandbox(counts={"approved": 0, "pending": 237, "rejected": 3})
    reviews = walk(okendo, status="pending", orderBy=order, limit=50)
    assert len(reviews) == 237
    assert len({r["reviewId"] for r in reviews}) == 237
    dates = [r["dateCreated"] for r in reviews]
    assert dates == sorted(dates, reverse=order == "date desc")


def test_next_url_carries_a_json_last_evaluated_cursor(okendo_sandbox):
    okendo = okendo_sandbox(counts={"approved": 3})
    next_url = get(okendo, limit=2, orderBy="date asc").json()["nextUrl"]
    cursor = json.loads(parse_qs(urlparse(next_url).query)["lastEvaluated"][0])
    assert set(cursor) >= {"reviewId", "dateCreated"}
    assert get(okendo, lastEvaluated="{not json").status_code == 400
    assert (
        get(okendo, lastEvaluated='{"reviewId": "x", "dateCreated": "2024-01-01"}').status_code
        == 400
    )


def test_empty_store_answers_an_empty_last_page(okendo_sandbox):
    okendo = okendo_sandbox(counts={"approved": 0, "pending": 0, "rejected": 0})
    assert get(okendo).json() == {"reviews": []}


def test_reviews_carry_every_documented_field(okendo_sandbox):
    review = get(okendo_sandbox(counts={"approved": 1}), limit=1).json()["reviews"][0]
    assert set(review) == {
        "reviewId",
        "subscriberId",
        "productId",
        "productName",
        "variantId",
        "variantName",
        "rating",
        "title",
        "body",
        "sentiment",
        "status",
        "tags",
        "dateCreated",
        "helpfulCount",
        "unhelpfulCount",
        "isRecommended",
        "isIncentivized",
        "containsProfanity",
        "reviewer",
        "order",
        "reply",
        "reward",
        "media",
        "attributesWithRating",
        "productAttributes",
    }
    assert set(review["reviewer"]) == {
        "name",
        "displayName",
        "email",
        "avatarUrl",
        "isVerified",
        "verifiedStatus",
        "location",
        "attributes",
        "socialConnection",
    }


def test_data_is_deterministic_per_seed():
    first = list(ReviewStore(seed=7, counts={"approved": 20}).iter_live())
    again = list(ReviewStore(seed=7, counts={"approved": 20}).iter_live())
    other = list(ReviewStore(seed=8, counts={"approved": 20}).iter_live())
    assert first == again
    assert first != other


def test_a_million_reviews_per_status_is_cheap_to_hold():
    store = ReviewStore(seed=1, counts={"approved": 1_000_000, "pending": 0, "rejected": 0})
    page, cursor = store.page("approved", descending=False, limit=100, after=None)
    page2, _ = store.page("approved", descending=False, limit=100, after=cursor)
    assert len(page) == len(page2) == 100
    assert page[-1]["dateCreated"] < page2[0]["dateCreated"]
    with pytest.raises(ValueError, match=r"0\.\.1000000"):
        ReviewStore(counts={"approved": 1_000_001})


def test_admin_delete_add_and_truth(okendo_sandbox):
    okendo = okendo_sandbox(counts={"approved": 10, "pending": 2, "rejected": 1})
    assert okendo.truth()["reviews"] == {"approved": 10, "pending": 2, "rejected": 1, "total": 13}
    victim = get(okendo, limit=1).json()["reviews"][0]["reviewId"]
    assert requests.delete(f"{okendo.url}/_sandbox/reviews/{victim}", timeout=30).ok
    assert requests.delete(f"{okendo.url}/_sandbox/reviews/{victim}", timeout=30).status_code == 404
    created = requests.post(
        f"{okendo.url}/_sandbox/reviews?status=pending&count=3", timeout=30
    ).json()["created"]
    assert len(created) == 3
    assert okendo.truth()["reviews"]["total"] == 15
    ids = {r["reviewId"] for r in walk(okendo, status="approved", limit=100)}
    assert victim not in ids and len(ids) == 9


def test_rate_limit_answers_429_with_retry_after(okendo_sandbox):
    okendo = okendo_sandbox(counts={"approved": 1}, rate_limit=2, burst=2)
    statuses = [get(okendo, limit=1) for _ in range(4)]
    assert [r.status_code for r in statuses[:2]] == [200, 200]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and all(int(r.headers["Retry-After"]) >= 1 for r in limited)


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=2, clock=lambda: now[0])
    assert bucket.take() == 0 and bucket.take() == 0
    assert bucket.take() == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.take() == 0


def test_faults_storms_errors_and_truncation(okendo_sandbox):
    okendo = okendo_sandbox(
        counts={"approved": 5}, faults=Faults(storm_every=4, storm_length=2, seed=3)
    )
    codes = [get(okendo, limit=1).status_code for _ in range(8)]
    assert codes == [200, 200, 200, 429, 429, 200, 200, 429]
    broken = okendo_sandbox(counts={"approved": 5}, faults=Faults(error_rate=1.0))
    assert get(broken).status_code in {500, 502, 503, 504}
    cut = okendo_sandbox(counts={"approved": 5}, faults=Faults(truncate_rate=1.0))
    response = get(cut)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_cli_truth_counts(capsys):
    from sandbox.cli import main

    assert main(["truth", "okendo", "--approved", "4", "--pending", "0", "--rejected", "2"]) == 0
    truth = json.loads(capsys.readouterr().out)
    assert truth["reviews"] == {"approved": 4, "pending": 0, "rejected": 2, "total": 6}
    assert main(["truth", "okendo", "--approved", "-1"]) == 2
    assert "approved count must be" in capsys.readouterr().err
