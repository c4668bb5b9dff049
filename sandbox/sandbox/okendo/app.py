"""The Okendo Merchant REST API ("enterprise" API), as ../shared/vendors/okendo.md describes it.

Where Okendo's public docs are silent the stricter behaviour is chosen and marked
"unconfirmed". Admin routes under /_sandbox/ need no auth: they are the test harness.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from sandbox.faults import Faults, RequestStats, TokenBucket, retry_after_seconds
from sandbox.okendo.data import STATUSES, ReviewStore

API_VERSIONS = {"2025-02-01"}
# Fixed sandbox credentials: a UUID User ID and a 32-character key, shaped like Okendo's.
DEFAULT_USER_ID = "5c4b8a1e-2f0d-4c3b-9a8e-7d6f5e4c3b2a"
DEFAULT_API_KEY = "sbx0kendoKey00000000000000000042"
ORDER_BY = {"date asc": False, "date desc": True}


@dataclass
class OkendoSandbox:
    store: ReviewStore = field(default_factory=ReviewStore)
    user_id: str = DEFAULT_USER_ID
    api_key: str = DEFAULT_API_KEY
    rate_limit: float = 2.0  # requests per second; 0 turns the limit off
    burst: int = 2  # unconfirmed: "a small burst"; the stricter reading is 2
    faults: Faults = field(default_factory=Faults)
    stats: RequestStats = field(default_factory=RequestStats)

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.rate_limit, self.burst)


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    # unconfirmed: Okendo's error body shape is not published; a JSON message is assumed.
    return JSONResponse({"error": {"status": status, "message": message}}, status, headers=headers)


def _authorized(request: Request, sandbox: OkendoSandbox) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, key = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return user == sandbox.user_id and key == sandbox.api_key


async def _gate(request: Request, sandbox: OkendoSandbox) -> tuple[Response | None, str | None]:
    """Auth, version header, rate limit and injected faults, in the order a vendor checks."""
    if not _authorized(request, sandbox):
        return _error(401, "Unauthorized: invalid User ID or API key."), None
    version = request.headers.get("okendo-api-version")
    if version is None:
        return _error(400, "The okendo-api-version header is required."), None
    if version not in API_VERSIONS:
        return _error(400, f"Unsupported okendo-api-version {version!r}."), None
    fault = sandbox.faults.draw()
    if fault == "storm":
        return _error(429, "Too many requests.", **{"Retry-After": "1"}), fault
    wait = sandbox.bucket.take()
    if wait:
        return _error(
            429, "Too many requests.", **{"Retry-After": retry_after_seconds(wait)}
        ), "limit"
    if fault == "error":
        status = sandbox.faults.error_status()
        return _error(status, "Upstream error, please retry."), fault
    if fault == "slow":
        await asyncio.sleep(sandbox.faults.slow_seconds)
    return None, fault


def _line(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.method} {request.url.path}{query}"


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "25")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise ValueError("limit must be an integer between 1 and 100")
    return int(raw)


async def list_reviews(request: Request) -> Response:
    sandbox: OkendoSandbox = request.app.state.sandbox
    denied, fault = await _gate(request, sandbox)
    if denied is not None:
        sandbox.stats.record(denied.status_code, fault, _line(request))
        return denied
    params = request.query_params
    try:
        limit = _limit(request)
        status = params.get("status", "approved")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        order_by = params.get("orderBy", "date desc")
        if order_by not in ORDER_BY:
            # rating ordering exists in Okendo; the sandbox models date ordering only.
            raise ValueError(f"orderBy {order_by!r} is not supported by the sandbox")
        after = json.loads(params["lastEvaluated"]) if "lastEvaluated" in params else None
        if after is not None and not isinstance(after, dict):
            raise ValueError("lastEvaluated must be a JSON object")
        reviews, cursor = sandbox.store.page(
            status, descending=ORDER_BY[order_by], limit=limit, after=after
        )
    except (ValueError, json.JSONDecodeError) as exc:
        sandbox.stats.record(400, None, _line(request))
        return _error(400, str(exc))
    body: dict[str, Any] = {"reviews": reviews}
    if cursor is not None:
        query = {
            "limit": limit,
            "status": status,
            "orderBy": order_by,
            "lastEvaluated": json.dumps(cursor, separators=(",", ":")),
        }
        body["nextUrl"] = "/reviews?" + urlencode(query)
    payload = json.dumps(body, ensure_ascii=False).encode()
    if fault == "truncate":
        payload = payload[: len(payload) // 2]
    sandbox.stats.record(200, fault, _line(request))
    return Response(payload, 200, media_type="application/json")


# -- admin (test harness) -----------------------------------------------------------------
async def admin_truth(request: Request) -> Response:
    return JSONResponse(request.app.state.sandbox.store.truth())


async def admin_stats(request: Request) -> Response:
    sandbox: OkendoSandbox = request.app.state.sandbox
    if request.method == "DELETE":
        sandbox.stats.reset()
    return JSONResponse(sandbox.stats.as_dict())


async def admin_review(request: Request) -> Response:
    store: ReviewStore = request.app.state.sandbox.store
    review_id = request.path_params["review_id"]
    if request.method == "DELETE":
        if not store.delete(review_id):
            return _error(404, f"no live review {review_id}")
        return JSONResponse({"deleted": review_id})
    try:
        review = store.patch(review_id, await request.json())
    except (ValueError, json.JSONDecodeError) as exc:
        return _error(400, str(exc))
    return JSONResponse(review) if review else _error(404, f"no live review {review_id}")


async def admin_add_reviews(request: Request) -> Response:
    store: ReviewStore = request.app.state.sandbox.store
    try:
        ids = store.add(
            request.query_params.get("status", "approved"),
            int(request.query_params.get("count", "1")),
        )
    except ValueError as exc:
        return _error(400, str(exc))
    return JSONResponse({"created": ids})


def create_app(sandbox: OkendoSandbox | None = None) -> Starlette:
    app = Starlette(
        routes=[
            # Okendo serves the API under /enterprise, and its relative nextUrl ("/reviews?...")
            # is appended to that base path: a client that resolves it against the host breaks.
            Mount("/enterprise", routes=[Route("/reviews", list_reviews)]),
            Route("/_sandbox/truth", admin_truth),
            Route("/_sandbox/stats", admin_stats, methods=["GET", "DELETE"]),
            Route("/_sandbox/reviews", admin_add_reviews, methods=["POST"]),
            Route("/_sandbox/reviews/{review_id}", admin_review, methods=["DELETE", "PATCH"]),
        ]
    )
    app.state.sandbox = sandbox or OkendoSandbox()
    return app
