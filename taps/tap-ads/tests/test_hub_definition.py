"""The Meltano Hub definition and the project's plugin definition never drift from --about:
every setting, the dotted per-platform ones included (`meta.access_token`, ...)."""

from __future__ import annotations

from pathlib import Path

import yaml  # type: ignore[import-untyped]
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
    hub = yaml.safe_load((HERE / "meltano-hub.yml").read_text())
    assert [s["name"] for s in hub["settings"]] == list(own)
    for setting in hub["settings"]:
        prop = own[setting["name"]]
        assert setting["description"] == prop["description"], setting["name"]
        assert setting["kind"] == expected_kind(prop), setting["name"]
        assert setting.get("sensitive", False) == bool(prop.get("secret")), setting["name"]
        assert setting.get("value") == prop.get("default"), setting["name"]
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
    assert set(hub["capabilities"]) <= set(tap["capabilities"])
    assert hub["executable"] == "tap-ads" and hub["namespace"] == "tap_ads"
    assert tap["settings"]["required"] == ["start_date"]


def test_project_plugins_match_the_hub_and_select_one_platform_each():
    hub = yaml.safe_load((HERE / "meltano-hub.yml").read_text())
    plugins = {
        p["name"]: p for p in yaml.safe_load(PROJECT_PLUGINS.read_text())["plugins"]["extractors"]
    }
    tap = plugins.pop("tap-ads")
    assert tap["namespace"] == "tap_ads" and tap["pip_url"] == "-e taps/tap-ads"
    assert tap["load_schema"] == "raw_ads"
    assert set(tap["capabilities"]) == set(hub["capabilities"])
    assert [s["name"] for s in tap["settings"]] == [s["name"] for s in hub["settings"]]
    for mine, theirs in zip(tap["settings"], hub["settings"], strict=True):
        assert mine["kind"] == theirs["kind"], mine["name"]
        assert mine.get("sensitive", False) == theirs.get("sensitive", False), mine["name"]
        assert mine.get("value") == theirs.get("value"), mine["name"]
    assert plugins == {
        f"tap-ads-{name}": {
            "name": f"tap-ads-{name}",
            "inherit_from": "tap-ads",
            "select": [f"{key}_*.*"],
        }
        for key, name in PLATFORMS.items()
    }
