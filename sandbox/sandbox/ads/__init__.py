"""Fake ad-platform APIs (Meta, Google Ads, TikTok, Pinterest, Reddit) for tap-ads, the dbt
models and the end-to-end tests. CONTRACT.md is the agreement between the three; README.md
says what each sandbox serves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sandbox.ads.core import AdsSandbox, Gate, Platform, create_app
from sandbox.ads.data import ALIASES, PLATFORMS, AdsData, platform_key
from sandbox.ads.google_ads import GoogleAds
from sandbox.ads.meta import Meta
from sandbox.ads.pinterest import Pinterest
from sandbox.ads.reddit import Reddit
from sandbox.ads.tiktok import TikTok

PLATFORM_CLASSES: dict[str, type[Platform]] = {
    "meta": Meta,
    "google_ads": GoogleAds,
    "tiktok": TikTok,
    "pinterest": Pinterest,
    "reddit": Reddit,
}
# Fault knobs (fixture keyword arguments and `sandbox serve` options) and their defaults.
FAULT_DEFAULTS: dict[str, Any] = {
    "rate_limit": 0.0,
    "throttle_every": 0,
    "error_rate": 0.0,
    "token_ttl": None,  # None: 3600 s for OAuth platforms; Meta/TikTok tokens never expire
    "max_job_days": None,  # None: the platform's own limit only
    "job_polls": 2,
    "fail_jobs": 0,
    "gaql_page_size": 10_000,
    "cut_downloads": 0,  # the first N report file downloads break off halfway
}
OAUTH_PLATFORMS = {"google_ads", "pinterest", "reddit"}


def build(
    platform: str,
    *,
    seed: int = 1,
    scale: float = 1.0,
    today: date | None = None,
    now: datetime | None = None,
    **faults: Any,
) -> Platform:
    """A platform's sandbox (data, gate, tokens, jobs) wrapped in its wire shapes."""
    key = platform_key(platform)
    unknown = set(faults) - set(FAULT_DEFAULTS)
    if unknown:
        raise ValueError(
            f"unknown fault option(s) {', '.join(sorted(unknown))}: use {', '.join(FAULT_DEFAULTS)}"
        )
    knobs = {**FAULT_DEFAULTS, **faults}
    ttl = knobs["token_ttl"]
    if ttl is None and key in OAUTH_PLATFORMS:
        ttl = 3600.0
    for name in ("job_polls", "fail_jobs", "throttle_every", "cut_downloads"):
        if knobs[name] < 0:
            raise ValueError(f"{name} must not be negative")
    if knobs["max_job_days"] is not None and knobs["max_job_days"] < 1:
        raise ValueError("max_job_days must be at least 1")
    if knobs["gaql_page_size"] < 1:
        raise ValueError("gaql_page_size must be at least 1")
    sandbox = AdsSandbox(
        data=AdsData(key, seed=seed, scale=scale, today=today, now=now),
        gate=Gate(knobs["rate_limit"], knobs["throttle_every"], knobs["error_rate"], seed),
        token_ttl=ttl,
        job_polls=knobs["job_polls"],
        fail_jobs=knobs["fail_jobs"],
        max_job_days=knobs["max_job_days"],
        gaql_page_size=knobs["gaql_page_size"],
        cut_downloads=knobs["cut_downloads"],
    )
    return PLATFORM_CLASSES[key](sandbox)


__all__ = [
    "ALIASES",
    "FAULT_DEFAULTS",
    "PLATFORMS",
    "PLATFORM_CLASSES",
    "AdsData",
    "AdsSandbox",
    "Platform",
    "build",
    "create_app",
    "platform_key",
]
