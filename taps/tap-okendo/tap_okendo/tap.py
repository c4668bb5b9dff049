"""tap-okendo: Okendo reviews and survey responses from the Merchant REST API."""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_okendo.client import RequestPacer
from tap_okendo.streams import ReviewsStream, SurveyResponsesStream, SyncRunsStream

REVIEW_STATUSES = ["approved", "pending", "rejected"]


class TapOkendo(Tap):
    """Singer tap for Okendo reviews and survey responses, from the Merchant REST API."""

    name = "tap-okendo"
    package_name = "tap-okendo"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "user_id",
            th.StringType,
            required=True,
            title="User ID",
            description="Okendo User ID (a UUID), shown with the API key in Okendo > "
            "Settings > Integrations > API credentials.",
        ),
        th.Property(
            "api_key",
            th.StringType,
            required=True,
            secret=True,
            title="API key",
            description="Okendo Merchant REST API key (32 characters), from the same "
            "page as the User ID.",
        ),
        th.Property(
            "api_url",
            th.URIType,
            default="https://api.okendo.io/enterprise",
            title="API URL",
            description="Base URL of the Merchant REST API; point it at the sandbox "
            "for tests and demos.",
        ),
        th.Property(
            "api_version",
            th.StringType,
            default="2025-02-01",
            title="API version",
            description="Value of the okendo-api-version header.",
        ),
        th.Property(
            "review_statuses",
            th.ArrayType(th.StringType(allowed_values=REVIEW_STATUSES)),
            default=REVIEW_STATUSES,
            title="Review statuses",
            description="Statuses to copy; Okendo lists one status per pass, so each "
            "adds a pass over its reviews.",
        ),
        th.Property(
            "survey_ids",
            th.ArrayType(th.StringType),
            default=[],
            title="Survey IDs",
            description="Surveys whose responses the survey_responses stream copies (a "
            "one-time backfill; new responses arrive by webhook). Okendo has no endpoint "
            "that lists surveys: copy each ID from the survey in the Okendo app.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=100),
            default=100,
            title="Page size",
            description="Records per request (Okendo allows 1..100; 100 uses the fewest requests).",
        ),
        th.Property(
            "max_requests_per_second",
            th.NumberType(minimum=0),
            default=2,
            title="Max requests per second",
            description="Request pacing; Okendo allows about 2/s per account. "
            "0 turns pacing off (429s are still retried).",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType(minimum=1),
            default=60,
            title="Request timeout (s)",
            description="Seconds to wait for one response before retrying it.",
        ),
        th.Property(
            "retry_backoff_ms",
            th.IntegerType(minimum=0),
            default=1000,
            title="Retry backoff (ms)",
            description="First wait, in milliseconds, after a 5xx, timeout or cut "
            "body; doubles each "
            "attempt (8 attempts, at most 60 s apart). A 429 waits for "
            "its Retry-After instead.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.completed_copies: list[dict[str, t.Any]] = []

    @property
    def pacer(self) -> RequestPacer:
        if not hasattr(self, "_pacer"):
            self._pacer = RequestPacer(float(self.config["max_requests_per_second"]))
        return self._pacer

    def record_completed_copy(
        self, *, stream: str, started_at: str, statuses: list[str], record_count: int
    ) -> None:
        self.completed_copies.append(
            {
                "stream": stream,
                "sync_started_at": started_at,
                "sync_completed_at": datetime.now(UTC).isoformat(),
                "review_statuses": statuses,
                "record_count": record_count,
            }
        )

    def discover_streams(self) -> list[Stream]:
        # sync_runs must come last: it reports the copies finished before it.
        return [ReviewsStream(self), SurveyResponsesStream(self), SyncRunsStream(self)]


if __name__ == "__main__":
    TapOkendo.cli()
