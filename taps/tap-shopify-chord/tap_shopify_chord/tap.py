"""tap-shopify-chord: a Shopify store's customers, orders, products, locations and abandoned
checkouts from the GraphQL Admin API, with bulk operations for the big tables."""

from __future__ import annotations

import functools

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_shopify_chord import schemas
from tap_shopify_chord.client import DEFAULT_VERSION, SUPPORTED_VERSIONS, ShopifyClient
from tap_shopify_chord.streams import STREAMS, RootStream

# The streams that declare `bulk_capable` (streams.py), in sync order.
BULK_CAPABLE = [s.name for s in STREAMS if issubclass(s, RootStream) and s.bulk_capable]
ALL_ORDERS_SCOPE = "read_all_orders"


class TapShopifyChord(Tap):
    """Singer tap for Shopify (GraphQL Admin API, bulk operations for the big tables)."""

    name = "tap-shopify-chord"
    package_name = "tap-shopify-chord"
    _bulk_started = False  # start_bulk_exports() ran in this run

    config_jsonschema = th.PropertiesList(
        th.Property(
            "shop",
            th.StringType,
            required=True,
            title="Shop",
            description="The store's myshopify handle: `my-store` for my-store.myshopify.com.",
        ),
        th.Property(
            "access_token",
            th.StringType,
            secret=True,
            title="Access token",
            description="Admin API access token of a custom app (shpat_...). Leave empty to "
            "use `client_id` and `client_secret` instead.",
        ),
        th.Property(
            "client_id",
            th.StringType,
            title="Client ID",
            description="Client ID of a Dev Dashboard app installed on the store; the tap "
            "fetches a token with the client-credentials grant and renews it before it "
            "expires (about 24 h).",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="Client secret",
            description="Client secret of the same app.",
        ),
        th.Property(
            "api_version",
            th.StringType,
            default=DEFAULT_VERSION,
            title="API version",
            description="GraphQL Admin API version. Shopify supports each quarterly version "
            "for 12 months: the tap warns in the last 60 days and stops after the end "
            f"(supported: {', '.join(f'{v} until {d}' for v, d in SUPPORTED_VERSIONS.items())}).",
        ),
        th.Property(
            "api_url",
            th.StringType,
            title="API URL",
            description="Base URL of the store's API; empty means https://{shop}.myshopify.com. "
            "Point it at the sandbox for tests and demos.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description="First run only: copy objects updated at or after this date-time; "
            "empty copies everything.",
        ),
        th.Property(
            "bulk_streams",
            th.ArrayType(th.StringType(allowed_values=BULK_CAPABLE)),
            default=BULK_CAPABLE,
            title="Bulk streams",
            description="Streams read with bulk operations (one export per run, streamed "
            "line by line); the others of orders, customers and products use paginated "
            "queries. Bulk is far cheaper in API cost for anything but a few changes.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=250),
            default=250,
            title="Page size",
            description="Objects per paginated query (1..250); lowered automatically when a "
            "page would cost more than Shopify's 1000-point query limit.",
        ),
        th.Property(
            "bulk_poll_interval_ms",
            th.IntegerType(minimum=1),
            default=5000,
            title="Bulk poll interval (ms)",
            description="First wait between status checks of a running bulk operation; "
            "grows by half each check, up to 10 times this (at most 30 s).",
        ),
        th.Property(
            "bulk_max_wait_seconds",
            th.IntegerType(minimum=1),
            default=21600,
            title="Bulk max wait (s)",
            description="How long one run waits for a bulk operation; after that it stops "
            "with the job's id in the state, and the next run resumes the same job.",
        ),
        th.Property(
            "bulk_retries",
            th.IntegerType(minimum=0),
            default=3,
            title="Bulk retries",
            description="New bulk jobs started after one that FAILED (its partial data is "
            "never used) or that claims 0 objects while a plain query finds some.",
        ),
        th.Property(
            "refunds_lookback_hours",
            th.IntegerType(minimum=0),
            default=24,
            title="Refunds lookback (h)",
            description="Orders are re-read from this many hours before the bookmark, so "
            "refunds written after their order's last update are not missed.",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType(minimum=1),
            default=60,
            title="Request timeout (s)",
            description="Seconds to wait for one response before retrying it.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=1),
            default=8,
            title="Max retries",
            description="Attempts per request on 5xx, timeouts and cut bodies before the run "
            "stops (THROTTLED answers are waited out instead).",
        ),
        th.Property(
            "retry_backoff_ms",
            th.IntegerType(minimum=0),
            default=1000,
            title="Retry backoff (ms)",
            description="First wait after a 5xx, timeout or cut body; doubles each attempt "
            "(at most 60 s apart).",
        ),
        th.Property(
            "max_throttle_wait_seconds",
            th.IntegerType(minimum=1),
            default=900,
            title="Max throttle wait (s)",
            description="How long THROTTLED answers in a row are waited out (pacing follows "
            "extensions.cost.throttleStatus) before the run stops.",
        ),
    ).to_dict()

    @functools.cached_property
    def client(self) -> ShopifyClient:
        return ShopifyClient(self.config, self.logger)

    @functools.cached_property
    def access_scopes(self) -> set[str]:
        data = self.client.graphql(
            "query Scopes { currentAppInstallation { accessScopes { handle } } }",
            what="the app's access scopes",
        )
        handles = {
            s["handle"]
            for s in (data.get("currentAppInstallation") or {}).get("accessScopes") or []
        }
        # write_X implies read_X
        handles |= {h.replace("write_", "read_", 1) for h in handles if h.startswith("write_")}
        if ALL_ORDERS_SCOPE not in handles and "read_orders" in handles:
            self.logger.warning(
                "The app lacks the read_all_orders scope: Shopify shows it only the last 60 "
                "days of orders, so older orders (and their lines and refunds) are not copied. "
                "Request read_all_orders for the app to copy the full history."
            )
        return handles

    def start_bulk_exports(self) -> None:
        """Start (or resume) the bulk job of every selected bulk stream before the first is
        read: Shopify runs up to 5 bulk queries at once (2026-01+), so the exports run side
        by side while the tap reads one file after the other. Each job id goes to its own
        stream's state at once, where that stream's read picks it up."""
        if self._bulk_started:
            return
        self._bulk_started = True
        for stream in self.streams.values():
            if (
                isinstance(stream, RootStream)
                and stream.selected
                and stream.uses_bulk
                and not self.missing_scope(stream.root.scope)
            ):
                # What the SDK sets when the stream's sync starts (the bookmark or
                # start_date), needed now for the stream's window.
                stream._write_starting_replication_value(None)
                stream.bulk_reader().prepare(*stream.window(None))

    def missing_scope(self, scope: str) -> str | None:
        """Why a stream needing `scope` cannot run, or None."""
        if not scope or scope in self.access_scopes:
            return None
        return f"granted: {', '.join(sorted(self.access_scopes)) or 'none'}"

    @property
    def catalog_dict(self) -> dict:
        catalog = super().catalog_dict
        for entry in catalog.get("streams", []):
            schemas.annotate(entry.get("schema") or {}, entry.get("tap_stream_id", ""))
        return catalog

    def discover_streams(self) -> list[Stream]:
        return [stream(self) for stream in STREAMS]

    @property
    def streams(self) -> dict[str, Stream]:
        # The SDK orders streams by name; keep STREAMS' order (see streams.py).
        order = {stream.name: n for n, stream in enumerate(STREAMS)}
        return dict(sorted(super().streams.items(), key=lambda item: order[item[0]]))

    def sync_all(self) -> None:  # type: ignore[misc]  # logs the API use after the SDK's run
        super().sync_all()
        client = self.__dict__.get("client")
        if client is not None:
            self.logger.info(
                "Shopify API use: %d requests, %.0f cost points, %d throttled answers",
                client.requests,
                client.points_used,
                client.throttled,
            )


if __name__ == "__main__":
    TapShopifyChord.cli()
