"""Schedules, read from and written to the Meltano project files (no second source of truth).

A Hub schedule is a Meltano job schedule (`schedules:` in meltano.yml or meltano/*.meltano.yml).
What Meltano has no field for lives in the schedule's own `env`, which Meltano keeps, shows in
`meltano schedule list --format=json`, and passes to the run:

    HUB_TIMEZONE       IANA zone the cron is read in (absent: UTC, Meltano's own reading)
    HUB_PAUSED         "true" while paused (absent: running)
    HUB_AFTER          comma-separated schedules that must succeed first (a courier-group gate)
    HUB_WAIT_MINUTES   how long a gated run waits for them (absent: 60)

Files are edited with ruamel.yaml round-trip, so comments and layout survive, one writer at a
time (a lock file under .meltano/hub/), each write replacing the file atomically.
"""

from __future__ import annotations

import fcntl
import io
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadDateError, croniter  # type: ignore[import-untyped]
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Quoted

from hub.private import open_private, private_dir

TZ_KEY = "HUB_TIMEZONE"
PAUSED_KEY = "HUB_PAUSED"
AFTER_KEY = "HUB_AFTER"
WAIT_KEY = "HUB_WAIT_MINUTES"
DEFAULT_WAIT_MINUTES = 60
NEW_SCHEDULES_FILE = "meltano/jobs.meltano.yml"
DEFAULT_LOADER = "target-duckdb"


# Meltano's interval aliases (meltano.core.schedule.CRON_INTERVALS; importing Meltano costs
# seconds, too much for the scheduler's every start): None means never started by the clock.
CRON_INTERVALS: dict[str, str | None] = {
    "@once": None,
    "@manual": None,
    "@none": None,
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@midnight": "0 0 * * *",
}


class ScheduleError(ValueError):
    """A bad cron, zone, or schedule name: its message is one user-facing line."""


@dataclass(frozen=True)
class Schedule:
    """One schedule as the Hub sees it."""

    name: str
    job: str  # the Meltano job it runs
    sources: tuple[str, ...]  # extractor names the job runs
    cron: str  # Meltano's `interval`: five-field cron or an alias such as @daily
    timezone: str  # IANA zone the cron is read in
    paused: bool
    after: tuple[str, ...]  # gate: schedules that must succeed first (courier group)
    wait_minutes: int  # how long a gated run waits for them
    file: str = ""  # project file that holds it, relative to the project root

    @property
    def manual(self) -> bool:
        """Meltano's @once/@manual/@none: never started by the clock."""
        return CRON_INTERVALS.get(self.cron.strip().lower(), "") is None


# ---------------------------------------------------------------- validation


def validate_cron(cron: str) -> str:
    """The cron, trimmed, if both Meltano and the Hub's clock accept it; else ScheduleError."""
    cron = " ".join(str(cron).split())
    example = "five fields, minute hour day month weekday, e.g. '0 6 * * *' (06:00 daily)"
    if not cron:
        raise ScheduleError(f"The schedule is empty: enter {example}.")
    expr = CRON_INTERVALS.get(cron.lower(), cron)
    if expr is None:  # @manual and friends: valid, never due
        return cron
    # Meltano's own check (what `meltano schedule add` accepts), then the clock's.
    from meltano.core.schedule import is_valid_cron

    if not is_valid_cron(cron) or not croniter.is_valid(expr):
        raise ScheduleError(f"'{cron}' is not a valid cron schedule: use {example}.")
    if never_fires(expr):
        raise ScheduleError(
            f"'{cron}' never runs (no such date): pick a day that each month it names has, "
            "e.g. '0 0 28 2 *'."
        )
    return cron


@cache
def never_fires(expr: str) -> bool:
    """Whether a valid-looking cron matches no date at all (`0 0 31 2 *`, 31 February)."""
    try:
        croniter(expr, datetime(2000, 1, 1)).get_next(datetime)
    except (CroniterBadDateError, ValueError):
        return True
    return False


def validate_timezone(name: str) -> str:
    """The IANA zone name if it exists; else ScheduleError."""
    name = str(name).strip()
    hint = "use an IANA name such as 'UTC', 'Europe/London' or 'America/New_York'"
    if not name:
        raise ScheduleError(f"The time zone is empty: {hint}.")
    # ZoneInfo also accepts file paths and odd spellings; only real zone keys are allowed.
    if name not in _zone_names():
        raise ScheduleError(f"'{name}' is not a time zone: {hint}.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - listed but broken
        raise ScheduleError(f"'{name}' is not a time zone: {hint}.") from exc
    return name


_ZONES: frozenset[str] = frozenset()


def _zone_names() -> frozenset[str]:
    global _ZONES
    if not _ZONES:
        _ZONES = frozenset(available_timezones())
    return _ZONES


# ---------------------------------------------------------------- next run times


def next_runs(schedule: Schedule, now: datetime, count: int = 5) -> list[datetime]:
    """The next `count` start times strictly after `now`, aware, in the schedule's zone.

    The cron is read on the zone's wall clock. Across a DST change:
    - a wall time that does not exist (02:30 on America/New_York's spring-forward day) runs
      once, at the instant the clock jumps over it (03:00 EDT), so a daily run is never
      lost that day;
    - a wall time that happens twice (01:30 on the fall-back day) runs once, at the first
      one (01:30 EDT), so a daily run does not run twice; only crons whose hour field is a
      wildcard (`* ...`, `*/2`) run in both, as they promise a run every hour.
    This is what Vixie cron does, so cron users get what they expect.
    A cron that matches no date (a hand-edited `0 0 31 2 *`) has no next runs: [].
    """
    if schedule.manual or count <= 0:
        return []
    zone = ZoneInfo(schedule.timezone)
    expr = CRON_INTERVALS.get(schedule.cron.strip().lower(), schedule.cron) or schedule.cron
    if not croniter.is_valid(expr) or never_fires(expr):
        return []
    every_hour = expr.split()[1].startswith("*")
    # Walk naive wall-clock times (croniter knows nothing of DST), then place each in the zone.
    local_now = now.astimezone(zone).replace(tzinfo=None)
    walker = croniter(expr, local_now - timedelta(hours=3))
    found: list[datetime] = []  # in UTC: within one zone Python compares wall times, not folds
    for _ in range(100_000):
        wall: datetime = walker.get_next(datetime)
        for instant in _instants(wall, zone, every_hour):
            if instant > now and instant not in found:
                found.append(instant)
        found.sort()
        # A later wall time can still map before an earlier one's second (fold=1) instant,
        # so stop only once the walk is well past the last instant kept.
        if len(found) >= count and wall > _wall(found[count - 1], zone) + timedelta(hours=3):
            break
    return [instant.astimezone(zone) for instant in found[:count]]


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The wall-clock reading of `instant` in `zone` (via UTC: same-zone astimezone is a no-op)."""
    return instant.astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def _instants(wall: datetime, zone: ZoneInfo, every_hour: bool) -> list[datetime]:
    """The UTC instants at which the naive wall time `wall` happens in `zone` (see next_runs)."""
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return [first.astimezone(UTC)]
    if _wall(first, zone) != wall:  # skipped: zoneinfo reads it on the old offset
        return [_gap_end(wall, zone)]
    # Repeated: fold=0 is the first pass, on the pre-change offset.
    return [first.astimezone(UTC), second.astimezone(UTC)][: 2 if every_hour else 1]


def _gap_end(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant the clock jumps over the skipped wall time (03:00 EDT for 02:30)."""
    # Read on the post-change offset, the wall time lands before the jump: walk to the change.
    utc = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    before = utc.astimezone(zone).utcoffset()
    for _ in range(24 * 60):
        utc += timedelta(minutes=1)
        if utc.astimezone(zone).utcoffset() != before:
            return utc.replace(second=0, microsecond=0)
    return utc  # pragma: no cover - no zone skips a whole day


# ---------------------------------------------------------------- reading


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def project_files(project: Path) -> list[Path]:
    """meltano.yml, then each file its include_paths names, in Meltano's order."""
    root = project / "meltano.yml"
    files = [root]
    for pattern in _read(root).get("include_paths") or []:
        files.extend(sorted(project.glob(str(pattern).removeprefix("./"))))
    return files


def _load(path: Path) -> Any:
    """A file for editing: round-trip, keeping comments and layout."""
    return _yaml().load(path.read_text()) or CommentedMap()


_READ_CACHE: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}


def _read(path: Path) -> dict[str, Any]:
    """A file for reading (never mutate the result): parsed once per version of the file.

    The scheduler reads every file each tick and the web page on each request; the key holds
    the inode because Hub writes replace the file (rename), so even a same-size rewrite in the
    same clock tick is seen.
    """
    info = path.stat()
    key = (info.st_ino, info.st_mtime_ns, info.st_size)
    cached = _READ_CACHE.get(path)
    if cached is None or cached[0] != key:
        data = YAML(typ="safe").load(path.read_text()) or {}
        cached = _READ_CACHE[path] = (key, data if isinstance(data, dict) else {})
    return cached[1]


def _environment(project: Path) -> str:
    return os.environ.get("MELTANO_ENVIRONMENT") or str(
        _read(project / "meltano.yml").get("default_environment") or ""
    )


@dataclass(frozen=True)
class _Project:
    """What the schedule parser needs from every project file at once."""

    extractors: frozenset[str]
    loaders: frozenset[str]
    jobs: dict[str, list[str]]  # job name -> its tasks, flattened to plugin blocks
    entries: list[tuple[Path, Any]]  # (file, schedule mapping)


def _read_project(project: Path) -> _Project:
    extractors: set[str] = set()
    loaders: set[str] = set()
    jobs: dict[str, list[str]] = {}
    entries: list[tuple[Path, Any]] = []
    for path in project_files(project):
        data = _read(path)
        plugins = data.get("plugins") or {}
        extractors.update(str(p["name"]) for p in plugins.get("extractors") or [])
        loaders.update(str(p["name"]) for p in plugins.get("loaders") or [])
        for job in data.get("jobs") or []:
            jobs[str(job["name"])] = _blocks(job.get("tasks") or [])
        entries.extend((path, entry) for entry in data.get("schedules") or [])
    return _Project(frozenset(extractors), frozenset(loaders), jobs, entries)


def _blocks(tasks: Any) -> list[str]:
    """A job's tasks ("tap-x target-y dbt:build", or lists of those) as single plugin blocks."""
    if isinstance(tasks, str):
        return tasks.split()
    return [block for task in tasks for block in _blocks(task)]


def _schedule(proj: _Project, project: Path, path: Path, entry: Any) -> Schedule:
    env = entry.get("env") or {}
    if entry.get("job"):
        job = str(entry["job"])
        blocks = proj.jobs.get(job, [])
    else:  # a legacy `meltano elt` schedule: extractor + loader
        job = ""
        blocks = [str(entry.get("extractor", "")), str(entry.get("loader", ""))]
    after = tuple(a.strip() for a in str(env.get(AFTER_KEY, "")).split(",") if a.strip())
    try:
        wait = int(env.get(WAIT_KEY, DEFAULT_WAIT_MINUTES))
    except ValueError:
        wait = DEFAULT_WAIT_MINUTES
    return Schedule(
        name=str(entry["name"]),
        job=job,
        sources=tuple(b for b in blocks if b in proj.extractors),
        cron=str(entry.get("interval") or "@manual"),
        timezone=str(env.get(TZ_KEY) or "UTC"),
        paused=str(env.get(PAUSED_KEY, "")).lower() == "true",
        after=after,
        wait_minutes=wait,
        file=str(path.relative_to(project)),
    )


def load_schedules(project: Path) -> list[Schedule]:
    """Every schedule in the project, in file order; zone UTC unless the Hub set one."""
    proj = _read_project(project)
    return [_schedule(proj, project, path, entry) for path, entry in proj.entries]


def get_schedule(project: Path, name: str) -> Schedule:
    """The schedule called `name`; ScheduleError if there is none."""
    for schedule in load_schedules(project):
        if schedule.name == name:
            return schedule
    raise ScheduleError(f"There is no schedule called '{name}': check `meltano schedule list`.")


def schedule_for_source(project: Path, source: str) -> Schedule | None:
    """The first schedule whose job runs the extractor `source`, or None."""
    for schedule in load_schedules(project):
        if source in schedule.sources:
            return schedule
    return None


def loaders_of(project: Path, schedule: Schedule) -> list[str]:
    """The loaders the schedule's job writes with (for its Meltano state IDs)."""
    proj = _read_project(project)
    blocks = proj.jobs.get(schedule.job, [])
    return [b for b in blocks if b in proj.loaders]


def job_blocks(project: Path, schedule: Schedule) -> list[str]:
    """The plugin blocks the schedule's job runs, in order (`tap-x`, `target-y`, `dbt:build`)."""
    return list(_read_project(project).jobs.get(schedule.job, [])) if schedule.job else []


def state_ids(project: Path, schedule: Schedule) -> list[str]:
    """Meltano's state IDs (runs.job_name) of each extract/load pair the schedule runs:
    `{environment}:{extractor}-to-{loader}`, as `meltano run` names them."""
    proj = _read_project(project)
    blocks = proj.jobs.get(schedule.job, []) if schedule.job else []
    env = _environment(project)
    ids = []
    for here, there in itertools.pairwise(blocks):
        if here in proj.extractors and there in proj.loaders:
            ids.append(f"{env}:{here}-to-{there}" if env else f"{here}-to-{there}")
    return ids


# ---------------------------------------------------------------- writing


@contextmanager
def _writing(project: Path) -> Iterator[None]:
    """One writer of the project files at a time (Hub web server, scheduler, CLI)."""
    (project / ".meltano").mkdir(parents=True, exist_ok=True)
    lock_dir = private_dir(project / ".meltano" / "hub")
    with os.fdopen(open_private(lock_dir / "project.lock", os.O_RDWR), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _dump(path: Path, data: Any) -> None:
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    temp = path.with_name(f".{path.name}.hub-tmp")
    temp.write_text(buffer.getvalue())
    os.replace(temp, path)


def _find_entry(project: Path, name: str) -> tuple[Path, Any, Any]:
    for path in project_files(project):
        data = _load(path)
        for entry in data.get("schedules") or []:
            if str(entry.get("name")) == name:
                return path, data, entry
    raise ScheduleError(f"There is no schedule called '{name}': check `meltano schedule list`.")


def _set_env(entry: Any, key: str, value: str | None) -> None:
    env = entry.get("env")
    if value is None:
        if env is not None and key in env:
            del env[key]
            if not env:
                del entry["env"]
        return
    if env is None:
        entry["env"] = env = CommentedMap()
    env[key] = Quoted(value)  # the project's style: strings in double quotes


def save_schedule(
    project: Path,
    *,
    source: str | None = None,
    name: str | None = None,
    cron: str,
    timezone: str,
    after: tuple[str, ...] | None = None,
    wait_minutes: int | None = None,
) -> Schedule:
    """Set a schedule's cron and zone (by `name`, or the schedule of extractor `source`).

    A source without a schedule gets a job `<source minus tap->` (`<source> <loader>`, the
    loader the project's other jobs use) and a schedule `<job>-sync`, in meltano/jobs.meltano.yml.
    `after`/`wait_minutes`, when given, set the gate (an empty tuple removes it).
    Raises ScheduleError for a bad cron, zone, gate, or an unknown schedule or source.
    """
    if (source is None) == (name is None):
        raise ScheduleError("Name either a schedule or a source, not both or neither.")
    cron = validate_cron(cron)
    timezone = validate_timezone(timezone)
    wait = None if wait_minutes is None else _validate_wait(wait_minutes)
    with _writing(project):
        proj = _read_project(project)
        known = {str(e["name"]) for _, e in proj.entries}
        if name is not None and name not in known:
            raise ScheduleError(
                f"There is no schedule called '{name}': check `meltano schedule list`."
            )
        if source is not None and source not in proj.extractors:
            raise ScheduleError(
                f"There is no source called '{source}': check `meltano config list`."
            )
        existing = name or next(
            (
                sched.name
                for sched in (_schedule(proj, project, p, e) for p, e in proj.entries)
                if source in sched.sources
            ),
            None,
        )
        for other in after or ():  # checked before anything is written
            if other not in known or other == existing:
                raise ScheduleError(
                    f"Cannot wait for '{other}': name other schedules of this project."
                )
        name = existing or _create(project, proj, str(source))
        path, data, entry = _find_entry(project, name)
        entry["interval"] = Quoted(cron)
        _set_env(entry, TZ_KEY, None if timezone == "UTC" else timezone)
        if after is not None:
            _set_env(entry, AFTER_KEY, ",".join(after) or None)
        if wait is not None:
            _set_env(entry, WAIT_KEY, str(wait))
        _dump(path, data)
    return get_schedule(project, name)


def _validate_wait(minutes: object) -> int:
    limit = 7 * 24 * 60
    try:
        wait = int(str(minutes).strip())
    except ValueError:
        wait = -1
    if not 0 <= wait <= limit:
        raise ScheduleError(f"Wait time '{minutes}' is not valid: use 0 to {limit} minutes.")
    return wait


def _create(project: Path, proj: _Project, source: str) -> str:
    """Add a job (`<source> <loader>`) and a schedule for `source`; return the schedule name."""
    base = source.removeprefix("tap-") or source
    job = base
    taken_jobs = set(proj.jobs) | proj.extractors | proj.loaders
    n = 2
    while job in taken_jobs:
        job = f"{base}-{n}"
        n += 1
    name = f"{job}-sync"
    taken = {str(e["name"]) for _, e in proj.entries}
    while name in taken:
        name = f"{job}-sync-{n}"
        n += 1
    loader = _usual_loader(proj)
    path = project / NEW_SCHEDULES_FILE
    data = _load(path) if path.exists() else CommentedMap()
    jobs = data.setdefault("jobs", CommentedSeq())
    jobs.append(CommentedMap([("name", job), ("tasks", CommentedSeq([f"{source} {loader}"]))]))
    schedules = data.setdefault("schedules", CommentedSeq())
    schedules.append(CommentedMap([("name", name), ("interval", Quoted("@daily")), ("job", job)]))
    _dump(path, data)
    return name


def _usual_loader(proj: _Project) -> str:
    counts: dict[str, int] = {}
    for blocks in proj.jobs.values():
        for block in blocks:
            if block in proj.loaders:
                counts[block] = counts.get(block, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else DEFAULT_LOADER


def set_paused(project: Path, name: str, paused: bool) -> Schedule:
    """Pause or resume schedule `name` (a paused schedule is never started by the clock)."""
    with _writing(project):
        path, data, entry = _find_entry(project, name)
        _set_env(entry, PAUSED_KEY, "true" if paused else None)
        _dump(path, data)
    return get_schedule(project, name)
