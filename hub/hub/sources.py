"""What the Data Sources page says about each source, from the project alone: its settings
(Meltano), its last connection test (connection.py), its schedule (schedules.py) and its last
run (runs.py, Meltano's run history)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub import connection, runs, schedules, settings
from hub.runs import RunSummary
from hub.schedules import Schedule

CONNECTED, INCOMPLETE, BROKEN = "Connected", "Incomplete", "Broken"
SCHEDULED, PAUSED, SYNCING = "Scheduled", "Paused", "Syncing"


@dataclass(frozen=True)
class SourceStatus:
    plugin: settings.Plugin
    setup: str  # Connected | Incomplete | Broken
    setup_note: str  # why, in plain words
    sync: str  # Scheduled | Paused | Syncing
    sync_note: str
    schedule: Schedule | None
    last_run: RunSummary | None
    test: connection.TestResult | None

    @property
    def name(self) -> str:
        return self.plugin.name

    @property
    def listed(self) -> bool:
        """In My Data Sources: set up by someone, tested, or running on a schedule."""
        active = self.schedule is not None and not self.schedule.paused
        return self.plugin.is_configured or self.test is not None or active

    @property
    def last_sync(self) -> datetime | None:
        run = self.last_run
        if run is None or run.status == "running":
            return None
        return run.ended_at or run.started_at

    @property
    def last_error(self) -> str | None:
        if self.last_run is not None and self.last_run.status == "failed":
            return self.last_run.error or "The last run failed."
        if self.test is not None and not self.test.ok:
            return self.test.message
        return None


def _setup(
    plugin: settings.Plugin,
    test: connection.TestResult | None,
    current: str | None,
    run: RunSummary | None,
) -> tuple[str, str]:
    if plugin.missing:
        return INCOMPLETE, f"Missing: {', '.join(plugin.missing)}."
    if test is None:  # never tested here: a finished run says as much as a test
        if run is not None and run.status == "success":
            return CONNECTED, "The last run succeeded."
        if run is not None and run.status == "failed":
            return BROKEN, run.error or "The last run failed."
        return INCOMPLETE, "Not tested yet: open it and Save and Test."
    if not test.ok:
        return BROKEN, test.message
    if current is not None and test.fingerprint != current:
        return INCOMPLETE, "Settings changed since the last test: Save and Test again."
    return CONNECTED, "The last connection test passed."


def _sync(
    schedule: Schedule | None, run: RunSummary | None, running: bool, setup: str
) -> tuple[str, str]:
    if running or (run is not None and run.status == "running"):
        return SYNCING, "A run is under way."
    if setup == INCOMPLETE:  # Chord's rule: nothing runs until the setup is complete
        return PAUSED, "Paused until the setup is complete and tested."
    if schedule is None:
        return PAUSED, "No schedule yet."
    if schedule.paused:
        return PAUSED, "Paused: the schedule does not start runs."
    if schedule.manual:
        return PAUSED, "Runs only when started by hand."
    nxt = schedules.next_runs(schedule, datetime.now(UTC), 1)
    if not nxt:
        return PAUSED, "This schedule never runs: no date matches its cron."
    return SCHEDULED, f"Next run {nxt[0].strftime('%Y-%m-%d %H:%M %Z')}."


def status(root: Path, plugin: settings.Plugin) -> SourceStatus:
    """Everything the page says about one source."""
    test = connection.last_result(root, plugin.name)
    current = connection.fingerprint(root, plugin) if test else None
    schedule = schedules.schedule_for_source(root, plugin.name)
    run = runs.last_run(root, schedule.name) if schedule else None
    running = runs.is_running(root, schedule.name) if schedule else False
    setup, setup_note = _setup(plugin, test, current, run)
    sync, sync_note = _sync(schedule, run, running, setup)
    return SourceStatus(plugin, setup, setup_note, sync, sync_note, schedule, run, test)


def all_statuses(root: Path) -> list[SourceStatus]:
    return [status(root, plugin) for plugin in settings.extractors(root)]


def not_ready(root: Path, schedule: Schedule) -> str | None:
    """Why the clock must not start `schedule` (a source's setup is Incomplete), or None."""
    for name in schedule.sources:
        try:
            plugin = settings.extractor(root, name)
        except KeyError:
            continue
        found = status(root, plugin)
        if found.setup == INCOMPLETE:
            return f"{name} is Incomplete ({found.setup_note}): not started"
    return None
