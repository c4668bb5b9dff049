"""Okendo streams: declarative where the SDK allows, with the full-copy ledger explained below.

Reviews: Okendo has no updated-since filter and reviews carry no update date, so every run reads all
reviews again (a full copy). To let the warehouse drop reviews deleted in Okendo without
trusting any target's delete support, each record carries the run's `_sync_started_at`,
and once every configured status has been read to the end the tap emits one `sync_runs`
row. A review is live if it was seen in (or after) the newest completed copy; a run that
dies halfway records no completion, so it can never make live reviews look deleted.

Survey responses: a one-time backfill of the configured surveys (Okendo cannot list
them), after which responses arrive by webhook through the collector. Each survey is a
partition; once one has been read to the end its partition state says so and a resumed
run skips it, so a run killed on the third survey re-reads only that one. Records are the
API objects as they are (plus the partition key `survey_id`, which the SDK stamps on).
"""

from __future__ import annotations

import re
import typing as t
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import unquote, urlparse

from singer_sdk import Stream
from singer_sdk import typing as th

from tap_okendo.client import OkendoStream, fail

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

_TITLED_VALUE = [th.Property("title", th.StringType), th.Property("type", th.StringType)]

REVIEW_SCHEMA = th.PropertiesList(
    th.Property("reviewId", th.UUIDType, required=True, description="Okendo review id"),
    th.Property("subscriberId", th.UUIDType, description="Okendo store (subscriber) id"),
    th.Property("productId", th.StringType, description="e.g. shopify-123456789"),
    th.Property("productName", th.StringType),
    th.Property("variantId", th.StringType),
    th.Property("variantName", th.StringType),
    th.Property("rating", th.IntegerType, description="1..5 stars"),
    th.Property("title", th.StringType),
    th.Property("body", th.StringType),
    th.Property(
        "sentiment", th.StringType, allowed_values=["positive", "negative", "neutral", "mixed"]
    ),
    th.Property("status", th.StringType, allowed_values=["approved", "pending", "rejected"]),
    th.Property("tags", th.ArrayType(th.StringType)),
    th.Property("dateCreated", th.DateTimeType),
    th.Property("helpfulCount", th.IntegerType),
    th.Property("unhelpfulCount", th.IntegerType),
    th.Property("isRecommended", th.BooleanType),
    th.Property("isIncentivized", th.BooleanType),
    th.Property("containsProfanity", th.BooleanType),
    th.Property(
        "reviewer",
        th.ObjectType(
            th.Property("name", th.StringType),
            th.Property("displayName", th.StringType),
            th.Property("email", th.EmailType),
            th.Property("avatarUrl", th.URIType),
            th.Property("isVerified", th.BooleanType),
            th.Property("verifiedStatus", th.StringType),
            th.Property(
                "location",
                th.ObjectType(
                    th.Property(
                        "country",
                        th.ObjectType(
                            th.Property("code", th.StringType), th.Property("name", th.StringType)
                        ),
                    ),
                    th.Property("zoneCode", th.StringType),
                ),
            ),
            th.Property(
                "attributes",
                th.ArrayType(th.ObjectType(*_TITLED_VALUE, th.Property("value", th.StringType))),
            ),
            th.Property("socialConnection", th.StringType),
        ),
    ),
    th.Property(
        "order",
        th.ObjectType(
            th.Property("orderId", th.StringType), th.Property("orderNumber", th.StringType)
        ),
    ),
    th.Property(
        "reply",
        th.ObjectType(
            th.Property("body", th.StringType),
            th.Property("rawBody", th.StringType),
            th.Property("dateCreated", th.DateTimeType),
            th.Property("isPrivate", th.BooleanType),
        ),
    ),
    th.Property(
        "reward",
        th.ObjectType(
            th.Property("type", th.StringType),
            th.Property("value", th.DecimalType),
            th.Property("description", th.StringType),
        ),
    ),
    th.Property(
        "media",
        th.ArrayType(
            th.ObjectType(
                th.Property("streamId", th.StringType),
                th.Property("type", th.StringType),
                th.Property("fullSizeUrl", th.URIType),
                th.Property("largeUrl", th.URIType),
                th.Property("thumbnailUrl", th.URIType),
                th.Property("isHidden", th.BooleanType),
            )
        ),
    ),
    th.Property(
        "attributesWithRating",
        th.ArrayType(
            th.ObjectType(
                *_TITLED_VALUE,
                th.Property("value", th.NumberType),
                th.Property("minLabel", th.StringType),
                th.Property("midLabel", th.StringType),
                th.Property("maxLabel", th.StringType),
            )
        ),
    ),
    th.Property(
        "productAttributes",
        th.ArrayType(th.ObjectType(*_TITLED_VALUE, th.Property("value", th.StringType))),
    ),
    th.Property(
        "_sync_started_at",
        th.DateTimeType,
        required=True,
        description="Start of the full copy that read this review (see sync_runs)",
    ),
).to_dict()


class ReviewsStream(OkendoStream):
    """All reviews, one full copy per run over every configured status."""

    name = "reviews"
    path = "/reviews"
    primary_keys = ("reviewId",)
    replication_key = None
    records_key = "reviews"
    schema = REVIEW_SCHEMA

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        started_at = datetime.now(UTC).isoformat()
        statuses = list(self.config["review_statuses"])
        count = 0
        for status in statuses:  # Okendo lists one status per pass (default: approved only)
            for review in self.request_records({"status": status}):
                review["_sync_started_at"] = started_at
                count += 1
                yield review
                if self.dry_run_has_enough(count):
                    return
        self._tap.record_completed_copy(  # type: ignore[attr-defined]
            stream=self.name, started_at=started_at, statuses=statuses, record_count=count
        )

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        params = super().get_url_params(context, next_page_token)
        params.setdefault("status", (context or {})["status"])
        return params


# Okendo does not publish this schema; fields follow its docs and the Chord description
# (../../shared/vendors/okendo.md). Open-ended values (channel, questionType) are strings
# with the known values described, not enums: a new channel must not break a backfill.
SURVEY_RESPONSE_SCHEMA = th.PropertiesList(
    th.Property(
        "surveyResponseId", th.UUIDType, required=True, description="Okendo survey response id"
    ),
    th.Property("surveyId", th.StringType, required=True, description="Okendo survey id"),
    th.Property("subscriberId", th.UUIDType, description="Okendo store (subscriber) id"),
    th.Property(
        "channel",
        th.StringType,
        description="Where the survey was answered: email, onsite, post-purchase or sms",
    ),
    th.Property("dateCreated", th.DateTimeType),
    th.Property("dateUpdated", th.DateTimeType, description="Changes on every edit"),
    th.Property(
        "order",
        th.ObjectType(
            th.Property("orderId", th.StringType), th.Property("orderNumber", th.StringType)
        ),
        description="The order the survey was sent for, if any",
    ),
    th.Property(
        "customer",
        th.ObjectType(
            th.Property("customerId", th.StringType), th.Property("email", th.StringType)
        ),
    ),
    th.Property(
        "answers",
        th.ArrayType(
            th.ObjectType(
                th.Property("questionId", th.StringType),
                th.Property("questionText", th.StringType),
                th.Property(
                    "questionType",
                    th.StringType,
                    description="nps, multiple-choice, free-text or rating",
                ),
                th.Property(
                    "value",
                    th.StringType,
                    description='Always text; an NPS answer is "0".."10"',
                ),
                th.Property("otherValue", th.StringType, description='Custom "other" answer'),
            )
        ),
        description="One per answered question; a skipped question has none",
    ),
    th.Property(
        "survey_id",
        th.StringType,
        required=True,
        description="The configured survey id this record was read for (= surveyId)",
    ),
).to_dict()

_SURVEY_IN_PATH = re.compile(r"/surveys/([^/]+)/responses$")


class SurveyResponsesStream(OkendoStream):
    """Responses of each survey in `survey_ids`, one partition (and state entry) per survey."""

    name = "survey_responses"
    path = "/surveys/{survey_id}/responses"
    primary_keys = ("surveyResponseId",)
    replication_key = None
    records_key = "surveyResponses"
    schema = SURVEY_RESPONSE_SCHEMA

    @property
    def partitions(self) -> list[dict[str, t.Any]]:
        survey_ids = dict.fromkeys(self.config.get("survey_ids") or [])  # ordered, no repeats
        return [{"survey_id": survey_id} for survey_id in survey_ids]

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        if context is None:  # no partitions: nothing configured
            self.logger.info(
                "survey_responses: no `survey_ids` set, nothing to read; list the IDs of "
                "the surveys to backfill in `survey_ids`."
            )
            return
        survey_id = context["survey_id"]
        state = self.get_context_state(context)
        if state.get("complete"):
            self.logger.info(
                "survey_responses: survey %s was copied completely by an earlier run; "
                "skipping it (reset the state or use --full-refresh to read it again).",
                survey_id,
            )
            return
        count = 0
        for record in super().get_records(context):
            count += 1
            yield record
            if self.dry_run_has_enough(count):
                return  # a dry run reads one record: the survey is not complete
        state["complete"] = True
        self.logger.info("survey_responses: survey %s complete, %d responses.", survey_id, count)
        # Emit the state now, not after the last survey: a run killed on a later survey
        # must still know this one is done.
        self._finalize_state(state)
        self._write_state_message()

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.NOT_FOUND:
            match = _SURVEY_IN_PATH.search(urlparse(response.request.url or "").path)
            survey_id = unquote(match.group(1)) if match else "?"
            fail(
                f"Okendo has no survey {survey_id!r} (HTTP 404): fix or remove it in the "
                "`survey_ids` setting (copy each ID from the survey in the Okendo app); "
                "if every survey fails, check `api_url`."
            )
        super().validate_response(response)


class SyncRunsStream(Stream):
    """One row per completed full copy: the ledger that tells deleted reviews apart."""

    name = "sync_runs"
    primary_keys = ("stream", "sync_started_at")
    replication_key = None
    schema = th.PropertiesList(
        th.Property("stream", th.StringType, required=True),
        th.Property("sync_started_at", th.DateTimeType, required=True),
        th.Property("sync_completed_at", th.DateTimeType, required=True),
        th.Property("review_statuses", th.ArrayType(th.StringType)),
        th.Property("record_count", th.IntegerType),
    ).to_dict()

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        yield from self._tap.completed_copies  # type: ignore[attr-defined]
