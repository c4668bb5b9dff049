"""Contract tests: every request tap-ads builds, and every response field it reads, checked
against the platforms' own definitions (sandbox.ads.contracts: the official client
libraries' protos, field enums, OpenAPI models and code tables), not against our sandbox.

Each platform's tap runs once against its sandbox with the HTTP session recorded (method,
path, parameters, body) and every response object wrapped so that the keys the tap reads
are noted; then each request and each read is checked. The sandbox only has to answer: a
request it accepts but the platform's definition refuses fails here.
"""

from __future__ import annotations

import json
import re
import typing as t
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlparse

import pytest
import requests
from sandbox.ads import build, contracts, create_app
from sandbox.server import serve_in_thread
from singer_sdk.singerlib.encoding.simple import SimpleSingerWriter
from tap_ads.core import http
from tap_ads.platforms import google_ads, meta, pinterest, reddit, tiktok
from tap_ads.tap import PLATFORMS, TapAds


class _Discard(SimpleSingerWriter):
    def write_message(self, message: t.Any) -> None:
        pass


class Tracked(dict):
    """A response object that notes which keys the tap reads from it."""

    reads: t.ClassVar[defaultdict[str, set[str]]]
    where: str = ""

    def _note(self, key: t.Any) -> None:
        Tracked.reads[self.where].add(str(key))

    def __getitem__(self, key: t.Any) -> t.Any:
        self._note(key)
        return super().__getitem__(key)

    def get(self, key: t.Any, default: t.Any = None) -> t.Any:
        self._note(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)


@dataclass
class Call:
    method: str
    path: str  # below the API root
    params: dict[str, str]
    body: t.Any


@dataclass
class Recording:
    root: str  # the API root's path, e.g. /v26
    calls: list[Call] = field(default_factory=list)
    reads: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def reads_at(self, pattern: str) -> set[str]:
        """Keys read on answers of paths matching `pattern` (a regex, below the root)."""
        return {k for path, keys in self.reads.items() if re.fullmatch(pattern, path) for k in keys}


def record(platform: str, monkeypatch: pytest.MonkeyPatch) -> Recording:
    """Run the tap against the platform's sandbox (3 days, small), recording its calls."""
    built = build(platform, scale=0.2, job_polls=0)
    with ExitStack() as stack:
        url = stack.enter_context(serve_in_thread(create_app(built)))
        block = built.tap_config(url)
        if platform in ("meta", "pinterest"):
            block["poll_interval_ms"] = 10
        root = urlparse(block["api_url"]).path
        recording = Recording(root)
        start = min(a.today for a in built.sandbox.data.accounts) - timedelta(days=2)
        original = requests.Session.request

        def spy(session: requests.Session, method: str, url: str, **kwargs: t.Any) -> t.Any:
            parts = urlparse(url)
            if parts.path.startswith(root):
                params = {**dict(parse_qsl(parts.query)), **(kwargs.get("params") or {})}
                recording.calls.append(
                    Call(
                        method,
                        parts.path.removeprefix(root),
                        {k: str(v) for k, v in params.items()},
                        kwargs.get("json"),
                    )
                )
            return original(session, method, url, **kwargs)

        def tracked_body(response: requests.Response) -> t.Any:
            where = urlparse(response.url).path.removeprefix(root)

            def hook(pairs: dict[str, t.Any]) -> Tracked:
                obj = Tracked(pairs)
                obj.where = where
                return obj

            try:
                return json.loads(
                    response.content or b"null", parse_float=Decimal, object_hook=hook
                )
            except ValueError:
                return None

        Tracked.reads = recording.reads
        monkeypatch.setattr(requests.Session, "request", spy)
        monkeypatch.setattr(http, "parse_body", tracked_body)
        config = {"start_date": str(start), "retry_backoff_ms": 10, platform: block}
        TapAds(config=config, message_writer=_Discard()).sync_all()
    return recording


def _missing(names: t.Iterable[str], allowed: t.Collection[str]) -> list[str]:
    return sorted(set(names) - set(allowed))


# -- Google Ads -----------------------------------------------------------------------------
_GAQL = re.compile(r"SELECT (?P<select>.+?) FROM (?P<resource>\w+)(?: WHERE (?P<where>.+))?$")


def google_violations(rec: Recording) -> list[str]:
    found: list[str] = []
    version = rec.root.rstrip("/").rsplit("/", 1)[-1]
    shipped = contracts.google_versions()
    versions = [version] if version in shipped else shipped
    if version not in shipped:
        found.append(f"API version {version}: not a live version (google-ads ships {shipped})")
    for call in rec.calls:
        if not re.fullmatch(r"/customers/\d+/googleAds:search", call.path):
            found.append(f"{call.method} {call.path}: not a GoogleAdsService REST method")
            continue
        match = _GAQL.match(call.body["query"])
        assert match, call.body["query"]
        selected = [f.strip() for f in match["select"].split(",")]
        filtered = re.findall(
            r"([a-z_]+(?:\.[a-z_0-9]+)+)\s*(?:=|BETWEEN|IN)", match["where"] or ""
        )
        for v in versions:
            if match["resource"] not in contracts.google_resources(v):
                found.append(f"{v}: FROM {match['resource']} is no resource")
            for name in _missing(selected + filtered, contracts.google_fields(v)):
                found.append(f"{v}: GAQL field {name} does not exist (FROM {match['resource']})")
        if not set(call.body) <= {"query", "pageToken", "searchSettings"}:
            found.append(f"search body keys {sorted(call.body)}")
    for v in versions:
        allowed = contracts.google_json_names(v) | {"error"}
        for key in _missing(rec.reads_at(r"/customers/.*"), allowed):
            found.append(f"{v}: the tap reads `{key}`, which no search answer carries")
    return sorted(set(found))


def google_error_violations() -> list[str]:
    found = []
    v = contracts.google_versions()[-1]
    enums = {
        e: contracts.google_error_codes(v, e)
        for e in ("AuthenticationError", "AuthorizationError", "RequestError", "QuotaError")
    }
    every = set().union(*enums.values())
    named = google_ads.THROTTLED | google_ads.BAD_DEVELOPER_TOKEN | google_ads.UNKNOWN_CUSTOMER
    found += [f"error code {c} is in no error enum" for c in _missing(named, every)]
    token_codes = {c for c in every if "DEVELOPER_TOKEN" in c}
    found += [
        f"developer-token error {c} is not handled as one"
        for c in _missing(token_codes, google_ads.BAD_DEVELOPER_TOKEN)
    ]
    return found


# -- Meta -----------------------------------------------------------------------------------
META_EDGES = {"campaigns": "Campaign", "adsets": "AdSet", "ads": "Ad", "adcreatives": "AdCreative"}
# Keys of Graph envelopes (paging, errors) and of the async POST's answer, which the SDK
# reads itself (AbstractCrudObject: `report_run_id`; Cursor: data, paging.cursors.after).
META_ENVELOPE = {"data", "paging", "cursors", "after", "before", "next", "previous", "error"}


def meta_violations(rec: Recording) -> list[str]:
    found = []
    version = rec.root.strip("/")
    if version != contracts.meta_api_version():
        found.append(
            f"Graph API {version}: the SDK's current version is {contracts.meta_api_version()}"
        )
    params = contracts.meta_insights_params()
    for call in rec.calls:
        path, q = call.path, call.params
        fields = [f for f in q.get("fields", "").split(",") if f]
        if re.fullmatch(r"/act_\d+", path):
            found += [
                f"ad account field {f}"
                for f in _missing(fields, contracts.meta_fields("AdAccount"))
            ]
        elif m := re.fullmatch(r"/act_\d+/(\w+)", path):
            edge = m[1]
            if edge == "insights":
                found += [f"insights parameter {p}" for p in _missing(q, {*params, "access_token"})]
                found += [
                    f"insights field {f}"
                    for f in _missing(fields, contracts.meta_fields("AdsInsights"))
                ]
                if q.get("level") not in contracts.meta_insights_enum("Level"):
                    found.append(f"insights level {q.get('level')}")
                windows = json.loads(q.get("action_attribution_windows", "[]"))
                enum = contracts.meta_insights_enum("ActionAttributionWindows")
                found += [f"attribution window {w}" for w in _missing(windows, enum)]
                report_time = q.get("action_report_time")
                if report_time and report_time not in contracts.meta_insights_enum(
                    "ActionReportTime"
                ):
                    found.append(f"action_report_time {report_time}")
                breakdowns = json.loads(q.get("breakdowns", "[]"))
                enum = contracts.meta_insights_enum("Breakdowns")
                found += [f"breakdown {b}" for b in _missing(breakdowns, enum)]
            elif edge in META_EDGES:
                allowed = contracts.meta_fields(META_EDGES[edge])
                found += [f"{edge} field {f}" for f in _missing(fields, allowed)]
            else:
                found.append(f"edge {edge}")
    allowed_reads = (
        META_ENVELOPE
        | {"report_run_id"}
        | contracts.meta_fields("AdAccount")
        | contracts.meta_fields("AdReportRun")
        | contracts.meta_fields("AdsInsights")
        | contracts.meta_fields("AdsActionStats")
    )
    reads = rec.reads_at(r"/.*")
    found += [
        f"the tap reads `{k}`, which no Graph object has" for k in _missing(reads, allowed_reads)
    ]
    return sorted(set(found))


# -- Pinterest ------------------------------------------------------------------------------
def pinterest_violations(rec: Recording) -> list[str]:
    found = []
    if rec.root.rstrip("/").rsplit("/", 1)[-1] != "v5":
        found.append(f"API root {rec.root}: Pinterest's ads API is v5")
    request = contracts.pinterest_attributes(
        "ads_analytics_create_async_request", "AdsAnalyticsCreateAsyncRequest"
    )
    for call in rec.calls:
        if call.method == "POST" and call.path.endswith("/reports"):
            body = call.body
            found += [f"report body key {k}" for k in _missing(body, request)]
            if body.get("level") not in contracts.pinterest_levels():
                found.append(f"report level {body.get('level')} (not a MetricsReportingLevel)")
            granularities = contracts.pinterest_allowed("granularity", "Granularity")
            if body.get("granularity") not in granularities:
                found.append(f"granularity {body.get('granularity')}")
            formats = contracts.pinterest_allowed("data_output_format", "DataOutputFormat")
            if body.get("report_format") not in formats:
                found.append(f"report_format {body.get('report_format')}")
            columns = contracts.pinterest_columns()
            found += [f"report column {c}" for c in _missing(body.get("columns", []), columns)]
    account = contracts.pinterest_attributes("ad_account", "AdAccount")
    error = contracts.pinterest_attributes("error", "Error")
    found += [
        f"the tap reads ad account `{k}`, which Pinterest's AdAccount has not"
        for k in _missing(rec.reads_at(r"/ad_accounts/\d+"), account | error)
    ]
    report = (
        contracts.pinterest_attributes(
            "ads_analytics_get_async_response", "AdsAnalyticsGetAsyncResponse"
        )
        | contracts.pinterest_attributes(
            "ads_analytics_create_async_response", "AdsAnalyticsCreateAsyncResponse"
        )
        | error
    )
    found += [
        f"the tap reads report answer `{k}`"
        for k in _missing(rec.reads_at(r"/ad_accounts/\d+/reports"), report)
    ]
    paginated = contracts.pinterest_attributes("paginated", "Paginated") | error
    found += [
        f"the tap reads list answer `{k}`"
        for k in _missing(rec.reads_at(r"/ad_accounts/\d+/(campaigns|ad_groups|ads)"), paginated)
    ]
    return sorted(set(found))


PINTEREST_ENTITIES = {
    "pinterest_campaigns": ("campaign_response", "CampaignResponse"),
    "pinterest_ad_groups": ("ad_group_response", "AdGroupResponse"),
    "pinterest_ads": ("ad_response", "AdResponse"),
}


# -- TikTok ---------------------------------------------------------------------------------
# advertiser/info/ is not in tiktok-business-api-sdk 1.0.1; its parameters are from TikTok's
# documentation ("Get ad account details", https://business-api.tiktok.com/portal/docs?id=1739593083610113).
TIKTOK_ADVERTISER_INFO = frozenset({"advertiser_ids", "fields"})


def tiktok_violations(rec: Recording) -> list[str]:
    found = []
    if not rec.root.endswith("/v1.3"):
        found.append(f"API root {rec.root}: the SDK's version is v1.3")
    endpoints = contracts.tiktok_endpoints()
    for call in rec.calls:
        path = call.path.lstrip("/")
        if path == "advertiser/info/":
            found += [
                f"{path} parameter {p}" for p in _missing(call.params, TIKTOK_ADVERTISER_INFO)
            ]
            continue
        if path not in endpoints:
            found.append(f"{call.method} {path}: no such endpoint in the SDK")
            continue
        endpoint = endpoints[path]
        if call.method != endpoint.method:
            found.append(f"{path}: {call.method}, the SDK sends {endpoint.method}")
        found += [f"{path} parameter {p}" for p in _missing(call.params, endpoint.params)]
    return sorted(set(found))


# What each of TikTok's codes (by its name in the SDK's code table) must lead to.
TIKTOK_EXPECTED = {
    "REQUEST_TOO_FREQUENT": "throttled",
    "REQUEST_FREQUENCY_LIMITED": "throttled",
    "TOO_MANY_REQUESTS_BL": "throttled",
    "ACCESS_TOKEN_EXPIRE": "renew",
    "INVALID_ACCESS_TOKEN": "renew",
    "EMPTY_ACCESS_TOKEN": "renew",
    "INVALID_PARTNER": "fail",
    "RPC_VALIDATION_ERROR": "fail",
    "PARAM_ERROR": "fail",
    "PERMISSION_ERROR": "fail",
    "MAINTENANCE": "retry",
    "SYS_ERROR": "retry",
    "SYS_TIMEOUT": "retry",
    "INTERNAL_TIME_OUT": "retry",
    "GENERAL_TASK_ERROR": "retry",
}


def tiktok_code_violations() -> list[str]:
    codes = contracts.tiktok_codes()
    by_code = {v: k for k, v in codes.items()}
    policy = tiktok.TikTokPolicy()
    response = requests.Response()
    response.status_code = 200
    found = []
    for name, kind in TIKTOK_EXPECTED.items():
        verdict = policy.judge(response, {"code": codes[name], "message": name})
        got = verdict.kind if verdict else None
        if got != kind:
            found.append(f"code {codes[name]} ({name}) is taken as {got}, not {kind}")
    named = set()
    for value in vars(tiktok).values():
        if isinstance(value, int) and 40000 <= value < 70000:
            named.add(value)
        if isinstance(value, (set, frozenset)) and all(isinstance(v, int) for v in value):
            named |= set(value)
    found += [f"code {c} is not in TikTok's code table" for c in sorted(named - set(by_code))]
    denied = {by_code.get(c, str(c)) for c in tiktok.ADVERTISER_DENIED}
    found += [
        f"code {by_code.get(c, c)} is taken as an unknown advertiser"
        for c in tiktok.ADVERTISER_DENIED
        if not re.search(r"PERMISSION|ADVERTISER", by_code.get(c, ""))
    ]
    assert denied
    return found


# -- Reddit ---------------------------------------------------------------------------------
def reddit_violations(rec: Recording) -> list[str]:
    found = []
    if not rec.root.endswith("/v3"):
        found.append(f"API root {rec.root}: Reddit's current Ads API is v3")
    spec = contracts.REDDIT
    for call in rec.calls:
        if call.method == "POST" and call.path.endswith("/reports"):
            data = call.body["data"]
            breakdowns = data.get("breakdowns", [])
            if len(breakdowns) > spec.max_breakdowns:
                found.append(
                    f"{len(breakdowns)} breakdowns {breakdowns}: Reddit takes at most "
                    f"{spec.max_breakdowns}"
                )
            found += [f"breakdown {b}" for b in _missing(breakdowns, spec.breakdowns)]
            found += [f"report field {f}" for f in _missing(data.get("fields", []), spec.fields)]
    stream = reddit.RedditAdPerformanceDaily
    for column, source in {
        "spend": "SPEND",
        "conversion_value": "CONVERSION_PURCHASE_TOTAL_VALUE",
    }.items():
        declared = (
            "micros"
            if column in stream.micros
            else ("cents" if column in getattr(stream, "cents", ()) else "currency units")
        )
        documented = "micros" if source in spec.micros else "cents" if source in spec.cents else "?"
        if declared != documented:
            found.append(f"{column} ({source}) is read as {declared}; Reddit sends {documented}")
    reads = rec.reads_at(r"/ad_accounts/[^/]+")
    found += [
        f"the tap reads ad account `{k}`"
        for k in _missing(reads, contracts.REDDIT_ACCOUNT_KEYS | {"data", "error"})
    ]
    return sorted(set(found))


CHECKS: dict[str, t.Callable[[Recording], list[str]]] = {
    "google_ads": google_violations,
    "meta": meta_violations,
    "pinterest": pinterest_violations,
    "tiktok": tiktok_violations,
    "reddit": reddit_violations,
}


def test_the_default_api_versions_are_the_definitions():
    """The recorded runs use the sandbox's URL: the tap's own defaults are checked here."""
    defaults = {p.key: p.with_defaults({})["api_url"] for p in PLATFORMS}
    found = []
    google = defaults["google_ads"].rsplit("/", 1)[-1]
    if google not in contracts.google_versions():
        found.append(f"google_ads {google}: google-ads ships {contracts.google_versions()}")
    if not defaults["meta"].endswith("/" + contracts.meta_api_version()):
        found.append(f"meta {defaults['meta']}: the SDK uses {contracts.meta_api_version()}")
    if defaults["pinterest"] != contracts.pinterest_api_root():
        found.append(f"pinterest {defaults['pinterest']}: {contracts.pinterest_api_root()}")
    tiktok_root = "https://business-api.tiktok.com/open_api/v1.3"  # the SDK's paths' prefix
    assert all(e.path for e in contracts.tiktok_endpoints().values())
    if defaults["tiktok"] != tiktok_root:
        found.append(f"tiktok {defaults['tiktok']}: the SDK calls {tiktok_root}")
    if defaults["reddit"] != "https://ads-api.reddit.com/api/v3":  # the v3 docs' server
        found.append(f"reddit {defaults['reddit']}")
    assert found == []


@pytest.mark.parametrize("platform", list(CHECKS))
def test_every_request_and_read_matches_the_platform_definition(platform, monkeypatch):
    recording = record(platform, monkeypatch)
    assert recording.calls, "the tap made no API call"
    assert CHECKS[platform](recording) == []


def test_google_error_codes_are_the_protos():
    assert google_error_violations() == []


def test_tiktok_codes_are_its_code_table():
    assert tiktok_code_violations() == []


def test_meta_entity_fields_exist():
    found = []
    for stream in meta.STREAMS:
        if edge := getattr(stream, "edge", None):
            allowed = contracts.meta_fields(META_EDGES[edge])
            found += [f"{stream.name}: {f}" for f in _missing(stream.fields, allowed)]
    found += [
        f"insights: {f}"
        for f in _missing(meta.INSIGHT_FIELDS, contracts.meta_fields("AdsInsights"))
    ]
    assert found == []


def test_pinterest_entity_columns_exist():
    found = []
    for stream in pinterest.STREAMS:
        if stream.name not in PINTEREST_ENTITIES:
            continue
        allowed = contracts.pinterest_attributes(*PINTEREST_ENTITIES[stream.name])
        columns = {stream.columns.get(c, c) for c in stream.schema["properties"]} - {"account_id"}
        found += [f"{stream.name}: {c}" for c in _missing(columns, allowed)]
    assert found == []
