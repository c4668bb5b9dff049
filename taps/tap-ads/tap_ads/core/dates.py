"""Date ranges in an ad account's own time zone: today, the lookback window, windowing."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tap_ads.core.errors import fail


@dataclass(frozen=True)
class DateRange:
    """Days `start` .. `end`, both inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def halves(self) -> tuple[DateRange, DateRange]:
        middle = self.start + timedelta(days=self.days // 2 - 1)
        return DateRange(self.start, middle), DateRange(middle + timedelta(days=1), self.end)

    def windows(self, max_days: int) -> t.Iterator[DateRange]:
        """Consecutive ranges of at most `max_days` days, oldest first."""
        start = self.start
        while start <= self.end:
            end = min(self.end, start + timedelta(days=max_days - 1))
            yield DateRange(start, end)
            start = end + timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


def zone(name: str, owner: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        fail(
            f"{owner} has the time zone {name!r}, which is not an IANA zone this host knows; "
            "install the tzdata package."
        )


def now_utc() -> datetime:
    """The current instant (one place, so tests can set the clock)."""
    return datetime.now(UTC)


def today_in(time_zone: str, owner: str) -> date:
    """Today in `owner`'s (an ad account's) time zone: east of UTC it can already be
    tomorrow, west of it still yesterday."""
    return now_utc().astimezone(zone(time_zone, owner)).date()


def parse_date(value: t.Any, setting: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        fail(f"`{setting}` must be a date like 2026-01-31, got {str(value)[:40]!r}.")


def read_range(
    *,
    start_date: date,
    end_date: date | None,
    bookmark: date | None,
    lookback_days: int,
    today: date,
) -> DateRange | None:
    """`[max(start_date, bookmark - lookback), end_date or today]`: the lookback re-reads the
    days a platform may still revise (late conversions, attribution) on every run."""
    start = start_date
    if bookmark is not None:
        start = max(start_date, bookmark - timedelta(days=lookback_days))
    end = end_date or today
    return DateRange(start, end) if start <= end else None
