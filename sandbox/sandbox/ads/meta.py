"""Meta Marketing API (Graph API v26.0), as ../../shared/vendors/ads.md describes it.

  GET  /v26.0/act_{id}?fields=                 the ad account (currency, timezone_name, ...)
  GET  /v26.0/act_{id}/campaigns|adsets|ads|adcreatives?fields=&limit=&after=
                                               cursor paging: paging.cursors.after, paging.next
  POST /v26.0/act_{id}/insights                async insights job (level=ad, time_increment=1,
                                               time_range JSON, fields) -> {"report_run_id"}
  GET  /v26.0/{report_run_id}                  async_status, async_percent_completion
  GET  /v26.0/{report_run_id}/insights         the job's rows, cursor paged

Auth: `Authorization: Bearer T` or `access_token=T` (query or form). The token is long-lived
(no token endpoint); `token_ttl`, when set, makes it expire that many seconds after start.
Errors are HTTP 400 with {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}:
190 bad/expired token (subcode 463 expired), 104 missing token, 100 bad parameter, 80000
(insights) / 17 (other calls) throttled, 2 transient (5xx). Every answer carries
`X-Business-Use-Case-Usage`. Numbers in insights rows are strings, as Meta sends them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.ads.core import (
    AdsSandbox,
    ApiError,
    Job,
    Platform,
    json_response,
    page_token,
    read_page_token,
    root_url,
)
from sandbox.ads.data import Ad, AdGroup, Campaign, Row, dec_text, money

VERSION = "v26.0"  # facebook-business 26.0.3's FacebookAdsApi.API_VERSION
# Versions past their end (developers.facebook.com/docs/graph-api/changelog/versions):
# Meta answers them with error 2635.
DEPRECATED_VERSIONS = {f"v{n}.0" for n in range(2, 21)}
ACCESS_TOKEN = "EAAsandboxMetaLongLivedToken0123456789abcdefABCDEF"  # public sandbox constant
PURCHASE = "offsite_conversion.fb_pixel_purchase"
DEFAULT_LIMIT = 25
MAX_LIMIT = 5000  # Meta documents no hard maximum; larger limits are clamped here
MAX_MONTHS_BACK = 37

INSIGHTS_FIELDS = {
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "impressions",
    "clicks",
    "spend",
    "cpc",
    "cpm",
    "ctr",
    "inline_link_clicks",
    "actions",
    "action_values",
}
ENTITY_FIELDS = {
    "campaigns": {
        "id", "account_id", "name", "status", "effective_status", "configured_status",
        "objective", "buying_type", "daily_budget", "created_time", "updated_time",
        "start_time", "stop_time",
    },
    "adsets": {
        "id", "account_id", "campaign_id", "name", "status", "effective_status",
        "configured_status", "daily_budget", "bid_amount", "billing_event",
        "optimization_goal", "created_time", "updated_time", "start_time", "end_time",
    },
    "ads": {
        "id", "account_id", "campaign_id", "adset_id", "name", "status", "effective_status",
        "configured_status", "creative", "created_time", "updated_time",
    },
    "adcreatives": {
        "id", "account_id", "name", "title", "body", "object_type", "status",
        "link_url", "call_to_action_type", "thumbnail_url",
    },
}  # fmt: skip
ACCOUNT_FIELDS = {
    "id", "account_id", "name", "currency", "timezone_name", "timezone_offset_hours_utc",
    "account_status", "amount_spent", "business_name", "created_time",
}  # fmt: skip
# AdsInsights.Level and .ActionAttributionWindows / .ActionReportTime of facebook-business
# 26.0.3 (the sandbox tests hold these to the SDK): other values are refused as Graph does.
LEVELS = ("account", "ad", "adset", "campaign")
ATTRIBUTION_WINDOWS = {
    "1d_click", "1d_ev", "1d_sequenced", "1d_view", "28d_click", "28d_sequenced", "28d_view",
    "28d_view_all_conversions", "28d_view_first_conversion", "7d_click", "7d_sequenced",
    "7d_view", "7d_view_all_conversions", "7d_view_first_conversion", "custom", "dda",
    "default", "incrementality", "incrementality_all_conversions",
    "incrementality_first_conversion", "skan_click", "skan_click_second_postback",
    "skan_click_third_postback", "skan_view", "skan_view_second_postback",
    "skan_view_third_postback",
}  # fmt: skip
REPORT_TIMES = ("conversion", "impression", "lifetime", "mixed")
NODE_TYPES = {
    "campaigns": "Campaign",
    "adsets": "AdSet",
    "ads": "Ad",
    "adcreatives": "AdCreative",
}


def _time(dt: Any) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000")


class Meta(Platform):
    name = "meta"
    prefix = f"/{VERSION}"

    def __init__(self, sandbox: AdsSandbox) -> None:
        super().__init__(sandbox)
        # The long-lived token: it expires only when token_ttl is set explicitly.
        sandbox.tokens.issue("", ACCESS_TOKEN)

    # -- hooks ------------------------------------------------------------------------
    def read_token(self, request: Request) -> str | None:
        return super().read_token(request) or request.query_params.get("access_token")

    def error(
        self,
        message: str,
        code: int,
        subcode: int | None = None,
        *,
        kind: str = "OAuthException",
        status: int = 400,
        transient: bool = False,
    ) -> Response:
        body: dict[str, Any] = {"message": message, "type": kind, "code": code}
        if subcode is not None:
            body["error_subcode"] = subcode
        if transient:
            body["is_transient"] = True
        body["fbtrace_id"] = "A" + secrets.token_hex(10)
        return json_response({"error": body}, status)

    def auth_error(self, state: str, request: Request) -> Response:
        if state == "missing":
            return self.error("An access token is required to request this resource.", 104)
        if state == "expired":
            return self.error(
                "Error validating access token: Session has expired. The current time is "
                "later than the token's expiry.",
                190,
                463,
            )
        return self.error("Invalid OAuth access token - Cannot parse access token", 190)

    def throttled(self, wait: float, request: Request) -> Response:
        if "insights" in request.url.path or self._is_job_path(request):
            return self.error(
                "(#80000) There have been too many calls from this ad-account. Wait a bit and "
                "try again. For more info, please refer to "
                "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
                80000,
                2446079,
            )
        return self.error("(#17) User request limit reached", 17, 2446079)

    def server_error(self, status: int, request: Request) -> Response:
        return self.error(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            status=status,
            transient=True,
        )

    def decorate(self, response: Response, request: Request) -> None:
        account = self._account_of(request)
        usage = self.sandbox.gate.usage_percent()
        if getattr(request.state, "fault", None) == "throttle":
            usage = 100
        entry = {
            "type": "ads_insights" if "insights" in request.url.path else "ads_management",
            "call_count": usage,
            "total_cputime": max(1, usage // 2) if usage else 0,
            "total_time": max(1, usage // 2) if usage else 0,
            # Minutes; the sandbox's throttles clear within seconds, so this stays 0.
            "estimated_time_to_regain_access": 0,
            "ads_api_access_tier": "standard_access",
        }
        response.headers["X-Business-Use-Case-Usage"] = json.dumps({account: [entry]})
        if "insights" in request.url.path:
            response.headers["X-FB-Ads-Insights-Throttle"] = json.dumps(
                {
                    "app_id_util_pct": float(usage),
                    "acc_id_util_pct": float(usage),
                    "ads_api_access_tier": "standard_access",
                }
            )

    def _is_job_path(self, request: Request) -> bool:
        node = request.path_params.get("node", "")
        return bool(node) and not node.startswith("act_")

    def _account_of(self, request: Request) -> str:
        node = request.path_params.get("node", "")
        if node.startswith("act_"):
            return node[4:]
        job = self.sandbox.jobs.jobs.get(node)
        return job.account_id if job else self.sandbox.data.accounts[0].id

    # -- routes -----------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            self.api(f"{self.prefix}/{{node}}", self.get_node, ["GET"], "/{node}"),
            self.api(
                f"{self.prefix}/{{node}}/{{edge}}", self.edge, ["GET", "POST"], "/{node}/{edge}"
            ),
            Route("/{version}/{rest:path}", self.unknown_version, methods=["GET", "POST"]),
        ]

    async def unknown_version(self, request: Request) -> Response:
        if request.path_params["version"] in DEPRECATED_VERSIONS:
            return self.error(
                "(#2635) You are calling a deprecated version of the Ads API. Please update "
                f"to the latest version: {VERSION}.",
                2635,
            )
        return self.error(
            f"Unknown path components: /{request.path_params['version']} (the sandbox serves "
            f"{VERSION})",
            2500,
        )

    async def _form(self, request: Request) -> dict[str, str]:
        """POST parameters: form-encoded (as the SDKs send them) or a JSON object."""
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise ApiError(self.error("(#100) The JSON body must be an object", 100))
            return {
                k: v if isinstance(v, str) else json.dumps(v) if isinstance(v, dict) else
                ",".join(v) if isinstance(v, list) else str(v)
                for k, v in body.items()
            }  # fmt: skip
        return {k: str(v) for k, v in (await request.form()).items()}

    def _params(self, request: Request, form: dict[str, str] | None = None) -> dict[str, str]:
        return {**dict(request.query_params), **(form or {})}

    def _fields(self, params: dict[str, str], allowed: set[str], node_type: str) -> list[str]:
        fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()]
        for name in fields:
            if name not in allowed:
                raise ApiError(
                    self.error(
                        f"(#100) Tried accessing nonexisting field ({name}) on node type "
                        f"({node_type})",
                        100,
                    )
                )
        return fields

    def _account(self, node: str) -> Any:
        account = self.sandbox.data.account(node[4:]) if node.startswith("act_") else None
        if account is None:
            raise ApiError(
                self.error(
                    f"Unsupported get request. Object with ID '{node}' does not exist, cannot "
                    "be loaded due to missing permissions, or does not support this operation.",
                    100,
                    33,
                    kind="GraphMethodException",
                )
            )
        return account

    async def get_node(self, request: Request) -> Response:
        node = request.path_params["node"]
        params = self._params(request)
        if node.startswith("act_"):
            account = self._account(node)
            fields = self._fields(params, ACCOUNT_FIELDS, "AdAccount")
            values = {
                "id": node,
                "account_id": account.id,
                "name": account.name,
                "currency": account.currency,
                "timezone_name": account.time_zone,
                "timezone_offset_hours_utc": _utc_offset_hours(account.time_zone, account.today),
                "account_status": 1,
                "amount_spent": "0",
                "business_name": "Acme Commerce",
                "created_time": _time(account.created),
            }
            return json_response({"id": node, **{f: values[f] for f in fields}})
        job = self.sandbox.jobs.jobs.get(node)
        if job is None:
            raise ApiError(self._unknown_object(node))
        self.sandbox.jobs.poll(job)
        return json_response(self._job_body(job))

    def _unknown_object(self, node: str) -> Response:
        return self.error(
            f"Unsupported get request. Object with ID '{node}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation.",
            100,
            33,
            kind="GraphMethodException",
        )

    def _job_body(self, job: Job) -> dict[str, Any]:
        status = {
            "pending": "Job Not Started",
            "running": "Job Running",
            "completed": "Job Completed",
            "failed": "Job Failed",
        }[job.status]
        return {
            "id": job.id,
            "account_id": job.account_id,
            "async_status": status,
            "async_percent_completion": self.sandbox.jobs.percent(job),
            "date_start": job.start.isoformat(),
            "date_stop": job.end.isoformat(),
            "is_running": job.status in ("pending", "running"),
        }

    async def edge(self, request: Request) -> Response:
        node, edge = request.path_params["node"], request.path_params["edge"]
        if request.method == "POST":
            if edge != "insights" or not node.startswith("act_"):
                raise ApiError(self.error(f"(#100) Cannot POST to /{node}/{edge}", 100))
            form = await self._form(request)
            return self.create_job(request, node, self._params(request, form))
        params = self._params(request)
        if not node.startswith("act_"):
            job = self.sandbox.jobs.jobs.get(node)
            if job is None or edge != "insights":
                raise ApiError(self._unknown_object(node))
            return self.job_rows(request, job, params)
        account = self._account(node)
        if edge == "insights":
            raise ApiError(
                self.error(
                    "(#100) The sandbox serves insights as async jobs only: POST "
                    f"/act_{account.id}/insights, poll the report_run_id, then GET "
                    "/{report_run_id}/insights",
                    100,
                )
            )
        if edge not in ENTITY_FIELDS:
            raise ApiError(
                self.error(
                    f"(#100) Tried accessing nonexisting field ({edge}) on node type (AdAccount)",
                    100,
                )
            )
        fields = self._fields(params, ENTITY_FIELDS[edge], NODE_TYPES[edge]) or ["id"]
        items = self._entities(edge, account.id)
        return self._page(
            request,
            f"{node}/{edge}",
            items,
            params,
            lambda item: {f: item[f] for f in fields if f in item},
        )

    def _page(
        self,
        request: Request,
        scope: str,
        rows: Sequence[Any],
        params: dict[str, str],
        render: Callable[[Any], dict[str, Any]],
    ) -> Response:
        """One page of `rows` (only the page is rendered), Meta's cursor paging around it."""
        limit = _int(params.get("limit"), DEFAULT_LIMIT)
        if limit is None or limit < 1:
            raise ApiError(self.error("(#100) param limit must be a positive integer", 100))
        limit = min(limit, MAX_LIMIT)
        offset = 0
        if params.get("after"):
            found = read_page_token(scope, params["after"])
            if found is None:
                raise ApiError(self.error("(#100) Invalid cursor: after", 100))
            offset = found
        page = [render(row) for row in rows[offset : offset + limit]]
        body: dict[str, Any] = {"data": page}
        if page:
            paging: dict[str, Any] = {
                "cursors": {
                    "before": page_token(scope, offset),
                    "after": page_token(scope, offset + len(page)),
                }
            }
            if offset + len(page) < len(rows):
                query = {k: v for k, v in params.items() if k not in ("after", "access_token")}
                query.update(limit=str(limit), after=paging["cursors"]["after"])
                # Meta's `next` carries the access token; the sandbox leaves it out so that
                # links in logs never hold a secret (clients add their header again).
                paging["next"] = f"{root_url(request)}{request.url.path}?{urlencode(query)}"
            body["paging"] = paging
        return json_response(body)

    def _entities(self, edge: str, account_id: str) -> list[dict[str, Any]]:
        data = self.sandbox.data
        if edge == "campaigns":
            return [self._campaign(c) for c in data.campaigns if c.account_id == account_id]
        if edge == "adsets":
            return [self._adset(g) for g in data.ad_groups if g.account_id == account_id]
        if edge == "ads":
            return [self._ad(a) for a in data.ads if a.account_id == account_id]
        return [self._creative(a) for a in data.ads if a.account_id == account_id]

    def _campaign(self, c: Campaign) -> dict[str, Any]:
        status = "ACTIVE" if c.active else "PAUSED"
        return {
            "id": c.id,
            "account_id": c.account_id,
            "name": c.name,
            "status": status,
            "effective_status": status,
            "configured_status": status,
            "objective": {"CONVERSIONS": "OUTCOME_SALES", "TRAFFIC": "OUTCOME_TRAFFIC"}.get(
                c.objective, "OUTCOME_AWARENESS"
            ),
            "buying_type": "AUCTION",
            "daily_budget": str(c.daily_budget),  # minor units, as Meta sends budgets
            "created_time": _time(c.created),
            "updated_time": _time(c.created + timedelta(days=2)),
            "start_time": _time(c.created),
        }

    def _adset(self, g: AdGroup) -> dict[str, Any]:
        status = "ACTIVE" if g.active else "PAUSED"
        return {
            "id": g.id,
            "account_id": g.account_id,
            "campaign_id": g.campaign_id,
            "name": g.name,
            "status": status,
            "effective_status": status,
            "configured_status": status,
            "bid_amount": g.bid,
            "billing_event": "IMPRESSIONS",
            "optimization_goal": "OFFSITE_CONVERSIONS",
            "created_time": _time(g.created),
            "updated_time": _time(g.created + timedelta(days=1)),
            "start_time": _time(g.created),
        }

    def _ad(self, a: Ad) -> dict[str, Any]:
        status = "ACTIVE" if a.active else "PAUSED"
        return {
            "id": a.id,
            "account_id": a.account_id,
            "campaign_id": a.campaign_id,
            "adset_id": a.ad_group_id,
            "name": a.name,
            "status": status,
            "effective_status": status,
            "configured_status": status,
            "creative": {"id": a.creative_id},
            "created_time": _time(a.created),
            "updated_time": _time(a.created + timedelta(hours=5)),
        }

    def _creative(self, a: Ad) -> dict[str, Any]:
        return {
            "id": a.creative_id,
            "account_id": a.account_id,
            "name": f"{a.name} creative",
            "title": a.headline,
            "body": a.body,
            "object_type": "SHARE",
            "status": "ACTIVE",
            "link_url": a.url,
            "call_to_action_type": "SHOP_NOW",
            "thumbnail_url": f"https://scontent.example.com/t/{a.creative_id}.jpg",
        }

    # -- insights ----------------------------------------------------------------------
    def create_job(self, request: Request, node: str, params: dict[str, str]) -> Response:
        account = self._account(node)
        bad = self.error  # shorthand
        for name, allowed in (("level", LEVELS), ("action_report_time", REPORT_TIMES)):
            if name in params and params[name] not in allowed:
                raise ApiError(
                    bad(f"(#100) {name} must be one of the following values: "
                        f"{', '.join(allowed)}", 100)
                )  # fmt: skip
        try:
            windows = json.loads(params.get("action_attribution_windows") or "[]")
        except ValueError:
            windows = [params["action_attribution_windows"]]
        for i, window in enumerate(windows if isinstance(windows, list) else [windows]):
            if window not in ATTRIBUTION_WINDOWS:
                raise ApiError(
                    bad(f"(#100) action_attribution_windows[{i}] must be one of the following "
                        f"values: {', '.join(sorted(ATTRIBUTION_WINDOWS))}", 100)
                )  # fmt: skip
        if params.get("level", "ad") != "ad":
            raise ApiError(bad("(#100) The sandbox models level=ad only", 100))
        if str(params.get("time_increment", "1")) != "1":
            raise ApiError(bad("(#100) The sandbox models time_increment=1 only", 100))
        if params.get("breakdowns"):
            raise ApiError(bad("(#100) The sandbox models no breakdowns", 100))
        fields = self._fields(params, INSIGHTS_FIELDS, "AdsInsights")
        if not fields:
            raise ApiError(bad("(#100) fields is required", 100))
        try:
            time_range = json.loads(params["time_range"])
            start = date.fromisoformat(time_range["since"])
            end = date.fromisoformat(time_range["until"])
        except (KeyError, ValueError, TypeError):
            raise ApiError(
                bad(
                    '(#100) time_range must be {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}',
                    100,
                )
            ) from None
        if start > end:
            raise ApiError(bad("(#100) time_range: since must not be after until", 100))
        oldest = _months_back(account.today, MAX_MONTHS_BACK)
        if start < oldest:
            raise ApiError(
                bad(
                    f"(#3018) The start date of the time range cannot be beyond "
                    f"{MAX_MONTHS_BACK} months from the current date",
                    3018,
                )
            )
        job = self.sandbox.jobs.create(
            account.id, start, end, {"fields": fields}, self.sandbox.new_id(16)
        )
        return json_response({"report_run_id": job.id})

    def job_rows(self, request: Request, job: Job, params: dict[str, str]) -> Response:
        if job.status == "failed":
            if job.fails == "too_large":
                raise ApiError(
                    self.error(
                        "Please reduce the amount of data you're asking for, then retry your "
                        "request",
                        1,
                        1487534,
                    )
                )
            raise ApiError(
                self.error(
                    "An unexpected error has occurred. Please retry your request later.",
                    2,
                    transient=True,
                )
            )
        if job.status != "completed":
            raise ApiError(
                self.error(
                    f"(#100) The report is not ready (async_status: "
                    f"{self._job_body(job)['async_status']}); poll /{{report_run_id}} until "
                    "Job Completed",
                    100,
                )
            )
        account = self.sandbox.data.account(job.account_id)
        assert account is not None
        fields = job.params["fields"]
        return self._page(
            request,
            f"{job.id}/insights",
            job.rows,
            params,
            lambda row: self._insight(row, fields, account),
        )

    def _insight(self, row: Row, fields: list[str], account: Any) -> dict[str, Any]:
        data = self.sandbox.data
        names = data.names
        spend = money(row.spend, account.digits)
        values: dict[str, Any] = {
            "account_id": row.account_id,
            "account_name": account.name,
            "account_currency": account.currency,
            "campaign_id": row.campaign_id,
            "campaign_name": names[row.campaign_id],
            "adset_id": row.ad_group_id,
            "adset_name": names[row.ad_group_id],
            "ad_id": row.ad_id,
            "ad_name": names[row.ad_id],
            "impressions": str(row.impressions),
            "clicks": str(row.clicks),
            "inline_link_clicks": str(row.clicks),
            "spend": dec_text(spend),
            "cpc": _ratio(spend, row.clicks),
            "cpm": _ratio(spend * 1000, row.impressions),
            "ctr": _ratio(Decimal(row.clicks * 100), row.impressions),
        }
        actions, action_values = [], []
        if row.clicks:
            actions.append({"action_type": "link_click", "value": str(row.clicks)})
        if row.conversions:
            actions.append({"action_type": PURCHASE, "value": dec_text(row.conversions)})
            actions.append({"action_type": "omni_purchase", "value": dec_text(row.conversions)})
            value = dec_text(money(row.conversion_value, account.digits))
            action_values.append({"action_type": PURCHASE, "value": value})
            action_values.append({"action_type": "omni_purchase", "value": value})
        # Meta leaves out an empty actions list rather than sending [].
        if actions:
            values["actions"] = actions
        if action_values:
            values["action_values"] = action_values
        out = {f: values[f] for f in fields if f in values}
        out["date_start"] = out["date_stop"] = row.day.isoformat()
        return out

    def tap_config(self, url: str) -> dict[str, Any]:
        return {
            "access_token": ACCESS_TOKEN,
            "account_ids": [a.id for a in self.sandbox.data.accounts],
            "api_url": f"{url}{self.prefix}",
        }


def _ratio(numerator: Decimal, denominator: int) -> str:
    if not denominator:
        return "0"
    return dec_text((Decimal(numerator) / denominator).quantize(Decimal("0.000001"), ROUND_HALF_UP))


def _int(text: str | None, default: int) -> int | None:
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        return None


def _months_back(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


def _utc_offset_hours(zone: str, day: date) -> float:
    offset = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(zone)).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0
