"""Starting runs: `run_now` (the Run now button), and the scheduler process (`hub scheduler`).

A run is `meltano run JOB` (what `meltano schedule run NAME` runs, with the schedule's env),
started in the background by a small wrapper process that
- holds the pipeline's lock (runs.try_lock) for as long as the run lives, so no second run of
  the pipeline starts from the web server, the scheduler or anywhere else, and a crash frees it;
- gives the run its ID (MELTANO_RUN_ID), which is how its rows in Meltano's `runs` table are
  found, and sends its output to .meltano/hub/runs/<schedule>/<start>-<run id>.log;
- appends the exit code when the run ends (runs.END_MARK).

The Scheduler is a clock-driven loop over the project's schedules, each read in its own zone:
paused ones are skipped, a run whose previous run is still going is refused (and logged), and
a gated schedule (`after`, the courier-group constraint) starts only once every schedule it
waits for has succeeded since its own previous run, or gives up after `wait_minutes`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ruamel.yaml import YAML

from hub import runs
from hub.private import UMASK, open_private, private_dir, tighten
from hub.runs import END_MARK, RunSummary, hub_dir, new_log, try_lock
from hub.schedules import (
    Schedule,
    get_schedule,
    job_blocks,
    load_schedules,
    next_runs,
)

log = logging.getLogger("hub.scheduler")
MELTANO = str(Path(sys.executable).with_name("meltano"))


class AlreadyRunning(RuntimeError):
    """The pipeline already has a run under way; its message is one user-facing line."""


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- run now


@dataclass(frozen=True)
class Period:
    """A manual run's load option (Amperity's): all data, or from one day to another.

    Either runs on a state of its own (`--state-id-suffix`, with `--full-refresh`), so the
    schedule's incremental bookmarks are neither used nor moved; a date range reaches the
    tap as its `start_date` / `end_date` settings (env vars, which win over the project's).
    """

    since: date | None = None  # None: all data
    until: date | None = None

    @property
    def suffix(self) -> str:
        if self.since is None:
            return "hub-all-data"
        return f"hub-{self.since.isoformat()}-to-{self.until.isoformat() if self.until else 'now'}"

    def encode(self) -> str:
        return f"{self.since or ''}:{self.until or ''}"

    @classmethod
    def decode(cls, text: str) -> Period:
        since, _, until = text.partition(":")
        return cls(
            date.fromisoformat(since) if since else None,
            date.fromisoformat(until) if until else None,
        )

    def env(self, sources: tuple[str, ...]) -> dict[str, str]:
        """Each tap's start/end date variables, as Meltano names a plugin setting's env var."""
        found = {}
        for source in sources:
            prefix = source.upper().replace("-", "_")
            if self.since is not None:
                found[f"{prefix}_START_DATE"] = f"{self.since.isoformat()}T00:00:00Z"
            if self.until is not None:
                found[f"{prefix}_END_DATE"] = f"{self.until.isoformat()}T00:00:00Z"
        return found


def run_now(project: Path, name: str, period: Period | None = None) -> int:
    """Start schedule `name`'s pipeline in the background and return the wrapper's pid.

    Raises AlreadyRunning if that pipeline is running (in this or any other process), and
    ScheduleError if there is no such schedule. Returns once the run holds its lock, so
    `is_running` is true right after. A paused schedule can still be run by hand.
    """
    project = project.resolve()
    schedule = get_schedule(project, name)
    fd = try_lock(project, schedule)
    if fd is None:
        raise AlreadyRunning(
            f"{name} is already running: wait for that run to finish before starting another."
        )
    try:
        run_id = str(uuid.uuid4())
        log_path = new_log(project, name, uuid.UUID(run_id).hex, utcnow())
        with os.fdopen(open_private(log_path, os.O_WRONLY | os.O_APPEND), "ab") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "hub.scheduler",
                    str(project),
                    name,
                    run_id,
                    str(fd),
                    *([period.encode()] if period else []),
                ],
                cwd=project,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
                # Its own session: the run outlives a web server restart and a Ctrl-C there.
                start_new_session=True,
            )
    finally:
        os.close(fd)  # the wrapper holds the lock now
    # Reap it when it ends (no zombie in a long-lived web server or scheduler).
    threading.Thread(target=process.wait, name=f"reap-{name}", daemon=True).start()
    return process.pid


def _schedule_env(project: Path, name: str) -> dict[str, str]:
    """The schedule's `env` from its project file, as `meltano schedule run` would pass it."""
    schedule = get_schedule(project, name)
    data = YAML(typ="safe").load((project / schedule.file).read_text()) or {}
    for entry in data.get("schedules") or []:
        if entry.get("name") == name:
            return {str(k): str(v) for k, v in (entry.get("env") or {}).items()}
    return {}


def _wrapper(project: Path, name: str, run_id: str, fd: int, period: Period | None = None) -> int:
    """The background run: the lock fd is ours (and the run's) until both end."""
    os.umask(UMASK)  # what the run creates (the warehouse, meltano.db, logs) is owner-only
    tighten(project)
    schedule = get_schedule(project, name)
    env = {
        **os.environ,
        **_schedule_env(project, name),
        "MELTANO_PROJECT_ROOT": str(project),
        "MELTANO_RUN_ID": run_id,
        "MELTANO_JOB_TRIGGER": "hub",
    }
    # A job schedule: run the job directly (one Meltano start-up less than `schedule run`).
    command = [MELTANO, "run", schedule.job] if schedule.job else [MELTANO, "schedule", "run", name]
    if period is not None and schedule.job:
        env.update(period.env(schedule.sources))
        command[2:2] = ["--state-id-suffix", period.suffix, "--full-refresh"]
    print(f"[hub] {name}: {' '.join(command[1:])} (run id {run_id})", flush=True)
    if period is not None:
        print(f"[hub] load option: {period.env(schedule.sources) or 'all data'}", flush=True)
    held = [fd, *_take_warehouse(project, schedule, env)]
    process = subprocess.Popen(
        command, cwd=project, env=env, stdin=subprocess.DEVNULL, pass_fds=tuple(held)
    )

    def stop(signum: int, _frame: Any) -> None:
        process.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = process.wait()
    for extra in held[1:]:  # the warehouse locks (the pipeline's own fd is the caller's)
        os.close(extra)
    tighten(project)  # files the run made through a tool that sets its own modes
    print(f"{END_MARK}{code} at {utcnow().isoformat()}", flush=True)
    return code


# Plugins that write the embedded DuckDB warehouse, and the variable that names its file.
DUCKDB_WRITERS = {"target-duckdb": "TARGET_DUCKDB_FILEPATH", "dbt-duckdb": "DBT_DUCKDB_PATH"}


def warehouse_lock_path(project: Path, warehouse: Path) -> Path:
    digest = hashlib.sha256(str(warehouse.resolve()).encode()).hexdigest()[:16]
    return private_dir(hub_dir(project) / "locks") / f"duckdb-{digest}.lock"


def _take_warehouse(project: Path, schedule: Schedule, env: dict[str, str]) -> list[int]:
    """Wait for, then hold, the DuckDB file(s) the job writes: DuckDB allows one writer, so
    two pipelines due at the same minute (oms-hourly and the 15-minute surveys load at :00)
    take turns instead of one failing on the file lock."""
    default = project / "output" / "warehouse.duckdb"
    files = sorted(  # a fixed order: two runs never hold one file each and wait for the other
        {
            Path(env.get(variable) or default).resolve()
            for block in job_blocks(project, schedule)
            if (variable := DUCKDB_WRITERS.get(block.split(":")[0]))
        }
    )
    held = []
    for warehouse in files:
        fd = open_private(warehouse_lock_path(project, warehouse), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"[hub] waiting for {warehouse.name}: another run is writing to it", flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        held.append(fd)
    return held


# ---------------------------------------------------------------- the scheduler


class Launcher(Protocol):
    """What the Scheduler needs to start runs and read their outcome (faked in tests)."""

    def start(self, name: str) -> int: ...
    def last_run(self, name: str) -> RunSummary | None: ...
    def is_running(self, name: str) -> bool: ...
    def not_ready(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class ProjectLauncher:
    """The real thing: run_now, and run history from the project."""

    project: Path

    def start(self, name: str) -> int:
        pid = run_now(self.project, name)
        from hub import audit

        audit.record(self.project, "scheduler", audit.RUN_STARTED, "", name)
        return pid

    def not_ready(self, name: str) -> str | None:
        from hub.sources import not_ready  # Meltano: loaded only once a run is due

        return not_ready(self.project, get_schedule(self.project, name))

    def last_run(self, name: str) -> RunSummary | None:
        return runs.last_run(self.project, name)

    def is_running(self, name: str) -> bool:
        return runs.is_running(self.project, name)


@dataclass(frozen=True)
class Event:
    """One thing the scheduler did at a tick (also logged as one line)."""

    schedule: str
    action: str  # started | refused | skipped (setup Incomplete) | waiting | gave-up | error
    due: datetime | None
    reason: str = ""


class Scheduler:
    """Starts what is due, once per `tick()`; constructed with project, clock, launcher.

    Due means a cron time of the schedule (in its zone) in (previous tick, this tick]; several
    missed times start one run. The first tick starts nothing that was due before the
    scheduler was created. A gated schedule that is due waits across ticks.
    """

    def __init__(
        self,
        project: Path,
        clock: Callable[[], datetime] = utcnow,
        launcher: Launcher | None = None,
    ) -> None:
        self.project = project
        self.clock = clock
        self.launcher: Launcher = launcher or ProjectLauncher(project)
        self._checked = clock()
        self._waiting: dict[str, datetime] = {}  # gated schedule -> the due time it waits on
        # schedule -> ((cron, zone), its next start): most ticks then need no cron arithmetic.
        self._next: dict[str, tuple[tuple[str, str], datetime | None]] = {}
        self.events: deque[Event] = deque(maxlen=1000)  # the latest, for tests and debugging

    def tick(self) -> list[Event]:
        now = self.clock()
        since, self._checked = self._checked, now
        try:
            schedules = load_schedules(self.project)
        except Exception as exc:  # a hand-edited project file may be broken: say so, go on
            return self._record([Event("*", "error", None, f"cannot read the schedules: {exc}")])
        events: list[Event] = []
        by_name = {s.name: s for s in schedules}
        for name in list(self._waiting):
            if name not in by_name or by_name[name].paused:
                del self._waiting[name]  # removed or paused while waiting: drop that run
        for schedule in schedules:
            if schedule.paused or schedule.manual:
                self._next.pop(schedule.name, None)  # resumed: count from then, no burst
                continue
            try:
                events.extend(self._visit(schedule, since, now))
            except Exception as exc:  # one bad schedule (a gate on a deleted one...) stops no other
                events.append(Event(schedule.name, "error", None, str(exc)))
        return self._record(events)

    def _visit(self, schedule: Schedule, since: datetime, now: datetime) -> list[Event]:
        due = self._due(schedule, since, now)
        if due is None and schedule.name not in self._waiting:
            return []
        if schedule.after:
            return self._gated(schedule, due, now)
        return [self._start(schedule, due)] if due is not None else []

    def _due(self, schedule: Schedule, since: datetime, now: datetime) -> datetime | None:
        """The latest cron time of `schedule` in (since, now], or None."""
        key = (schedule.cron, schedule.timezone)
        cached = self._next.get(schedule.name)
        if cached is None or cached[0] != key:  # new, resumed or edited: count from `since`
            cached = (key, _first(next_runs(schedule, since, 1)))
        upcoming = cached[1]
        due = None
        while upcoming is not None and upcoming <= now:
            due, upcoming = upcoming, _first(next_runs(schedule, upcoming, 1))
        self._next[schedule.name] = (key, upcoming)
        return due

    def _gated(self, schedule: Schedule, due: datetime | None, now: datetime) -> list[Event]:
        waiting_since = self._waiting.setdefault(schedule.name, due or now)
        pending = self._pending(schedule)
        if not pending:
            del self._waiting[schedule.name]
            return [self._start(schedule, waiting_since)]
        deadline = waiting_since + timedelta(minutes=schedule.wait_minutes)
        if now >= deadline:
            del self._waiting[schedule.name]
            reason = (
                f"gave up the run due {_show(waiting_since, schedule)} after waiting "
                f"{schedule.wait_minutes} min for {', '.join(pending)} to succeed"
            )
            return [Event(schedule.name, "gave-up", waiting_since, reason)]
        if due is not None:  # log once, when it starts waiting
            reason = f"waiting up to {schedule.wait_minutes} min for {', '.join(pending)}"
            return [Event(schedule.name, "waiting", waiting_since, reason)]
        return []

    def _pending(self, schedule: Schedule) -> list[str]:
        """The schedules in `after` that have not succeeded since this one's previous run."""
        previous = self.launcher.last_run(schedule.name)
        since = previous.started_at if previous else None
        pending = []
        for name in schedule.after:
            run = self.launcher.last_run(name)
            ok = run is not None and run.status == "success"
            ended = run.ended_at if run else None
            if not ok or (since is not None and (ended is None or ended <= since)):
                pending.append(name)
        return pending

    def _start(self, schedule: Schedule, due: datetime) -> Event:
        if self.launcher.is_running(schedule.name):
            return Event(
                schedule.name, "refused", due, "the previous run is still running: skipped"
            )
        try:
            why = self.launcher.not_ready(schedule.name)
        except Exception as exc:
            return Event(schedule.name, "error", due, f"could not check the setup: {exc}")
        if why:
            return Event(schedule.name, "skipped", due, why)
        try:
            pid = self.launcher.start(schedule.name)
        except AlreadyRunning:
            return Event(
                schedule.name, "refused", due, "the previous run is still running: skipped"
            )
        except Exception as exc:
            return Event(schedule.name, "error", due, f"could not start: {exc}")
        return Event(schedule.name, "started", due, f"pid {pid}")

    def _record(self, events: list[Event]) -> list[Event]:
        for event in events:
            when = f" (due {event.due.isoformat()})" if event.due else ""
            warn = event.action in {"refused", "skipped", "gave-up", "error"}
            level = logging.WARNING if warn else logging.INFO
            log.log(level, "%s %s%s: %s", event.schedule, event.action, when, event.reason)
        self.events.extend(events)
        return events


def _first(times: list[datetime]) -> datetime | None:
    return times[0] if times else None


def _show(when: datetime, schedule: Schedule) -> str:
    """A time as the schedule's users read it: in its zone."""
    return when.astimezone(ZoneInfo(schedule.timezone)).isoformat()


# ---------------------------------------------------------------- the process


def serve(project: Path, *, interval: float = 15.0, stop: threading.Event | None = None) -> None:
    """The long-running scheduler process (`hub scheduler`): tick until SIGTERM / Ctrl-C.

    One per project (a lock under .meltano/hub/); a second one exits with one line saying so.
    """
    project = project.resolve()
    lock_dir = hub_dir(project)
    with os.fdopen(open_private(lock_dir / "scheduler.lock", os.O_RDWR), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(
                f"error: a Hub scheduler is already running for {project}: stop it first."
            ) from None
        stop = stop or threading.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        if not logging.getLogger().handlers:  # `hub scheduler`: one line per event on stderr
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        scheduler = Scheduler(project)
        log.info("scheduler started for %s", project)
        while not stop.is_set():
            try:
                scheduler.tick()
            except Exception:  # keep scheduling; say what went wrong
                log.exception("tick failed")
            # Tick on whole multiples of `interval` (:00, :15, ...): a run due at 06:00 starts
            # within a moment of 06:00:00, not up to `interval` late.
            stop.wait(interval - time.time() % interval + 0.05)
        log.info("scheduler stopped")


def _main(argv: list[str]) -> int:
    project, name, run_id, fd, *rest = argv
    period = Period.decode(rest[0]) if rest else None
    return _wrapper(Path(project), name, run_id, int(fd), period)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(_main(sys.argv[1:]))
