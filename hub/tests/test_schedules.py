"""Schedules live in the Meltano project files: read, validated, written, read back by Meltano."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hub.schedules import (
    Schedule,
    ScheduleError,
    load_schedules,
    next_runs,
    save_schedule,
    schedule_for_source,
    set_paused,
)
from hub.testing import project_env

MELTANO = str(Path(sys.executable).with_name("meltano"))


@pytest.fixture
def project(hub_project_copy: Path) -> Path:
    return hub_project_copy


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_existing_schedules_load_in_utc(project: Path) -> None:
    schedules = {s.name: s for s in load_schedules(project)}
    reviews = schedules["okendo-reviews-daily"]
    assert (reviews.job, reviews.sources, reviews.cron) == (
        "okendo-reviews",
        ("tap-okendo",),
        "0 6 * * *",
    )
    assert (reviews.paused, reviews.after) == (False, ())
    # Meltano reads `interval` in UTC, so every schedule the Hub did not touch is in UTC.
    assert {s.timezone for s in schedules.values()} == {"UTC"}
    assert schedules["oms-hourly"].sources == ("tap-oms",)
    recharge = schedule_for_source(project, "tap-recharge")
    assert recharge is not None and recharge.name == "recharge-hourly"
    assert schedule_for_source(project, "tap-okendo-survey-backfill") is None
    assert next_runs(reviews, utc(2026, 5, 1, 6, 0), 2) == [utc(2026, 5, 2, 6), utc(2026, 5, 3, 6)]


def test_bad_input_is_one_line_and_changes_nothing(project: Path) -> None:
    jobs = project / "meltano" / "jobs.meltano.yml"
    before = jobs.read_bytes()
    cases = {
        ("61 * * * *", "UTC"): "'61 * * * *' is not a valid cron schedule: use five fields, "
        "minute hour day month weekday, e.g. '0 6 * * *' (06:00 daily).",
        ("0 6 * *", "UTC"): "'0 6 * *' is not a valid cron schedule: use five fields, "
        "minute hour day month weekday, e.g. '0 6 * * *' (06:00 daily).",
        ("0 6 * * *", "Mars/Olympus"): "'Mars/Olympus' is not a time zone: use an IANA name "
        "such as 'UTC', 'Europe/London' or 'America/New_York'.",
    }
    for (cron, zone), message in cases.items():
        with pytest.raises(ScheduleError) as caught:
            save_schedule(project, name="okendo-reviews-daily", cron=cron, timezone=zone)
        assert str(caught.value) == message
    with pytest.raises(ScheduleError, match=r"^There is no schedule called 'nope': check"):
        set_paused(project, "nope", True)
    with pytest.raises(ScheduleError, match=r"^There is no source called 'tap-nope': check"):
        save_schedule(project, source="tap-nope", cron="0 6 * * *", timezone="UTC")
    with pytest.raises(ScheduleError, match=r"^Cannot wait for 'ghost': name other schedules"):
        save_schedule(  # (the job and schedule it would create are not written either)
            project,
            source="tap-okendo-survey-backfill",
            cron="0 6 * * *",
            timezone="UTC",
            after=("ghost",),
        )
    with pytest.raises(ScheduleError) as caught:
        save_schedule(project, name="oms-hourly", cron="0 6 * * *", timezone="UTC", wait_minutes=-5)
    assert str(caught.value) == "Wait time '-5' is not valid: use 0 to 10080 minutes."
    assert jobs.read_bytes() == before


def test_next_runs_across_dst_changes() -> None:
    """America/New_York: 2026-03-08 02:00 EST jumps to 03:00 EDT, 2026-11-01 02:00 EDT falls
    back to 01:00 EST. Daily 02:30 has no 02:30 on the spring day: it runs at the jump (03:00
    EDT), not an hour late (03:30) and not skipped. Daily 01:30 happens twice on the fall day:
    it runs once, at the first (EDT). An hourly cron runs in both 01:30s, as cron does."""

    def sched(cron: str) -> Schedule:
        return Schedule("s", "j", (), cron, "America/New_York", False, (), 60)

    spring = next_runs(sched("30 2 * * *"), utc(2026, 3, 7, 12), 3)
    assert [t.isoformat() for t in spring] == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:30:00-04:00",
        "2026-03-10T02:30:00-04:00",
    ]
    fall = next_runs(sched("30 1 * * *"), utc(2026, 10, 31, 12), 2)
    assert [t.astimezone(UTC) for t in fall] == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    hourly = next_runs(sched("30 * * * *"), utc(2026, 11, 1, 4, 0), 4)
    assert [t.isoformat() for t in hourly] == [
        "2026-11-01T00:30:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T02:30:00-05:00",
    ]
    assert next_runs(sched("@manual"), utc(2026, 1, 1), 3) == []


def test_writes_keep_comments_and_round_trip_through_meltano(project: Path) -> None:
    jobs = project / "meltano" / "jobs.meltano.yml"
    comments = [line.strip() for line in jobs.read_text().splitlines() if "#" in line]

    reviews = save_schedule(
        project, source="tap-okendo", cron="30 2 * * *", timezone="America/New_York"
    )
    assert (reviews.name, reviews.timezone, reviews.cron) == (
        "okendo-reviews-daily",
        "America/New_York",
        "30 2 * * *",
    )
    set_paused(project, "oms-hourly", True)
    set_paused(project, "recharge-hourly", True)
    set_paused(project, "recharge-hourly", False)
    created = save_schedule(
        project, source="tap-okendo-survey-backfill", cron="0 5 * * 1", timezone="Europe/London"
    )
    assert (created.name, created.job, created.sources) == (
        "okendo-survey-backfill-sync",
        "okendo-survey-backfill",
        ("tap-okendo-survey-backfill",),
    )
    gated = save_schedule(
        project,
        name="okendo-surveys-every-15-minutes",
        cron="*/15 * * * *",
        timezone="UTC",
        after=("okendo-reviews-daily", "oms-hourly"),
        wait_minutes=45,
    )
    assert (gated.after, gated.wait_minutes) == (("okendo-reviews-daily", "oms-hourly"), 45)

    text = jobs.read_text()
    assert [line.strip() for line in text.splitlines() if "#" in line] == comments
    assert 'HUB_TIMEZONE: "America/New_York"' in text

    listed = subprocess.run(
        [MELTANO, "schedule", "list", "--format=json"],
        cwd=project,
        env={**os.environ, **project_env(project)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    by_name = {s["name"]: s for s in json.loads(listed.stdout)["schedules"]["job"]}
    assert by_name["okendo-reviews-daily"]["interval"] == "30 2 * * *"
    assert by_name["okendo-reviews-daily"]["env"] == {"HUB_TIMEZONE": "America/New_York"}
    assert by_name["oms-hourly"]["env"] == {"HUB_PAUSED": "true"}
    assert by_name["recharge-hourly"]["env"] == {}  # resumed: nothing left behind
    assert by_name["okendo-survey-backfill-sync"] == {
        "name": "okendo-survey-backfill-sync",
        "interval": "0 5 * * 1",
        "cron_interval": "0 5 * * 1",
        "env": {"HUB_TIMEZONE": "Europe/London"},
        "job": {
            "name": "okendo-survey-backfill",
            "tasks": ["tap-okendo-survey-backfill target-duckdb"],
        },
    }
    assert by_name["okendo-surveys-every-15-minutes"]["env"] == {
        "HUB_AFTER": "okendo-reviews-daily,oms-hourly",
        "HUB_WAIT_MINUTES": "45",
    }
    # ... and the Hub reads back what Meltano reads.
    hub = {s.name: s for s in load_schedules(project)}
    assert set(hub) == set(by_name)
    assert (hub["oms-hourly"].paused, hub["recharge-hourly"].paused) == (True, False)
    assert hub["okendo-survey-backfill-sync"].timezone == "Europe/London"
