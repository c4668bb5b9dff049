"""tap-ads: ad spend and performance from Meta, Google Ads (with YouTube), TikTok, Pinterest
and Reddit. One settings block per platform; only the configured platforms produce streams."""

from __future__ import annotations

import typing as t

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_ads.core.dates import parse_date
from tap_ads.core.errors import fail
from tap_ads.core.platform import Platform, block_property
from tap_ads.platforms.google_ads import GoogleAds
from tap_ads.platforms.meta import Meta
from tap_ads.platforms.pinterest import Pinterest
from tap_ads.platforms.reddit import Reddit
from tap_ads.platforms.tiktok import TikTok

PLATFORMS: list[type[Platform]] = [Meta, GoogleAds, TikTok, Pinterest, Reddit]


class TapAds(Tap):
    """Singer tap for ad platforms' entities and daily ad performance."""

    name = "tap-ads"
    package_name = "tap-ads"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "start_date",
            th.DateType,
            required=True,
            title="Start date",
            description="First day of the daily reports (in each account's time zone) on "
            "the first run; later runs start at the bookmark minus the lookback window.",
        ),
        th.Property(
            "end_date",
            th.DateType,
            title="End date",
            description="Last day of the daily reports; empty means today in each "
            "account's time zone.",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType,
            default=60,
            title="Request timeout (s)",
            description="Seconds to wait for one response before retrying it.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=8,
            title="Max retries",
            description="Attempts per request on 5xx answers, timeouts and cut bodies "
            "(throttling is waited out instead).",
        ),
        th.Property(
            "retry_backoff_ms",
            th.IntegerType,
            default=1000,
            title="Retry backoff (ms)",
            description="First wait after a failed request, doubling each attempt (at most "
            "60 s); a platform's own wait (Retry-After, retryDelay, reset headers) wins.",
        ),
        *(
            block_property(p, f"{p.label} settings; leave empty to skip {p.label}.")
            for p in PLATFORMS
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, validate_config: bool = True, **kwargs: t.Any) -> None:
        self._runtimes: dict[str, Platform] = {}
        super().__init__(*args, validate_config=validate_config, **kwargs)
        if validate_config:  # a sync or a connection test, not --discover / --about
            self.check_platforms()

    def configured(self) -> list[type[Platform]]:
        """Platforms whose block sets any credential or account id. Defaults alone (Meltano
        passes `meta.api_url`, `meta.lookback_days`, ...) do not make a platform run."""
        return [
            p
            for p in PLATFORMS
            if any(
                (self.config.get(p.key) or {}).get(name) not in (None, "", [])
                for name in p.required
            )
        ]

    def platform_runtime(self, platform: type[Platform]) -> Platform:
        if platform.key not in self._runtimes:
            block = self.config.get(platform.key) or {}
            self._runtimes[platform.key] = platform(self.config, dict(block), self.logger)
        return self._runtimes[platform.key]

    def discover_streams(self) -> list[Stream]:
        # Without any platform block (e.g. `--discover` for a catalog), list every stream.
        platforms = self.configured() or PLATFORMS
        return [stream(self) for p in platforms for stream in p.streams]

    def check_platforms(self) -> None:
        """Settings errors before any request or record: no platform at all, or a selected
        platform whose block misses a required setting."""
        if not self.configured():
            fail(
                "no platform is configured: add at least one block (meta, google_ads, "
                "tiktok, pinterest, reddit) with its credentials and account ids."
            )
        start, end = self.config.get("start_date"), self.config.get("end_date")
        if start and end and parse_date(end, "end_date") < parse_date(start, "start_date"):
            fail(f"`end_date` ({end}) is before `start_date` ({start}); fix one of them.")
        for stream in self.streams.values():
            if stream.selected:
                self.platform_runtime(stream.platform)  # type: ignore[attr-defined]


if __name__ == "__main__":
    TapAds.cli()
