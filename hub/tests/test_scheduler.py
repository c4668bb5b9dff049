"""The scheduler with a fake clock and launcher, the real cross-process locks, and real runs."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hub.runs import (
    END_MARK,
    RunSummary,
    StreamFacts,
    is_running,
    last_run,
    meltano_runs,
    new_log,
    read_log,
    try_lock,
)
from hub.scheduler import (
    AlreadyRunning,
    Event,
    Period,
    ProjectLauncher,
    Scheduler,
    _wrapper,
    run_now,
    serve,
    warehouse_lock_path,
)
from hub.schedules import get_schedule, load_schedules, save_schedule, set_paused
from hub.testing import FakeClock, FakeLauncher, project_env

from hub import scheduler as scheduler_module


@pytest.fixture
def project(hub_project_copy: Path) -> Path:
    return hub_project_copy


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def only(project: Path, *names: str) -> None:
    """Pause every schedule but `names` (the project's own schedules grow over time)."""
    for schedule in load_schedules(project):
        if schedule.name not in names:
            set_paused(project, schedule.name, True)


def tick_through(
    scheduler: Scheduler,
    clock: FakeClock,
    until: datetime,
    at_each: Callable[[datetime], None] | None = None,
) -> list[Event]:
    """Tick once a minute (as `serve` would, at least) up to and including `until`."""
    events: list[Event] = []
    while clock() < until:
        clock.advance(minutes=1)
        if at_each:
            at_each(clock())
        events += scheduler.tick()
    return events


def test_due_runs_start_on_time_in_their_zone_across_dst(project: Path) -> None:
    """02:30 America/New_York does not exist on 2026-03-08: it runs at the jump, 03:00 EDT
    (07:00Z). 01:30 happens twice on 2026-11-01: a daily run runs once, at the first (EDT,
    05:30Z). See hub.schedules.next_runs for why."""
    save_schedule(
        project, name="okendo-reviews-daily", cron="30 2 * * *", timezone="America/New_York"
    )
    save_schedule(project, name="oms-hourly", cron="30 1 * * *", timezone="America/New_York")
    only(project, "okendo-reviews-daily", "oms-hourly")

    clock = FakeClock(utc(2026, 3, 8, 5, 0))  # midnight EST
    launcher = FakeLauncher(clock)
    scheduler = Scheduler(project, clock, launcher)

    def finish_runs(now: datetime) -> None:
        for name in list(launcher.runs):
            if launcher.is_running(name) and now - launcher.runs[name].started_at >= timedelta(
                minutes=5
            ):
                launcher.finish(name)

    tick_through(scheduler, clock, utc(2026, 3, 8, 8, 0), finish_runs)
    assert launcher.started == [
        ("oms-hourly", utc(2026, 3, 8, 6, 30)),  # 01:30 EST
        ("okendo-reviews-daily", utc(2026, 3, 8, 7, 0)),  # 03:00 EDT, the jump over 02:30
    ]

    clock.set(utc(2026, 11, 1, 4, 0))  # midnight EDT
    launcher.started.clear()
    scheduler = Scheduler(project, clock, launcher)
    tick_through(scheduler, clock, utc(2026, 11, 1, 8, 0), finish_runs)
    assert launcher.started == [
        ("oms-hourly", utc(2026, 11, 1, 5, 30)),  # 01:30 EDT, not again at 01:30 EST
        ("okendo-reviews-daily", utc(2026, 11, 1, 7, 30)),  # 02:30 EST
    ]


def test_paused_schedule_does_not_run_and_resumes_without_a_burst(project: Path) -> None:
    only(project, "okendo-reviews-daily")  # 06:00 UTC
    set_paused(project, "okendo-reviews-daily", True)
    clock = FakeClock(utc(2026, 5, 1, 5, 55))
    launcher = FakeLauncher(clock)
    scheduler = Scheduler(project, clock, launcher)
    tick_through(scheduler, clock, utc(2026, 5, 1, 6, 10))
    assert launcher.started == []
    set_paused(project, "okendo-reviews-daily", False)
    tick_through(scheduler, clock, utc(2026, 5, 1, 6, 20))  # the missed 06:00 is not made up
    clock.set(utc(2026, 5, 2, 5, 58))  # (overnight: nothing is due)
    tick_through(scheduler, clock, utc(2026, 5, 2, 6, 1))
    assert launcher.started == [("okendo-reviews-daily", utc(2026, 5, 2, 6, 0))]


def test_a_source_whose_setup_is_incomplete_is_never_started(project: Path) -> None:
    only(project, "okendo-reviews-daily")  # 06:00 UTC
    clock = FakeClock(utc(2026, 5, 1, 5, 55))
    launcher = FakeLauncher(clock, incomplete={"okendo-reviews-daily"})
    scheduler = Scheduler(project, clock, launcher)
    events = tick_through(scheduler, clock, utc(2026, 5, 1, 6, 1))
    assert launcher.started == []
    assert [(e.action, e.reason) for e in events] == [
        ("skipped", "okendo-reviews-daily is Incomplete: not started")
    ]
    # The real check: never tested here and never run, tap-okendo is Incomplete.
    assert ProjectLauncher(project).not_ready("okendo-reviews-daily") == (
        "tap-okendo is Incomplete (Not tested yet: open it and Save and Test.): not started"
    )


def test_a_manual_period_runs_on_its_own_state_with_the_taps_dates(
    project: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run now with a date range: `meltano run` on a state of its own (the schedule's
    bookmarks are neither read nor moved), the dates reaching the tap as its settings."""
    fake = tmp_path / "meltano"
    fake.write_text(
        '#!/bin/sh\necho "args: $*"\n'
        'echo "dates: $TAP_RECHARGE_START_DATE ${TAP_RECHARGE_END_DATE:-none}"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(scheduler_module, "MELTANO", str(fake))
    schedule = get_schedule(project, "recharge-hourly")
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    umask = os.umask(0o022)
    try:
        for period, args, dates in (
            (
                Period(date(2026, 1, 1)),
                "run --state-id-suffix hub-2026-01-01-to-now --full-refresh recharge",
                "dates: 2026-01-01T00:00:00Z none",
            ),
            (
                Period(),
                "run --state-id-suffix hub-all-data --full-refresh recharge",
                "dates:  none",
            ),
        ):
            fd = try_lock(project, schedule)
            assert fd is not None
            assert _wrapper(project, schedule.name, "0" * 32, fd, period) == 0
            os.close(fd)
            out = capfd.readouterr().out
            assert f"args: {args}\n" in out
            assert f"\n{dates}\n" in out
    finally:
        os.umask(umask)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert Period.decode(Period(date(2026, 1, 1), date(2026, 1, 31)).encode()) == Period(
        date(2026, 1, 1), date(2026, 1, 31)
    )


def test_overlapping_run_is_refused(project: Path) -> None:
    only(project, "oms-hourly")  # every hour at :00 UTC
    clock = FakeClock(utc(2026, 5, 1, 5, 59))
    launcher = FakeLauncher(clock)
    scheduler = Scheduler(project, clock, launcher)
    events = tick_through(scheduler, clock, utc(2026, 5, 1, 7, 0))  # the 06:00 run is still going
    assert [(e.action, e.due, e.reason) for e in events] == [
        ("started", utc(2026, 5, 1, 6), "pid 1001"),
        ("refused", utc(2026, 5, 1, 7), "the previous run is still running: skipped"),
    ]
    clock.advance(minutes=10)
    launcher.finish("oms-hourly")
    tick_through(scheduler, clock, utc(2026, 5, 1, 8, 0))
    assert launcher.started == [
        ("oms-hourly", utc(2026, 5, 1, 6)),
        ("oms-hourly", utc(2026, 5, 1, 8)),
    ]


def add_transform(project: Path) -> None:
    """A downstream dbt schedule gated on two sources (the courier-group constraint)."""
    jobs = project / "meltano" / "jobs.meltano.yml"
    text = jobs.read_text().replace(
        "\nschedules:\n",
        "\n  - name: transform\n    tasks:\n      - dbt-duckdb:build\nschedules:\n"
        '  - name: transform-daily\n    interval: "0 7 * * *"\n    job: transform\n',
    )
    jobs.write_text(text)
    save_schedule(project, name="oms-hourly", cron="0 6 * * *", timezone="UTC")
    save_schedule(
        project,
        name="transform-daily",
        cron="0 7 * * *",
        timezone="UTC",
        after=("okendo-reviews-daily", "oms-hourly"),
        wait_minutes=30,
    )
    only(project, "okendo-reviews-daily", "oms-hourly", "transform-daily")


def test_gated_transform_waits_for_its_sources_then_gives_up(project: Path) -> None:
    add_transform(project)
    clock = FakeClock(utc(2026, 5, 1, 5, 59))
    launcher = FakeLauncher(clock)
    scheduler = Scheduler(project, clock, launcher)

    # Day 1: reviews succeed at 06:20; the OMS load runs late and succeeds at 07:10.
    def day1(now: datetime) -> None:
        if now == utc(2026, 5, 1, 6, 20):
            launcher.finish("okendo-reviews-daily")
        if now == utc(2026, 5, 1, 7, 10):
            launcher.finish("oms-hourly")
        if now == utc(2026, 5, 1, 7, 30):
            launcher.finish("transform-daily")

    events = tick_through(scheduler, clock, utc(2026, 5, 1, 8, 0), day1)
    assert launcher.started == [
        ("okendo-reviews-daily", utc(2026, 5, 1, 6)),
        ("oms-hourly", utc(2026, 5, 1, 6)),
        ("transform-daily", utc(2026, 5, 1, 7, 10)),  # the tick that sees both succeeded
    ]
    gate = [(e.action, e.due, e.reason) for e in events if e.schedule == "transform-daily"]
    assert gate == [
        ("waiting", utc(2026, 5, 1, 7), "waiting up to 30 min for oms-hourly"),
        ("started", utc(2026, 5, 1, 7), "pid 1003"),
    ]

    # Day 2: reviews succeed, the OMS load fails. Its success of day 1 predates the
    # transform's previous run, so it does not count: the transform gives up at 07:30.
    def day2(now: datetime) -> None:
        if now == utc(2026, 5, 2, 6, 10):
            launcher.finish("okendo-reviews-daily")
            launcher.finish("oms-hourly", ok=False)

    clock.set(utc(2026, 5, 2, 5, 58))  # (overnight: nothing is due)
    events = tick_through(scheduler, clock, utc(2026, 5, 2, 8, 0), day2)
    assert [name for name, when in launcher.started if when.day == 2] == [
        "okendo-reviews-daily",
        "oms-hourly",
    ]
    gate = [(e.action, e.due, e.reason) for e in events if e.schedule == "transform-daily"]
    assert gate == [
        ("waiting", utc(2026, 5, 2, 7), "waiting up to 30 min for oms-hourly"),
        (
            "gave-up",
            utc(2026, 5, 2, 7),
            "gave up the run due 2026-05-02T07:00:00+00:00 after waiting 30 min for "
            "oms-hourly to succeed",
        ),
    ]
    assert next(e for e in events if e.action == "gave-up") == scheduler.events[-1]


HOLD_LOCK = """
import sys, time
from pathlib import Path
from hub.runs import new_log, try_lock
from hub.schedules import get_schedule
from hub.scheduler import utcnow
project = Path(sys.argv[1])
fd = try_lock(project, get_schedule(project, "oms-hourly"))
new_log(project, "oms-hourly", "0" * 32, utcnow()).write_text("[hub] oms-hourly: run oms\\n")
print("locked" if fd is not None else "busy", flush=True)
time.sleep(120)
"""


def test_lock_holds_across_processes_and_a_crash_frees_it(project: Path) -> None:
    only(project, "oms-hourly")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(project)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert is_running(project, "oms-hourly")
        running = last_run(project, "oms-hourly")
        assert running is not None and running.status == "running"
        with pytest.raises(AlreadyRunning) as caught:
            run_now(project, "oms-hourly")
        assert str(caught.value) == (
            "oms-hourly is already running: wait for that run to finish before starting another."
        )
        clock = FakeClock(utc(2026, 5, 1, 5, 59))
        scheduler = Scheduler(project, clock, ProjectLauncher(project))
        events = tick_through(scheduler, clock, utc(2026, 5, 1, 6, 0))
        assert [(e.action, e.reason) for e in events] == [
            ("refused", "the previous run is still running: skipped")
        ]
    finally:
        holder.kill()  # a crash: no clean-up runs
        holder.wait()
        if holder.stdout:
            holder.stdout.close()
    assert not is_running(project, "oms-hourly")
    crashed = last_run(project, "oms-hourly")
    assert crashed is not None
    assert (crashed.status, crashed.error) == (
        "failed",
        "The run stopped before it finished (its process was killed).",
    )


def test_runs_writing_one_duckdb_file_take_turns(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in project_env(project).items():
        monkeypatch.setenv(key, value)
    warehouse = project / "output" / "warehouse.duckdb"
    with open(warehouse_lock_path(project, warehouse), "a+") as writer:  # another run writing
        fcntl.flock(writer, fcntl.LOCK_EX)
        pid = run_now(project, "oms-hourly")
        log = project / ".meltano" / "hub" / "runs" / "oms-hourly"
        deadline = time.monotonic() + 30
        text = ""
        while "[hub] waiting" not in text:
            assert time.monotonic() < deadline, text
            time.sleep(0.1)
            text = "".join(p.read_text() for p in log.glob("*.log"))
        assert text.splitlines()[1] == (
            "[hub] waiting for warehouse.duckdb: another run is writing to it"
        )
        assert is_running(project, "oms-hourly")
        os.kill(pid, signal.SIGKILL)  # (a wrapper killed while waiting: Meltano never started)
    deadline = time.monotonic() + 10
    while is_running(project, "oms-hourly"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert "Meltano" not in "".join(p.read_text() for p in log.glob("*.log"))
    killed = last_run(project, "oms-hourly")
    assert killed is not None and killed.status == "failed"


def meltano_lines(*lines: tuple[str, str, str]) -> str:
    """Lines as Meltano prints them: `<time> [<level>] <plugin> <message>`."""
    return "".join(
        f"2026-11-22T16:27:11.715239Z [{level:<9}] {source:<12} {message}\n"
        for level, source, message in lines
    )


DBT = "\x1b[0m16:27:11  "  # dbt's colour reset and clock at the start of its lines
# From real runs: a dbt test failing after a good load, a tap whose config is incomplete,
# and a Meltano-level failure.
DBT_FAILS_AFTER_LOAD = (
    meltano_lines(
        ("info", "tap-okendo", 'METRIC: {"type":"counter","metric":"record_count","value":5}'),
        ("info", "target-duckdb", 'Loading 5 rows into \'"warehouse"."raw_okendo"."reviews"\''),
        ("info", "dbt-duckdb", f"{DBT}\x1b[31mCompleted with 1 error, 0 partial successes\x1b[0m"),
        (
            "info",
            "dbt-duckdb",
            f"{DBT}\x1b[31mFailure in test unique_reviews (models/x.yml)\x1b[0m",
        ),
        ("info", "dbt-duckdb", f"{DBT}  Got 1 result, configured to fail if != 0"),
        ("info", "dbt-duckdb", f"{DBT}  compiled code at transform/target/compiled/unique.sql"),
        ("info", "dbt-duckdb", f"{DBT}Done. PASS=35 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=36"),
        ("error", "meltano", "Block run completed"),
    )
    + f"{END_MARK}1 at 2026-11-22T16:27:14+00:00\n"
)
CONFIG_INCOMPLETE = (
    meltano_lines(
        ("info", "tap-ads", "Skipping parse of env var settings..."),
        ("info", "tap-ads", "tap-ads v0.1.0, Meltano SDK v0.54.9"),
        ("info", "tap-ads", "'start_date' is a required property"),
        ("info", "tap-ads", "Config validation failed"),
        ("error", "meltano", "Extractor failed"),
    )
    + f"{END_MARK}1 at 2026-11-22T16:28:06+00:00\n"
)
MELTANO_ONLY = (
    meltano_lines(
        ("info", "meltano", "Environment 'dev' is active"),
        ("error", "meltano", "Job 'nope' could not be found. Add it with `meltano job add`."),
        ("error", "meltano", "Run failed"),
    )
    + f"{END_MARK}1 at 2026-11-22T16:28:06+00:00\n"
)


def metric(stream: str, value: int) -> str:
    tags = f'{{"stream":"{stream}","pid":1,"context":{{}}}}'
    return f'METRIC: {{"type":"counter","metric":"record_count","value":{value},"tags":{tags}}}'


# Shaped on a real tap-recharge run with a token lacking one scope, and a failing one.
SKIPPED_SCOPE = (
    meltano_lines(
        ("info", "tap-recharge", "Beginning full_table sync of 'customers'..."),
        ("info", "tap-recharge", metric("customers", 7)),
        (
            "warning",
            "tap-recharge",
            "Skipping stream charges: the access token lacks the read_charges scope (HTTP 403: "
            "Forbidden). Add the scope to the token to copy it.",
        ),
        ("info", "tap-recharge", "Skipping deselected stream 'webhooks'."),
        ("info", "tap-recharge", "Beginning incremental sync of 'orders'..."),
        ("info", "tap-recharge", metric("orders", 0)),
        ("info", "target-duckdb", 'Loading 7 rows into \'"warehouse"."raw_recharge"."customers"\''),
    )
    + f"{END_MARK}0 at 2026-11-22T16:28:06+00:00\n"
)
FAILS_MID_STREAM = (
    meltano_lines(
        ("info", "tap-recharge", "Beginning full_table sync of 'customers'..."),
        ("info", "tap-recharge", metric("customers", 7)),
        ("info", "tap-recharge", "Beginning incremental sync of 'orders'..."),
        (
            "error",
            "tap-recharge",
            "tap-recharge: Recharge answered HTTP 500 on /orders three times: try again later.",
        ),
        ("error", "meltano", "Extractor failed"),
    )
    + f"{END_MARK}1 at 2026-11-22T16:28:06+00:00\n"
)


def test_streams_are_green_amber_red_with_the_taps_own_line(tmp_path: Path) -> None:
    (tmp_path / "skipped.log").write_text(SKIPPED_SCOPE)
    (tmp_path / "failed.log").write_text(FAILS_MID_STREAM)
    skipped = read_log(tmp_path / "skipped.log")
    assert skipped.streams == (
        StreamFacts("customers", 7, "Green"),
        StreamFacts(
            "charges",
            None,
            "Amber",
            "Skipping stream charges: the access token lacks the read_charges scope (HTTP 403: "
            "Forbidden). Add the scope to the token to copy it.",
        ),
        StreamFacts("orders", 0, "Green"),
    )
    summary = RunSummary("s", "success", utc(2026, 11, 22, 16), None, 7, None, skipped.streams)
    assert summary.outcome == "Warning"  # never a plain Success with a stream left out
    failed = read_log(tmp_path / "failed.log")
    assert failed.error == "Recharge answered HTTP 500 on /orders three times: try again later."
    assert failed.streams == (
        StreamFacts("customers", 7, "Green"),
        StreamFacts("orders", None, "Red", failed.error),
    )


def test_errors_read_in_plain_words(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MELTANO_DATABASE_URI", f"sqlite:///{project / '.meltano' / 'meltano.db'}")
    started = utc(2026, 11, 22, 16, 7)
    new_log(project, "okendo-reviews-daily", "1" * 32, started).write_text(DBT_FAILS_AFTER_LOAD)
    run = last_run(project, "okendo-reviews-daily")
    assert run is not None and run.log == f"20261122T160700000000Z-{'1' * 32}"
    # The load worked (5 rows) but the job failed in dbt: failed, and dbt's own line says why.
    assert replace(run, streams=(), log="") == RunSummary(
        "okendo-reviews-daily",
        "failed",
        started,
        utc(2026, 11, 22, 16, 27) + timedelta(seconds=14),
        5,
        "Failure in test unique_reviews (models/x.yml)",
    )
    logs = project / "logs"
    logs.mkdir()
    (logs / "config.log").write_text(CONFIG_INCOMPLETE)
    (logs / "meltano.log").write_text(MELTANO_ONLY)
    assert read_log(logs / "config.log").error == (
        "Config validation failed: 'start_date' is a required property"
    )
    assert read_log(logs / "meltano.log").error == (
        "Job 'nope' could not be found. Add it with `meltano job add`."
    )
    # A secret that a plugin printed never reaches the page.
    monkeypatch.setenv("TAP_OKENDO_API_KEY", "s3cr3t-key-value")
    new_log(project, "okendo-reviews-daily", "2" * 32, started + timedelta(hours=1)).write_text(
        meltano_lines(("info", "tap-okendo", "tap-okendo: key s3cr3t-key-value refused"))
        + f"{END_MARK}1 at 2026-11-22T17:08:00+00:00\n"
    )
    run = last_run(project, "okendo-reviews-daily")
    assert run is not None and run.error == "key *** refused"
    # Not even half of one that a long line would cut in two: blanked first, shortened after.
    filler = "x" * 385  # the secret spans characters 390..406 of the line
    new_log(project, "okendo-reviews-daily", "3" * 32, started + timedelta(hours=2)).write_text(
        meltano_lines(("info", "tap-okendo", f"tap-okendo: {filler} key s3cr3t-key-value refused"))
        + f"{END_MARK}1 at 2026-11-22T18:08:00+00:00\n"
    )
    run = last_run(project, "okendo-reviews-daily")
    assert run is not None and run.error == f"{filler} key *** refused"[:400]
    assert "s3cr3t" not in run.error


def test_one_scheduler_per_project(project: Path) -> None:
    only(project)
    stop = threading.Event()
    first = threading.Thread(target=serve, args=(project,), kwargs={"stop": stop})
    first.start()
    try:
        deadline = time.monotonic() + 10
        lock = project / ".meltano" / "hub" / "scheduler.lock"
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        with pytest.raises(SystemExit) as caught:
            serve(project, stop=stop)
        assert str(caught.value) == (
            f"error: a Hub scheduler is already running for {project.resolve()}: stop it first."
        )
    finally:
        stop.set()
        first.join(10)
    assert not first.is_alive()


def wait_until_done(project: Path, name: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while is_running(project, name):
        assert time.monotonic() < deadline, f"{name} still running after {timeout}s"
        time.sleep(0.2)


def test_run_now_runs_pipelines_and_reports_them(
    project: Path, okendo_sandbox: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two real pipelines at once: the reviews load succeeds, the survey backfill (a schedule
    the Hub creates) fails on a wrong key; a second start of a running pipeline is refused."""
    okendo = okendo_sandbox(seed=7, counts={"approved": 9, "pending": 3, "rejected": 2})
    # Extract and load only: dbt's models have their own tests, and it would double the time.
    jobs = project / "meltano" / "jobs.meltano.yml"
    jobs.write_text(
        jobs.read_text().replace(
            "tap-okendo target-duckdb dbt-duckdb:build-okendo-reviews", "tap-okendo target-duckdb"
        )
    )
    backfill = save_schedule(
        project, source="tap-okendo-survey-backfill", cron="0 5 * * 1", timezone="UTC"
    )
    # Its own DuckDB file through the schedule's env (DuckDB allows one writer at a time).
    jobs.write_text(
        jobs.read_text().replace(
            "    job: okendo-survey-backfill\n",
            "    job: okendo-survey-backfill\n    env:\n      TARGET_DUCKDB_FILEPATH: "
            f'"{project / "output" / "backfill.duckdb"}"\n',
        )
    )
    wrong_key = "not-the-key-0000000000000000000x"
    for key, value in {
        **project_env(project),
        "TAP_OKENDO_API_URL": okendo.api_url,
        "TAP_OKENDO_USER_ID": okendo.sandbox.user_id,
        "TAP_OKENDO_API_KEY": okendo.sandbox.api_key,
        "TAP_OKENDO_MAX_REQUESTS_PER_SECOND": "0",
        "TAP_OKENDO_SURVEY_BACKFILL_API_KEY": wrong_key,
        "TAP_OKENDO_SURVEY_BACKFILL_SURVEY_IDS": '["nps-post-purchase"]',
    }.items():
        monkeypatch.setenv(key, value)
    reviews = "okendo-reviews-daily"

    assert run_now(project, reviews) > 0
    assert run_now(project, backfill.name) > 0
    assert is_running(project, reviews) and is_running(project, backfill.name)
    running = last_run(project, reviews)
    assert running is not None and running.status == "running"
    with pytest.raises(AlreadyRunning):
        run_now(project, reviews)
    wait_until_done(project, reviews)
    wait_until_done(project, backfill.name)

    good = last_run(project, reviews)
    truth = okendo.truth()["rows"]["reviews"]
    with duckdb.connect(str(project / "output" / "warehouse.duckdb"), read_only=True) as con:
        loaded = con.sql(
            "select (select count(*) from raw_okendo.reviews)"
            " + (select count(*) from raw_okendo.sync_runs)"
        ).fetchone()
    assert good is not None
    assert (good.status, good.error) == ("success", None)
    # 14 reviews plus the one sync_runs row that marks the completed copy.
    assert good.rows_loaded == truth + 1 == 15 == (loaded[0] if loaded else None)
    assert good.ended_at is not None and good.started_at < good.ended_at
    [row] = meltano_runs(project, job_names=["dev:tap-okendo-to-target-duckdb"])
    assert row.state == "SUCCESS"

    bad = last_run(project, backfill.name)
    assert bad is not None
    assert (bad.status, bad.rows_loaded) == ("failed", None)  # it failed before any count
    assert bad.error == (
        "Okendo rejected the User ID / API key pair (HTTP 401): re-copy both `user_id` and "
        "`api_key` from Okendo > Settings > Integrations > API credentials (no stray spaces; "
        "a regenerated key replaces the old one)."
    )
    [row] = meltano_runs(project, job_names=["dev:tap-okendo-survey-backfill-to-target-duckdb"])
    assert row.state == "FAIL"
    logs = "".join(p.read_text() for p in (project / ".meltano" / "hub" / "runs").rglob("*.log"))
    assert "Okendo rejected the User ID / API key pair" in logs
    for secret in (okendo.sandbox.api_key, wrong_key):
        assert secret not in logs
