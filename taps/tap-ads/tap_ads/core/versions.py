"""Each platform's API versions and their end of support, checked before a run starts: a
version within WARN_DAYS of its end gives a warning, one past it a one-line error (its
requests would all fail).

Sources (the platforms' own announcements):
- Google Ads: developers.google.com/google-ads/api/docs/sunset-dates and the Ads Developer
  Blog ("v21 will sunset on August 5, 2026", "v22 ... October 7, 2026"; the 2026 schedule
  projects v23 Feb 2027, v24 May 2027, v25 Aug 2027, v26 Nov 2027: the first of the month
  is taken, to warn early).
- Meta Graph / Marketing API: developers.facebook.com/docs/graph-api/changelog/versions
  (v26.0 released July 29, 2026, end not yet announced).
- TikTok Business API v1.3, Pinterest API v5, Reddit Ads API v3: current, no end announced
  (Reddit's v2 was sunset on September 30, 2025 and answers 410 Gone).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from tap_ads.core.errors import fail

WARN_DAYS = 60


@dataclass(frozen=True)
class Versions:
    label: str  # "Google Ads"
    setting: str  # "google_ads.api_url"
    pattern: str  # the version in the API root's last path segment, e.g. r"v(\d+)"
    ends: dict[str, date | None]  # version -> last day of support (None: not announced)
    current: str  # the version the tap is built and contract-tested for

    def version_of(self, api_url: str) -> str | None:
        last = api_url.rstrip("/").rsplit("/", 1)[-1]
        return last if re.fullmatch(self.pattern, last) else None

    def check(self, api_url: str, logger: logging.Logger, today: date | None = None) -> None:
        """Warn within WARN_DAYS of the version's end, fail past it or for a version older
        than any the table knows."""
        today = today or datetime.now(UTC).date()
        version = self.version_of(api_url)
        if version is None:
            fail(
                f"`{self.setting}` ({api_url}) names no {self.label} API version; end it with "
                f"the version, e.g. /{self.current}."
            )
        fix = f"set `{self.setting}` to the {self.current} API (…/{self.current})"
        if version not in self.ends:
            if _number(version) < min(_number(v) for v in self.ends):
                fail(f"{self.label} API {version} is no longer supported: {fix}.")
            logger.warning(
                "%s API %s is newer than the versions tap-ads was checked against (%s).",
                self.label,
                version,
                self.current,
            )
            return
        end = self.ends[version]
        if end is None:
            return
        if today >= end:
            fail(f"{self.label} API {version} reached its end of support on {end}: {fix}.")
        if (end - today).days <= WARN_DAYS:
            logger.warning(
                "%s API %s reaches its end of support on %s (in %d days): %s.",
                self.label,
                version,
                end,
                (end - today).days,
                fix,
            )


def _number(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


GOOGLE_ADS = Versions(
    label="Google Ads",
    setting="google_ads.api_url",
    pattern=r"v\d+",
    ends={
        "v21": date(2026, 8, 5),
        "v22": date(2026, 10, 7),
        "v23": date(2027, 2, 1),
        "v24": date(2027, 5, 1),
        "v25": date(2027, 8, 1),
        "v26": date(2027, 11, 1),
    },
    current="v26",
)
META = Versions(
    label="Meta Graph",
    setting="meta.api_url",
    pattern=r"v\d+\.\d+",
    ends={
        "v20.0": date(2026, 9, 24),
        "v21.0": date(2027, 1, 21),
        "v22.0": date(2027, 5, 20),
        "v23.0": date(2027, 10, 8),
        "v24.0": date(2028, 2, 18),
        "v25.0": date(2028, 7, 29),
        "v26.0": None,
    },
    current="v26.0",
)
TIKTOK = Versions("TikTok", "tiktok.api_url", r"v\d+\.\d+", {"v1.3": None}, "v1.3")
PINTEREST = Versions("Pinterest", "pinterest.api_url", r"v\d+", {"v5": None}, "v5")
REDDIT = Versions("Reddit Ads", "reddit.api_url", r"v\d+", {"v3": None}, "v3")
