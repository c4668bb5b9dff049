"""Okendo reviews end to end: sandbox -> tap-okendo -> Meltano -> DuckDB -> dbt."""

from __future__ import annotations

import requests
from sandbox.faults import Faults

COUNTS = {"approved": 157, "pending": 23, "rejected": 9}
CHILD_MODELS = {
    "review_media": "staging.stg_okendo__review_media",
    "review_rated_attributes": "staging.stg_okendo__review_rated_attributes",
    "review_product_attributes": "staging.stg_okendo__review_product_attributes",
    "review_tags": "staging.stg_okendo__review_tags",
    "review_reviewer_attributes": "staging.stg_okendo__review_reviewer_attributes",
}


def assert_models_match(pipeline, truth):
    live_ids = pipeline.query("select review_id from staging.stg_okendo__reviews")
    assert len(live_ids) == len(set(live_ids)) == truth["reviews"]["total"]
    for status in ("approved", "pending", "rejected"):
        assert (
            pipeline.query(
                f"select count(*) from staging.stg_okendo__reviews where status = '{status}'"
            )[0][0]
            == truth["reviews"][status]
        )
    for key, model in CHILD_MODELS.items():
        assert pipeline.count(model) == truth["rows"][key], model
    assert (
        pipeline.query("select sum(rating) from staging.stg_okendo__reviews")[0][0]
        == truth["rating_sum"]
    )


def test_exact_copy_then_no_duplicates_then_deletes_and_edits(okendo_sandbox, pipeline):
    okendo = okendo_sandbox(counts=COUNTS)
    pipeline.point_at(okendo)
    pipeline.run()
    assert_models_match(pipeline, okendo.truth())
    assert pipeline.count("raw_okendo.reviews") == 189

    pipeline.run()  # nothing changed: nothing doubles
    assert pipeline.count("raw_okendo.reviews") == 189
    assert pipeline.count("raw_okendo.sync_runs") == 2
    assert_models_match(pipeline, okendo.truth())

    ids = [
        row[0]
        for row in pipeline.query(
            "select review_id from staging.stg_okendo__reviews order by created_at limit 3"
        )
    ]
    for gone in ids[:2]:
        assert requests.delete(f"{okendo.url}/_sandbox/reviews/{gone}", timeout=30).ok
    assert requests.patch(
        f"{okendo.url}/_sandbox/reviews/{ids[2]}",
        timeout=30,
        json={"title": "Edited after the first sync"},
    ).ok
    created = requests.post(
        f"{okendo.url}/_sandbox/reviews?status=pending&count=4", timeout=30
    ).json()["created"]
    pipeline.run()
    truth = okendo.truth()
    assert truth["reviews"]["total"] == 189 - 2 + 4
    assert_models_match(pipeline, truth)
    live = {row[0] for row in pipeline.query("select review_id from staging.stg_okendo__reviews")}
    assert not live & set(ids[:2])
    assert set(created) <= live
    assert pipeline.query(
        f"select title from staging.stg_okendo__reviews where review_id = '{ids[2]}'"
    ) == [("Edited after the first sync",)]


def test_a_run_that_dies_halfway_hides_nothing(okendo_sandbox, pipeline):
    okendo = okendo_sandbox(counts=COUNTS)
    pipeline.point_at(okendo, page_size=10, retry_backoff_ms=10)
    pipeline.run()
    victim = pipeline.query("select review_id from staging.stg_okendo__reviews limit 1")[0][0]
    assert requests.delete(f"{okendo.url}/_sandbox/reviews/{victim}", timeout=30).ok

    okendo.sandbox.faults = Faults(fail_after=5)  # an outage after 5 pages
    failed = pipeline.meltano("run", "tap-okendo", "target-duckdb")
    assert failed.returncode != 0
    assert "Okendo kept failing on /reviews after 8 attempts" in failed.stderr
    pipeline.run("dbt-duckdb:build")
    # The deletion is not proven by a complete copy yet, so nothing disappears ...
    assert pipeline.count("staging.stg_okendo__reviews") == 189
    assert pipeline.count("raw_okendo.sync_runs") == 1

    okendo.sandbox.faults = Faults()
    pipeline.run()
    # ... until the next complete copy.
    assert pipeline.count("staging.stg_okendo__reviews") == 188
    assert_models_match(pipeline, okendo.truth())


def test_429_storms_and_5xx_bursts_still_give_exact_counts(okendo_sandbox, pipeline):
    faults = Faults(storm_every=7, storm_length=2, error_rate=0.2, truncate_rate=0.1, seed=4)
    okendo = okendo_sandbox(counts=COUNTS, faults=faults)
    pipeline.point_at(okendo, page_size=20, retry_backoff_ms=50)
    pipeline.run()
    assert_models_match(pipeline, okendo.truth())
    stats = okendo.stats()
    assert stats["by_status"]["429"] >= 4
    assert sum(v for k, v in stats["by_status"].items() if k.startswith("5")) >= 2


def test_rejected_credentials_fail_the_run_and_leak_nothing(okendo_sandbox, pipeline):
    okendo = okendo_sandbox(counts=COUNTS)
    pipeline.point_at(okendo)
    wrong = "WRONGkey" + "7" * 24
    pipeline.env["TAP_OKENDO_API_KEY"] = wrong
    done = pipeline.meltano("run", "tap-okendo", "target-duckdb")
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert (
        "Okendo rejected the User ID / API key pair (HTTP 401): re-copy both `user_id` "
        "and `api_key`" in output
    )
    assert wrong not in output
    stored = (pipeline.tmp / "meltano.db").read_bytes()
    assert wrong.encode() not in stored and okendo.sandbox.api_key.encode() not in stored
    state = pipeline.meltano("state", "list")
    assert wrong not in state.stdout + state.stderr
