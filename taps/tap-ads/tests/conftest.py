"""Run tap-ads against the ads sandbox over loopback: as users do (its console script, for
what a user sees), or in this process (data checks: no interpreter start per run)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.singerlib.encoding.simple import SimpleSingerWriter
from tap_ads.tap import TapAds

TAP = str(Path(sys.executable).with_name("tap-ads"))
METRICS = ("impressions", "clicks", "spend", "conversions", "conversion_value")
# The settings every test run uses: no waits longer than the sandbox asks for.
FAST = {"retry_backoff_ms": 10, "request_timeout": 10}
FAST_JOBS = {"poll_interval_ms": 20}


@dataclass
class TapRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(line, parse_float=Decimal) for line in self.stdout.splitlines() if line]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.messages:
            if m["type"] == "RECORD":
                counts[m["stream"]] = counts.get(m["stream"], 0) + 1
        return counts

    @property
    def state(self) -> dict[str, Any]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"][-1]

    @property
    def last_line(self) -> str:
        return self.stderr.strip().splitlines()[-1]


def _exact(totals: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if k in ("rows", "impressions", "clicks") else Decimal(v)
        for k, v in totals.items()
        if k == "rows" or k in METRICS
    }


@dataclass
class AdsCase:
    """One platform's sandbox, the tap settings for it and the truth to compare with."""

    platform: str
    ads: Any  # sandbox.ads.pytest_plugin.RunningAds
    start: date
    end: date
    config: dict[str, Any]

    @property
    def todays(self) -> dict[str, date]:
        """Each account's today (its own time zone)."""
        return {a.id: a.today for a in self.ads.platform.sandbox.data.accounts}

    def truth(self) -> dict[str, Any]:
        return self.ads.truth(self.start, self.end)

    @staticmethod
    def truth_totals(report: dict[str, Any]) -> dict[str, Any]:
        return {a: _exact(t) for a, t in report["by_account"].items() if t["rows"]}

    @staticmethod
    def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Per account: rows and exact sums, in the truth's shape."""
        by_account: dict[str, dict[str, Any]] = {}
        for row in rows:
            acc = by_account.setdefault(row["account_id"], {"rows": 0, **dict.fromkeys(METRICS, 0)})
            acc["rows"] += 1
            for metric in METRICS:
                acc[metric] += row[metric]
        return {a: _exact(t) for a, t in by_account.items()}


@pytest.fixture
def ads_case(ads_sandbox: Any) -> Callable[..., AdsCase]:
    """`ads_case(platform, days=N, **faults)`: a sandbox and settings reading the last N days
    (counted from the earliest account's today; zones differ), with short waits."""

    def start(platform: str, *, days: int = 10, scale: float = 0.4, **faults: Any) -> AdsCase:
        ads = ads_sandbox(platform, scale=scale, **faults)
        todays = [a.today for a in ads.platform.sandbox.data.accounts]
        first = min(todays) - timedelta(days=days - 1)
        block = ads.tap_config()
        if platform in ("meta", "pinterest"):
            block |= FAST_JOBS
        config = {"start_date": str(first), **FAST, platform: block}
        return AdsCase(platform, ads, first, max(todays), config)

    return start


class _Collect(SimpleSingerWriter):
    """Keeps the serialized Singer messages (exactly what stdout would get)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_message(self, message: Any) -> None:
        self.lines.append(self.format_message(message))


class _LogText(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def sync_tap() -> Callable[..., TapRun]:
    """Run a sync in this process; `stderr` holds the log lines and the one-line error."""

    def run(config: dict[str, Any], *, state: dict[str, Any] | None = None) -> TapRun:
        writer, logs = _Collect(), _LogText()
        logger = logging.getLogger("tap-ads")
        logger.addHandler(logs)
        level, logger.level = logger.level, logging.INFO
        code = 0
        try:
            TapAds(config=config, state=state, message_writer=writer).sync_all()
        except SystemExit as exc:
            code = 1
            logs.lines.append(str(exc))
        finally:
            logger.removeHandler(logs)
            logger.setLevel(level)
        return TapRun(code, "\n".join(writer.lines), "\n".join(logs.lines))

    return run


@pytest.fixture(scope="session")
def tap_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The tap's environment: bytecode cached for the session (in a private folder, even
    where PYTHONDONTWRITEBYTECODE is set), so each run does not compile singer-sdk again."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    return env


@pytest.fixture
def run_tap(tmp_path: Path, tap_env: dict[str, str]) -> Callable[..., TapRun]:
    def run(
        config: dict[str, Any],
        *args: str,
        state: dict[str, Any] | None = None,
        timeout: float = 120,
    ) -> TapRun:
        config_file = tmp_path / "config.json"
        config_file.write_text(json.dumps(config))
        extra: list[str] = []
        if state is not None:
            state_file = tmp_path / "state.json"
            state_file.write_text(json.dumps(state))
            extra = ["--state", str(state_file)]
        done = subprocess.run(
            [TAP, "--config", str(config_file), *extra, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=tap_env,
        )
        return TapRun(done.returncode, done.stdout, done.stderr)

    return run
