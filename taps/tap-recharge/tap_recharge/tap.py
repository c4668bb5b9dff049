"""tap-recharge: Recharge subscription billing data from the 2021-11 REST API."""

from __future__ import annotations

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_recharge.client import BucketPacer
from tap_recharge.streams import STREAMS


class TapRecharge(Tap):
    """Singer tap for Recharge: customers, addresses, subscriptions, charges, orders and more."""

    name = "tap-recharge"
    package_name = "tap-recharge"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "access_token",
            th.StringType,
            required=True,
            secret=True,
            title="Access token",
            description="Recharge API token (Apps & integrations > API tokens) with the read "
            "scopes of the streams to copy; a stream whose scope is missing is skipped.",
        ),
        th.Property(
            "api_url",
            th.URIType,
            default="https://api.rechargeapps.com",
            title="API URL",
            description="Base URL of the Recharge API; point it at the sandbox for tests "
            "and demos.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description="Copy only objects updated (events: created) at or after this "
            "date-time on the first run; empty copies everything.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=250),
            default=250,
            title="Page size",
            description="Records per request (Recharge allows 1..250; 250 uses the fewest "
            "requests).",
        ),
        th.Property(
            "max_requests_per_second",
            th.NumberType(minimum=0),
            default=2,
            title="Max requests per second",
            description="Sustained pace. Recharge's bucket holds 40 calls and drains 2/s "
            "per store; the tap spends the free calls first (reading X-Recharge-Limit, "
            "2 kept free), then settles at this rate. Lower it to leave budget to other "
            "apps; 0 turns pacing off (429s are still waited out).",
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
            description="First wait, in milliseconds, after a 5xx, timeout or cut body; "
            "doubles each attempt (8 attempts, at most 60 s apart). A 429 waits for its "
            "Retry-After, else until the bucket has room.",
        ),
    ).to_dict()

    @property
    def pacer(self) -> BucketPacer:
        if not hasattr(self, "_pacer"):
            self._pacer = BucketPacer(float(self.config["max_requests_per_second"]))
        return self._pacer

    def discover_streams(self) -> list[Stream]:
        return [stream(self) for stream in STREAMS]

    @property
    def streams(self) -> dict[str, Stream]:
        # The SDK orders streams by name; keep STREAMS' order instead (children before
        # parents, see streams.py): it is the order a run reads them in.
        order = {stream.name: n for n, stream in enumerate(STREAMS)}
        return dict(sorted(super().streams.items(), key=lambda item: order[item[0]]))


if __name__ == "__main__":
    TapRecharge.cli()
