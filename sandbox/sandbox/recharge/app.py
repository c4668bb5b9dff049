"""The Recharge API, version 2021-11, as ../shared/vendors/recharge.md describes it.

API (at the server root, like https://api.rechargeapps.com), behind one gate, in this order:
  1. `X-Recharge-Access-Token` must be the sandbox token, else 401 (JSON error).
  2. `X-Recharge-Version` must be 2021-11, else 426. Without the header Recharge applies the
     store's default version (often 2021-01: page numbers, no cursors, other fields); the
     sandbox models 2021-11 only, so it refuses a missing header with 426 as well (the
     stricter choice: a client that forgets the header fails here instead of silently
     reading another version's shapes in production).
  3. The leaky bucket: 40 calls, draining 2 per second; a call that would overflow it is a
     429 and is not counted. Every answer carries `X-Recharge-Limit: <used>/40` (seen in
     community clients, not in Recharge's docs; `used` is rounded up). Recharge documents no
     Retry-After on 429s, so none is sent unless `retry_after=True`.
  4. Scope: each resource needs its read_* scope (data.SCOPES); the sandbox token lacks
     `missing_scopes` (default read_payment_methods), which answers 403.
  5. Injected faults: `outage_after` (one resource fails after N requests), then
     sandbox.faults.Faults: 429 storms, 5xx, slow pages, truncated 200s.
     A truncated 200 alternates between two shapes seen in the wild: a JSON body cut in
     half with a matching Content-Length, and a body shorter than its Content-Length (the
     connection closes early). `html_errors=True` makes 5xx and storm bodies HTML pages,
     as a proxy in front of an API sends them.
  6. Query (paging.py): 400 for a bad `limit`, 422 for filters next to a cursor, unknown
     parameters, bad dates, sorts or cursors.

  GET /customers /addresses /payment_methods /subscriptions /onetimes /charges /orders
      /discounts /products /plans /collections /events
  GET /   the API root: 200 for a valid token (any version). Peers use it as a token check
          (singer-io tap-recharge); what Recharge returns there is undocumented, so the body
          here is a placeholder.

Admin routes under /_sandbox/ need no token (the test harness):
  GET  /_sandbox/truth                       RechargeStore.truth()
  GET|DELETE /_sandbox/stats                 request counters (DELETE resets them)
  GET  /_sandbox/snapshot/{resource}         {"rows": {id: updated_at (created_at for events)}}
  POST /_sandbox/{resource}/touch            {"count": N} or {"ids": [...]}: change them, all
                                             at one new second -> {"ids", "updated_at"};
                                             {"ids", "same_second": true}: change them again
                                             within their last change's second
  POST /_sandbox/{resource}/create           {"count": M} -> {"created": {resource: [ids]}}
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from collections import Counter, deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sandbox.faults import Faults, RequestStats, retry_after_seconds
from sandbox.recharge import paging
from sandbox.recharge.data import RESOURCES, SCOPES, RechargeStore, iso

API_VERSION = "2021-11"
# The fixed, public sandbox token (Recharge tokens are opaque strings).
DEFAULT_TOKEN = "sk_sandbox_recharge_0123456789abcdef0123456789abcdef"
BUCKET_SIZE = 40
DRAIN_PER_SECOND = 2.0
_HTML_ERROR = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"} | {
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


class LeakyBucket:
    """`size` calls, draining `rate` per second; rate 0 means unlimited (and unreported)."""

    def __init__(self, rate: float, size: int, clock=time.monotonic) -> None:
        self.rate, self.size, self._clock = rate, size, clock
        self._level = 0.0
        self._stamp = clock()
        self._lock = threading.Lock()

    def _drain(self) -> None:
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._stamp) * self.rate)
        self._stamp = now

    def take(self) -> bool:
        """Count one call; False (and not counted) when it would overflow the bucket."""
        if self.rate <= 0:
            return True
        with self._lock:
            self._drain()
            if self._level + 1 > self.size:
                return False
            self._level += 1
            return True

    def used(self) -> int:
        with self._lock:
            self._drain()
            return min(self.size, math.ceil(self._level - 1e-9))

    def seconds_until_free(self) -> float:
        with self._lock:
            self._drain()
            return max(0.0, (self._level + 1 - self.size) / self.rate) if self.rate else 0.0


@dataclass
class RechargeSandbox:
    store: RechargeStore = field(default_factory=RechargeStore)
    token: str = DEFAULT_TOKEN
    missing_scopes: tuple[str, ...] = ("read_payment_methods",)
    rate_limit: float = DRAIN_PER_SECOND  # bucket drain per second; 0 turns the limit off
    bucket_size: int = BUCKET_SIZE
    retry_after: bool = False  # add Retry-After to 429s (Recharge documents none)
    inclusive_bounds: bool = False  # *_min/*_max as >= / <= instead of > / <
    html_errors: bool = False  # 5xx and storm bodies as HTML pages instead of JSON
    # An outage of one resource: {"charges": 4} answers the first 4 requests to /charges,
    # then 503 to every later one (a run that dies in the middle of a stream).
    outage_after: dict[str, int] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    stats: RequestStats = field(default_factory=RequestStats)

    def __post_init__(self) -> None:
        unknown = set(self.missing_scopes) - set(SCOPES.values())
        if unknown:
            raise ValueError(f"unknown scope(s): {', '.join(sorted(unknown))}")
        self.bucket = LeakyBucket(self.rate_limit, self.bucket_size)
        self.request_times: deque[float] = deque(maxlen=200_000)  # API calls, monotonic
        self._truncations = 0
        self._served: Counter[str] = Counter()

    def in_outage(self, resource: str) -> bool:
        if resource not in self.outage_after:
            return False
        self._served[resource] += 1
        return self._served[resource] > self.outage_after[resource]

    def short_body_next(self) -> bool:
        """Truncated 200s alternate: a cut JSON body, then a body short of Content-Length."""
        self._truncations += 1
        return self._truncations % 2 == 0

    @property
    def scopes(self) -> set[str]:
        return set(SCOPES.values()) - set(self.missing_scopes)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    # Recharge's error bodies are {"errors": ...} (a string or a field map); unconfirmed
    # for every status, so every JSON error here uses the string form.
    return JSONResponse({"errors": message}, status, headers=headers)


def _html(status: int, headers: dict[str, str] | None = None) -> Response:
    body = _HTML_ERROR.format(status=status, reason=_REASONS.get(status, "Error"))
    return Response(body, status, headers=headers, media_type="text/html")


# A body shorter than its Content-Length makes uvicorn log "ASGI callable returned without
# completing response"; that is the fault working, so the log line is dropped for it only.
_CUTTING: ContextVar[bool] = ContextVar("recharge_short_body", default=False)


class _QuietShortBodies(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (_CUTTING.get() and "without completing response" in record.getMessage())


logging.getLogger("uvicorn.error").addFilter(_QuietShortBodies())


class ShortBodyResponse(Response):
    """Declares the full Content-Length, sends half the body, then drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _CUTTING.set(True)
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send(
            {
                "type": "http.response.body",
                "body": self.body[: len(self.body) // 2],
                "more_body": True,
            }
        )


def _line(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.method} {request.url.path}{query}"


async def _gate(
    request: Request, sandbox: RechargeSandbox, resource: str
) -> tuple[Response | None, str | None]:
    if request.headers.get("x-recharge-access-token") != sandbox.token:
        return _error(401, "A valid X-Recharge-Access-Token header is required."), None
    version = request.headers.get("x-recharge-version")
    if version != API_VERSION:
        message = (
            f"Unsupported X-Recharge-Version {version!r}; this API serves {API_VERSION}."
            if version is not None
            else "X-Recharge-Version is missing: the store's default version would apply; "
            f"send X-Recharge-Version: {API_VERSION}."
        )
        return _error(426, message), None
    if not sandbox.bucket.take():
        headers = {}
        if sandbox.retry_after:
            headers["Retry-After"] = retry_after_seconds(sandbox.bucket.seconds_until_free())
        return _error(429, "Too many requests: the API call limit was exceeded.", headers), "limit"
    scope = SCOPES[resource]
    if scope not in sandbox.scopes:
        return _error(403, f"This token does not have the {scope} scope."), None
    if sandbox.in_outage(resource):
        if sandbox.html_errors:
            return _html(503), "outage"
        return _error(503, "Service unavailable."), "outage"
    fault = sandbox.faults.draw()
    if fault == "storm":
        headers = {"Retry-After": "1"} if sandbox.retry_after else {}
        if sandbox.html_errors:
            return _html(429, headers), fault
        return _error(429, "Too many requests.", headers), fault
    if fault == "error":
        status = sandbox.faults.error_status()
        if sandbox.html_errors:
            return _html(status), fault
        return _error(status, "Something went wrong on our end, please retry."), fault
    if fault == "slow":
        await asyncio.sleep(sandbox.faults.slow_seconds)
    return None, fault


async def list_resource(request: Request) -> Response:
    sandbox: RechargeSandbox = request.app.state.sandbox
    resource = request.url.path.rsplit("/", 1)[-1]
    sandbox.request_times.append(time.monotonic())
    response, fault = await _gate(request, sandbox, resource)
    if response is None:
        response = _page(sandbox, resource, request, fault)
    if sandbox.rate_limit > 0:
        response.headers["X-Recharge-Limit"] = f"{sandbox.bucket.used()}/{sandbox.bucket_size}"
    sandbox.stats.record(response.status_code, fault, _line(request))
    return response


def _page(sandbox: RechargeSandbox, resource: str, request: Request, fault: str | None) -> Response:
    params = request.query_params
    try:
        limit = paging.parse_limit(params)
        query = paging.parse_query(resource, params)
        result = paging.page(
            sandbox.store.tables[resource], query, limit, inclusive=sandbox.inclusive_bounds
        )
    except paging.BadRequest as exc:
        return _error(400, str(exc))
    except paging.Unprocessable as exc:
        return _error(422, str(exc))
    body: dict[str, Any] = {resource: [sandbox.store.render(resource, r) for r in result.rows]}
    if result.next_cursor:
        body["next_cursor"] = result.next_cursor
    if result.previous_cursor:
        body["previous_cursor"] = result.previous_cursor
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if fault == "truncate":
        if sandbox.short_body_next():
            return ShortBodyResponse(payload, 200, media_type="application/json")
        return Response(payload[: len(payload) // 2], 200, media_type="application/json")
    return Response(payload, 200, media_type="application/json")


async def api_root(request: Request) -> Response:
    sandbox: RechargeSandbox = request.app.state.sandbox
    sandbox.request_times.append(time.monotonic())
    response: Response
    if request.headers.get("x-recharge-access-token") != sandbox.token:
        response = _error(401, "A valid X-Recharge-Access-Token header is required.")
    elif not sandbox.bucket.take():
        response = _error(429, "Too many requests: the API call limit was exceeded.")
    else:
        response = JSONResponse({"api": "recharge-sandbox", "version": API_VERSION})
    if sandbox.rate_limit > 0:
        response.headers["X-Recharge-Limit"] = f"{sandbox.bucket.used()}/{sandbox.bucket_size}"
    sandbox.stats.record(response.status_code, None, _line(request))
    return response


# -- admin (test harness) -----------------------------------------------------------------
async def admin_truth(request: Request) -> Response:
    return JSONResponse(request.app.state.sandbox.store.truth())


async def admin_stats(request: Request) -> Response:
    sandbox: RechargeSandbox = request.app.state.sandbox
    if request.method == "DELETE":
        sandbox.stats.reset()
        sandbox.request_times.clear()
    times = list(sandbox.request_times)
    body = sandbox.stats.as_dict()
    body["elapsed_s"] = round(times[-1] - times[0], 3) if len(times) > 1 else 0.0
    if request.query_params.get("times"):
        body["times"] = [round(t - times[0], 4) for t in times]
    return JSONResponse(body)


async def admin_snapshot(request: Request) -> Response:
    store: RechargeStore = request.app.state.sandbox.store
    try:
        rows = store.snapshot(request.path_params["resource"])
    except LookupError as exc:
        return _error(404, str(exc.args[0]))
    return JSONResponse({"rows": {str(k): v for k, v in rows.items()}})


async def admin_change(request: Request) -> Response:
    store: RechargeStore = request.app.state.sandbox.store
    resource, action = request.path_params["resource"], request.path_params["action"]
    try:
        body = json.loads(await request.body() or b"{}")
        if action == "touch":
            ids, stamp = store.touch(
                resource,
                count=int(body.get("count", 0)),
                ids=body.get("ids"),
                same_second=bool(body.get("same_second", False)),
            )
            return JSONResponse({"ids": ids, "updated_at": iso(stamp)})
        if action == "create":
            return JSONResponse({"created": store.create(resource, int(body.get("count", 1)))})
    except LookupError as exc:
        return _error(404, str(exc.args[0]))
    except (ValueError, TypeError, AttributeError) as exc:
        return _error(400, str(exc))
    return _error(404, f"unknown action {action!r}")


def create_app(sandbox: RechargeSandbox | None = None) -> Starlette:
    app = Starlette(
        routes=[
            Route("/", api_root),
            *(Route(f"/{name}", list_resource) for name in RESOURCES),
            Route("/_sandbox/truth", admin_truth),
            Route("/_sandbox/stats", admin_stats, methods=["GET", "DELETE"]),
            Route("/_sandbox/snapshot/{resource}", admin_snapshot),
            Route("/_sandbox/{resource}/{action}", admin_change, methods=["POST"]),
        ]
    )
    app.state.sandbox = sandbox or RechargeSandbox()
    return app
