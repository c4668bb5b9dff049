"""The Okendo Merchant REST API ("enterprise" API), as ../shared/vendors/okendo.md describes it.

API (under /enterprise, behind one gate: auth, version header, rate limit, faults):
  GET /reviews                            reviews of one status (data.ReviewStore)
  GET /surveys/{surveyId}/responses       one survey's responses (surveys.SurveyStore);
                                          an unknown survey id is a 404
Both page alike (paging.py): `limit` 1..100, `orderBy=date asc|date desc`, a relative
`nextUrl` carrying a JSON `lastEvaluated` key.

Admin routes under /_sandbox/ need no auth: they are the test harness.
  GET  /_sandbox/truth                    reviews truth + "survey_responses"
  GET|DELETE /_sandbox/stats              request counters (DELETE resets them)
  POST /_sandbox/reviews?status=&count=   add reviews; DELETE|PATCH /_sandbox/reviews/{id}
  GET  /_sandbox/surveys/truth            SurveyStore.truth()
  POST /_sandbox/surveys/script           apply a webhooks.WebhookScript (JSON body with its
                                          fields); answers {"events": [SurveyEvent dicts]}
  POST /_sandbox/surveys/{surveyId}/responses, PATCH|DELETE /_sandbox/surveys/responses/{id}
                                          one change; answers {"event": SurveyEvent dict}

Where Okendo's public docs are silent the stricter behaviour is chosen and marked
"unconfirmed".
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from sandbox.faults import Faults, RequestStats, TokenBucket, retry_after_seconds
from sandbox.okendo.data import STATUSES, ReviewStore
from sandbox.okendo.surveys import SurveyStore
from sandbox.okendo.webhooks import WebhookScript, apply_script

API_VERSIONS = {"2025-02-01"}
# Fixed sandbox credentials: a UUID User ID and a 32-character key, shaped like Okendo's.
DEFAULT_USER_ID = "5c4b8a1e-2f0d-4c3b-9a8e-7d6f5e4c3b2a"
DEFAULT_API_KEY = "sbx0kendoKey00000000000000000042"
ORDER_BY = {"date asc": False, "date desc": True}


@dataclass
class OkendoSandbox:
    store: ReviewStore = field(default_factory=ReviewStore)
    surveys: SurveyStore = field(default_factory=SurveyStore)  # give it the reviews' seed
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


Page = tuple[list[dict[str, Any]], dict[str, Any] | None]


async def _list(
    request: Request,
    *,
    records_key: str,
    path: str,
    page: Callable[[bool, int, dict[str, Any] | None], Page],
    filters: dict[str, str],
    not_found: str | None = None,
) -> Response:
    """One page of a list endpoint: gate, params, body with nextUrl, faults, stats."""
    sandbox: OkendoSandbox = request.app.state.sandbox
    denied, fault = await _gate(request, sandbox)
    if denied is not None:
        sandbox.stats.record(denied.status_code, fault, _line(request))
        return denied
    if not_found is not None:
        sandbox.stats.record(404, None, _line(request))
        return _error(404, not_found)
    params = request.query_params
    try:
        limit = _limit(request)
        order_by = params.get("orderBy", "date desc")
        if order_by not in ORDER_BY:
            # rating ordering exists in Okendo; the sandbox models date ordering only.
            raise ValueError(f"orderBy {order_by!r} is not supported by the sandbox")
        after = json.loads(params["lastEvaluated"]) if "lastEvaluated" in params else None
        if after is not None and not isinstance(after, dict):
            raise ValueError("lastEvaluated must be a JSON object")
        records, cursor = page(ORDER_BY[order_by], limit, after)
    except (ValueError, json.JSONDecodeError) as exc:
        sandbox.stats.record(400, None, _line(request))
        return _error(400, str(exc))
    body: dict[str, Any] = {records_key: records}
    if cursor is not None:
        query = {
            "limit": limit,
            **filters,
            "orderBy": order_by,
            "lastEvaluated": json.dumps(cursor, separators=(",", ":")),
        }
        body["nextUrl"] = f"{path}?" + urlencode(query)
    payload = json.dumps(body, ensure_ascii=False).encode()
    if fault == "truncate":
        payload = payload[: len(payload) // 2]
    sandbox.stats.record(200, fault, _line(request))
    return Response(payload, 200, media_type="application/json")


async def list_reviews(request: Request) -> Response:
    store: ReviewStore = request.app.state.sandbox.store
    status = request.query_params.get("status", "approved")

    def page(descending: bool, limit: int, after: dict[str, Any] | None) -> Page:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        return store.page(status, descending=descending, limit=limit, after=after)

    return await _list(
        request, records_key="reviews", path="/reviews", page=page, filters={"status": status}
    )


async def list_survey_responses(request: Request) -> Response:
    surveys: SurveyStore = request.app.state.sandbox.surveys
    survey_id = request.path_params["survey_id"]

    def page(descending: bool, limit: int, after: dict[str, Any] | None) -> Page:
        return surveys.page(survey_id, descending=descending, limit=limit, after=after)

    return await _list(
        request,
        records_key="surveyResponses",
        path=f"/surveys/{quote(survey_id, safe='')}/responses",
        page=page,
        filters={},
        # unconfirmed: the body of Okendo's 404 is not published; the usual JSON error.
        not_found=None if survey_id in surveys else f"Survey {survey_id!r} was not found.",
    )


# -- admin (test harness) -----------------------------------------------------------------
async def admin_truth(request: Request) -> Response:
    sandbox: OkendoSandbox = request.app.state.sandbox
    return JSONResponse({**sandbox.store.truth(), "survey_responses": sandbox.surveys.truth()})


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


async def admin_survey_truth(request: Request) -> Response:
    return JSONResponse(request.app.state.sandbox.surveys.truth())


async def admin_survey_script(request: Request) -> Response:
    surveys: SurveyStore = request.app.state.sandbox.surveys
    try:
        script = WebhookScript(**(await request.json()))
    except (TypeError, ValueError) as exc:
        return _error(400, f"bad script: {exc}")
    events = apply_script(surveys, script)
    return JSONResponse({"events": [event.as_dict() for event in events]})


async def admin_survey_change(request: Request) -> Response:
    surveys: SurveyStore = request.app.state.sandbox.surveys
    params = request.path_params
    try:
        if "survey_id" in params:
            event = surveys.create(params["survey_id"])
        elif request.method == "DELETE":
            event = surveys.delete(params["response_id"])
        else:  # PATCH: optional {"answers": [...]}, else a seeded change
            body = json.loads(await request.body() or b"{}")
            answers = body.get("answers") if isinstance(body, dict) else None
            event = surveys.update(params["response_id"], answers)
    except LookupError as exc:
        return _error(404, str(exc.args[0]))
    except ValueError as exc:
        return _error(400, str(exc))
    return JSONResponse({"event": event.as_dict()})


def create_app(sandbox: OkendoSandbox | None = None) -> Starlette:
    app = Starlette(
        routes=[
            # Okendo serves the API under /enterprise, and its relative nextUrl ("/reviews?...")
            # is appended to that base path: a client that resolves it against the host breaks.
            Mount(
                "/enterprise",
                routes=[
                    Route("/reviews", list_reviews),
                    Route("/surveys/{survey_id}/responses", list_survey_responses),
                ],
            ),
            Route("/_sandbox/truth", admin_truth),
            Route("/_sandbox/stats", admin_stats, methods=["GET", "DELETE"]),
            Route("/_sandbox/reviews", admin_add_reviews, methods=["POST"]),
            Route("/_sandbox/reviews/{review_id}", admin_review, methods=["DELETE", "PATCH"]),
            Route("/_sandbox/surveys/truth", admin_survey_truth),
            Route("/_sandbox/surveys/script", admin_survey_script, methods=["POST"]),
            Route("/_sandbox/surveys/{survey_id}/responses", admin_survey_change, methods=["POST"]),
            Route(
                "/_sandbox/surveys/responses/{response_id}",
                admin_survey_change,
                methods=["PATCH", "DELETE"],
            ),
        ]
    )
    app.state.sandbox = sandbox or OkendoSandbox()
    return app
