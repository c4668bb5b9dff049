"""One HTTP client per platform: pacing, retries and error handling in one place.

Each platform supplies a `Policy` that reads its answers (usage headers, throttle codes,
expired tokens, "too large" errors, its error bodies) and returns a `Verdict`; the client
acts on verdicts the same way for every platform:

- ok: hand back the parsed body (numbers as Decimal);
- throttled: wait (the platform's own wait when it gives one, else doubling) and ask again,
  for up to THROTTLE_PATIENCE seconds; every request of the platform waits too;
- retry (5xx, timeouts, cut bodies, maintenance): `max_retries` attempts, doubling waits;
- renew: the access token expired: renew it once and ask again;
- too_large: raise TooLargeError for the caller to shrink the date range;
- fail: stop the run with one line.
"""

from __future__ import annotations

import decimal
import json
import logging
import random
import threading
import time
import typing as t
from dataclasses import dataclass
from urllib.parse import urlparse

import requests

from tap_ads.core.auth import Auth
from tap_ads.core.errors import ApiError, TooLargeError, fail, redact

MAX_BACKOFF_SECONDS = 60.0
MAX_WAIT_SECONDS = 900.0  # the longest wait a platform may ask for that we obey as given
THROTTLE_PATIENCE = 1800.0  # seconds of consecutive throttling before giving up

Kind = t.Literal["ok", "throttled", "retry", "renew", "too_large", "fail"]


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reason: str = ""
    wait: float | None = None  # seconds the platform asked us to wait, if it said

    @classmethod
    def ok(cls) -> Verdict:
        return cls("ok")


class Pacer:
    """Spaces a platform's requests: a minimum interval, plus holds after throttle answers
    or high usage headers. One per platform, shared by all its streams."""

    def __init__(self, requests_per_second: float = 0.0) -> None:
        self.interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._next_start = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.interval
        if start > now:
            time.sleep(start - now)

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._next_start = max(self._next_start, time.monotonic() + seconds)


class Policy:
    """Reads one platform's answers. Subclasses override `judge` for their error shapes."""

    platform = "?"  # "Meta", "Google Ads", ...
    credentials_hint = "check the platform's credentials"
    # Rate-limit headers (Pinterest X-RateLimit-*, Reddit x-ratelimit-*), if the platform has them
    remaining_header: str | None = None
    reset_header: str | None = None

    def observe(self, response: requests.Response, body: t.Any, pacer: Pacer) -> None:
        """Slow down on usage headers before the platform has to throttle us: with no calls
        left in the window, hold every request until it resets."""
        if not (self.remaining_header and self.reset_header) or response.status_code == 429:
            return
        remaining = response.headers.get(self.remaining_header)
        reset = seconds_header(response, self.reset_header)
        if remaining is not None and reset and remaining.strip() in ("0", "0.0"):
            pacer.hold(min(reset, MAX_WAIT_SECONDS))

    def classify(self, response: requests.Response, body: t.Any) -> Verdict:
        status = response.status_code
        verdict = self.judge(response, body)
        if verdict is not None:
            return verdict
        if status == 429:
            # The platform's reset header says how long best; Retry-After otherwise.
            reset = seconds_header(response, self.reset_header) if self.reset_header else None
            wait = reset or retry_after(response)
            return Verdict("throttled", f"HTTP 429: {self.message(body)}", wait)
        if status >= 500:
            return Verdict("retry", f"HTTP {status}: {self.message(body)}")
        if status == 401:
            return Verdict("renew", f"HTTP 401: {self.message(body)}")
        if status >= 400:
            return Verdict("fail", f"HTTP {status}: {self.message(body)}")
        if body is None:
            return Verdict("retry", "a cut or unreadable response body")
        return Verdict.ok()

    def judge(self, response: requests.Response, body: t.Any) -> Verdict | None:
        """The platform's own reading, or None for the generic HTTP rules."""
        return None

    def message(self, body: t.Any) -> str:
        """The platform's error text from a JSON body, on one line."""
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict):
                return str(error.get("message") or error.get("status") or error)[:200]
            for key in ("message", "error_description", "error"):
                if body.get(key):
                    return str(body[key])[:200]
        return "no error details"


def retry_after(response: requests.Response) -> float | None:
    return seconds_header(response, "Retry-After")


def seconds_header(response: requests.Response, name: str) -> float | None:
    """A header holding seconds to wait, or an epoch time (then: seconds until it)."""
    value = response.headers.get(name)
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    if seconds is None:
        return None
    if seconds > 1e9:  # an epoch timestamp
        seconds -= time.time()
    return max(0.0, seconds)


def parse_body(response: requests.Response) -> t.Any:
    """The JSON body with numbers as Decimal, or None if it is not (complete) JSON."""
    try:
        return json.loads(response.content or b"null", parse_float=decimal.Decimal)
    except ValueError:
        return None


class ApiClient:
    """Sends one platform's requests under its auth, policy and pacer."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: Auth,
        policy: Policy,
        logger: logging.Logger,
        timeout: float = 60,
        max_retries: int = 8,
        backoff_seconds: float = 1.0,
        headers: dict[str, str] | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.policy = policy
        self.logger = logger
        self.timeout = timeout
        self.max_retries = max(1, max_retries)
        self.backoff_seconds = backoff_seconds
        self.headers = {"Accept": "application/json", **(headers or {})}
        self.pacer = pacer or Pacer()
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def where(self, url: str) -> str:
        """The path below the API root, for messages (never the query: it may hold ids)."""
        path = urlparse(url).path
        base = urlparse(self.base_url).path.rstrip("/")
        return path.removeprefix(base) or "/"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, t.Any] | None = None,
        json_body: t.Any = None,
        authenticated: bool = True,
        attempts: int | None = None,
    ) -> t.Any:
        """The parsed body of a successful answer. Raises ApiError when the platform refuses
        for good or keeps failing (`attempts`, default `max_retries`), TooLargeError when it
        refuses the request as too large."""
        url = self.url(path)
        max_attempts = attempts or self.max_retries
        where = self.where(url)
        errors = 0
        throttled_since: float | None = None
        throttles = 0
        renewed = False
        while True:
            self.pacer.wait()
            headers = dict(self.headers)
            if authenticated:
                self.auth.apply(headers)
            status = 0
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                verdict = Verdict("retry", type(exc).__name__)
            else:
                status = response.status_code
                body = parse_body(response)
                self.policy.observe(response, body, self.pacer)
                verdict = self.policy.classify(response, body)
            if verdict.kind == "ok":
                return body
            if verdict.kind == "too_large":
                raise TooLargeError(verdict.reason)
            if verdict.kind == "renew":
                if renewed or not self.auth.can_renew:
                    fail(
                        f"{self.policy.platform} rejected the credentials on {where} "
                        f"({verdict.reason}): {self.policy.credentials_hint}."
                    )
                self.logger.info("%s: access token expired; renewing it.", self.policy.platform)
                self.auth.renew()
                renewed = True
                continue
            if verdict.kind == "throttled":
                now = time.monotonic()
                throttled_since = throttled_since or now
                if now - throttled_since > THROTTLE_PATIENCE:
                    fail(
                        f"{self.policy.platform} kept throttling {where} for "
                        f"{THROTTLE_PATIENCE:.0f}s ({verdict.reason}); another app may share "
                        "the API budget. Try again later."
                    )
                wait = verdict.wait
                if wait is None:
                    wait = min(MAX_BACKOFF_SECONDS, self.backoff_seconds * 2**throttles)
                wait = min(wait, MAX_WAIT_SECONDS)
                throttles += 1
                self.pacer.hold(wait)
                self._log_retry(where, wait, throttles, verdict.reason)
                continue
            if verdict.kind == "retry":
                errors += 1
                if errors >= max_attempts:
                    raise ApiError(
                        self.policy.platform,
                        where,
                        verdict.reason,
                        status,
                        message=f"{self.policy.platform} kept failing on {where} after "
                        f"{errors} attempts ({verdict.reason}); the state saved so far lets "
                        "the next run resume. Try again later",
                    )
                wait = min(MAX_BACKOFF_SECONDS, self.backoff_seconds * 2 ** (errors - 1))
                wait *= random.uniform(1.0, 1.1)
                self._log_retry(where, wait, errors, verdict.reason)
                time.sleep(wait)
                continue
            raise ApiError(self.policy.platform, where, verdict.reason, status)

    def _log_retry(self, where: str, wait: float, attempt: int, reason: str) -> None:
        self.logger.warning(
            "%s: retrying %s in %.1fs (attempt %d): %s",
            self.policy.platform,
            where,
            wait,
            attempt,
            redact(reason),
        )

    def stream(
        self, path: str, *, authenticated: bool = True, chunk_bytes: int = 65536
    ) -> t.Iterator[bytes]:
        """The body of a GET as it arrives (report files), never held whole. Connection
        errors and 5xx before the body starts are retried like any request; a body that
        breaks off raises requests.RequestException to the reader."""
        url = self.url(path)
        where = self.where(url)
        for attempt in range(1, self.max_retries + 1):
            self.pacer.wait()
            headers = dict(self.headers)
            if authenticated:
                self.auth.apply(headers)
            try:
                response = self.session.get(url, headers=headers, timeout=self.timeout, stream=True)
            except requests.RequestException as exc:
                reason = type(exc).__name__
            else:
                if response.status_code == 200:
                    with response:
                        yield from response.iter_content(chunk_bytes)
                    return
                reason = f"HTTP {response.status_code}"
                response.close()
                if response.status_code < 500:
                    raise ApiError(self.policy.platform, where, reason, response.status_code)
            wait = min(MAX_BACKOFF_SECONDS, self.backoff_seconds * 2 ** (attempt - 1))
            self._log_retry(where, wait, attempt, reason)
            time.sleep(wait)
        raise ApiError(
            self.policy.platform,
            where,
            reason,
            0,
            message=f"{self.policy.platform} kept failing on {where} after {self.max_retries} "
            f"attempts ({reason}); the state saved so far lets the next run resume. Try again "
            "later",
        )

    def get(self, path: str, **params: t.Any) -> t.Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: t.Any = None, **params: t.Any) -> t.Any:
        return self.request("POST", path, params=params or None, json_body=body)
