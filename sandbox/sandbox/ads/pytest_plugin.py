"""Pytest fixtures for the ad-platform sandboxes (registered as a pytest11 entry point).

`ads_sandbox(platform, *, seed=1, scale=1.0, today=None, **faults) -> RunningAds` starts one
platform's fake API on a free loopback port for the test; see CONTRACT.md and README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
import requests

from sandbox.ads import Platform, build, create_app
from sandbox.server import serve_in_thread


def _iso(day: date | str) -> str:
    return day.isoformat() if isinstance(day, date) else day


@dataclass
class RunningAds:
    url: str  # server root: the API, the token endpoint and the /_sandbox admin routes
    platform: Platform

    @property
    def name(self) -> str:
        """The platform key as in CONTRACT.md: meta, google_ads, tiktok, pinterest, reddit."""
        return self.platform.name

    @property
    def api_url(self) -> str:
        return f"{self.url}{self.platform.prefix}"

    @property
    def accounts(self) -> list[str]:
        return [a.id for a in self.platform.sandbox.data.accounts]

    def tap_config(self, **overrides: Any) -> dict[str, Any]:
        """The platform's settings block, ready to put under {"meta": ...}."""
        return {**self.platform.tap_config(self.url), **overrides}

    def _admin(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = requests.request(method, f"{self.url}/_sandbox/{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def truth(self, start: date | str, end: date | str) -> dict[str, Any]:
        return self._admin("GET", "truth", params={"start": _iso(start), "end": _iso(end)})

    def revise(self, days: int, seed: int | None = None) -> dict[str, Any]:
        return self._admin("POST", "revise", json={"days": days, "seed": seed})

    def stats(self) -> dict[str, Any]:
        return self._admin("GET", "stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._admin("DELETE", "stats")

    def expire_tokens(self) -> int:
        """Expire every access token issued so far (a run that outlives its token)."""
        return int(self._admin("POST", "expire-tokens")["expired"])


@pytest.fixture
def ads_sandbox() -> Iterator[Callable[..., RunningAds]]:
    """Factory: `ads_sandbox("meta", seed=1, scale=1.0, today=date(...), job_polls=2, ...)`;
    `now=datetime(...)` instead of `today` sets each account's today from that instant.

    Fault keywords: rate_limit, throttle_every, error_rate, token_ttl, max_job_days,
    job_polls, fail_jobs, gaql_page_size (sandbox.ads.FAULT_DEFAULTS). Every server stops
    when the test ends.
    """
    with ExitStack() as stack:

        def start(
            platform: str,
            *,
            seed: int = 1,
            scale: float = 1.0,
            today: date | str | None = None,
            now: datetime | None = None,
            **faults: Any,
        ) -> RunningAds:
            day = date.fromisoformat(today) if isinstance(today, str) else today
            built = build(platform, seed=seed, scale=scale, today=day, now=now, **faults)
            url = stack.enter_context(serve_in_thread(create_app(built)))
            return RunningAds(url=url, platform=built)

        yield start
