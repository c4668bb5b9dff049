"""What every ad-platform sandbox shares: tokens, the throttle and fault gate, async report
jobs, opaque page tokens, request statistics and the Starlette app with its admin routes.

Each platform module (meta.py, google_ads.py, ...) subclasses `Platform` with its wire
shapes: where the token is read, what a 401, a throttle or a 5xx looks like, its routes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.ads.data import AdsData, Row
from sandbox.faults import TokenBucket

Handler = Callable[[Request], Awaitable[Response]]
# Query parameters that carry a secret (Meta accepts the token as `access_token=`): the
# request lines kept in the stats show them as ***.
_SECRET_PARAM = re.compile(r"((?:^|&)(?:access_token|client_secret|refresh_token)=)[^&]*")


def dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status, headers=headers, media_type="application/json")


class ApiError(Exception):
    """Raised by handlers; `response` is the platform-shaped answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


# -- tokens -----------------------------------------------------------------------------
@dataclass
class Tokens:
    """Issued access tokens and their expiry. `ttl` None: tokens never expire."""

    ttl: float | None
    _issued: dict[str, float] = field(default_factory=dict)  # token -> expires at (monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, prefix: str, token: str | None = None) -> str:
        token = token or prefix + secrets.token_urlsafe(24)
        with self._lock:
            self._issued[token] = time.monotonic() + self.ttl if self.ttl else float("inf")
        return token

    def check(self, token: str | None) -> str:
        """'ok', 'missing', 'unknown' or 'expired'."""
        if not token:
            return "missing"
        expires = self._issued.get(token)
        if expires is None:
            return "unknown"
        return "ok" if time.monotonic() < expires else "expired"

    def expire_all(self) -> int:
        with self._lock:
            for token in self._issued:
                self._issued[token] = 0.0
            return len(self._issued)


# -- throttle and faults ------------------------------------------------------------------
@dataclass
class Gate:
    """Decides per API call: throttled (rate limit or every Nth call), a 5xx, or through."""

    rate_limit: float = 0.0  # requests per second before the throttle answer (0 = off)
    throttle_every: int = 0  # every Nth call is throttled (0 = off)
    error_rate: float = 0.0  # share of calls answered 5xx
    seed: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.error_rate <= 1:
            raise ValueError("error_rate must be between 0 and 1")
        if self.rate_limit < 0 or self.throttle_every < 0:
            raise ValueError("rate_limit and throttle_every must not be negative")
        self.bucket = TokenBucket(self.rate_limit, max(1, int(self.rate_limit)))
        self._rng = random.Random(f"gate:{self.seed}")
        self._calls = 0
        self._lock = threading.Lock()
        self.recent: deque[float] = deque()  # call times of the last minute

    def draw(self) -> tuple[str | None, float]:
        """('throttle', seconds to wait) / ('error', 0) / (None, 0)."""
        with self._lock:
            self._calls += 1
            self.recent.append(time.monotonic())
            if self.throttle_every and self._calls % self.throttle_every == 0:
                return "throttle", 1.0
            wait = self.bucket.take()
            if wait > 0:
                return "throttle", wait
            if self._rng.random() < self.error_rate:
                return "error", 0.0
        return None, 0.0

    def error_status(self) -> int:
        return self._rng.choice([500, 502, 503])

    def usage_percent(self) -> int:
        """Share of the per-minute budget used (for usage headers); 0..100."""
        with self._lock:
            now = time.monotonic()
            while self.recent and now - self.recent[0] >= 60:
                self.recent.popleft()
            last_minute = len(self.recent)
        budget = self.rate_limit * 60 if self.rate_limit else 6000  # unthrottled: a big budget
        return min(100, round(100 * last_minute / budget))


# -- async jobs -----------------------------------------------------------------------
@dataclass
class Job:
    id: str
    account_id: str
    start: date
    end: date
    params: dict[str, Any]
    fails: str | None  # None, 'too_large' or 'failed'
    polls: int = 0
    status: str = "pending"  # pending -> running -> completed | failed
    rows: list[Row] = field(default_factory=list)  # snapshot taken when it completes

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Jobs:
    """Async report jobs: done after `job_polls` status polls; a job over `max_job_days`
    days fails as too large; the first `fail_jobs` jobs fail outright."""

    data: AdsData
    job_polls: int = 2
    fail_jobs: int = 0
    max_job_days: int | None = None
    jobs: dict[str, Job] = field(default_factory=dict)
    created: int = 0
    failed: int = 0
    completed: int = 0

    def create(self, account_id: str, start: date, end: date, params: dict, job_id: str) -> Job:
        self.created += 1
        fails = None
        if self.max_job_days and (end - start).days + 1 > self.max_job_days:
            fails = "too_large"
        elif self.created <= self.fail_jobs:
            fails = "failed"
        job = Job(job_id, account_id, start, end, params, fails)
        self.jobs[job_id] = job
        if self.job_polls <= 0:
            self._finish(job)
        return job

    def poll(self, job: Job) -> Job:
        if job.status in ("completed", "failed"):
            return job
        job.polls += 1
        if job.polls >= self.job_polls:
            self._finish(job)
        else:
            job.status = "running"
        return job

    def _finish(self, job: Job) -> None:
        if job.fails:
            job.status = "failed"
            self.failed += 1
        else:
            job.rows = list(self.data.iter_rows(job.account_id, job.start, job.end))
            job.status = "completed"
            self.completed += 1

    def percent(self, job: Job) -> int:
        if job.status == "completed":
            return 100
        if job.status == "failed" or self.job_polls <= 0:
            return 0
        return min(99, round(100 * job.polls / self.job_polls))


# -- opaque page tokens -------------------------------------------------------------------
def page_token(scope: str, offset: int) -> str:
    """An opaque token for `offset` that only works for the same list (`scope`)."""
    digest = hashlib.sha256(scope.encode()).hexdigest()[:12]
    return base64.urlsafe_b64encode(f"{digest}:{offset}".encode()).decode().rstrip("=")


def read_page_token(scope: str, token: str) -> int | None:
    """The offset, or None when the token is malformed or belongs to another list."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        digest, offset = raw.split(":")
        value = int(offset)
    except (ValueError, UnicodeDecodeError):
        return None
    if digest != hashlib.sha256(scope.encode()).hexdigest()[:12] or value < 0:
        return None
    return value


# -- request parts ------------------------------------------------------------------------
def basic_credentials(request: Request) -> str | None:
    """'client_id:secret' of an HTTP Basic header; None without one, '' when it is malformed."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        return base64.b64decode(header[6:]).decode()
    except ValueError:
        return ""


async def read_form(request: Request) -> dict[str, str]:
    """A form-encoded body's fields (the first value of each)."""
    return {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}


def owned(data: AdsData, kind: str, account_id: str) -> list[Any]:
    """One account's `campaigns`, `ad_groups` or `ads` (the AdsData list `kind` names)."""
    return [item for item in getattr(data, kind) if item.account_id == account_id]


# -- statistics -----------------------------------------------------------------------
@dataclass
class Stats:
    endpoints: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    throttled: int = 0
    errors: int = 0
    auth_failures: int = 0
    token_grants: int = 0
    token_refusals: int = 0
    downloads: int = 0
    recent: deque = field(default_factory=lambda: deque(maxlen=500))

    def as_dict(self, jobs: Jobs) -> dict[str, Any]:
        return {
            "requests": sum(self.endpoints.values()),
            "by_endpoint": dict(sorted(self.endpoints.items())),
            "by_status": {str(k): v for k, v in sorted(self.statuses.items())},
            "throttled": self.throttled,
            "errors": self.errors,
            "auth_failures": self.auth_failures,
            "token_grants": self.token_grants,
            "token_refusals": self.token_refusals,
            "downloads": self.downloads,
            "jobs": {"created": jobs.created, "completed": jobs.completed, "failed": jobs.failed},
            "recent": list(self.recent),
        }


# -- the sandbox and its app ---------------------------------------------------------------
@dataclass
class AdsSandbox:
    """One platform's fake API: data + tokens + gate + jobs + stats."""

    data: AdsData
    gate: Gate = field(default_factory=Gate)
    token_ttl: float | None = 3600.0
    job_polls: int = 2
    fail_jobs: int = 0
    max_job_days: int | None = None
    gaql_page_size: int = 10_000  # Google Ads' fixed page size (smaller to exercise paging)
    cut_downloads: int = 0  # the first N report file downloads break off halfway
    stats: Stats = field(default_factory=Stats)

    def __post_init__(self) -> None:
        self.tokens = Tokens(self.token_ttl)
        self.jobs = Jobs(self.data, self.job_polls, self.fail_jobs, self.max_job_days)
        self._ids = random.Random(f"ids:{self.data.platform}:{self.data.seed}")
        self.lock = threading.Lock()

    def new_id(self, digits: int = 16) -> str:
        with self.lock:
            return str(self._ids.randint(10 ** (digits - 1), 10**digits - 1))

    def stats_dict(self) -> dict[str, Any]:
        return self.stats.as_dict(self.jobs)


class Platform:
    """Wire shapes of one platform. Subclasses set `name`, `prefix` and implement the
    hooks; `api(...)` wraps a handler in the common gate (stats, auth, throttle, 5xx)."""

    name: ClassVar[str]
    prefix: ClassVar[str]  # API root path, e.g. "/v23.0"

    def __init__(self, sandbox: AdsSandbox) -> None:
        self.sandbox = sandbox

    # hooks ------------------------------------------------------------------------
    def read_token(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def precheck(self, request: Request) -> Response | None:
        """Platform checks before auth (headers such as User-Agent)."""
        return None

    def auth_error(self, state: str, request: Request) -> Response:
        raise NotImplementedError

    def throttled(self, wait: float, request: Request) -> Response:
        raise NotImplementedError

    def server_error(self, status: int, request: Request) -> Response:
        raise NotImplementedError

    def decorate(self, response: Response, request: Request) -> None:
        """Headers every answer carries (usage headers)."""

    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def tap_config(self, url: str) -> dict[str, Any]:
        raise NotImplementedError

    # the common gate ------------------------------------------------------------------
    def api(self, path: str, handler: Handler, methods: list[str], endpoint: str) -> Route:
        sandbox = self.sandbox

        async def gated(request: Request) -> Response:
            sandbox.stats.endpoints[f"{request.method} {endpoint}"] += 1
            response = self.precheck(request)
            if response is None:
                state = sandbox.tokens.check(self.read_token(request))
                if state != "ok":
                    sandbox.stats.auth_failures += 1
                    response = self.auth_error(state, request)
            if response is None:
                fault, wait = sandbox.gate.draw()
                request.state.fault = fault
                if fault == "throttle":
                    sandbox.stats.throttled += 1
                    response = self.throttled(wait, request)
                elif fault == "error":
                    sandbox.stats.errors += 1
                    response = self.server_error(sandbox.gate.error_status(), request)
            if response is None:
                try:
                    response = await handler(request)
                except ApiError as exc:
                    response = exc.response
            self.decorate(response, request)
            sandbox.stats.statuses[response.status_code] += 1
            query = _SECRET_PARAM.sub(r"\1***", request.url.query)
            sandbox.stats.recent.append(
                f"{response.status_code} {request.method} {request.url.path}"
                + (f"?{query}" if query else "")
            )
            return response

        return Route(path, gated, methods=methods)

    def counted(self, path: str, handler: Handler, methods: list[str], endpoint: str) -> Route:
        """A route outside the gate (token endpoints, downloads), still counted."""
        sandbox = self.sandbox

        async def run(request: Request) -> Response:
            sandbox.stats.endpoints[f"{request.method} {endpoint}"] += 1
            response = await handler(request)
            sandbox.stats.statuses[response.status_code] += 1
            sandbox.stats.recent.append(f"{response.status_code} {request.method} {endpoint}")
            return response

        return Route(path, run, methods=methods)


def parse_day(text: str) -> date:
    return date.fromisoformat(text)


def _admin_routes(platform: Platform) -> list[BaseRoute]:
    sandbox = platform.sandbox

    async def truth(request: Request) -> Response:
        params = request.query_params
        try:
            end = (
                parse_day(params["end"])
                if "end" in params
                else max(a.today for a in sandbox.data.accounts)
            )
            start = (
                parse_day(params["start"])
                if "start" in params
                else min(a.first_day for a in sandbox.data.accounts)
            )
        except ValueError as exc:
            return JSONResponse({"error": f"start/end must be YYYY-MM-DD: {exc}"}, 400)
        return JSONResponse(sandbox.data.truth(start, end))

    async def revise(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            result = sandbox.data.revise(int(body["days"]), body.get("seed"))
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": f'expected {{"days": N, "seed": S}}: {exc}'}, 400)
        return JSONResponse(result)

    async def stats(request: Request) -> Response:
        if request.method == "DELETE":
            sandbox.stats = Stats()
            jobs = sandbox.jobs
            jobs.created = jobs.completed = jobs.failed = 0
        return JSONResponse(sandbox.stats_dict())

    async def expire(request: Request) -> Response:
        return JSONResponse({"expired": sandbox.tokens.expire_all()})

    async def config(request: Request) -> Response:
        return JSONResponse(platform.tap_config(root_url(request)))

    return [
        Route("/_sandbox/truth", truth),
        Route("/_sandbox/revise", revise, methods=["POST"]),
        Route("/_sandbox/stats", stats, methods=["GET", "DELETE"]),
        Route("/_sandbox/expire-tokens", expire, methods=["POST"]),
        Route("/_sandbox/tap-config", config),
    ]


def create_app(platform: Platform) -> Starlette:
    app = Starlette(routes=[*_admin_routes(platform), *platform.routes()])
    app.state.sandbox = platform.sandbox
    app.state.platform = platform
    return app


def root_url(request: Request) -> str:
    """The server root as the client reached it (absolute paging and download links)."""
    return str(request.base_url).rstrip("/")


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
