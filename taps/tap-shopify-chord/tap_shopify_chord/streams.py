"""Shopify streams, declarative: table, key, bookmark, scope and source per class.

A root stream (orders, customers, products, locations, abandoned_checkouts) reads one
GraphQL connection. Its children (order_lines, customer_addresses, ...) come from the same
read: every line of the export feeds whichever tables it maps to (rows.py), the root's rows
through the SDK (bookmark, counters), the children's straight to their own stream. So a
child follows its parent's bookmark and costs no query of its own; as a catalog entry it
is an ordinary stream that can be deselected.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime, timedelta

from singer_sdk import Stream
from singer_sdk.singerlib import SchemaMessage

from tap_shopify_chord import queries as q
from tap_shopify_chord import schemas
from tap_shopify_chord.client import AccessDenied, ShopifyClient, fail
from tap_shopify_chord.readers import BulkReader, BulkSettings, ListFollower, PlainReader
from tap_shopify_chord.rows import BadLine, rows_of

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_shopify_chord.tap import TapShopifyChord


class ShopifyStream(Stream):
    """A table: its schema comes from schemas.TABLES (with semantic tags)."""

    @property
    def schema(self) -> dict:
        # Built once per stream: the SDK reads it for every record it writes.
        if "_built_schema" not in self.__dict__:
            self.__dict__["_built_schema"] = schemas.schema(self.name, self.primary_keys)
        return t.cast("dict", self.__dict__["_built_schema"])

    def _generate_schema_messages(self) -> t.Generator[SchemaMessage, None, None]:
        for message in super()._generate_schema_messages():
            schemas.annotate(message.schema, self.name)
            yield message


class ChildStream(ShopifyStream):
    """Rows that arrive with their parent's lines; written by the parent stream."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # Not a full copy: each run writes the children of the parents it reads.
        self.forced_replication_method = "INCREMENTAL"
        self.emitted = 0

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        return []  # the parent writes this stream's rows

    def emit(self, row: dict[str, t.Any]) -> None:
        self._write_record_message(row)
        self.emitted += 1


class RootStream(ShopifyStream):
    """One top-level connection read per run, in bulk or with plain pages."""

    root: q.Root
    bulk_capable = False
    lookback_setting: str | None = None  # a setting (hours) re-read before the bookmark

    @property
    def tap(self) -> TapShopifyChord:
        return t.cast("TapShopifyChord", self._tap)

    @property
    def client(self) -> ShopifyClient:
        return self.tap.client

    def generate_child_contexts(self, record: dict, context: Context | None) -> t.Iterable:
        return ()  # children are written from the same lines, not synced per parent

    @property
    def uses_bulk(self) -> bool:
        dry_run = self.ABORT_AT_RECORD_COUNT is not None
        return self.bulk_capable and not dry_run and self.name in self.config["bulk_streams"]

    def window(self, context: Context | None) -> tuple[str | None, str | None]:
        """[since, until]: since = bookmark (minus the lookback), until = now."""
        if not self.replication_key:
            return None, None
        start = self.get_starting_timestamp(context)
        if start is not None and self.lookback_setting:
            start -= timedelta(hours=float(self.config.get(self.lookback_setting) or 0))
        now = datetime.now(UTC).replace(microsecond=0)
        return (_iso(start) if start else None), _iso(now)

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        missing = self.tap.missing_scope(self.root.scope)
        if missing:
            self._skip(missing)
            return
        children = {c.name: t.cast("ChildStream", c) for c in self.child_streams}
        for child in children.values():
            if child.selected:
                child._write_schema_message()
        scopes = self.tap.access_scopes
        for scope, columns in q.dropped(self.root, scopes):
            self.logger.warning(
                "The app lacks the %s scope: %s stay empty (Shopify denies the fields that "
                "reach them). Grant %s to fill them.",
                scope,
                columns,
                scope,
            )
        since, until = self.window(context)
        if self.uses_bulk:
            self.tap.start_bulk_exports()  # every bulk stream's job at once (tap.py)
            lines = ListFollower(self.client, self._root(), self.logger).lines(
                self.bulk_reader().lines(since, until)
            )
        else:
            lines = PlainReader(
                self.client,
                self._root(),
                int(self.config["page_size"]),
                self.logger,
                limit=self.ABORT_AT_RECORD_COUNT,
            ).lines(since, until)
        read = 0
        try:
            for line in lines:
                read += 1
                try:
                    rows = rows_of(line)
                except BadLine as exc:
                    fail(f"{self.name}: Shopify sent a line the tap cannot map ({exc}).")
                for table, row in rows:
                    if table == self.name:
                        yield row
                    elif children[table].selected:
                        children[table].emit(row)
        except AccessDenied as exc:
            if read:  # scopes revoked mid-run: a skip now would finish a partial copy
                fail(f"{self.name}: Shopify denied access after {read} objects ({exc}).")
            self._skip(str(exc))
        for child in children.values():
            if child.selected:
                self.logger.info("Wrote %d %s rows", child.emitted, child.name)

    def _root(self) -> q.Root:
        """The root's selections for the app's scopes (the same in every call of a run)."""
        return q.for_scopes(self.root, self.tap.access_scopes)

    def bulk_reader(self) -> BulkReader:
        return BulkReader(
            self.client, self._root(), self._bulk_settings(), _Slot(self), self.logger
        )

    def _skip(self, why: str) -> None:
        tables = ", ".join([self.name, *(c.name for c in self.child_streams)])
        self.logger.warning(
            "Skipping %s: the app lacks the %s scope (%s). Grant the scope to the app, or "
            "deselect the streams.",
            tables,
            self.root.scope,
            why,
        )

    def _bulk_settings(self) -> BulkSettings:
        return BulkSettings(
            poll_interval=int(self.config["bulk_poll_interval_ms"]) / 1000,
            max_wait=float(self.config["bulk_max_wait_seconds"]),
            retries=int(self.config["bulk_retries"]),
            timeout=int(self.config["request_timeout"]),
        )


class _Slot:
    """The running bulk operation, kept in the stream's state and written out at once."""

    def __init__(self, stream: RootStream) -> None:
        self.stream = stream

    def get(self) -> dict[str, t.Any] | None:
        return self.stream.stream_state.get("bulk_operation")

    def consumed(self) -> str | None:
        return self.stream.stream_state.get("last_bulk_operation")

    def put(self, job: dict[str, t.Any] | None, consumed: str | None = None) -> None:
        state = self.stream.stream_state
        if job is None:
            state.pop("bulk_operation", None)
        else:
            state["bulk_operation"] = job
        if consumed:
            state["last_bulk_operation"] = consumed
        self.stream.state_manager.is_flushed = False
        self.stream._write_state_message()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- roots -------------------------------------------------------------------------------
class OrdersStream(RootStream):
    name = "orders"
    primary_keys = ("id",)
    replication_key = "updated_at"
    root = q.ORDERS
    bulk_capable = True
    lookback_setting = "refunds_lookback_hours"


class CustomersStream(RootStream):
    name = "customers"
    primary_keys = ("id",)
    replication_key = "updated_at"
    root = q.CUSTOMERS
    bulk_capable = True


class ProductsStream(RootStream):
    name = "products"
    primary_keys = ("id",)
    replication_key = "updated_at"
    root = q.PRODUCTS
    bulk_capable = True


class LocationsStream(RootStream):
    name = "locations"
    primary_keys = ("id",)
    replication_key = None  # no updated_at filter on locations: a full copy (a handful)
    root = q.LOCATIONS


class AbandonedCheckoutsStream(RootStream):
    name = "abandoned_checkouts"
    primary_keys = ("id",)
    replication_key = "updated_at"
    root = q.ABANDONED_CHECKOUTS


# -- children ----------------------------------------------------------------------------
class OrderLinesStream(ChildStream):
    name = "order_lines"
    primary_keys = ("id",)
    parent_stream_type = OrdersStream


class OrderTagsStream(ChildStream):
    name = "order_tags"
    primary_keys = ("order_id", "value")
    parent_stream_type = OrdersStream


class DiscountAllocationsStream(ChildStream):
    name = "discount_allocations"
    primary_keys = ("order_line_id", "discount_allocation_index")
    parent_stream_type = OrdersStream


class DiscountCodesStream(ChildStream):
    name = "discount_codes"
    primary_keys = ("order_id", "code")
    parent_stream_type = OrdersStream


class OrderLineRefundsStream(ChildStream):
    name = "order_line_refunds"
    primary_keys = ("id",)
    parent_stream_type = OrdersStream


class CustomerAddressesStream(ChildStream):
    name = "customer_addresses"
    primary_keys = ("id",)
    parent_stream_type = CustomersStream


class CustomerTagsStream(ChildStream):
    name = "customer_tags"
    primary_keys = ("customer_id", "value")
    parent_stream_type = CustomersStream


class ProductTagsStream(ChildStream):
    name = "product_tags"
    primary_keys = ("product_id", "value")
    parent_stream_type = ProductsStream


class ProductVariantsStream(ChildStream):
    name = "product_variants"
    primary_keys = ("id",)
    parent_stream_type = ProductsStream


# Sync order (roots): orders before the customers, products and locations they point at,
# so every reference a run loads finds its target in the same run.
STREAMS: list[type[ShopifyStream]] = [
    OrdersStream,
    OrderLinesStream,
    OrderTagsStream,
    DiscountAllocationsStream,
    DiscountCodesStream,
    OrderLineRefundsStream,
    AbandonedCheckoutsStream,
    CustomersStream,
    CustomerAddressesStream,
    CustomerTagsStream,
    ProductsStream,
    ProductTagsStream,
    ProductVariantsStream,
    LocationsStream,
]
