"""Run history: what the last run of a schedule did, from Meltano's own records.

- Status comes from Meltano's system database (`runs` table, MELTANO_DATABASE_URI, by default
  .meltano/meltano.db): one row per extract/load pair, keyed by the run ID the Hub gives
  `meltano run` (MELTANO_RUN_ID). "Running" comes from the pipeline's lock (see `pipeline_lock`).
- Rows loaded and the last error come from the run's output, which the Hub captures under
  .meltano/hub/runs/<schedule>/<start>-<run id>.log (for runs started outside the Hub,
  Meltano's own .meltano/logs/elt/<state id>/<run id>/elt.log). The log's last line, written
  when the run ends, holds the exit code, so a failed dbt step after a good load shows as failed.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from hub.private import open_private, private_dir, without_paths
from hub.schedules import Schedule, get_schedule, state_ids

if TYPE_CHECKING:
    import sqlalchemy as sa

END_MARK = "[hub] run ended: exit code "
_STAMP = "%Y%m%dT%H%M%S%fZ"


@dataclass(frozen=True)
class RunSummary:
    """The last run of a schedule, as the Data Sources page shows it."""

    schedule: str
    status: str  # "running" | "success" | "failed"
    started_at: datetime  # aware, UTC
    ended_at: datetime | None
    rows_loaded: int | None
    error: str | None  # error: the run's last meaningful error line, plain words
    streams: tuple[StreamFacts, ...] = ()  # per stream, as SparkLayer shows its feeds
    log: str = ""  # the Hub's log of the run (its name under runs/<schedule>/), if any

    @property
    def duration(self) -> str:
        """How long it ran ("2 min 5 s"), or "" while running."""
        if self.ended_at is None:
            return ""
        seconds = max(0, round((self.ended_at - self.started_at).total_seconds()))
        if seconds < 60:
            return f"{seconds} s"
        minutes, seconds = divmod(seconds, 60)
        if minutes < 60:
            return f"{minutes} min {seconds} s"
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes} min"

    @property
    def outcome(self) -> str:
        """Success, Warning (it finished, but a stream was skipped), Failed or Running."""
        if self.status == "success" and any(s.state == AMBER for s in self.streams):
            return "Warning"
        return {"success": "Success", "failed": "Failed", "running": "Running"}[self.status]


GREEN, AMBER, RED = "Green", "Amber", "Red"


@dataclass(frozen=True)
class StreamFacts:
    """One stream of a run: Green (synced), Amber (synced with a warning, or skipped for a
    missing scope), Red (the stream the run failed in); `note` is the tap's own line."""

    name: str
    rows: int | None
    state: str
    note: str = ""


# ---------------------------------------------------------------- the per-pipeline lock


def hub_dir(project: Path) -> Path:
    (project / ".meltano").mkdir(parents=True, exist_ok=True)
    return private_dir(project / ".meltano" / "hub")


def lock_key(schedule: Schedule) -> str:
    """What a lock guards: the Meltano job (two schedules of one job share it)."""
    return schedule.job or schedule.name


def lock_path(project: Path, schedule: Schedule) -> Path:
    return private_dir(hub_dir(project) / "locks") / f"{lock_key(schedule)}.lock"


def try_lock(project: Path, schedule: Schedule) -> int | None:
    """Take the pipeline's lock: an open fd holding an exclusive flock, or None if held.

    flock belongs to the open file, so a child given the fd (pass_fds) keeps it held after
    the parent closes its copy, and the kernel drops it when the last holder exits, even on
    a crash or kill -9: a dead run can never leave it stuck.
    """
    fd = open_private(lock_path(project, schedule), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextmanager
def pipeline_lock(project: Path, schedule: Schedule) -> Iterator[bool]:
    """Hold the pipeline's lock for a block; yields False (holding nothing) if it is taken."""
    fd = try_lock(project, schedule)
    try:
        yield fd is not None
    finally:
        if fd is not None:
            os.close(fd)


def _locked(project: Path, schedule: Schedule) -> bool:
    with pipeline_lock(project, schedule) as free:
        return not free


def is_running(project: Path, schedule: str) -> bool:
    """Whether a run of the schedule's pipeline is under way (in any process)."""
    return _locked(project, get_schedule(project, schedule))


# ---------------------------------------------------------------- logs


def new_log(project: Path, schedule: str, run_id: str, started: datetime) -> Path:
    private_dir(hub_dir(project) / "runs")
    folder = private_dir(hub_dir(project) / "runs" / schedule)
    return folder / f"{started.astimezone(UTC).strftime(_STAMP)}-{run_id}.log"


def _hub_logs(project: Path, schedule: str) -> list[Path]:
    """The schedule's Hub run logs, newest first (names sort by start time)."""
    folder = hub_dir(project) / "runs" / schedule
    return sorted(folder.glob("*.log"), reverse=True) if folder.is_dir() else []


def _parse_log_name(path: Path) -> tuple[datetime, str]:
    stamp, run_id = path.stem.split("-", 1)
    return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC), run_id


# Output lines: singer-sdk's metric lines and Meltano's console lines
# ("<time> [<level>] <plugin or meltano> <message>").
_METRIC = re.compile(r"METRIC: (\{.*\})")
_ROWS_LOADED = re.compile(r"Loading (\d+) rows into '([^']+)'")  # pipelinewise targets
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CLOCK = re.compile(r"^\d\d:\d\d:\d\d\s+")
_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\S+ \[\s*(?P<level>\w+)\s*\] (?P<source>\S+)\s+(?P<msg>.*)$")
_ERROR_WORDS = re.compile(
    r"error|exception|fail|fatal|refused|denied|invalid|rejected|unauthori[sz]ed|forbidden"
    r"|not found|no such|could not|cannot|can't|timed? ?out|missing|HTTP [45]\d\d",
    re.IGNORECASE,
)
# Meltano's own summary lines say that something failed, not what: the plugin's line does.
_NOISE = re.compile(
    r"^(Traceback|File \"|During handling|The above exception|\^+$|~+$|Retrying|METRIC)"
    r"|^(Extractor|Loader|Mappers?|Transformer|Utility|Plugin|Block|Run|Job|ELT) (run )?"
    r"(failed|completed|could not be completed)"
    r"|For more detailed log messages|Need help fixing this problem|meltano\.com"
    # dbt's summary lines: the failing node's own line says what broke.
    r"|^Done\. PASS=|^Completed with \d+ errors?|^compiled code at|configured to (fail|warn)"
    r"|^\d+ of \d+ (START|OK|PASS|SKIP)",
    re.IGNORECASE,
)
_CONFIG_INVALID = "Config validation failed"
_PREAMBLE = re.compile(r"^Skipping parse of env var settings|Meltano SDK v\d")
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSPHRASE|CREDENTIAL|SQLALCHEMY_URL|DSN")


@dataclass(frozen=True)
class LogFacts:
    rows_loaded: int | None
    error: str | None
    exit_code: int | None  # None: the run has not ended (or was killed before it could say)
    ended_at: datetime | None
    streams: tuple[StreamFacts, ...] = ()


# singer-sdk's "Beginning sync of 'reviews' ..." and a tap's skip warning for a stream it
# cannot read ("Skipping stream charges: the access token lacks the read_charges scope ...",
# "Skipping orders: the app lacks the read_orders scope ..."); "Skipping deselected stream"
# (info, no colon) is a stream not chosen, not a warning.
_BEGIN_STREAM = re.compile(r"Beginning (?:\w+ )?sync of '([^']+)'")
_SKIPPED_STREAM = re.compile(r"^Skipping (?:stream )?'?([\w.-]+)'?: ")


_LOG_CACHE: dict[Path, tuple[tuple[int, int], LogFacts]] = {}


def read_log(path: Path) -> LogFacts:
    """Rows loaded, the last meaningful error line and the exit code, from a run's output.

    Read once per version of the file: the Data Sources page asks on every request.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return LogFacts(None, None, None, None)
    key = (info.st_size, info.st_mtime_ns)
    cached = _LOG_CACHE.get(path)
    if cached is None or cached[0] != key:
        cached = _LOG_CACHE[path] = (key, _read_log(path))
    return cached[1]


def _read_log(path: Path) -> LogFacts:
    tap_counts: dict[str, int] = {}
    loaded: int | None = None
    error: str | None = None  # the last error line of a plugin (tap, target, dbt)
    meltano_error: str | None = None  # ... and of Meltano itself (bad config, missing plugin)
    exit_code: int | None = None
    ended_at: datetime | None = None
    recent: list[str] = []  # a plugin's last few lines since it started
    begun: list[str] = []  # streams in the order the tap started (or skipped) them
    skipped: dict[str, str] = {}  # stream -> the tap's warning line
    loaded_by_table: dict[str, int] = {}
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return LogFacts(None, None, None, None)
    for raw in text.splitlines():
        line = _ANSI.sub("", raw).strip()
        if line.startswith(END_MARK):
            code, _, when = line.removeprefix(END_MARK).partition(" at ")
            exit_code = int(code)
            ended_at = datetime.fromisoformat(when) if when else None
            continue
        if m := _ROWS_LOADED.search(line):
            loaded = (loaded or 0) + int(m.group(1))
            table = m.group(2).split(".")[-1].strip('"')
            loaded_by_table[table] = loaded_by_table.get(table, 0) + int(m.group(1))
            continue
        if m := _METRIC.search(line):
            # singer-sdk targets count what they load with the same metric as taps count
            # what they emit: a loader's counts are rows loaded, not more rows emitted.
            parsed = _LINE.match(line)
            if parsed and parsed["source"].startswith("target-"):
                by_table: dict[str, int] = {}
                _count_metric(m.group(1), by_table)
                for table, count in by_table.items():
                    if not count:
                        continue  # a closing zero counter: nothing loaded is not a count
                    loaded = (loaded or 0) + count
                    loaded_by_table[table] = loaded_by_table.get(table, 0) + count
            else:
                _count_metric(m.group(1), tap_counts)
            continue
        if (parsed := _LINE.match(line)) and parsed["source"] != "meltano":
            message = _CLOCK.sub("", parsed["msg"].strip())
            if m := _BEGIN_STREAM.search(message):
                begun.append(m.group(1))
            elif parsed["level"].lower() == "warning" and (m := _SKIPPED_STREAM.match(message)):
                skipped[m.group(1)] = message
                begun.append(m.group(1))  # in the log's order
                continue
        if found := _error_message(line):
            from_meltano, message = found
            if from_meltano:
                meltano_error = message
            elif message.lower() == _CONFIG_INVALID.lower():
                # singer-sdk prints each problem on its own line first: say which.
                details = [m for m in recent if m.lower() != _CONFIG_INVALID.lower()]
                error = f"{_CONFIG_INVALID}: {'; '.join(details)}" if details else message
            else:
                error = message
        if (parsed := _LINE.match(line)) and parsed["source"] != "meltano":
            message = _CLOCK.sub("", parsed["msg"].strip())
            recent = [] if _PREAMBLE.search(message) else [*recent[-4:], message]
    # The loader's own count when it reports one; else, for a run that did not fail, what the
    # extractor emitted (singer-sdk's record_count counters, a running sum per stream). A
    # failed run's emitted count says nothing about what got loaded: unknown.
    emitted = sum(tap_counts.values()) if tap_counts and not exit_code else None
    rows = loaded if loaded is not None else emitted
    error = error or meltano_error  # the plugin says what is wrong; else Meltano's own line
    if exit_code == 0:
        error = None
    elif exit_code is not None and error is None:
        error = f"The run failed (exit code {exit_code}) without saying why: open its log."
    streams = _streams(begun, skipped, tap_counts, loaded_by_table, exit_code, error)
    return LogFacts(rows, error, exit_code, ended_at, streams)


def _streams(
    begun: list[str],
    skipped: dict[str, str],
    emitted: dict[str, int],
    loaded: dict[str, int],
    exit_code: int | None,
    error: str | None,
) -> tuple[StreamFacts, ...]:
    """Each stream the tap started or skipped, in order: rows (the loader's count for its
    table, else what the tap emitted), and Green / Amber / Red."""
    names = list(dict.fromkeys([*begun, *skipped, *(n for n in emitted if n)]))
    out = []
    for name in names:
        rows = loaded.get(name, emitted.get(name))
        if name in skipped:
            out.append(StreamFacts(name, rows, AMBER, skipped[name]))
        elif exit_code and name not in emitted:  # started, never finished: where it failed
            out.append(StreamFacts(name, None, RED, error or ""))
        elif exit_code is None and name not in emitted:
            out.append(StreamFacts(name, None, "", "Syncing"))
        else:
            out.append(StreamFacts(name, rows, GREEN if not exit_code or rows else RED))
    return tuple(out)


def _count_metric(payload: str, counts: dict[str, int]) -> None:
    try:
        metric = json.loads(payload)
    except ValueError:
        return
    if metric.get("metric") != "record_count" or metric.get("type") != "counter":
        return
    tags = metric.get("tags") or {}
    # Child contexts (pagination partitions) report their own counter; sum per stream.
    stream = str(tags.get("stream", ""))
    counts[stream] = counts.get(stream, 0) + int(metric.get("value") or 0)


def _error_message(line: str) -> tuple[bool, str] | None:
    """(said by Meltano itself, the plain-words message) of an error line, else None."""
    m = _LINE.match(line)
    level, source, message = (m["level"].lower(), m["source"], m["msg"]) if m else ("", "", line)
    message = _CLOCK.sub("", message.strip())  # dbt starts its lines with HH:MM:SS
    if not message or level == "debug" or _NOISE.search(message):
        return None
    if source == "meltano" and level not in {"error", "critical"}:
        return None
    if not _ERROR_WORDS.search(message) and level not in {"error", "critical"}:
        return None
    # "tap-x: what is wrong" (singer-sdk's one-line failures) and "SomeError: what" -> "what".
    # (an inheriting plugin, tap-x-backfill, still prints its executable's name, tap-x).
    prefix = re.match(r"^([\w.-]+): ", message)
    if prefix and source and source.startswith(prefix[1]):
        message = message[prefix.end() :]
    message = re.sub(r"^(?:[\w.]+(?:Error|Exception|Failure)):\s*", "", message)
    return (source == "meltano", message) if message else None


MAX_ERROR_CHARS = 400  # an error line on the page, not a log dump


def secret_values(project: Path) -> set[str]:
    """Values of secret-looking settings (environment and the project's .env), to blank out."""
    values = {v for k, v in os.environ.items() if _SECRET_NAME.search(k.upper())}
    env_file = project / ".env"
    if env_file.is_file():
        for raw in env_file.read_text(errors="replace").splitlines():
            key, sep, value = raw.partition("=")
            if sep and _SECRET_NAME.search(key.upper()):
                values.add(value.strip().strip("'\""))
    return {v for v in values if len(v) >= 6}


def redact(text: str, secrets: set[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


# ---------------------------------------------------------------- Meltano's runs table


def database_uri(project: Path) -> str:
    """Meltano's system database, as Meltano finds it (env var, else the project default)."""
    return os.environ.get("MELTANO_DATABASE_URI") or (
        f"sqlite:///{project / '.meltano' / 'meltano.db'}"
    )


@cache
def _engine(uri: str) -> sa.Engine:
    import sqlalchemy as sa  # only here: the run wrapper process never needs it

    return sa.create_engine(uri, poolclass=sa.pool.NullPool)


@dataclass(frozen=True)
class MeltanoRun:
    job_name: str  # the state id
    state: str  # RUNNING | SUCCESS | FAIL | DEAD | ...
    started_at: datetime
    ended_at: datetime | None
    run_id: str  # 32 hex digits
    payload: dict[str, Any]


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def meltano_runs(
    project: Path, *, job_names: list[str] | None = None, run_id: str | None = None
) -> list[MeltanoRun]:
    """Rows of Meltano's `runs` table, newest first, by state id(s) and/or run id."""
    import sqlalchemy as sa

    engine = _engine(database_uri(project))
    if not sa.inspect(engine).has_table("runs"):
        return []
    runs = sa.table(
        "runs",
        sa.column("job_name"),
        sa.column("state"),
        sa.column("started_at"),
        sa.column("ended_at"),
        sa.column("run_id"),
        sa.column("payload"),
        sa.column("id"),
    )
    query = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc())
    if job_names is not None:
        if not job_names:
            return []
        query = query.where(runs.c.job_name.in_(job_names))
    if run_id is not None:
        # sqlite keeps run ids as 32 hex digits, PostgreSQL as a uuid.
        dashed = str(run_id) if engine.dialect.name == "postgresql" else run_id.replace("-", "")
        query = query.where(runs.c.run_id == dashed)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(50)).mappings().all()
    found = []
    for row in rows:
        try:
            payload = json.loads(row["payload"] or "{}")
        except (TypeError, ValueError):
            payload = {}
        found.append(
            MeltanoRun(
                job_name=str(row["job_name"]),
                state=str(row["state"]),
                started_at=_as_utc(row["started_at"]) or datetime.now(UTC),
                ended_at=_as_utc(row["ended_at"]),
                run_id=str(row["run_id"]).replace("-", ""),
                payload=payload if isinstance(payload, dict) else {},
            )
        )
    return found


# ---------------------------------------------------------------- the last run


def last_run(project: Path, schedule: str) -> RunSummary | None:
    """The schedule's most recent run (started by the Hub or by `meltano` itself), or None.

    Its error is one line in plain words (the failing plugin's own message where it gave
    one), with the values of secret settings blanked out.
    """
    summary = _last_run(project, schedule)
    if summary is None or summary.error is None:
        return summary
    # Blank secrets out before shortening: a cut could otherwise split a secret and keep half.
    return _plain(project, summary)


def _plain(project: Path, summary: RunSummary) -> RunSummary:
    """The summary with secrets blanked out of its lines and no server paths."""
    hidden = secret_values(project)

    def clean(text: str) -> str:
        return without_paths(redact(text, hidden), project)[:MAX_ERROR_CHARS]

    streams = tuple(replace(s, note=clean(s.note)) for s in summary.streams)
    error = clean(summary.error) if summary.error else None
    return replace(summary, error=error, streams=streams)


def history(project: Path, schedule: str, limit: int = 20) -> list[RunSummary]:
    """The schedule's runs started by the Hub, newest first, each with its log's name."""
    sched = get_schedule(project, schedule)
    found = []
    for log in _hub_logs(project, schedule)[:limit]:
        started, run_id = _parse_log_name(log)
        found.append(_plain(project, _hub_run(project, sched, log, started, run_id)))
    return found


_LOG_NAME = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{32}$")


def log_text(
    project: Path, schedule: str, name: str, also_hide: set[str] | None = None
) -> str | None:
    """A Hub run log as the browser shows it (secrets blanked, no server paths), or None.
    `also_hide`: more secret values (the plugins' secret settings, wherever stored)."""
    if not _LOG_NAME.match(name):  # a name we made, never a path: no traversal
        return None
    path = hub_dir(project) / "runs" / schedule / f"{name}.log"
    try:
        text = _ANSI.sub("", path.read_text(errors="replace"))
    except FileNotFoundError:
        return None
    hidden = secret_values(project) | {v for v in also_hide or set() if len(v) >= 6}
    return without_paths(redact(text, hidden), project)


def _last_run(project: Path, schedule: str) -> RunSummary | None:
    sched = get_schedule(project, schedule)
    logs = _hub_logs(project, schedule)
    ids = state_ids(project, sched)
    outside = meltano_runs(project, job_names=ids) if ids else []
    if logs:
        started, run_id = _parse_log_name(logs[0])
        if not outside or outside[0].started_at <= started or outside[0].run_id == run_id:
            return _hub_run(project, sched, logs[0], started, run_id)
    if outside:
        return _meltano_run(project, sched, outside[0])
    return None


class _More(NamedTuple):
    streams: tuple[StreamFacts, ...]
    log: str


def _hub_run(
    project: Path, sched: Schedule, log: Path, started: datetime, run_id: str
) -> RunSummary:
    facts = read_log(log)
    rows = meltano_runs(project, run_id=run_id)
    more = _More(facts.streams, log.stem)
    if facts.exit_code is None and _locked(project, sched):
        return RunSummary(sched.name, "running", started, None, facts.rows_loaded, None, *more)
    failed_rows = [r for r in rows if r.state in {"FAIL", "DEAD"}]
    ended = facts.ended_at or max((r.ended_at for r in rows if r.ended_at), default=None)
    if facts.exit_code is None:
        # The lock is free but the run never wrote its end: it was killed (or the machine went).
        error = facts.error or "The run stopped before it finished (its process was killed)."
        return RunSummary(sched.name, "failed", started, ended, facts.rows_loaded, error, *more)
    if facts.exit_code != 0 or failed_rows:
        error = facts.error or _payload_error(failed_rows) or "The run failed."
        return RunSummary(sched.name, "failed", started, ended, facts.rows_loaded, error, *more)
    return RunSummary(sched.name, "success", started, ended, facts.rows_loaded, None, *more)


def _meltano_run(project: Path, sched: Schedule, run: MeltanoRun) -> RunSummary:
    """A run Meltano records but the Hub did not start (`meltano run`, cron, Airflow)."""
    group = meltano_runs(project, run_id=run.run_id) or [run]
    log_facts = [read_log(_elt_log(project, r)) for r in group]
    rows = [f.rows_loaded for f in log_facts if f.rows_loaded is not None]
    total = sum(rows) if rows else None
    started = min(r.started_at for r in group)
    if any(r.state == "RUNNING" for r in group) and not all(
        r.state in {"SUCCESS", "FAIL", "DEAD"} for r in group
    ):
        return RunSummary(sched.name, "running", started, None, total, None)
    ended = max((r.ended_at for r in group if r.ended_at), default=None)
    failed = [r for r in group if r.state in {"FAIL", "DEAD"}]
    if failed:
        errors = [f.error for f in log_facts if f.error]
        error = errors[-1] if errors else _payload_error(failed) or "The run failed."
        return RunSummary(sched.name, "failed", started, ended, total, error)
    return RunSummary(sched.name, "success", started, ended, total, None)


def _elt_log(project: Path, run: MeltanoRun) -> Path:
    dashed = f"{run.run_id[:8]}-{run.run_id[8:12]}-{run.run_id[12:16]}-"
    dashed += f"{run.run_id[16:20]}-{run.run_id[20:]}"
    return project / ".meltano" / "logs" / "elt" / run.job_name / dashed / "elt.log"


def _payload_error(failed: list[MeltanoRun]) -> str | None:
    for run in failed:
        error = run.payload.get("error")
        if error:
            found = _error_message(str(error))
            return found[1] if found else str(error)
    return None
