"""Async report jobs (create, poll with backoff, download) and the one rule for reports a
platform refuses as too large: split the date range in halves and try each half.

A failed job is created again up to `max_attempts` times, then the run stops with one line:
a report is never silently short.
"""

from __future__ import annotations

import logging
import time
import typing as t
from dataclasses import dataclass

from tap_ads.core.dates import DateRange
from tap_ads.core.errors import JobFailedError, TooLargeError, fail

Row = dict[str, t.Any]
JobState = t.Literal["running", "done", "failed", "too_large"]
MAX_POLL_SECONDS = 30.0
POLL_GROWTH = 1.5


class AsyncReport(t.Protocol):
    """One platform's async report API, for one account."""

    def create(self, window: DateRange) -> str: ...

    def status(self, job_id: str) -> tuple[JobState, str]:
        """The job's state and a short description (progress or failure reason)."""
        ...

    def rows(self, job_id: str) -> t.Iterator[Row]: ...


@dataclass
class JobRunner:
    platform: str  # "Meta"
    owner: str  # "ad account 123", for messages
    logger: logging.Logger
    poll_seconds: float = 2.0
    timeout_seconds: float = 3600.0
    max_attempts: int = 3
    # For platforms whose failed jobs do not say why (Pinterest's FAILED): a failed job over
    # more than one day is taken as too large and split; a one-day job is created again.
    split_failed: bool = False
    jobs_created: int = 0

    def fetch(self, report: AsyncReport, window: DateRange) -> t.Iterator[Row]:
        """Rows of one report over `window`; TooLargeError if the platform says so."""
        reason = ""
        for attempt in range(1, self.max_attempts + 1):
            job_id = report.create(window)
            self.jobs_created += 1
            state, reason = self._wait(report, job_id, window)
            if state == "done":
                yield from report.rows(job_id)
                return
            if state == "too_large" or (self.split_failed and window.days > 1):
                raise TooLargeError(reason)
            self.logger.warning(
                "%s: report job for %s, %s failed (attempt %d of %d): %s",
                self.platform,
                self.owner,
                window,
                attempt,
                self.max_attempts,
                reason,
            )
        raise JobFailedError(
            f"{self.platform} report jobs for {self.owner}, {window} failed "
            f"{self.max_attempts} times (last: {reason})"
        )

    def _wait(self, report: AsyncReport, job_id: str, window: DateRange) -> tuple[JobState, str]:
        deadline = time.monotonic() + self.timeout_seconds
        delay = self.poll_seconds
        while True:
            state, detail = report.status(job_id)
            if state != "running":
                return state, detail
            if time.monotonic() > deadline:
                fail(
                    f"{self.platform} report job for {self.owner}, {window} did not finish "
                    f"within {self.timeout_seconds:.0f}s ({detail}); try again later."
                )
            time.sleep(delay)
            delay = min(max(MAX_POLL_SECONDS, self.poll_seconds), delay * POLL_GROWTH)


def read_split(
    window: DateRange,
    fetch: t.Callable[[DateRange], t.Iterable[Row]],
    *,
    on_window_done: t.Callable[[DateRange], None],
    describe: str,
    logger: logging.Logger,
) -> t.Iterator[Row]:
    """Rows of `fetch(window)`; a window refused as too large is read as two halves (and so
    on). `on_window_done` is called for each (sub-)window once all its rows are out, oldest
    first, so a bookmark can follow."""
    pending = [window]
    while pending:
        current = pending.pop()
        emitted = 0
        try:
            for row in fetch(current):
                emitted += 1
                yield row
        except TooLargeError as exc:
            if emitted:
                fail(f"{describe}: the report for {current} was cut off as too large: {exc}.")
            if current.days == 1:
                fail(
                    f"{describe}: even a one-day report ({current}) is too large for the "
                    f"platform ({exc}); lower the report's breakdowns or ask the platform."
                )
            first, second = current.halves()
            logger.info(
                "%s: report for %s too large (%s); reading %s and %s.",
                describe,
                current,
                exc,
                first,
                second,
            )
            pending += [second, first]
            continue
        except JobFailedError as exc:
            fail(f"{exc}; no rows of that range were saved, the next run reads it again.")
        on_window_done(current)
