"""tap-webhook-inbox: the collector's inbox as a Singer stream, read incrementally.

The bookmark is `inbox_sequence`, which the inbox assigns in commit order (see inbox.py), so
reading `> bookmark` in sequence order never skips a row committed later. Rows stream in
keyset batches (`batch_size`), so memory stays flat however large the inbox is.
"""

from __future__ import annotations

import typing as t

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from collector.inbox import Inbox, InboxError, open_inbox

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

OKENDO_EVENTS_SCHEMA = th.PropertiesList(
    th.Property(
        "inbox_sequence",
        th.IntegerType,
        required=True,
        description="Position in the inbox, in commit order; the replication key",
    ),
    th.Property(
        "delivery_id",
        th.StringType,
        required=True,
        description="svix-id of the delivery; the same on every retry of one event",
    ),
    th.Property("received_at", th.DateTimeType, description="When the collector received it (UTC)"),
    th.Property("topic", th.StringType, description="e.g. survey_response.update"),
    th.Property("resource_type", th.StringType, description="e.g. survey_response"),
    th.Property(
        "sequence_number",
        th.IntegerType,
        description="Okendo's sequenceNumber: order of the changes (deliveries may arrive "
        "out of order)",
    ),
    th.Property(
        "payload",
        th.ObjectType(additional_properties=True),
        description="The webhook envelope as sent: resource, resourceType, sequenceNumber, "
        "topic, version",
    ),
).to_dict()


class OkendoEventsStream(Stream):
    """Okendo webhook deliveries, in inbox order, one record per distinct delivery."""

    name = "okendo_events"
    primary_keys = ("delivery_id",)
    replication_key = "inbox_sequence"
    is_sorted = True  # lets the SDK advance the bookmark record by record (resumable)
    schema = OKENDO_EVENTS_SCHEMA
    vendor = "okendo"

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        tap = t.cast("TapWebhookInbox", self._tap)
        after = int(self.get_starting_replication_key_value(context) or 0)
        try:
            yield from tap.inbox.read(self.vendor, after, tap.config["batch_size"])
        except InboxError as exc:
            raise SystemExit(f"{tap.name}: {exc}") from exc


class TapWebhookInbox(Tap):
    """Singer tap for the collector's webhook inbox (SQLite or PostgreSQL)."""

    name = "tap-webhook-inbox"
    package_name = "collector"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "inbox_url",
            th.StringType,
            required=True,
            secret=True,  # a postgresql:// URL may carry a password
            title="Inbox URL",
            description="The collector's inbox: sqlite:///relative/path, "
            "sqlite:////absolute/path, or postgresql://user@host:5432/db (prefer "
            "PGPASSWORD or ~/.pgpass to a password in the URL).",
        ),
        th.Property(
            "batch_size",
            th.IntegerType(minimum=1),
            default=1000,
            title="Batch size",
            description="Rows read per query; memory grows with it, not with the inbox.",
        ),
    ).to_dict()

    @property
    def inbox(self) -> Inbox:
        if not hasattr(self, "_inbox"):
            try:
                self._inbox = open_inbox(self.config["inbox_url"])
            except InboxError as exc:
                raise SystemExit(f"{self.name}: {exc}") from exc
        return self._inbox

    def discover_streams(self) -> list[Stream]:
        return [OkendoEventsStream(self)]


if __name__ == "__main__":
    TapWebhookInbox.cli()
