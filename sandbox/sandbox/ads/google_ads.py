"""Google Ads API v26 over REST (google-ads 34.0.0 ships the protos of v23..v26; the
sandbox tests check every field the sandbox serves against them).

  POST /token                                        OAuth2 refresh_token grant (form body)
  GET  /v26/customers:listAccessibleCustomers        {"resourceNames": [...]}
  POST /v26/customers/{id}/googleAds:search          GAQL; pages of `gaql_page_size` (10,000)
                                                     rows with `nextPageToken`
  POST /v26/customers/{id}/googleAds:searchStream    GAQL; a JSON array of result batches
  *    /v19../v22/...                                sunset: 400 requestError UNSUPPORTED_VERSION

Calls need `Authorization: Bearer T` (from /token), `developer-token`, and may name a
manager in `login-customer-id`. GAQL: the sandbox parses SELECT fields, FROM one of
customer, campaign, ad_group, ad_group_ad, video, and WHERE conditions joined by AND on
`segments.date` (BETWEEN, =, <, <=, >, >=), `campaign.advertising_channel_type` and the
`*.status` fields (=, !=, IN, NOT IN), plus LIMIT. Anything else is a 400 INVALID_ARGUMENT
with a GoogleAdsFailure body. Rows are nested and camelCase
(`{"campaign": {"resourceName": ..., "id": "1"}, "metrics": {"costMicros": "123"}}`), int64
values are strings, doubles numbers; a page without rows has no `results` key (as Google
sends it). Metrics need `segments.date` selected and a finite date range.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from sandbox.ads.core import (
    ApiError,
    Platform,
    basic_credentials,
    dumps,
    json_response,
    page_token,
    read_form,
    read_page_token,
)
from sandbox.ads.data import Account, Ad, AdGroup, Campaign, Row, micros

VERSION = "v26"
SUNSET = ("v19", "v20", "v21", "v22")  # sunset before today (Google's sunset announcements)
# Public sandbox credentials (shaped like Google's).
CLIENT_ID = "123456789012-sandbox.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-sandbox-google-ads-secret"
REFRESH_TOKEN = "1//0sandbox-google-ads-refresh-token"
DEVELOPER_TOKEN = "sandboxDevToken0123456789"
MANAGER_ID = "9990001111"
FAILURE_TYPE = f"type.googleapis.com/google.ads.googleads.{VERSION}.errors.GoogleAdsFailure"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclass
class Context:
    """One result row's objects; which exist depends on the FROM resource."""

    account: Account
    c: Campaign | None = None
    g: AdGroup | None = None
    a: Ad | None = None
    r: Row | None = None

    @property
    def campaign(self) -> Campaign:
        assert self.c is not None
        return self.c

    @property
    def ad_group(self) -> AdGroup:
        assert self.g is not None
        return self.g

    @property
    def ad(self) -> Ad:
        assert self.a is not None
        return self.a

    @property
    def row(self) -> Row:
        assert self.r is not None
        return self.r


def _status(active: bool) -> str:
    return "ENABLED" if active else "PAUSED"


def _metric(fn: Callable[[Row, Account], Any]) -> Callable[[Context], Any]:
    def get(ctx: Context) -> Any:
        return fn(ctx.row, ctx.account)

    return get


# field -> (value from a context, JSON kind: "int64" string, "double" number, "plain")
FIELDS: dict[str, tuple[Callable[[Context], Any], str]] = {
    "customer.id": (lambda c: c.account.id, "int64"),
    "customer.descriptive_name": (lambda c: c.account.name, "plain"),
    "customer.currency_code": (lambda c: c.account.currency, "plain"),
    "customer.time_zone": (lambda c: c.account.time_zone, "plain"),
    "customer.status": (lambda c: "ENABLED", "plain"),
    "customer.manager": (lambda c: False, "plain"),
    "customer.test_account": (lambda c: False, "plain"),
    "campaign.id": (lambda c: c.campaign.id, "int64"),
    "campaign.name": (lambda c: c.campaign.name, "plain"),
    "campaign.status": (lambda c: _status(c.campaign.active), "plain"),
    "campaign.advertising_channel_type": (lambda c: c.campaign.channel, "plain"),
    # v23 replaced campaign.start_date with start_date_time ("yyyy-MM-dd HH:mm:ss").
    "campaign.start_date_time": (
        lambda c: c.campaign.created.strftime("%Y-%m-%d %H:%M:%S"),
        "plain",
    ),
    "ad_group.id": (lambda c: c.ad_group.id, "int64"),
    "ad_group.name": (lambda c: c.ad_group.name, "plain"),
    "ad_group.status": (lambda c: _status(c.ad_group.active), "plain"),
    "ad_group.type": (
        lambda c: (
            "VIDEO_TRUE_VIEW_IN_STREAM" if c.campaign.channel == "VIDEO" else "SEARCH_STANDARD"
        ),
        "plain",
    ),
    "ad_group.campaign": (
        lambda c: f"customers/{c.account.id}/campaigns/{c.campaign.id}",
        "plain",
    ),
    "ad_group_ad.ad.id": (lambda c: c.ad.id, "int64"),
    "ad_group_ad.ad.name": (lambda c: c.ad.name, "plain"),
    "ad_group_ad.ad.type": (
        lambda c: "VIDEO_RESPONSIVE_AD" if c.ad.video_id else "RESPONSIVE_SEARCH_AD",
        "plain",
    ),
    "ad_group_ad.ad.final_urls": (lambda c: [c.ad.url], "plain"),
    "ad_group_ad.status": (lambda c: _status(c.ad.active), "plain"),
    "ad_group_ad.ad_group": (
        lambda c: f"customers/{c.account.id}/adGroups/{c.ad_group.id}",
        "plain",
    ),
    "video.id": (lambda c: c.ad.video_id, "plain"),
    "video.title": (lambda c: c.ad.video_title, "plain"),
    "video.duration_millis": (lambda c: c.ad.video_duration_millis, "int64"),
    "video.channel_id": (lambda c: "UCsandboxAcmeChannel0001", "plain"),
    "segments.date": (lambda c: c.row.day.isoformat(), "plain"),
    "metrics.impressions": (_metric(lambda r, a: r.impressions), "int64"),
    "metrics.clicks": (_metric(lambda r, a: r.clicks), "int64"),
    "metrics.cost_micros": (_metric(lambda r, a: micros(r.spend, a.digits)), "int64"),
    "metrics.conversions": (_metric(lambda r, a: r.conversions), "double"),
    "metrics.conversions_value": (
        _metric(lambda r, a: micros(r.conversion_value, a.digits) / 1_000_000),
        "double",
    ),
    "metrics.video_trueview_views": (_metric(lambda r, a: r.video_views), "int64"),
    **{
        f"metrics.video_quartile_p{q}_rate": (
            _metric(lambda r, a, i=i: r.quartiles[i]),  # type: ignore[misc]
            "double",
        )
        for i, q in enumerate((25, 50, 75, 100))
    },
}
# FROM resource -> the field prefixes it may select (itself and attributed resources)
RESOURCES = {
    "customer": ("customer.",),
    "campaign": ("campaign.", "customer."),
    "ad_group": ("ad_group.", "campaign.", "customer."),
    "ad_group_ad": ("ad_group_ad.", "ad_group.", "campaign.", "customer.", "metrics.", "segments."),
    "video": ("video.", "ad_group_ad.", "ad_group.", "campaign.", "customer.", "metrics.",
              "segments."),
}  # fmt: skip
FILTERABLE = {
    "campaign.advertising_channel_type",
    "campaign.status",
    "ad_group.status",
    "ad_group_ad.status",
    "customer.status",
}
_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<select>.+?)\s+FROM\s+(?P<resource>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_VALUE = r"(?:'[^']*'|\"[^\"]*\"|[A-Z_0-9-]+)"
_CONDITIONS = [
    ("between", re.compile(rf"([\w.]+)\s+BETWEEN\s+({_VALUE})\s+AND\s+({_VALUE})", re.I)),
    ("in", re.compile(
        rf"([\w.]+)\s+(NOT\s+IN|IN)\s*\(\s*({_VALUE}(?:\s*,\s*{_VALUE})*)\s*\)", re.I)),
    ("compare", re.compile(rf"([\w.]+)\s*(!=|>=|<=|=|>|<)\s*({_VALUE})", re.I)),
]  # fmt: skip
_AND = re.compile(r"\s+AND\s+", re.I)


class QueryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _literal(text: str) -> str:
    return text[1:-1] if text[:1] in "'\"" else text


@dataclass
class Query:
    resource: str
    fields: list[str]
    start: date | None = None
    end: date | None = None
    filters: list[tuple[str, bool, set[str]]] | None = None  # field, negate, values
    limit: int | None = None

    @property
    def metrics(self) -> bool:
        return any(f.startswith(("metrics.", "segments.")) for f in self.fields)


def parse(text: str) -> Query:
    match = _QUERY.match(text or "")
    if not match:
        raise QueryError(
            "UNEXPECTED_INPUT",
            "The sandbox parses SELECT <fields> FROM <resource> [WHERE ... AND ...] [LIMIT n].",
        )
    resource = match["resource"].lower()
    if resource not in RESOURCES:
        raise QueryError(
            "INVALID_RESOURCE_NAME" if resource.isidentifier() else "UNEXPECTED_INPUT",
            f"Resource '{resource}' is not served by the sandbox "
            f"(it serves {', '.join(RESOURCES)}).",
        )
    fields = [f.strip() for f in match["select"].split(",")]
    for name in fields:
        if name not in FIELDS:
            raise QueryError("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
        if not name.startswith(RESOURCES[resource]):
            raise QueryError(
                "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
                f"Cannot select '{name}' when querying '{resource}'.",
            )
    query = Query(resource, fields, filters=[])
    if match["limit"]:
        query.limit = int(match["limit"])
    if match["where"]:
        _parse_where(match["where"], query)
    if query.metrics:
        if "segments.date" not in fields:
            raise QueryError(
                "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
                "The sandbox serves daily rows only: select segments.date with metrics.",
            )
        if query.start is None or query.end is None:
            raise QueryError(
                "EXPECTED_FILTERS_ON_DATE_RANGE",
                "Queries with segments.date need a finite date range: "
                "WHERE segments.date BETWEEN 'YYYY-MM-DD' AND 'YYYY-MM-DD'.",
            )
    return query


def _parse_where(where: str, query: Query) -> None:
    rest = where.strip()
    while rest:
        for kind, pattern in _CONDITIONS:  # noqa: B007 (kind is used after the loop)
            match = pattern.match(rest)
            if match:
                break
        else:
            raise QueryError("UNEXPECTED_INPUT", f"Cannot parse the condition at: {rest[:60]!r}")
        _condition(kind, match, query)
        rest = rest[match.end() :]
        if rest:
            joiner = _AND.match(rest)
            if not joiner:
                raise QueryError(
                    "UNEXPECTED_INPUT", f"Expected AND between conditions at: {rest[:60]!r}"
                )
            rest = rest[joiner.end() :]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(_literal(text))
    except ValueError:
        raise QueryError("INVALID_VALUE_WITH_DURING_OPERATOR", f"Invalid date: {text}") from None


def _condition(kind: str, match: re.Match, query: Query) -> None:
    field = match.group(1)
    if field == "segments.date":
        if kind == "between":
            query.start, query.end = _day(match.group(2)), _day(match.group(3))
            return
        if kind == "compare":
            op, day = match.group(2), _day(match.group(3))
            if op in (">=", ">", "="):
                query.start = day + timedelta(days=1) if op == ">" else day
            if op in ("<=", "<", "="):
                query.end = day - timedelta(days=1) if op == "<" else day
            if op != "!=":
                return
        raise QueryError(
            "INVALID_OPERATOR_FOR_FIELD", "segments.date takes BETWEEN, =, <, <=, >, >=."
        )
    if field not in FILTERABLE or not field.startswith(RESOURCES[query.resource]):
        raise QueryError(
            "PROHIBITED_FIELD_IN_WHERE_CLAUSE",
            f"The sandbox filters on segments.date, {', '.join(sorted(FILTERABLE))} only "
            f"(got '{field}').",
        )
    if kind == "in":
        values = {_literal(v.strip()) for v in match.group(3).split(",")}
        negate = match.group(2).upper().startswith("NOT")
    elif kind == "compare" and match.group(2) in ("=", "!="):
        values, negate = {_literal(match.group(3))}, match.group(2) == "!="
    else:
        raise QueryError("INVALID_OPERATOR_FOR_FIELD", f"{field} takes =, !=, IN, NOT IN.")
    assert query.filters is not None
    query.filters.append((field, negate, values))


class GoogleAds(Platform):
    name = "google_ads"
    prefix = f"/{VERSION}"

    # -- shapes -----------------------------------------------------------------------
    def failure(
        self,
        http: int,
        status: str,
        message: str,
        errors: list[dict[str, Any]],
        extra: list[dict[str, Any]] | None = None,
    ) -> Response:
        details: list[dict[str, Any]] = [
            {"@type": FAILURE_TYPE, "errors": errors, "requestId": secrets.token_hex(8)}
        ]
        body = {"code": http, "message": message, "status": status}
        return json_response({"error": {**body, "details": details + (extra or [])}}, http)

    def invalid(self, code: dict[str, str], message: str) -> Response:
        return self.failure(
            400,
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
            [{"errorCode": code, "message": message}],
        )

    def auth_error(self, state: str, request: Request) -> Response:
        code = {"missing": "NOT_ADS_USER", "expired": "OAUTH_TOKEN_EXPIRED"}.get(
            state, "OAUTH_TOKEN_INVALID"
        )
        if state == "missing":
            code = "OAUTH_TOKEN_HEADER_INVALID"
        return self.failure(
            401,
            "UNAUTHENTICATED",
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential.",
            [
                {
                    "errorCode": {"authenticationError": code},
                    "message": "Oauth token is expired."
                    if state == "expired"
                    else "Oauth token is invalid.",
                }
            ],
        )

    def precheck(self, request: Request) -> Response | None:
        token = request.headers.get("developer-token")
        if token == DEVELOPER_TOKEN:
            return None
        # RequestError.DEVELOPER_TOKEN_PARAMETER_MISSING or
        # AuthenticationError.DEVELOPER_TOKEN_INVALID (the v23..v26 error enums)
        code = "DEVELOPER_TOKEN_PARAMETER_MISSING" if not token else "DEVELOPER_TOKEN_INVALID"
        return self.failure(
            400 if not token else 401,
            "INVALID_ARGUMENT" if not token else "UNAUTHENTICATED",
            "Request contains an invalid argument."
            if not token
            else "The caller does not have permission",
            [
                {
                    "errorCode": {"requestError" if not token else "authenticationError": code},
                    "message": "The developer token is missing."
                    if not token
                    else "The developer token is not valid.",
                }
            ],
        )

    def throttled(self, wait: float, request: Request) -> Response:
        delay = f"{max(1, round(wait))}s"
        scope = "DEVELOPER" if self.sandbox.gate.throttle_every else "ACCOUNT"
        return self.failure(
            429,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
            [
                {
                    "errorCode": {"quotaError": "RESOURCE_EXHAUSTED"},
                    "message": "Too many requests. Retry in " + delay + ".",
                    "details": {
                        "quotaErrorDetails": {
                            "rateScope": scope,
                            "rateName": "Number of operations for basic access",
                            "retryDelay": delay,
                        }
                    },
                }
            ],
            [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}],
        )

    def server_error(self, status: int, request: Request) -> Response:
        if status == 503:
            return self.failure(
                503,
                "UNAVAILABLE",
                "The service is currently unavailable.",
                [
                    {
                        "errorCode": {"internalError": "TRANSIENT_ERROR"},
                        "message": "Transient error.",
                    }
                ],
            )
        return self.failure(
            500 if status == 502 else status,
            "INTERNAL",
            "Internal error encountered.",
            [{"errorCode": {"internalError": "INTERNAL_ERROR"}, "message": "Internal error."}],
        )

    # -- routes -----------------------------------------------------------------------
    async def sunset(self, request: Request) -> Response:
        version = request.path_params["version"]
        if version not in SUNSET:
            return Response("Not Found", 404, media_type="text/html")
        return self.invalid(
            {"requestError": "UNSUPPORTED_VERSION"},
            f"Version {version} is deprecated. Requests to this version will be blocked.",
        )

    def routes(self) -> list[BaseRoute]:
        customers = f"{self.prefix}/customers"
        return [
            self.counted("/token", self.token, ["POST"], "/token"),
            self.api(
                f"{customers}:listAccessibleCustomers",
                self.list_customers,
                ["GET"],
                "/customers:listAccessibleCustomers",
            ),
            self.api(
                f"{customers}/{{customer_id}}/googleAds:search",
                self.search,
                ["POST"],
                "/customers/{id}/googleAds:search",
            ),
            self.api(
                f"{customers}/{{customer_id}}/googleAds:searchStream",
                self.search_stream,
                ["POST"],
                "/customers/{id}/googleAds:searchStream",
            ),
            self.counted("/{version}/{rest:path}", self.sunset, ["GET", "POST"], "/{version}"),
        ]

    async def token(self, request: Request) -> Response:
        stats = self.sandbox.stats
        form = await read_form(request)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = basic_credentials(request)
        if basic is not None:
            client_id, _, secret = basic.partition(":")
        if form.get("grant_type") != "refresh_token":
            stats.token_refusals += 1
            return json_response(
                {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}, 400
            )
        if client_id != CLIENT_ID or secret != CLIENT_SECRET:
            stats.token_refusals += 1
            return json_response(
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
                401,
            )
        if form.get("refresh_token") != REFRESH_TOKEN:
            stats.token_refusals += 1
            return json_response(
                {"error": "invalid_grant", "error_description": "Bad Request"}, 400
            )
        stats.token_grants += 1
        return json_response(
            {
                "access_token": self.sandbox.tokens.issue("ya29.sandbox-"),
                "expires_in": int(self.sandbox.token_ttl or 3599),
                "scope": "https://www.googleapis.com/auth/adwords",
                "token_type": "Bearer",
            }
        )

    async def list_customers(self, request: Request) -> Response:
        return json_response(
            {"resourceNames": [f"customers/{a.id}" for a in self.sandbox.data.accounts]}
        )

    def _customer(self, request: Request) -> Account:
        customer_id = request.path_params["customer_id"]
        login = request.headers.get("login-customer-id")
        account = self.sandbox.data.account(customer_id)
        if login is not None and login.replace("-", "") not in (MANAGER_ID, customer_id):
            account = None
        if account is None:
            raise ApiError(
                self.failure(
                    403,
                    "PERMISSION_DENIED",
                    "The caller does not have permission",
                    [
                        {
                            "errorCode": {"authorizationError": "USER_PERMISSION_DENIED"},
                            "message": "User doesn't have permission to access customer. Note: "
                            "If you're accessing a client customer, the manager's customer id "
                            "must be set in the 'login-customer-id' header.",
                        }
                    ],
                )
            )
        return account

    async def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            raise ApiError(
                self.invalid({"requestError": "BAD_REQUEST_BODY"}, "The body is not JSON.")
            ) from None
        if "pageSize" in body:
            raise ApiError(
                self.invalid(
                    {"requestError": "PAGE_SIZE_NOT_SUPPORTED"},
                    "Setting the page size is not supported: pages hold 10,000 rows.",
                )
            )
        return body

    def _run(self, account: Account, text: str) -> tuple[Query, list[Context]]:
        """The query's matching rows as contexts; rendering waits until a page is cut."""
        try:
            query = parse(text)
        except QueryError as exc:
            raise ApiError(self.invalid({"queryError": exc.code}, exc.message)) from None
        contexts = list(self._contexts(query, account))
        if query.limit is not None:
            contexts = contexts[: query.limit]
        return query, contexts

    async def search(self, request: Request) -> Response:
        account = self._customer(request)
        body = await self._body(request)
        text = str(body.get("query", ""))
        query, rows = self._run(account, text)
        scope = f"{account.id}:{' '.join(text.split())}"
        offset = 0
        if body.get("pageToken"):
            found = read_page_token(scope, str(body["pageToken"]))
            if found is None:
                raise ApiError(
                    self.invalid(
                        {"requestError": "INVALID_PAGE_TOKEN"},
                        "Page token is invalid (it belongs to another query).",
                    )
                )
            offset = found
        size = self.sandbox.gaql_page_size
        page = [self._render(query, ctx) for ctx in rows[offset : offset + size]]
        out: dict[str, Any] = {}
        if page:
            out["results"] = page
        if offset + size < len(rows):
            out["nextPageToken"] = page_token(scope, offset + size)
        if (body.get("searchSettings") or {}).get("returnTotalResultsCount"):
            out["totalResultsCount"] = str(len(rows))
        out["fieldMask"] = _mask(query)
        out["requestId"] = secrets.token_hex(8)
        out["queryResourceConsumption"] = str(max(1, len(page) // 10))
        return json_response(out)

    async def search_stream(self, request: Request) -> Response:
        account = self._customer(request)
        body = await self._body(request)
        query, rows = self._run(account, str(body.get("query", "")))
        size = self.sandbox.gaql_page_size
        batches = []
        for start in range(0, max(1, len(rows)), size):
            batch: dict[str, Any] = {}
            if rows[start : start + size]:
                batch["results"] = [self._render(query, ctx) for ctx in rows[start : start + size]]
            batch["fieldMask"] = _mask(query)
            batch["requestId"] = secrets.token_hex(8)
            batches.append(batch)
        return Response(dumps(batches), media_type="application/json")

    def _contexts(self, query: Query, account: Account) -> Iterator[Context]:
        data = self.sandbox.data
        campaigns = {c.id: c for c in data.campaigns if c.account_id == account.id}
        groups = {g.id: g for g in data.ad_groups if g.account_id == account.id}
        ads = {a.id: a for a in data.ads if a.account_id == account.id}
        contexts: Iterator[Context]
        if query.resource == "customer":
            contexts = iter([Context(account)])
        elif query.resource == "campaign":
            contexts = (Context(account, c=c) for c in campaigns.values())
        elif query.resource == "ad_group":
            contexts = (Context(account, c=campaigns[g.campaign_id], g=g) for g in groups.values())
        elif query.resource == "ad_group_ad" and not query.metrics:
            contexts = (
                Context(account, c=campaigns[a.campaign_id], g=groups[a.ad_group_id], a=a)
                for a in ads.values()
            )
        else:
            assert query.start is not None and query.end is not None
            video = query.resource == "video"
            contexts = (
                Context(
                    account,
                    c=campaigns[r.campaign_id],
                    g=groups[r.ad_group_id],
                    a=ads[r.ad_id],
                    r=r,
                )
                for r in data.iter_rows(account.id, query.start, query.end)
                if not video or ads[r.ad_id].video_id
            )
        for ctx in contexts:
            if query.resource == "video" and not (ctx.a and ctx.a.video_id):
                continue
            if all(
                (FIELDS[field][0](ctx) in values) != negate
                for field, negate, values in query.filters or []
            ):
                yield ctx

    def _render(self, query: Query, ctx: Context) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in query.fields:
            getter, kind = FIELDS[name]
            value = getter(ctx)
            if kind == "int64":
                value = str(value)
            elif kind == "double":
                value = float(value)
            parts = name.split(".")
            node = out
            for part in parts[:-1]:
                node = node.setdefault(_camel(part), {})
            node[_camel(parts[-1])] = value
        for resource, key in (
            ("customer", "customer"),
            ("campaign", "campaign"),
            ("ad_group", "adGroup"),
            ("ad_group_ad", "adGroupAd"),
            ("video", "video"),
        ):
            if key in out:
                out[key] = {"resourceName": _resource_name(resource, ctx), **out[key]}
        return out

    def tap_config(self, url: str) -> dict[str, Any]:
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "developer_token": DEVELOPER_TOKEN,
            "login_customer_id": MANAGER_ID,
            "customer_ids": [a.id for a in self.sandbox.data.accounts],
            "api_url": f"{url}{self.prefix}",
            "token_url": f"{url}/token",
        }


def _mask(query: Query) -> str:
    return ",".join(".".join(_camel(p) for p in f.split(".")) for f in query.fields)


def _resource_name(resource: str, ctx: Context) -> str:
    base = f"customers/{ctx.account.id}"
    if resource == "customer":
        return base
    if resource == "campaign":
        return f"{base}/campaigns/{ctx.campaign.id}"
    if resource == "ad_group":
        return f"{base}/adGroups/{ctx.ad_group.id}"
    if resource == "ad_group_ad":
        return f"{base}/adGroupAds/{ctx.ad_group.id}~{ctx.ad.id}"
    return f"{base}/videos/{ctx.ad.video_id}"
