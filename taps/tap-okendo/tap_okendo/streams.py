"""Okendo streams: declarative where the SDK allows, with the full-copy ledger explained below.

Okendo has no updated-since filter and reviews carry no update date, so every run reads all
reviews again (a full copy). To let the warehouse drop reviews deleted in Okendo without
trusting any target's delete support, each record carries the run's `_sync_started_at`,
and once every configured status has been read to the end the tap emits one `sync_runs`
row. A review is live if it was seen in (or after) the newest completed copy; a run that
dies halfway records no completion, so it can never make live reviews look deleted.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime

from singer_sdk import Stream
from singer_sdk import typing as th

from tap_okendo.client import OkendoStream

if t.TYPE_CHECKING:
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
                if self.ABORT_AT_RECORD_COUNT is not None and count >= self.ABORT_AT_RECORD_COUNT:
                    return  # a dry run (`--test`) has what it needs: fetch no further page
        self._tap.record_completed_copy(  # type: ignore[attr-defined]
            stream=self.name, started_at=started_at, statuses=statuses, record_count=count
        )

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        params = super().get_url_params(context, next_page_token)
        params.setdefault("status", (context or {})["status"])
        return params


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
