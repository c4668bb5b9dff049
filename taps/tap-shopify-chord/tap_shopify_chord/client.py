"""HTTP concerns of the Shopify GraphQL Admin API, in one place: auth (a static token or the
client-credentials grant, renewed before expiry and on 401), cost-based pacing from
`extensions.cost.throttleStatus`, THROTTLED / 5xx retries, and one-line errors.

Every stream of a run shares one client (one bucket per app and store). Secrets only ever
travel in the X-Shopify-Access-Token header or the token request body: no message, log
line or state holds them.
"""

from __future__ import annotations

import decimal
import json
import logging
import random
import re
import threading
import time
import typing as t
from datetime import UTC, date, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version

import requests

try:
    _VERSION = version("tap-shopify-chord")
except PackageNotFoundError:  # running from a source tree
    _VERSION = "0+unknown"

MAX_QUERY_COST = 1000  # Shopify refuses a single query over this many requested points
TOKEN_RENEW_MARGIN = 300.0  # renew a client-credentials token this early (at most 10% of its life)
MAX_BACKOFF_SECONDS = 60.0
DEFAULT_COST_GUESS = 50.0  # points assumed for a query not seen yet
# Shopify releases a stable Admin API version each quarter and supports it for at least 12
# months (https://shopify.dev/docs/api/usage/versioning): the versions this tap is built and
# tested for (tests validate every query against each one's published schema), with the
# first day Shopify no longer supports them.
SUPPORTED_VERSIONS = {
    "2026-01": date(2027, 1, 1),
    "2026-04": date(2027, 4, 1),
    "2026-07": date(2027, 7, 1),
    "2026-10": date(2027, 10, 1),
}
RETIRED_VERSIONS = {"2025-10": date(2026, 10, 1)}  # no `bulkOperations` query before 2026-01
DEFAULT_VERSION = "2026-10"
WARN_DAYS = 60
SHOP_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TOKEN_HINT = (
    "use an Admin API access token of the store's app (shpat_...), or set `client_id` and "
    "`client_secret` of a Dev Dashboard app installed on the store"
)


def fail(message: str) -> t.NoReturn:
    """End the run with one line on stderr and exit status 1."""
    raise SystemExit(f"tap-shopify-chord: {message}")


class AccessDenied(Exception):
    """The token lacks the scope a query needs (HTTP 403 or an ACCESS_DENIED error)."""


class CostTooHigh(Exception):
    """MAX_COST_EXCEEDED: the query asks for more points than one query may."""

    def __init__(self, cost: float | None) -> None:
        super().__init__(f"requested cost {cost}")
        self.cost = cost


class Retriable(Exception):
    """A 5xx, timeout, cut body or internal error: ask again after a backoff."""


def check_version(version: str, today: date, logger: logging.Logger) -> None:
    """A one-line error for a version past its end of support (or unknown to the tap), a
    warning within WARN_DAYS of the end, a warning for `unstable` (no stability promise)."""
    if version == "unstable":
        logger.warning("api_version `unstable` may change without notice; use %s.", DEFAULT_VERSION)
        return
    ends = SUPPORTED_VERSIONS.get(version) or RETIRED_VERSIONS.get(version)
    listed = ", ".join(SUPPORTED_VERSIONS)
    if ends is None:
        fail(f"`api_version` {version[:20]!r} is not a version this tap supports ({listed}).")
    if today >= ends:
        fail(
            f"`api_version` {version} is past Shopify's end of support ({ends}): set "
            f"`api_version` to {DEFAULT_VERSION} (supported: {listed})."
        )
    if (ends - today).days <= WARN_DAYS:
        logger.warning(
            "api_version %s leaves Shopify's support on %s (%d days): move to %s.",
            version,
            ends,
            (ends - today).days,
            DEFAULT_VERSION,
        )


def normalize_shop(value: str) -> str:
    """`my-store`, `my-store.myshopify.com` or its https URL -> `my-store`."""
    shop = value.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    shop = shop.removesuffix(".myshopify.com")
    if not SHOP_PATTERN.match(shop):
        fail(
            f"`shop` must be the store's myshopify handle (e.g. `my-store` for "
            f"my-store.myshopify.com), got {value.strip()[:60]!r}."
        )
    return shop


class CostBucket:
    """Mirror of Shopify's leaky bucket of query-cost points, corrected by every answer.

    A request waits until the points it is expected to cost (its last requested cost)
    are available; `throttleStatus` in each response resets the mirror, so the pace
    follows the store's plan (restore rate) and other apps' use, never a hard-coded rate.
    """

    def __init__(self) -> None:
        self.maximum: float | None = None
        self.available = 0.0
        self.rate = 0.0
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def _now_available(self, now: float) -> float:
        if self.maximum is None:
            return float("inf")
        return min(self.maximum, self.available + (now - self._stamp) * self.rate)

    def delay_for(self, cost: float) -> float:
        with self._lock:
            if self.maximum is None or self.rate <= 0:
                return 0.0
            need = min(cost, self.maximum)
            return max(0.0, (need - self._now_available(time.monotonic())) / self.rate)

    def observe(self, status: dict[str, t.Any] | None, spent: float = 0.0) -> None:
        if not status:
            return
        with self._lock:
            try:
                self.maximum = float(status["maximumAvailable"])
                self.available = float(status["currentlyAvailable"])
                self.rate = float(status["restoreRate"])
            except (KeyError, TypeError, ValueError):
                return
            self._stamp = time.monotonic()


class Auth:
    """The access token: a static one, or one fetched with the client-credentials grant."""

    def __init__(self, session: requests.Session, base: str, config: t.Mapping[str, t.Any]):
        self._session = session
        self._base = base
        self._static = (config.get("access_token") or "").strip() or None
        self._client_id = (config.get("client_id") or "").strip() or None
        self._client_secret = (config.get("client_secret") or "").strip() or None
        self._timeout = int(config.get("request_timeout", 60))
        self._token: str | None = None
        self._expires = 0.0
        self._margin = 0.0
        self.grants = 0
        if not self._static and not (self._client_id and self._client_secret):
            fail(
                f"set either `access_token`, or both `client_id` and `client_secret`: {TOKEN_HINT}."
            )

    @property
    def renewable(self) -> bool:
        return self._static is None

    def token(self) -> str:
        if self._static:
            return self._static
        if self._token is None or time.monotonic() >= self._expires - self._margin:
            self._fetch()
        assert self._token is not None
        return self._token

    def expire(self) -> None:
        """Forget the token (after a 401), so the next request fetches a new one."""
        self._token = None

    def _fetch(self) -> None:
        url = f"{self._base}/admin/oauth/access_token"
        body = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        try:
            response = self._session.post(url, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            fail(f"cannot reach {self._base} for an access token ({type(exc).__name__}).")
        if response.status_code != HTTPStatus.OK:
            fail(
                f"Shopify refused the client credentials (HTTP {response.status_code}: "
                f"{vendor_message(response)}): check `client_id` and `client_secret` of the "
                "app in the Dev Dashboard and that the app is installed on this store."
            )
        try:
            answer = response.json()
            self._token = str(answer["access_token"])
            ttl = float(answer.get("expires_in") or 86399)
        except (ValueError, KeyError, TypeError):
            fail("Shopify answered the token request without an access_token; check `api_url`.")
        self._expires = time.monotonic() + ttl
        self._margin = min(TOKEN_RENEW_MARGIN, ttl / 10)
        self.grants += 1


class ShopifyClient:
    """POST GraphQL to /admin/api/{version}/graphql.json with pacing, retries, clear errors."""

    def __init__(self, config: t.Mapping[str, t.Any], logger: logging.Logger) -> None:
        self.logger = logger
        self.shop = normalize_shop(str(config.get("shop") or ""))
        self.version = str(config.get("api_version") or DEFAULT_VERSION).strip()
        check_version(self.version, datetime.now(UTC).date(), logger)
        base = str(config.get("api_url") or "").strip().rstrip("/")
        self.base = base or f"https://{self.shop}.myshopify.com"
        self.endpoint = f"{self.base}/admin/api/{self.version}/graphql.json"
        self.timeout = int(config.get("request_timeout", 60))
        self.max_retries = int(config.get("max_retries", 8))
        self.backoff = int(config.get("retry_backoff_ms", 1000)) / 1000
        self.throttle_patience = float(config.get("max_throttle_wait_seconds", 900))
        self.session = requests.Session()
        self.session.headers.update(
            {"User-Agent": f"tap-shopify-chord/{_VERSION}", "Accept": "application/json"}
        )
        self.auth = Auth(self.session, self.base, config)
        self.bucket = CostBucket()
        self._costs: dict[str, float] = {}
        self.points_used = 0.0
        self.requests = 0
        self.throttled = 0

    # -- the one entry point -------------------------------------------------------------
    def graphql(
        self, query: str, variables: dict[str, t.Any] | None = None, *, what: str
    ) -> dict[str, t.Any]:
        """The `data` of one query; retries what can be retried, ends the run otherwise."""
        attempt = 0
        throttled_since: float | None = None
        renewed = False
        while True:
            time.sleep(self.bucket.delay_for(self._costs.get(query, DEFAULT_COST_GUESS)))
            try:
                body = self._post(query, variables, what)
            except Retriable as exc:
                attempt += 1
                if attempt >= self.max_retries:
                    fail(
                        f"Shopify kept failing on {what} after {attempt} attempts ({exc}); "
                        "the state saved so far lets the next run resume. Try again later."
                    )
                wait = min(MAX_BACKOFF_SECONDS, self.backoff * 2 ** (attempt - 1))
                self.logger.warning(
                    "Retrying %s in %.1fs (attempt %d): %s", what, wait, attempt, exc
                )
                time.sleep(wait * random.uniform(1.0, 1.1))
                continue
            except _Unauthorized:
                if self.auth.renewable and not renewed:
                    renewed = True  # expired early or revoked: fetch a new one, once
                    self.auth.expire()
                    continue
                fail(f"Shopify rejected the access token (HTTP 401): {TOKEN_HINT}.")
            cost = (body.get("extensions") or {}).get("cost") or {}
            self.bucket.observe(cost.get("throttleStatus"))
            if cost.get("requestedQueryCost") is not None:
                self._costs[query] = float(cost["requestedQueryCost"])
            errors = body.get("errors") or []
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            if "THROTTLED" in codes:
                self.throttled += 1
                throttled_since = throttled_since or time.monotonic()
                if time.monotonic() - throttled_since > self.throttle_patience:
                    fail(
                        f"Shopify kept throttling {what} for {self.throttle_patience:.0f}s; "
                        "other apps may be using the store's API budget. Try again later."
                    )
                need = float(cost.get("requestedQueryCost") or self._costs.get(query) or 50)
                wait = self.bucket.delay_for(need) or 1.0
                self.logger.info("Throttled on %s: waiting %.1fs for the bucket", what, wait)
                time.sleep(wait)
                continue
            throttled_since = None
            self.points_used += float(cost.get("actualQueryCost") or 0)
            if errors:
                self._raise_for_errors(errors, codes, what)
            return t.cast("dict[str, t.Any]", body["data"])

    def _raise_for_errors(self, errors: list, codes: set, what: str) -> t.NoReturn:
        first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
        message = " ".join(str(first.get("message", "")).split())[:300]
        if "ACCESS_DENIED" in codes:
            raise AccessDenied(message)
        if "MAX_COST_EXCEEDED" in codes:
            ext = first.get("extensions") or {}
            raise CostTooHigh(_number(ext.get("cost")) or _number_in(message))
        fail(f"Shopify rejected the query for {what}: {message}")

    def _post(self, query: str, variables: dict | None, what: str) -> dict[str, t.Any]:
        headers = {"X-Shopify-Access-Token": self.auth.token(), "Content-Type": "application/json"}
        payload = {"query": query, "variables": variables or {}}
        self.requests += 1
        try:
            response = self.session.post(
                self.endpoint, data=json.dumps(payload), headers=headers, timeout=self.timeout
            )
        except requests.ConnectionError as exc:
            if self.requests == 1:
                fail(
                    f"cannot reach {self.base} ({type(exc).__name__}): check `shop` "
                    f"({self.shop}) and `api_url`."
                )
            raise Retriable(type(exc).__name__) from exc
        except requests.RequestException as exc:
            raise Retriable(type(exc).__name__) from exc
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED:
            raise _Unauthorized
        if status == HTTPStatus.FORBIDDEN:
            raise AccessDenied(vendor_message(response))
        if status == HTTPStatus.NOT_FOUND:
            fail(
                f"Shopify answered HTTP 404 for {self.endpoint}: no such shop or API version. "
                f"Check `shop` ({self.shop}) and `api_version` ({self.version}; Shopify serves "
                "each quarterly version for 12 months)."
            )
        if status == HTTPStatus.PAYMENT_REQUIRED:
            fail("Shopify answered HTTP 402: the store is frozen (unpaid plan); unfreeze it first.")
        if status == HTTPStatus.LOCKED:
            fail("Shopify answered HTTP 423: the store is locked; contact Shopify support.")
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                time.sleep(_retry_after(response))
            raise Retriable(f"HTTP {status}")
        if status >= HTTPStatus.BAD_REQUEST:
            fail(f"Shopify answered HTTP {status} on {what}: {vendor_message(response)}.")
        try:
            body = json.loads(response.content, parse_float=decimal.Decimal)
        except ValueError as exc:
            raise Retriable("a cut or unreadable response body") from exc
        if not isinstance(body, dict):
            raise Retriable("a response that is not a JSON object")
        if not body.get("errors") and not isinstance(body.get("data"), dict):
            raise Retriable("an answer without data")
        for error in body.get("errors") or []:
            code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
            if code in ("INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"):
                raise Retriable(f"GraphQL error {code}")
        return body


class _Unauthorized(Exception):
    pass


def _retry_after(response: requests.Response) -> float:
    try:
        return min(60.0, max(0.0, float(response.headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


def _number(value: t.Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _number_in(message: str) -> float | None:
    match = re.search(r"cost is (\d+)", message)
    return float(match[1]) if match else None


def vendor_message(response: requests.Response) -> str:
    """The error text of a JSON body ({"errors": ...}) or of a plain one, on one line."""
    text = response.text or ""
    try:
        body = json.loads(text)
        message = body.get("errors") or body.get("error_description") or body.get("error")
        if isinstance(message, list) and message:
            message = message[0].get("message") if isinstance(message[0], dict) else message[0]
    except (ValueError, AttributeError):
        message = re.sub(r"<[^>]+>", " ", text)
    message = " ".join(str(message or response.reason or "").split())
    return message[:200] or f"HTTP {response.status_code}"
