"""Run tap-ads against the ads sandbox over loopback: as users do (its console script, for
what a user sees), or in this process (data checks: no interpreter start per run)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from singer_sdk.singerlib.encoding.simple import SimpleSingerWriter
from tap_ads.tap import TapAds

from sandbox import tap_testing

METRICS = ("impressions", "clicks", "spend", "conversions", "conversion_value")
# The settings every test run uses: no waits longer than the sandbox asks for.
FAST = {"retry_backoff_ms": 10, "request_timeout": 10}
FAST_JOBS = {"poll_interval_ms": 20}


class TapRun(tap_testing.TapRun):
    parse_float = Decimal  # metrics are summed exactly


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


# As users do; bytecode cached for the session (the tap starts many times).
run_tap = tap_testing.run_tap_fixture("tap-ads", result=TapRun, cache_bytecode=True)
