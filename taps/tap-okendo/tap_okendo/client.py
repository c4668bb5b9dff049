"""HTTP concerns shared by every Okendo stream: auth, version header, paging, pacing, retries.

Errors that a user must act on (rejected credentials, a bad setting, a vendor that keeps
failing) end the run with one line on stderr and a non-zero exit; secrets never appear in
them because the key only ever travels in the Authorization header.
"""

from __future__ import annotations

import decimal
import functools
import json
import random
import threading
import time
import typing as t
import uuid
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import ParseResult, parse_qsl, quote, urlparse

import backoff
import requests
from requests.auth import HTTPBasicAuth
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.pagination import BaseHATEOASPaginator
from singer_sdk.streams import RESTStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

try:
    _VERSION = version("tap-okendo")
except PackageNotFoundError:  # running from a source tree
    _VERSION = "0+unknown"

MAX_TRIES = 8  # attempts per request on 5xx, timeouts and cut bodies
MAX_BACKOFF_SECONDS = 60.0
MAX_WAIT_SECONDS = 120.0  # the longest Retry-After obeyed as given
RATE_LIMIT_PATIENCE = 900  # seconds of consecutive 429s before giving up
CREDENTIALS_HINT = (
    "re-copy both `user_id` and `api_key` from Okendo > Settings > Integrations > "
    "API credentials (no stray spaces; a regenerated key replaces the old one)"
)


def fail(message: str) -> t.NoReturn:
    """End the run with one line on stderr and exit status 1."""
    raise SystemExit(f"tap-okendo: {message}")


class RequestPacer:
    """Spaces request starts at least 1/rate seconds apart, across all streams of a run.

    Okendo's budget (~2 req/s, small burst) is per account, so one pacer is shared.
    """

    def __init__(self, requests_per_second: float) -> None:
        self.interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._next_start = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.interval
        if start > now:
            time.sleep(start - now)

    def hold(self, seconds: float) -> None:
        """Push the next start back, e.g. after the vendor said Retry-After."""
        with self._lock:
            self._next_start = max(self._next_start, time.monotonic() + seconds)


class NextUrlPaginator(BaseHATEOASPaginator):
    """Okendo returns a relative `nextUrl` ("/reviews?...lastEvaluated=...") until the end."""

    def get_next_url(self, response: requests.Response) -> str | None:
        return parsed_body(response).get("nextUrl") or None


def parsed_body(response: requests.Response) -> dict[str, t.Any]:
    """The JSON body, parsed once per response with money-safe Decimals."""
    cached = response.__dict__.get("_okendo_body")
    if cached is None:
        cached = response.json(parse_float=decimal.Decimal)
        if not isinstance(cached, dict):
            raise ValueError("body is not a JSON object")
        response.__dict__["_okendo_body"] = cached
    return cached


def check_credentials_shape(user_id: str, api_key: str) -> None:
    """Catch the usual copy-paste mistakes before spending a request on them."""
    for name, value in (("user_id", user_id), ("api_key", api_key)):
        if value != value.strip():
            fail(f"`{name}` has leading or trailing whitespace: {CREDENTIALS_HINT}.")
    try:
        uuid.UUID(user_id)
    except ValueError:
        fail(
            f"`user_id` must be the Okendo User ID, a UUID like "
            f"5c4b8a1e-2f0d-4c3b-9a8e-7d6f5e4c3b2a: {CREDENTIALS_HINT}."
        )


class OkendoStream(RESTStream[ParseResult]):
    """Base stream for the Okendo Merchant REST API."""

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def http_headers(self) -> dict[str, str]:
        return {
            "okendo-api-version": self.config["api_version"],
            "Accept": "application/json",
            "User-Agent": f"tap-okendo/{_VERSION}",
        }

    @functools.cached_property
    def authenticator(self) -> HTTPBasicAuth:
        check_credentials_shape(self.config["user_id"], self.config["api_key"])
        return HTTPBasicAuth(self.config["user_id"], self.config["api_key"])

    @property
    def timeout(self) -> int:
        return int(self.config.get("request_timeout", 60))

    @property
    def pacer(self) -> RequestPacer:
        return self._tap.pacer  # type: ignore[attr-defined]

    @property
    def page_size(self) -> int:
        # A dry run (`--test`, connection checks) needs one record: ask for one.
        if self.ABORT_AT_RECORD_COUNT is not None:
            return max(1, min(int(self.config["page_size"]), self.ABORT_AT_RECORD_COUNT))
        return int(self.config["page_size"])

    @staticmethod
    def _url_encode(val: t.Any) -> str:
        # Path values (survey ids) come from settings: escape all but unreserved characters.
        return quote(str(val), safe="")

    def dry_run_has_enough(self, count: int) -> bool:
        """A dry run (`--test`) needs one record: once it has it, fetch no further page."""
        return self.ABORT_AT_RECORD_COUNT is not None and count >= self.ABORT_AT_RECORD_COUNT

    def get_new_paginator(self) -> NextUrlPaginator:
        return NextUrlPaginator()

    def get_url_params(
        self, context: Context | None, next_page_token: ParseResult | None
    ) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {"limit": self.page_size, "orderBy": "date asc"}
        if next_page_token is not None:
            # nextUrl carries the cursor and repeats the filters: follow it as given.
            params.update(parse_qsl(next_page_token.query))
        return params

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        yield from parsed_body(response)[self.records_key]

    records_key: str = ""

    # -- pacing and retries (one place) -------------------------------------------------
    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        self.pacer.wait()
        return super()._request(prepared_request, context)

    def where(self, request: requests.PreparedRequest | None) -> str:
        """The request's path below `api_url`, for messages (`path` may be a template)."""
        path = urlparse((request.url if request is not None else None) or "").path
        base = urlparse(self.url_base).path
        return path.removeprefix(base) if path.startswith(base) and path != base else self.path

    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        where = self.where(response.request)
        if status == HTTPStatus.UNAUTHORIZED:
            fail(f"Okendo rejected the User ID / API key pair (HTTP 401): {CREDENTIALS_HINT}.")
        if status == HTTPStatus.FORBIDDEN:
            fail(
                "Okendo refused access (HTTP 403): the API key has no access to this "
                "resource; check the store's Okendo plan and the key's store."
            )
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            raise RateLimitedError(f"HTTP {status} on {where}", response)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(f"HTTP {status} on {where}", response)
        if status >= HTTPStatus.BAD_REQUEST:
            fail(
                f"Okendo answered HTTP {status} on {where}: {_vendor_message(response)}. "
                "Check `api_version`, `page_size` and `review_statuses`."
            )
        try:
            parsed_body(response)
        except ValueError as exc:  # a cut or garbled 200 body: ask again
            raise RetriableAPIError(f"unreadable body on {where}: {exc}", response) from exc

    def backoff_wait_generator(self) -> t.Generator[float, None, None]:
        """Retry-After when the vendor gives one, else doubling from `retry_backoff_ms`."""
        base = int(self.config.get("retry_backoff_ms", 1000)) / 1000

        def waits() -> t.Generator[float, t.Any, None]:
            exception = yield 0.0  # primed by backoff; the value is unused
            attempt = 0
            while True:
                wait = _retry_after(exception)
                if wait is None:
                    wait = min(MAX_BACKOFF_SECONDS, base * 2**attempt)
                attempt += 1
                self.pacer.hold(wait)
                exception = yield wait

        return waits()

    def backoff_jitter(self, value: float) -> float:
        return value * random.uniform(1.0, 1.1)  # never earlier than the vendor asked

    def backoff_handler(self, details: t.Any) -> None:
        self.logger.warning(
            "Retrying %s in %.1fs (attempt %d): %s",
            self.where(_prepared(details.get("args", ()))),
            details.get("wait") or 0,
            details.get("tries"),
            _describe(details.get("exception")),
        )

    def request_decorator(self, func: t.Callable) -> t.Callable:
        """429s are the vendor pacing us: wait them out for up to RATE_LIMIT_PATIENCE seconds.
        Errors (5xx, timeouts, cut bodies) get MAX_TRIES attempts. Then stop with one line."""
        retry = functools.partial(
            backoff.on_exception,
            self.backoff_wait_generator,
            jitter=self.backoff_jitter,
            on_backoff=self.backoff_handler,
            logger=None,
        )
        rate_limited = retry(RateLimitedError, max_time=RATE_LIMIT_PATIENCE)(func)
        failing = retry(
            (RetriableAPIError, ConnectionResetError, requests.exceptions.RequestException),
            max_tries=MAX_TRIES,
            giveup=lambda exc: isinstance(exc, RateLimitedError),
        )(rate_limited)

        @functools.wraps(func)
        def request_or_fail(*args: t.Any, **kwargs: t.Any) -> requests.Response:
            where = self.where(_prepared(args))
            try:
                return failing(*args, **kwargs)
            except RateLimitedError:
                fail(
                    f"Okendo kept answering 429 on {where} for {RATE_LIMIT_PATIENCE}s; "
                    "another client may share this API key. Lower `max_requests_per_second` "
                    "or try again later."
                )
            except (
                RetriableAPIError,
                ConnectionResetError,
                requests.exceptions.RequestException,
            ) as exc:
                fail(
                    f"Okendo kept failing on {where} after {MAX_TRIES} attempts "
                    f"({_describe(exc)}); the run stopped and recorded no completed copy. "
                    "Try again later."
                )

        return request_or_fail


class RateLimitedError(RetriableAPIError):
    """HTTP 429."""


def _prepared(args: t.Iterable[t.Any]) -> requests.PreparedRequest | None:
    return next((a for a in args if isinstance(a, requests.PreparedRequest)), None)


def _retry_after(exception: BaseException | None) -> float | None:
    response = getattr(exception, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return min(MAX_WAIT_SECONDS, max(0.0, float(value))) if value else None
    except ValueError:
        return None  # an HTTP-date Retry-After: fall back to exponential backoff


def _describe(exception: BaseException | None) -> str:
    response = getattr(exception, "response", None)
    if response is not None and response.status_code != HTTPStatus.OK:
        return f"HTTP {response.status_code}"
    return type(exception).__name__ if exception else "unknown error"


def _vendor_message(response: requests.Response) -> str:
    try:
        body = json.loads(response.text)
        message = body.get("error", {}).get("message") or body.get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message or response.reason)[:200]
