"""The Meltano Hub definition and the project's plugin definition never drift from --about."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parents[1]
TAP = str(Path(sys.executable).with_name("tap-shopify-chord"))
PROJECT_PLUGIN = HERE.parents[1] / "meltano" / "shopify.meltano.yml"
OWN_SETTINGS = [
    "shop",
    "access_token",
    "client_id",
    "client_secret",
    "api_version",
    "api_url",
    "start_date",
    "bulk_streams",
    "page_size",
    "bulk_poll_interval_ms",
    "bulk_max_wait_seconds",
    "bulk_retries",
    "refunds_lookback_hours",
    "request_timeout",
    "max_retries",
    "retry_backoff_ms",
    "max_throttle_wait_seconds",
]


def about() -> dict:
    return json.loads(
        subprocess.run(
            [TAP, "--about", "--format=json"], capture_output=True, text=True, check=True
        ).stdout
    )


def test_hub_settings_match_the_tap():
    tap = about()
    properties = tap["settings"]["properties"]
    hub = yaml.safe_load((HERE / "meltano-hub.yml").read_text())
    assert [s["name"] for s in hub["settings"]] == OWN_SETTINGS
    assert set(OWN_SETTINGS) <= set(properties)
    for setting in hub["settings"]:
        prop = properties[setting["name"]]
        assert setting["description"] == prop["description"], setting["name"]
        assert setting["label"] == prop["title"], setting["name"]
        assert setting.get("sensitive", False) == bool(prop.get("secret")), setting["name"]
        assert setting.get("value") == prop.get("default"), setting["name"]
    assert {s["name"] for s in hub["settings"] if s.get("sensitive")} == {
        "access_token",
        "client_secret",
    }
    assert set(hub["capabilities"]) <= set(tap["capabilities"])
    assert hub["executable"] == "tap-shopify-chord" and hub["namespace"] == "tap_shopify_chord"
    assert tap["settings"]["required"] == ["shop"]
    assert hub["settings_group_validation"] == [
        ["shop", "access_token"],
        ["shop", "client_id", "client_secret"],
    ]


def test_project_plugin_definition_matches_the_hub():
    hub = yaml.safe_load((HERE / "meltano-hub.yml").read_text())
    project = yaml.safe_load(PROJECT_PLUGIN.read_text())["plugins"]["extractors"]
    (plugin,) = [p for p in project if p["name"] == "tap-shopify-chord"]
    assert plugin["load_schema"] == "raw_shopify"
    assert plugin["pip_url"] == "-e taps/tap-shopify-chord"
    assert [s["name"] for s in plugin["settings"]] == [s["name"] for s in hub["settings"]]
    for mine, theirs in zip(plugin["settings"], hub["settings"], strict=True):
        assert mine["kind"] == theirs["kind"], mine["name"]
        assert mine.get("sensitive", False) == theirs.get("sensitive", False)
        assert mine.get("value") == theirs.get("value"), mine["name"]
    assert set(plugin["capabilities"]) == set(hub["capabilities"])
    assert plugin["settings_group_validation"] == hub["settings_group_validation"]
