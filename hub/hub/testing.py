"""Test helpers for the Hub: a throwaway Meltano project, a fake clock and a fake launcher.

`project_copy` is what every Hub test starts from: the repo's Meltano project copied into a
temp folder (so tests may rewrite its YAML and `.env`), sharing the installed plugin venvs
by symlink, with its own system database and warehouse file.

Also the `hub` pytest11 plugin (fixture `hub_project_copy`). Loading it first also puts the real
`hub` package in sys.modules before pytest's importlib mode would make a stand-in `hub`
from the hub/ folder for hub/tests. Imports stay stdlib-only so every pytest run stays fast.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hub.runs import RunSummary

REPO = Path(__file__).resolve().parents[2]
# What a Meltano project is made of here; output/ and .meltano/ are recreated, not copied.
_PROJECT_FILES = ("meltano.yml",)
_PROJECT_DIRS = ("meltano", "transform")
_PLUGIN_KINDS = ("extractors", "loaders", "utilities")
_IGNORE = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__", ".user.yml")


def project_copy(tmp: Path) -> Path:
    """A throwaway copy of the repo's Meltano project (meltano.yml, meltano/, transform/,
    with .meltano's installed plugin folders symlinked, its own system DB and warehouse file)
    that tests may change freely. Env vars for it: project_env(root) -> dict[str, str].

    Plugins are not reinstalled: the copy's `.meltano/{extractors,loaders,utilities}/*` are
    symlinks to the repo's, so run `make test` (which runs `meltano install`) once first.
    """
    root = tmp / "project"
    root.mkdir(parents=True)
    for name in _PROJECT_FILES:
        shutil.copy2(REPO / name, root / name)
    for name in _PROJECT_DIRS:
        shutil.copytree(REPO / name, root / name, ignore=_IGNORE)
    (root / "output").mkdir()
    meltano_dir = root / ".meltano"
    for kind in _PLUGIN_KINDS:
        installed = REPO / ".meltano" / kind
        if not installed.is_dir():
            raise FileNotFoundError(
                f"Meltano plugins are not installed ({installed} is missing): run `make test` "
                "or `meltano install` in the repo first"
            )
        (meltano_dir / kind).mkdir(parents=True)
        for plugin in installed.iterdir():
            (meltano_dir / kind / plugin.name).symlink_to(plugin, target_is_directory=True)
    # MeltanoInvoker (`meltano schedule run`) runs `.meltano/run/bin` when it exists.
    (meltano_dir / "run").mkdir()
    (meltano_dir / "run" / "bin").symlink_to(Path(sys.executable).with_name("meltano"))
    _empty_system_db(REPO / ".meltano" / "meltano.db", meltano_dir / "meltano.db")
    return root


def _empty_system_db(source: Path, target: Path) -> None:
    """The repo's (migrated) system database without its rows.

    Two Meltano processes that start at once on a project without one both try to create
    it, and one fails ("Cannot upgrade the system database"); a real project has one from
    `meltano install`, so the copy should too.
    """
    if not source.is_file():
        return
    with (
        contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        tables = [
            name
            for (name,) in dst.execute("select name from sqlite_master where type = 'table'")
            if name != "alembic_version" and not name.startswith("sqlite_")
        ]
        for name in tables:
            dst.execute(f'delete from "{name}"')
        dst.commit()


@pytest.fixture
def hub_project_copy(tmp_path: Path) -> Path:
    """A fresh `project_copy` for one test."""
    return project_copy(tmp_path)


def project_env(root: Path) -> dict[str, str]:
    """Environment variables that point Meltano, the loader and dbt at the copy `root`.

    Merge over os.environ when starting `meltano` (or a Hub process) for the copy. Plugin
    auto-install is off so a test can never rewrite the repo's shared plugin venvs.
    """
    warehouse = root / "output" / "warehouse.duckdb"
    bin_dir = Path(sys.executable).parent
    return {
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_DATABASE_URI": f"sqlite:///{root / '.meltano' / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_AUTO_INSTALL": "false",
        "TARGET_DUCKDB_FILEPATH": str(warehouse),
        "DBT_DUCKDB_PATH": str(warehouse),
        "DBT_TARGET_PATH": str(root / "transform" / "target"),
        "DBT_LOG_PATH": str(root / "transform" / "logs"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@dataclass
class FakeClock:
    """A clock the test moves by hand; call it for the current (aware, UTC) time."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, when: datetime) -> datetime:
        self.now = when.astimezone(UTC)
        return self.now


@dataclass
class FakeLauncher:
    """Stands in for the real launcher (scheduler.ProjectLauncher): records what the
    scheduler starts and lets the test finish runs, with the same refusal of overlaps.

    `started` lists (schedule name, start time) in order; `finish(name, ok)` ends the
    running run of `name` at the clock's time.
    """

    clock: FakeClock
    started: list[tuple[str, datetime]] = field(default_factory=list)
    runs: dict[str, RunSummary] = field(default_factory=dict)
    incomplete: set[str] = field(default_factory=set)  # schedules whose setup is Incomplete
    _pid: int = 1000

    def start(self, name: str) -> int:
        from hub.runs import RunSummary
        from hub.scheduler import AlreadyRunning

        if self.is_running(name):
            raise AlreadyRunning(f"{name} is already running")
        now = self.clock()
        self.started.append((name, now))
        self.runs[name] = RunSummary(name, "running", now, None, None, None)
        self._pid += 1
        return self._pid

    def finish(self, name: str, ok: bool = True, rows: int | None = 0) -> None:
        from hub.runs import RunSummary

        run = self.runs[name]
        self.runs[name] = RunSummary(
            name,
            "success" if ok else "failed",
            run.started_at,
            self.clock(),
            rows if ok else None,
            None if ok else "the run failed",
        )

    def last_run(self, name: str) -> RunSummary | None:
        return self.runs.get(name)

    def is_running(self, name: str) -> bool:
        run = self.runs.get(name)
        return run is not None and run.status == "running"

    def not_ready(self, name: str) -> str | None:
        return f"{name} is Incomplete: not started" if name in self.incomplete else None

    def names(self) -> list[str]:
        return [name for name, _ in self.started]
