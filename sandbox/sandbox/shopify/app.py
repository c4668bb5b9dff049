"""The Shopify GraphQL Admin API sandbox (see CONTRACT.md and README.md in this folder).

  POST /admin/api/{version}/graphql.json   the API: token, then faults, then cost/throttle
  POST /admin/oauth/access_token           client-credentials grant -> a token for token_ttl s
  GET  /bulk/{n}.jsonl, /bulk/{n}/partial.jsonl   a bulk export, streamed, unauthenticated
  GET  /_sandbox/truth[?scopes=a,b]        ground truth (60-day window without read_all_orders)
  GET|DELETE /_sandbox/stats               counters (DELETE resets the request counters)
  POST /_sandbox/mutate                    {"changed_orders", "refunds_on_old_orders",
                                            "new_customers", "changed_customers",
                                            "changed_products", "changed_checkouts", "seed",
                                            "second"} -> ids touched

Rate limit: Shopify's leaky bucket of cost points. A query's requested cost is taken before
it runs (THROTTLED, nothing taken, when the bucket holds less), the difference to its actual
cost is given back after. `throttle_storm_every=N`: every Nth API call finds the bucket
drained (another app of the shop spent it) and is answered THROTTLED.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sandbox.faults import Faults
from sandbox.shopify import contract, graph
from sandbox.shopify.bulk import BulkJobs
from sandbox.shopify.data import DAY, VISIBLE_DAYS, Store

VERSIONS = contract.VERSIONS  # the versions whose real schema the sandbox serves
DEFAULT_VERSION = "2026-10"
_QUARTERLY = re.compile(r"^(\d{4})-(01|04|07|10)$")
# Public, fixed sandbox credentials (they open nothing but this fake).
ACCESS_TOKEN = "shpat_sandbox0000000000000000000000000"
CLIENT_ID = "sandbox-client-id-0123456789abcdef"
CLIENT_SECRET = "shpss_sandbox_secret_0123456789abcdef"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
_RATE_DOCS = "https://shopify.dev/api/usage/rate-limits"
MUTATE_COUNTS = (
    "changed_orders",
    "refunds_on_old_orders",
    "new_customers",
    "changed_customers",
    "changed_products",
    "changed_checkouts",
    "seed",
)


class PointBucket:
    """Shopify's cost bucket: `maximum` points, refilled at `rate` per second; 0 = off."""

    def __init__(self, maximum: int, rate: float) -> None:
        self.maximum, self.rate = maximum, rate
        self._available = float(maximum)
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.maximum > 0 and self.rate > 0

    def _refill(self) -> None:
        now = time.monotonic()
        self._available = min(self.maximum, self._available + (now - self._stamp) * self.rate)
        self._stamp = now

    def take(self, points: int) -> bool:
        if not self.enabled:
            return True
        with self._lock:
            self._refill()
            if points > self._available:
                return False
            self._available -= points
            return True

    def give_back(self, points: int) -> None:
        if self.enabled and points > 0:
            with self._lock:
                self._refill()
                self._available = min(self.maximum, self._available + points)

    def drain(self) -> None:
        with self._lock:
            self._refill()
            self._available = 0.0

    def status(self) -> dict[str, float]:
        if not self.enabled:
            return {"maximumAvailable": 2000.0, "currentlyAvailable": 2000, "restoreRate": 100.0}
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": float(self.maximum),
                "currentlyAvailable": int(self._available),
                "restoreRate": float(self.rate),
            }


@dataclass
class ShopifySandbox:
    store: Store = field(default_factory=Store)
    scopes: tuple[str, ...] = graph.READ_SCOPES
    restore_rate: float = 100.0
    bucket: int = 2000
    throttle_storm_every: int = 0
    error_rate: float = 0.0
    bulk_polls: int = 2
    bulk_seconds: float = 0.0
    bulk_fail: int = 0
    token_ttl: float = 86399
    access_token: str = ACCESS_TOKEN
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def __post_init__(self) -> None:
        unknown = set(self.scopes) - set(graph.READ_SCOPES)
        if unknown:
            raise ValueError(
                f"unknown scope(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(graph.READ_SCOPES)}"
            )
        if self.bulk_polls < 0 or self.bulk_fail < 0 or self.throttle_storm_every < 0:
            raise ValueError("bulk_polls, bulk_fail and throttle_storm_every must be >= 0")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be > 0 seconds")
        self._base = float(self.store.now) if self.store.now is not None else time.time()
        self._t0 = time.monotonic()
        self.points = PointBucket(self.bucket, self.restore_rate)
        self.faults = Faults(error_rate=self.error_rate, seed=self.store.seed)
        self.jobs = BulkJobs(
            polls=self.bulk_polls,
            seconds=self.bulk_seconds,
            fail_first=self.bulk_fail,
            seed=self.store.seed,
            clock=self.clock,
        )
        self.tokens: dict[str, float] = {}  # granted token -> monotonic expiry
        self.counters: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self._calls = 0
        self._lock = threading.Lock()

    def clock(self) -> float:
        """The sandbox's now: real time, or `store.now` moving forward at real speed."""
        return self._base + (time.monotonic() - self._t0)

    def cutoff(self, scopes: frozenset[str] | tuple[str, ...]) -> int | None:
        if "read_all_orders" in scopes:
            return None
        return int(self.clock()) - VISIBLE_DAYS * DAY

    def token_valid(self, token: str | None) -> bool:
        if not token:
            return False
        if secrets.compare_digest(token.encode(), self.access_token.encode()):
            return True
        expiry = self.tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def grant(self) -> str:
        token = f"shpca_{secrets.token_hex(16)}"
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
            self.counters["token_grants"] += 1
        return token

    def next_call(self) -> int:
        with self._lock:
            self._calls += 1
            return self._calls

    def stats(self) -> dict[str, Any]:
        return {
            "requests": sum(self.statuses.values()),
            "by_status": {str(k): v for k, v in sorted(self.statuses.items())},
            "cost_points": self.counters["cost_points"],
            "requested_points": self.counters["requested_points"],
            "throttled": self.counters["throttled"],
            "storms": self.counters["storms"],
            "errors_injected": self.counters["errors_injected"],
            "token_grants": self.counters["token_grants"],
            **self.jobs.stats(),
        }

    def reset_stats(self) -> None:
        kept = self.counters["token_grants"]
        self.counters.clear()
        self.counters["token_grants"] = kept
        self.statuses.clear()

    def close(self) -> None:
        self.jobs.close()


def _json(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status)


def _throttled(sandbox: ShopifySandbox, requested: int) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": _RATE_DOCS},
            }
        ],
        "extensions": {"cost": _cost(sandbox, requested, None)},
    }


def _cost(sandbox: ShopifySandbox, requested: int, actual: int | None) -> dict[str, Any]:
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": sandbox.points.status(),
    }


def _max_cost(sandbox: ShopifySandbox, requested: int) -> dict[str, Any]:
    return {
        "extensions": {"cost": _cost(sandbox, requested, None)},
        "errors": [
            {
                "message": f"Query cost is {requested}, which exceeds the single query max cost "
                f"limit ({graph.MAX_QUERY_COST}).\n\nSee {_RATE_DOCS} for more information on "
                "how the cost of a query is calculated.\n\nTo query larger amounts of data with "
                "fewer limits, bulk operations should be used instead.",
                "extensions": {
                    "code": "MAX_COST_EXCEEDED",
                    "cost": requested,
                    "maxCost": graph.MAX_QUERY_COST,
                },
            }
        ],
    }


def _format(errors: list[GraphQLError]) -> list[dict[str, Any]]:
    return [dict(error.formatted) for error in errors]


def end_of_support(version: str) -> datetime:
    """Shopify supports each stable version for at least 12 months from its release."""
    year, month = int(version[:4]), int(version[5:7])
    return datetime(year + 1, month, 1, tzinfo=UTC)


def served_version(version: str, now: float) -> str | None:
    """The version Shopify answers a request for `version` with: itself, the oldest
    supported stable version for a retired one (Shopify falls forward and says so in
    `X-Shopify-API-Version`), or None (404) for a version that does not exist."""
    if version == "unstable":
        return version
    match = _QUARTERLY.match(version)
    stable = [v for v in VERSIONS if v != "unstable"]
    if not match or version > stable[-1]:
        return None
    moment = datetime.fromtimestamp(now, UTC)
    supported = [v for v in stable if end_of_support(v) > moment] or stable[-1:]
    return version if version >= supported[0] else supported[0]


async def graphql_endpoint(request: Request) -> Response:
    sandbox: ShopifySandbox = request.app.state.sandbox
    version = served_version(request.path_params["version"], sandbox.clock())
    if version is None:
        response = _json({"errors": "Not Found"}, 404)
    else:
        response = await _answer(request, sandbox, version)
        response.headers["X-Shopify-API-Version"] = version
    sandbox.statuses[response.status_code] += 1
    return response


async def _answer(request: Request, sandbox: ShopifySandbox, version: str) -> Response:
    if not sandbox.token_valid(request.headers.get("x-shopify-access-token")):
        return _json({"errors": INVALID_TOKEN}, 401)
    call = sandbox.next_call()
    if sandbox.faults.draw() == "error":
        sandbox.counters["errors_injected"] += 1
        status = sandbox.faults.error_status()
        return _json(
            {"errors": "Internal error. Looks like something went wrong on our end."}, status
        )
    try:
        payload = await _payload(request)
    except ValueError as exc:
        return _json({"errors": str(exc)}, 400)
    query, variables, operation_name = payload
    prepared = graph.prepare(query, variables, operation_name, contract.real_schema(version))
    if prepared.errors:
        return _json(
            {"errors": _format(prepared.errors), "extensions": {"cost": _cost(sandbox, 0, 0)}}
        )
    if prepared.requested > graph.MAX_QUERY_COST:
        return _json(_max_cost(sandbox, prepared.requested))
    storm = bool(sandbox.throttle_storm_every) and call % sandbox.throttle_storm_every == 0
    if storm:
        sandbox.points.drain()  # another app of the shop spent the bucket
        sandbox.counters["storms"] += 1
    # With the bucket off (bucket or restore rate 0) a storm still throttles its own call.
    if (storm and not sandbox.points.enabled) or not sandbox.points.take(prepared.requested):
        sandbox.counters["throttled"] += 1
        return _json(_throttled(sandbox, prepared.requested))
    scopes = frozenset(sandbox.scopes)
    ctx = graph.Context(
        store=sandbox.store,
        scopes=scopes,
        cutoff=sandbox.cutoff(scopes),
        jobs=sandbox.jobs,
        base_url=str(request.base_url).rstrip("/"),
        version=version,
    )
    result = await run_in_threadpool(graph.run, prepared, ctx, variables)
    assert prepared.operation is not None and prepared.document is not None
    actual = graph.Cost(prepared.document, variables).actual(prepared.operation, result.data)
    actual = min(actual, prepared.requested)
    sandbox.points.give_back(prepared.requested - actual)
    sandbox.counters["cost_points"] += actual
    sandbox.counters["requested_points"] += prepared.requested
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = _format(result.errors)
    body["data"] = result.data
    body["extensions"] = {"cost": _cost(sandbox, prepared.requested, actual)}
    return _json(body)


async def _payload(request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/graphql"):
        return raw.decode(), None, None
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise ValueError(f"the request body is not JSON: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise ValueError('the request body must be JSON {"query": "...", "variables": {...}}')
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise ValueError("`variables` must be a JSON object")
    return body["query"], variables, body.get("operationName")


async def access_token(request: Request) -> Response:
    sandbox: ShopifySandbox = request.app.state.sandbox
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            form = {k: str(v) for k, v in json.loads(raw or b"{}").items()}
        except (ValueError, AttributeError):
            return _json({"error": "invalid_request", "error_description": "bad JSON body"}, 400)
    else:
        form = {k: str(v) for k, v in (await request.form()).items()}
    if form.get("grant_type") != "client_credentials":
        return _json(
            {
                "error": "unsupported_grant_type",
                "error_description": "grant_type must be client_credentials",
            },
            400,
        )
    if not (
        secrets.compare_digest(form.get("client_id", "").encode(), sandbox.client_id.encode())
        and secrets.compare_digest(
            form.get("client_secret", "").encode(), sandbox.client_secret.encode()
        )
    ):
        return _json(
            {
                "error": "invalid_client",
                "error_description": "Client authentication failed: unknown client_id or "
                "wrong client_secret.",
            },
            400,
        )
    token = sandbox.grant()
    return _json(
        {
            "access_token": token,
            "scope": ",".join(sandbox.scopes),
            "expires_in": int(sandbox.token_ttl),
        }
    )


async def bulk_file(request: Request) -> Response:
    sandbox: ShopifySandbox = request.app.state.sandbox
    name = request.path_params["name"]
    partial = request.url.path.endswith("/partial.jsonl")
    number = name.removesuffix(".jsonl")
    path = sandbox.jobs.file(int(number), partial) if number.isdigit() else None
    if path is None:
        return PlainTextResponse("NoSuchKey: The specified key does not exist.", 404)
    return FileResponse(path, media_type="application/jsonl")


async def admin_truth(request: Request) -> Response:
    sandbox: ShopifySandbox = request.app.state.sandbox
    given = request.query_params.get("scopes")
    scopes = tuple(s for s in given.split(",") if s) if given is not None else sandbox.scopes
    truth = await run_in_threadpool(sandbox.store.truth, sandbox.cutoff(scopes))
    return _json(truth)


async def admin_stats(request: Request) -> Response:
    sandbox: ShopifySandbox = request.app.state.sandbox
    if request.method == "DELETE":
        sandbox.reset_stats()
    return _json(sandbox.stats())


async def admin_mutate(request: Request) -> Response:
    sandbox: ShopifySandbox = request.app.state.sandbox
    try:
        body = json.loads(await request.body() or b"{}")
        options: dict[str, Any] = {
            key: int(body[key]) for key in MUTATE_COUNTS if body.get(key) is not None
        }
        if body.get("second") is not None:
            options["second"] = str(body["second"])
        unknown = set(body) - {*MUTATE_COUNTS, "second"}
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
        result = sandbox.store.mutate(int(sandbox.clock()), **options)
    except (ValueError, TypeError, AttributeError) as exc:
        return _json({"errors": str(exc)}, 400)
    return _json(result)


def create_app(sandbox: ShopifySandbox | None = None) -> Starlette:
    app = Starlette(
        routes=[
            Route("/admin/api/{version}/graphql.json", graphql_endpoint, methods=["POST"]),
            Route("/admin/oauth/access_token", access_token, methods=["POST"]),
            Route("/bulk/{name}", bulk_file),
            Route("/bulk/{name}/partial.jsonl", bulk_file),
            Route("/_sandbox/truth", admin_truth),
            Route("/_sandbox/stats", admin_stats, methods=["GET", "DELETE"]),
            Route("/_sandbox/mutate", admin_mutate, methods=["POST"]),
        ]
    )
    app.state.sandbox = sandbox or ShopifySandbox()
    return app
