"""HTTP concerns shared by every Recharge stream: auth, version header, cursor paging,
bucket-aware pacing, retries, decimal amounts, resumable state and the one-line errors.

Errors that a user must act on (a rejected token, a bad setting, a vendor that keeps
failing) end the run with one line on stderr and a non-zero exit; the token only ever
travels in the X-Recharge-Access-Token header, so it appears in no message, log or state.
A stream whose scope the token lacks (403) is skipped with one warning instead.
"""

from __future__ import annotations

import decimal
import functools
import hashlib
import html
import json
import random
import re
import threading
import time
import typing as t
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlparse

import backoff
import requests
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.jsonpath import extract_jsonpath
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams import RESTStream

from tap_recharge.schemas import DECIMAL_PATTERN

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

try:
    _VERSION = version("tap-recharge")
except PackageNotFoundError:  # running from a source tree
    _VERSION = "0+unknown"

API_VERSION = "2021-11"
MAX_TRIES = 8  # attempts per request on 5xx, timeouts and cut bodies
MAX_BACKOFF_SECONDS = 60.0
MAX_WAIT_SECONDS = 120.0  # the longest Retry-After obeyed as given
RATE_LIMIT_PATIENCE = 900  # seconds of consecutive 429s before giving up
BUCKET_SIZE = 40  # Recharge's leaky bucket, until X-Recharge-Limit says otherwise
BUCKET_DRAIN_PER_SECOND = 2.0
BUCKET_RESERVE = 2  # calls the pacer leaves free for the store's other apps
MIN_429_WAIT = 0.5
NO_HEADER_429_WAIT = 2.0  # a 429 without X-Recharge-Limit or Retry-After (Airbyte waits 2 s)
# The first page asks from one second before the bookmark: whether Recharge's `_min` bound
# is inclusive is documented nowhere we could check ("after the given date"), and asking
# from the bookmark itself under an exclusive reading would skip rows that share its second.
# What that overlap brings back is dropped again (see RechargeStream.is_new), so it costs
# no record twice.
BOOKMARK_OVERLAP = timedelta(seconds=1)
# The state key holding what was emitted on the bookmark's own second: {id: digest of the
# object as Recharge sent it}. The digest tells a row changed again within that same second
# (same updated_at, new content: emitted again) from one merely re-read (dropped).
BOOKMARK_ROWS = "emitted_at_bookmark"
# A stream read in the API's default order keeps its bookmark until it ends; the rows it has
# emitted since ({id: digest}) are saved with each page instead, so a run killed inside it
# resumes without emitting them again (up to RESUME_LIMIT rows; beyond, the resumed run
# emits them again and the target's upsert on `id` keeps one).
BOOKMARK_RESUME = "emitted_since_bookmark"
RESUME_LIMIT = 5_000
TOKEN_HINT = (
    "create or copy an API token in Recharge (Apps & integrations > API tokens) with the "
    "read scopes of the streams you sync, and set it as `access_token`"
)
_LIMIT_HEADER = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def fail(message: str) -> t.NoReturn:
    """End the run with one line on stderr and exit status 1."""
    raise SystemExit(f"tap-recharge: {message}")


class BucketPacer:
    """Keeps Recharge's leaky bucket (40 calls, draining 2/s per store) from overflowing.

    It mirrors the bucket: each call adds one, the level drains at `rate` per second, and
    a call waits until it fits under the size minus BUCKET_RESERVE. Every answer's
    `X-Recharge-Limit: used/size` corrects the mirror upwards (other apps of the store
    share the bucket), so a run starts with a burst of the free calls, then settles at
    `rate`. One pacer serves all streams of a run.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.size = BUCKET_SIZE
        self._level = 0.0
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def _drained(self, now: float) -> float:
        drain = self.rate or BUCKET_DRAIN_PER_SECOND
        return max(0.0, self._level - max(0.0, now - self._stamp) * drain)

    def wait(self) -> None:
        if not self.rate:
            return
        with self._lock:
            now = time.monotonic()
            level = self._drained(now)
            delay = max(0.0, (level + 1 - (self.size - BUCKET_RESERVE)) / self.rate)
            self._level, self._stamp = level - delay * self.rate + 1, now + delay
        if delay:
            time.sleep(delay)

    def observe(self, response: requests.Response) -> tuple[int, int] | None:
        """Take the bucket's level from X-Recharge-Limit; returns (used, size) if sent."""
        match = _LIMIT_HEADER.match(response.headers.get("X-Recharge-Limit", ""))
        if not match:
            return None
        used, size = int(match[1]), int(match[2])
        with self._lock:
            now = time.monotonic()
            self.size = max(size, BUCKET_RESERVE + 1)
            self._level = max(self._drained(now), float(used))
            self._stamp = max(now, self._stamp)
        return used, size

    def wait_after_429(self, response: requests.Response) -> float:
        """Without Retry-After: until the bucket has room again, judged from its header."""
        used_size = self.observe(response)
        drain = self.rate or BUCKET_DRAIN_PER_SECOND
        if used_size is None:
            return NO_HEADER_429_WAIT
        used, size = used_size
        return max(MIN_429_WAIT, (used + 1 - (size - BUCKET_RESERVE)) / drain)


class CursorPaginator(BaseAPIPaginator[str | None]):
    """2021-11 cursor paging: follow `next_cursor` until a page comes without one."""

    def __init__(self) -> None:
        super().__init__(None)

    def get_next(self, response: requests.Response) -> str | None:
        return parsed_body(response).get("next_cursor") or None


class TokenAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Recharge-Access-Token"] = self._token
        return request

    def __repr__(self) -> str:  # never show the token, even in a debugger or a traceback
        return "TokenAuth(<hidden>)"


def parsed_body(response: requests.Response) -> dict[str, t.Any]:
    """The JSON body, parsed once per response, numbers as Decimal (never float)."""
    cached = response.__dict__.get("_recharge_body")
    if cached is None:
        cached = response.json(parse_float=decimal.Decimal)
        if not isinstance(cached, dict):
            raise ValueError("body is not a JSON object")
        response.__dict__["_recharge_body"] = cached
    return cached


class DecimalFields:
    """The decimal-text fields of a schema (DECIMAL_PATTERN), checked with Decimal and emitted
    as exact decimal text; JSON numbers there (parsed as Decimal, never float) become text."""

    def __init__(self, schema: dict[str, t.Any]) -> None:
        self.tree = self._tree(schema) or {}

    @classmethod
    def _tree(cls, node: dict[str, t.Any]) -> dict[str, t.Any] | None:
        """{field: subtree | None (a decimal leaf)}, "*" for array items; None if none below."""
        tree: dict[str, t.Any] = {}
        for name, child in node.get("properties", {}).items():
            if child.get("pattern") == DECIMAL_PATTERN:
                tree[name] = None
            elif (sub := cls._tree(child)) is not None:
                tree[name] = sub
        if isinstance(node.get("items"), dict) and (sub := cls._tree(node["items"])) is not None:
            tree["*"] = sub
        return tree or None

    def apply(self, record: dict[str, t.Any], describe: t.Callable[[], str]) -> None:
        _walk(record, self.tree, describe)


_PLAIN_DECIMAL = re.compile(DECIMAL_PATTERN)


def _walk(node: t.Any, tree: dict[str, t.Any], describe: t.Callable[[], str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, tree.get("*", {}), describe)
        return
    if not isinstance(node, dict):
        return
    for name, sub in tree.items():
        value = node.get(name)
        if value is None:
            continue
        if sub is not None:
            _walk(value, sub, describe)
        elif not (isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value)):
            node[name] = _decimal_text(name, value, describe)


def _decimal_text(name: str, value: t.Any, describe: t.Callable[[], str]) -> str:
    try:
        if isinstance(value, bool):
            raise decimal.InvalidOperation
        number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
        if not number.is_finite():
            raise decimal.InvalidOperation
    except decimal.InvalidOperation:
        fail(
            f"Recharge sent {name}={str(value)[:40]!r} in {describe()}, which is not a "
            "decimal amount; the record cannot be copied exactly. Report it to Recharge."
        )
    return format(number, "f")


class RechargeStream(RESTStream[str | None]):
    """Base stream for the Recharge API (2021-11)."""

    scope: str = ""  # the token scope the resource needs, for the 403 warning
    # The ascending sort the resource's list takes, per Recharge's own client (recharge-api:
    # only ChargeListQuery has `sort_by`); None: the list comes in its default order.
    sort_by: str | None = None

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # The run's floor (the bookmark or start_date) and the rows on its second an earlier
        # run emitted ({id: digest}): what the overlap re-reads and is_new drops again.
        self._floor: tuple[datetime | None, dict[str, str]] | None = None
        # The newest replication value emitted so far and the rows emitted on it.
        self._tie: tuple[datetime | None, dict[str, str]] = (None, {})
        self._newest_value: t.Any = None  # the newest replication value as emitted
        self._digests: dict[str, str] = {}  # digest of each parsed row not yet emitted
        # Unsorted streams: rows a killed earlier run emitted since the bookmark, and the
        # rows this run emitted (both {id: digest}), for BOOKMARK_RESUME.
        self._resumed: dict[str, str] = {}
        self._emitted: dict[str, str] = {}
        self._finished = False

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def http_headers(self) -> dict[str, str]:
        return {
            "X-Recharge-Version": API_VERSION,
            "Accept": "application/json",
            "User-Agent": f"tap-recharge/{_VERSION}",
        }

    @functools.cached_property
    def authenticator(self) -> TokenAuth:
        token = str(self.config["access_token"])
        if not token.strip():
            fail(f"`access_token` is empty: {TOKEN_HINT}.")
        if token != token.strip():
            fail(f"`access_token` has leading or trailing whitespace: {TOKEN_HINT}.")
        return TokenAuth(token)

    @property
    def timeout(self) -> int:
        return int(self.config.get("request_timeout", 60))

    @property
    def pacer(self) -> BucketPacer:
        return self._tap.pacer  # type: ignore[attr-defined]

    @property
    def is_sorted(self) -> bool:
        # Sorted (sort_by=<key>-asc), the bookmark advances and is saved page by page: a run
        # killed halfway resumes after its last saved page. In the default order the SDK
        # keeps the newest value as a progress marker and makes it the bookmark at the end.
        return self.replication_key is not None and self.sort_by is not None

    @property
    def page_size(self) -> int:
        # A dry run (`--test`, connection checks) needs one record: ask for one.
        if self.ABORT_AT_RECORD_COUNT is not None:
            return max(1, min(int(self.config["page_size"]), self.ABORT_AT_RECORD_COUNT))
        return int(self.config["page_size"])

    @functools.cached_property
    def decimal_fields(self) -> DecimalFields:
        return DecimalFields(self.schema)

    def get_new_paginator(self) -> CursorPaginator:
        return CursorPaginator()

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, t.Any]:
        if next_page_token:
            # Follow-up pages: the cursor carries the filters; Recharge takes nothing else.
            return {"cursor": next_page_token, "limit": self.page_size}
        params: dict[str, t.Any] = {"limit": self.page_size}
        if self.sort_by:
            params["sort_by"] = self.sort_by
        floor = self.floor(context)
        if floor is not None:
            since = floor.astimezone(UTC) - BOOKMARK_OVERLAP
            params[f"{self.replication_key}_min"] = since.isoformat(timespec="seconds")
        return params

    # -- the bookmark: re-read rows dropped, ties at it neither lost nor doubled --------
    def floor(self, context: Context | None) -> datetime | None:
        """The bookmark this run starts from (or start_date); None copies everything."""
        if not self.replication_key:
            return None
        if self._floor is None:
            start = self.get_starting_timestamp(context)
            state = self.get_context_state(context)
            mark = state.get("replication_key_value")
            floor = start.astimezone(UTC) if start is not None else None
            same = mark is not None and _moment(mark) == floor
            seen = dict(state.get(BOOKMARK_ROWS) or {}) if same else {}
            # a killed run's rows count from the bookmark it started at (none on a first run)
            resumable = same or mark is None
            self._resumed = dict(state.get(BOOKMARK_RESUME) or {}) if resumable else {}
            self._floor = (floor, seen)
            self._tie = (floor, dict(seen))
            self._newest_value = mark if same else None
        return self._floor[0]

    def is_new(self, row: dict[str, t.Any], context: Context | None) -> bool:
        """False for a row an earlier run emitted: older than the bookmark (the overlap
        re-reads the second before it), on its second exactly as the state lists it, or
        exactly as a killed run emitted it since the bookmark (BOOKMARK_RESUME)."""
        floor = self.floor(context)
        if self._floor is None or not self.replication_key:
            return True
        value = row.get(self.replication_key)
        if value is None:
            return True
        moment = _moment(value)
        key = str(row.get("id"))
        digest = self._digests.get(key)
        if floor is not None and (
            moment < floor or (moment == floor and self._floor[1].get(key) == digest)
        ):
            return False
        if key in self._resumed and self._resumed[key] == digest:
            # a killed earlier run emitted it as it is: count it as emitted, do not repeat it
            self._note(value, moment, key, self._digests.pop(key, ""))
            return False
        return True

    def _note(self, value: t.Any, moment: datetime, key: str, digest: str) -> None:
        """Track a row the pipeline has (the newest value, the rows on it, and for unsorted
        streams every row since the bookmark)."""
        newest, rows = self._tie
        if newest is None or moment > newest:
            self._tie, self._newest_value = (moment, {key: digest}), value
        elif moment == newest:
            rows[key] = digest
        if not self.is_sorted:
            self._emitted[key] = digest

    def _increment_stream_state(
        self, latest_record: dict[str, t.Any], *, context: Context | None = None
    ) -> None:
        super()._increment_stream_state(latest_record, context=context)
        if not self.replication_key or latest_record.get(self.replication_key) is None:
            return
        value = latest_record[self.replication_key]
        key = str(latest_record.get("id"))
        self._note(value, _moment(value), key, self._digests.pop(key, ""))

    def _finalize_state(self, state: dict | None = None) -> None:
        # The stream ended: the SDK promotes its progress marker (capped at the run's start,
        # the signpost) to the bookmark. Rows a killed earlier run emitted and this run
        # skipped count too; the resume list is done with.
        signpost = (state or {}).get("replication_key_signpost")
        super()._finalize_state(state)
        if state is None or self.is_sorted or not self.replication_key:
            return
        self._finished = True
        state.pop(BOOKMARK_RESUME, None)
        newest = self._newest_value
        mark = state.get("replication_key_value")
        if newest is not None and (mark is None or _moment(newest) > _moment(mark)):
            capped = signpost is not None and _moment(newest) > _moment(signpost)
            state["replication_key"] = self.replication_key
            state["replication_key_value"] = signpost if capped else newest

    def _write_state_message(self) -> None:
        # Before each STATE message: the rows emitted on the bookmark's own second go with
        # it, so the next run (or a resumed one) emits each of them once, never twice.
        if self.replication_key and self.selected and self._floor is not None:
            state = self.stream_state
            mark = state.get("replication_key_value")
            newest, rows = self._tie
            listed: dict[str, str] = {}
            if mark is not None and _moment(mark) == newest:
                listed = rows
            elif mark is not None and _moment(mark) == self._floor[0]:
                listed = self._floor[1]  # unsorted, mid-run: still the old bookmark
            # else: the SDK capped the bookmark at the run's start: no row on it was emitted
            if (state.get(BOOKMARK_ROWS) or {}) != listed:
                if listed:
                    state[BOOKMARK_ROWS] = dict(sorted(listed.items()))
                else:
                    state.pop(BOOKMARK_ROWS, None)
                self.state_manager.is_flushed = False
            if not self.is_sorted and not self._finished:
                self._save_resume(state)
        super()._write_state_message()

    def _save_resume(self, state: dict[str, t.Any]) -> None:
        since = {**self._resumed, **self._emitted}
        wanted = dict(sorted(since.items())) if 0 < len(since) <= RESUME_LIMIT else None
        if state.get(BOOKMARK_RESUME) != wanted:
            if wanted:
                state[BOOKMARK_RESUME] = wanted
            else:
                state.pop(BOOKMARK_RESUME, None)
            self.state_manager.is_flushed = False

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        for row in extract_jsonpath(self.records_jsonpath, parsed_body(response)):
            if self.replication_key:
                self._digests[str(row.get("id"))] = _digest(row)
            yield row

    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict | None:
        if not self.is_new(row, context):
            self._digests.pop(str(row.get("id")), None)
            return None
        self.decimal_fields.apply(row, lambda: f"{self.name} id {row.get('id')}")
        return row

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        limit = self.ABORT_AT_RECORD_COUNT  # a dry run (`--test`) needs one record per stream
        try:
            for count, record in enumerate(super().get_records(context), start=1):
                yield record
                if limit is not None and count >= limit:
                    return  # stop before the SDK aborts the stream with an error line
        except MissingScopeError as exc:
            self.logger.warning(
                "Skipping stream %s: the access token lacks the %s scope (HTTP 403: %s). "
                "Add the scope to the token in Recharge, or deselect the stream.",
                self.name,
                self.scope,
                exc,
            )

    # -- pacing, state and retries (one place) ------------------------------------------
    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        # A page boundary: every record of the pages before is emitted, so the state the
        # SDK holds (bookmark = last emitted updated_at) is safe to save. Writing it now
        # makes a run killed at any point resumable from its last complete page.
        self._write_state_message()
        self.pacer.wait()
        return super()._request(prepared_request, context)

    def where(self, request: requests.PreparedRequest | None) -> str:
        """The request's path below `api_url`, for messages."""
        path = urlparse((request.url if request is not None else None) or "").path
        base = urlparse(self.url_base).path.rstrip("/")
        return path.removeprefix(base) or self.path

    def validate_response(self, response: requests.Response) -> None:
        self.pacer.observe(response)
        status = response.status_code
        where = self.where(response.request)
        if status == HTTPStatus.UNAUTHORIZED:
            fail(f"Recharge rejected the access token (HTTP 401): {TOKEN_HINT}.")
        if status == HTTPStatus.FORBIDDEN:
            raise MissingScopeError(_vendor_message(response))
        if status == HTTPStatus.UPGRADE_REQUIRED:
            fail(
                f"Recharge refused API version {API_VERSION} on {where} (HTTP 426: "
                f"{_vendor_message(response)}). This tap reads the 2021-11 API only."
            )
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            raise RateLimitedError(f"HTTP 429 on {where}", response)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(f"HTTP {status} on {where}", response)
        if status == HTTPStatus.NOT_FOUND:
            fail(
                f"Recharge answered HTTP 404 on {where} ({_vendor_message(response)}): "
                "check `api_url` (https://api.rechargeapps.com for Recharge itself)."
            )
        if status >= HTTPStatus.BAD_REQUEST:
            fail(
                f"Recharge answered HTTP {status} on {where}: {_vendor_message(response)}. "
                "Check `page_size` (1..250) and `start_date`."
            )
        try:
            body = parsed_body(response)
        except ValueError as exc:  # a cut or garbled 200 body: ask again
            raise RetriableAPIError(f"unreadable body on {where}: {exc}", response) from exc
        if not isinstance(body.get(self.name), list):
            fail(
                f"Recharge answered {where} without a `{self.name}` list "
                f"(keys: {', '.join(sorted(body)) or 'none'}); check `api_url`."
            )

    def backoff_wait_generator(self) -> t.Generator[float, None, None]:
        """Retry-After or the bucket for 429s; doubling from `retry_backoff_ms` otherwise."""
        base = int(self.config.get("retry_backoff_ms", 1000)) / 1000

        def waits() -> t.Generator[float, t.Any, None]:
            exception = yield 0.0  # primed by backoff; the value is unused
            attempt = 0
            while True:
                response = getattr(exception, "response", None)
                wait = _retry_after(response)
                if (
                    wait is None
                    and isinstance(exception, RateLimitedError)
                    and response is not None
                ):
                    wait = self.pacer.wait_after_429(response)
                if wait is None:
                    wait = min(MAX_BACKOFF_SECONDS, base * 2**attempt)
                    attempt += 1
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
                    f"Recharge kept answering 429 on {where} for {RATE_LIMIT_PATIENCE}s; "
                    "other apps may be using the store's API budget. Lower "
                    "`max_requests_per_second` or try again later."
                )
            except (
                RetriableAPIError,
                ConnectionResetError,
                requests.exceptions.RequestException,
            ) as exc:
                fail(
                    f"Recharge kept failing on {where} after {MAX_TRIES} attempts "
                    f"({_describe(exc)}); the state saved up to the last complete page lets "
                    "the next run resume there. Try again later."
                )

        return request_or_fail


class RateLimitedError(RetriableAPIError):
    """HTTP 429."""


class MissingScopeError(Exception):
    """HTTP 403: the token lacks the resource's scope."""


def _digest(row: dict[str, t.Any]) -> str:
    """A short fingerprint of an object as Recharge sent it (key order does not matter)."""
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _moment(value: str) -> datetime:
    """A replication value (ISO 8601 text) as an aware UTC datetime, for comparing."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _prepared(args: t.Iterable[t.Any]) -> requests.PreparedRequest | None:
    return next((a for a in args if isinstance(a, requests.PreparedRequest)), None)


def _retry_after(response: requests.Response | None) -> float | None:
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return min(MAX_WAIT_SECONDS, max(0.0, float(value))) if value else None
    except ValueError:
        return None  # an HTTP-date Retry-After: fall back to the bucket or backoff


def _describe(exception: BaseException | None) -> str:
    response = getattr(exception, "response", None)
    if response is not None and response.status_code != HTTPStatus.OK:
        return f"HTTP {response.status_code}: {_vendor_message(response)}"
    if isinstance(exception, RetriableAPIError):
        return "a cut or unreadable response body"
    return type(exception).__name__ if exception else "unknown error"


def _vendor_message(response: requests.Response) -> str:
    """The error text of a JSON body ({"errors": ...}) or of an HTML/plain one, on one line."""
    text = response.text or ""
    try:
        body = json.loads(text)
        message = body.get("errors") or body.get("error") or body.get("message")
        if isinstance(message, dict):
            message = "; ".join(f"{k}: {v}" for k, v in message.items())
    except (ValueError, AttributeError):
        title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        message = title[1] if title else re.sub(r"<[^>]+>", " ", text)
    message = " ".join(html.unescape(str(message or response.reason or "")).split())
    return message[:200] or f"HTTP {response.status_code}"
