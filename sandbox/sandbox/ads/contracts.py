"""The ad platforms' own machine-readable definitions, read from their official client
libraries (test dependencies of tap-ads: google-ads, facebook-business, pinterest-api-sdk /
Pinterest-Generated-Client, tiktok-business-api-sdk), for the contract tests of the tap and
of the sandboxes. Imports happen on first use and are cached: the sandbox itself never needs
these packages at run time (its own tables are checked against them by the tests).

Reddit publishes no machine-readable definition on a registry; REDDIT below is transcribed
from the Reddit Ads API v3 documentation (https://ads-api.reddit.com/docs/v3/, "Get a Report"
and the ad account / campaign / ad group / ad objects), which CONTRACT.md cites together with
the independent clients that confirm its units (cents for CONVERSION_*_TOTAL_VALUE).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import typing as t
from dataclasses import dataclass

MISSING = (
    "the ad platforms' definitions are not installed: install tap-ads with its `test` extra "
    "(uv sync installs it in this workspace)"
)


def _import(name: str) -> t.Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # pragma: no cover - a broken environment
        raise RuntimeError(f"{MISSING} ({exc})") from None


# -- Google Ads (google-ads 34.0.0: protos of v23..v26) ------------------------------------
GOOGLE_RESOURCES = ("customer", "campaign", "ad_group", "ad_group_ad", "video")
_GAQL_DEPTH = 4  # ad_group_ad.ad.final_urls is 3 deep; deeper paths are not selected


def google_versions() -> list[str]:
    package = _import("google.ads.googleads")
    return sorted(
        (m.name for m in pkgutil.iter_modules(package.__path__) if m.name[1:].isdigit()),
        key=lambda v: int(v[1:]),
    )


def _message(version: str, module: str, name: str) -> t.Any:
    mod = _import(f"google.ads.googleads.{version}.{module}")
    return getattr(mod, name).pb().DESCRIPTOR


def _leaves(descriptor: t.Any, prefix: str, depth: int, out: dict[str, str]) -> None:
    """GAQL names (snake_case) -> JSON names (camelCase path) of every field under it."""
    for field in descriptor.fields:
        # proto-plus renames fields that clash with Python names (type -> type_); GAQL and
        # the wire use the proto's own name, which the JSON name keeps.
        name = f"{prefix}{field.name.removesuffix('_')}"
        if field.message_type is not None and depth > 1:
            _leaves(field.message_type, f"{name}.", depth - 1, out)
        out[name] = field.json_name


@functools.cache
def google_fields(version: str) -> frozenset[str]:
    """The GAQL fields of `version` for the resources the tap reads, plus every metric and
    segment: derived from the resource, Metrics and Segments messages of that version."""
    names: dict[str, str] = {}
    for resource in GOOGLE_RESOURCES:
        message = "".join(part.capitalize() for part in resource.split("_"))
        descriptor = _message(version, f"resources.types.{resource}", message)
        _leaves(descriptor, f"{resource}.", _GAQL_DEPTH, names)
    _leaves(_message(version, "common.types.metrics", "Metrics"), "metrics.", 1, names)
    _leaves(_message(version, "common.types.segments", "Segments"), "segments.", 1, names)
    return frozenset(names)


@functools.cache
def google_resources(version: str) -> frozenset[str]:
    package = _import(f"google.ads.googleads.{version}.resources.types")
    return frozenset(m.name for m in pkgutil.iter_modules(package.__path__))


@functools.cache
def google_json_names(version: str) -> frozenset[str]:
    """Every JSON key a search answer may carry: the response envelope, GoogleAdsRow and the
    messages below the resources the tap reads (camelCase, as REST sends them)."""
    keys: set[str] = set()

    def walk(descriptor: t.Any, depth: int) -> None:
        for field in descriptor.fields:
            keys.add(field.json_name)
            if field.message_type is not None and depth > 1:
                walk(field.message_type, depth - 1)

    walk(_message(version, "services.types.google_ads_service", "SearchGoogleAdsResponse"), 1)
    row = _message(version, "services.types.google_ads_service", "GoogleAdsRow")
    for field in row.fields:
        keys.add(field.json_name)
        if field.name in (*GOOGLE_RESOURCES, "metrics", "segments"):
            walk(field.message_type, _GAQL_DEPTH)
    return frozenset(keys)


@functools.cache
def google_error_codes(version: str, enum: str) -> frozenset[str]:
    """The values of one error enum, e.g. ("v26", "AuthorizationError")."""
    module = "".join(f"_{c.lower()}" if c.isupper() else c for c in enum).lstrip("_")
    mod = _import(f"google.ads.googleads.{version}.errors.types.{module}")
    values = getattr(getattr(mod, f"{enum}Enum"), enum)
    return frozenset(v.name for v in values)


# -- Meta (facebook-business 26.0.3) --------------------------------------------------------
def _enum_values(cls: type) -> frozenset[str]:
    return frozenset(
        v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, str)
    )


def meta_api_version() -> str:
    return str(_import("facebook_business.api").FacebookAdsApi.API_VERSION)


@functools.cache
def meta_fields(object_name: str) -> frozenset[str]:
    """Field names of an ad object: AdAccount, Campaign, AdSet, Ad, AdCreative, AdsInsights,
    AdReportRun, AdsActionStats."""
    module = _import(f"facebook_business.adobjects.{object_name.lower()}")
    return _enum_values(getattr(module, object_name).Field)


@functools.cache
def meta_insights_params() -> dict[str, str]:
    """Parameter -> type of POST act_{id}/insights (AdAccount.get_insights_async)."""
    account = _import("facebook_business.adobjects.adaccount").AdAccount
    tree = ast.parse(inspect.getsource(account.get_insights_async).strip())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "param_types":
            return dict(ast.literal_eval(node.value))
    raise RuntimeError("facebook-business: get_insights_async has no param_types")


@functools.cache
def meta_insights_enum(name: str) -> frozenset[str]:
    """An AdsInsights enum: Level, Breakdowns, ActionAttributionWindows, ActionReportTime."""
    insights = _import("facebook_business.adobjects.adsinsights").AdsInsights
    return _enum_values(getattr(insights, name))


# -- Pinterest (Pinterest-Generated-Client 0.1.10: the v5 OpenAPI models) -------------------
def _pinterest_model(module: str, name: str) -> t.Any:
    return getattr(_import(f"openapi_generated.pinterest_client.model.{module}"), name)


@functools.cache
def pinterest_attributes(module: str, name: str) -> frozenset[str]:
    return frozenset(_pinterest_model(module, name).attribute_map)


@functools.cache
def pinterest_allowed(module: str, name: str) -> frozenset[str]:
    return frozenset(_pinterest_model(module, name).allowed_values[("value",)].values())


def pinterest_api_root() -> str:
    """The API root the generated client talks to by default (its OpenAPI `servers`)."""
    return str(_import("openapi_generated.pinterest_client.configuration").Configuration().host)


def pinterest_levels() -> frozenset[str]:
    return pinterest_allowed("metrics_reporting_level", "MetricsReportingLevel")


def pinterest_columns() -> frozenset[str]:
    return pinterest_allowed("reporting_column_async", "ReportingColumnAsync")


# -- TikTok (tiktok-business-api-sdk 1.0.1, module business_api_client) ---------------------
@functools.cache
def tiktok_codes() -> dict[str, int]:
    """TikTok's code table: NAME -> code (ERROR_CODE_ prefix dropped)."""
    codes = _import("business_api_client.tiktok_business.tiktok_code").NumericErrorCodes
    return {
        k.removeprefix("ERROR_CODE_"): v
        for k, v in vars(codes).items()
        if k.startswith("ERROR_CODE_") and isinstance(v, int)
    }


@dataclass(frozen=True)
class TikTokEndpoint:
    path: str  # below /open_api/v1.3/
    method: str
    params: frozenset[str]


@functools.cache
def tiktok_endpoints() -> dict[str, TikTokEndpoint]:
    """Path -> method and query parameters, read from the SDK's generated API classes."""
    found: dict[str, TikTokEndpoint] = {}
    for module in ("reporting_api", "campaign_creation_api", "adgroup_api", "ad_api"):
        source = inspect.getsource(_import(f"business_api_client.api.{module}"))
        tree = ast.parse(source)
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            params: list[str] | None = None
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", "") == "all_params"
                    and isinstance(node.value, ast.List)
                ):
                    params = list(ast.literal_eval(node.value))
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "call_api":
                    path, method = (ast.literal_eval(a) for a in node.args[:2])
                    if params is not None and path.startswith("/open_api/v1.3/"):
                        short = path.removeprefix("/open_api/v1.3/")
                        found[short] = TikTokEndpoint(short, method, frozenset(params))
    return found


# -- Reddit (no machine-readable definition: transcribed from the v3 documentation) ---------
@dataclass(frozen=True)
class RedditReports:
    max_breakdowns: int
    breakdowns: frozenset[str]
    fields: frozenset[str]
    micros: frozenset[str]  # fields in microcurrency
    cents: frozenset[str]  # fields in cents (1/100 of the currency unit)


REDDIT = RedditReports(
    max_breakdowns=3,
    breakdowns=frozenset(
        {
            "AD_ACCOUNT_ID", "CAMPAIGN_ID", "AD_GROUP_ID", "AD_ID", "DATE", "HOUR", "COUNTRY",
            "REGION", "COMMUNITY", "KEYWORD", "INTEREST", "PLACEMENT", "GENDER", "OS_TYPE",
        }
    ),
    fields=frozenset(
        {
            "IMPRESSIONS", "CLICKS", "SPEND", "CPC", "CTR", "ECPM", "REACH", "FREQUENCY",
            "VIDEO_STARTED", "CONVERSION_PURCHASE_CLICKS", "CONVERSION_PURCHASE_VIEWS",
            "CONVERSION_PURCHASE_TOTAL_VALUE", "CONVERSION_PURCHASE_ECPA",
            "KEY_CONVERSION_TOTAL_COUNT",
        }
    ),
    micros=frozenset({"SPEND", "CPC", "ECPM", "CONVERSION_PURCHASE_ECPA"}),
    cents=frozenset({"CONVERSION_PURCHASE_TOTAL_VALUE"}),
)  # fmt: skip
REDDIT_ACCOUNT_KEYS = frozenset(
    {"id", "name", "currency", "time_zone_id", "type", "business_id", "created_at", "modified_at",
     "attribution_type", "click_attribution_window", "view_attribution_window"}
)  # fmt: skip
