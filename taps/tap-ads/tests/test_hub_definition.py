"""The Meltano Hub definition and the project's plugin definition never drift from --about:
every setting, the dotted per-platform ones included (`meta.access_token`, ...)."""

from __future__ import annotations

from pathlib import Path

from sandbox.tap_testing import check_hub_settings, check_project_plugin, hub_definition, read_yaml
from tap_ads.tap import TapAds

HERE = Path(__file__).resolve().parents[1]
PROJECT_PLUGINS = HERE.parents[1] / "meltano" / "ads.meltano.yml"
TOP_LEVEL = ["start_date", "end_date", "request_timeout", "max_retries", "retry_backoff_ms"]
PLATFORMS = {"meta": "meta", "google_ads": "google-ads", "tiktok": "tiktok",
             "pinterest": "pinterest", "reddit": "reddit"}  # fmt: skip
KINDS = {"integer": "integer", "array": "array", "string": "string"}


def about() -> dict:
    """What `tap-ads --about --format=json` prints (test_cli.py runs the command itself)."""
    return {
        "settings": TapAds.config_jsonschema,
        "capabilities": [str(c) for c in TapAds.capabilities],
    }


def flat_settings(properties: dict) -> dict[str, dict]:
    """The tap's own settings, platform blocks flattened to Meltano's dotted names."""
    flat = {name: properties[name] for name in TOP_LEVEL}
    for block in PLATFORMS:
        for name, prop in properties[block]["properties"].items():
            flat[f"{block}.{name}"] = prop
    return flat


def expected_kind(prop: dict) -> str:
    if prop.get("secret"):
        return "password"
    if prop.get("format") == "date":
        return "date_iso8601"
    return next(KINDS[t] for t in prop["type"] if t in KINDS)


def test_hub_settings_match_the_tap():
    tap = about()
    own = flat_settings(tap["settings"]["properties"])
    hub = hub_definition(HERE)
    # labels name the platform (`Meta: Access token`), titles do not
    check_hub_settings(hub, tap, own, labels=False, kind=expected_kind)
    secrets = {s["name"] for s in hub["settings"] if s.get("sensitive")}
    assert secrets == {
        "meta.access_token", "tiktok.access_token", "google_ads.client_secret",
        "google_ads.refresh_token", "google_ads.developer_token", "pinterest.client_secret",
        "pinterest.refresh_token", "reddit.client_secret", "reddit.refresh_token",
    }  # fmt: skip
    assert {s["name"]: s["kind"] for s in hub["settings"] if s["kind"] == "array"} == {
        "meta.account_ids": "array", "meta.conversion_action_types": "array",
        "google_ads.customer_ids": "array", "tiktok.advertiser_ids": "array",
        "pinterest.ad_account_ids": "array", "reddit.ad_account_ids": "array",
    }  # fmt: skip
    assert hub["name"] == "tap-ads"
    assert tap["settings"]["required"] == ["start_date"]


def test_project_plugins_match_the_hub_and_select_one_platform_each():
    tap = check_project_plugin(PROJECT_PLUGINS, hub_definition(HERE))
    plugins = {p["name"]: p for p in read_yaml(PROJECT_PLUGINS)["plugins"]["extractors"]}
    del plugins["tap-ads"]
    assert tap["namespace"] == "tap_ads" and tap["load_schema"] == "raw_ads"
    assert plugins == {
        f"tap-ads-{name}": {
            "name": f"tap-ads-{name}",
            "inherit_from": "tap-ads",
            "select": [f"{key}_*.*"],
        }
        for key, name in PLATFORMS.items()
    }
