"""One-line fatal errors, with every known secret scrubbed from them."""

from __future__ import annotations

import typing as t

_SECRETS: set[str] = set()


def register_secret(value: t.Any) -> None:
    """Remember a secret (token, client secret) so no message can ever show it."""
    if isinstance(value, str) and len(value.strip()) >= 4:
        _SECRETS.add(value)
        _SECRETS.add(value.strip())


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "<redacted>")
    return text


def fail(message: str) -> t.NoReturn:
    """End the run with one line on stderr and exit status 1."""
    raise SystemExit(redact(f"tap-ads: {' '.join(message.split())}"))


class TooLargeError(Exception):
    """The platform refused a report (or job) as too large: shrink the date range."""


class JobFailedError(Exception):
    """An async report job ended in a failed state (not marked as too large)."""


class ApiError(Exception):
    """A platform refused a request for good (a 4xx that no retry fixes). The tap turns it
    into one line; callers that know better (an unknown account id) catch it first."""

    def __init__(
        self, platform: str, where: str, reason: str, status: int, message: str = ""
    ) -> None:
        super().__init__(message or f"{platform} answered {where} with {reason}")
        self.platform, self.where, self.reason, self.status = platform, where, reason, status
