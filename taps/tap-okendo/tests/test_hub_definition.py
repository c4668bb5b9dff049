"""The Meltano Hub definition and the project's plugin definition never drift from --about."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parents[1]
TAP = str(Path(sys.executable).with_name("tap-okendo"))
PROJECT_PLUGIN = HERE.parents[1] / "meltano" / "extractors.meltano.yml"


def about() -> dict:
    return json.loads(
        subprocess.run(
            [TAP, "--about", "--format=json"], capture_output=True, text=True, check=True
        ).stdout
    )


def test_hub_settings_match_the_tap():
    tap = about()
    own = {
        k: v
        for k, v in tap["settings"]["properties"].items()
        if k
        in {
            "user_id",
            "api_key",
            "api_url",
            "api_version",
            "review_statuses",
            "survey_ids",
            "page_size",
            "max_requests_per_second",
            "request_timeout",
            "retry_backoff_ms",
        }
    }
    hub = yaml.safe_load((HERE / "meltano-hub.yml").read_text())
    settings = {s["name"]: s for s in hub["settings"]}
    assert set(settings) == set(own)
    for name, prop in own.items():
        assert settings[name]["description"] == prop["description"], name
        assert settings[name].get("sensitive", False) == bool(prop.get("secret")), name
        assert settings[name].get("value") == prop.get("default"), name
    assert set(hub["capabilities"]) <= set(tap["capabilities"])
    assert hub["executable"] == "tap-okendo" and hub["namespace"] == "tap_okendo"
    assert set(tap["settings"]["required"]) == {"user_id", "api_key"}
    assert hub["settings_group_validation"] == [["user_id", "api_key"]]


def test_project_plugin_definition_matches_the_hub():
    hub = yaml.safe_load((HERE / "meltano-hub.yml").read_text())
    project = yaml.safe_load(PROJECT_PLUGIN.read_text())["plugins"]["extractors"]
    (plugin,) = [p for p in project if p["name"] == "tap-okendo"]
    assert [s["name"] for s in plugin["settings"]] == [s["name"] for s in hub["settings"]]
    for mine, theirs in zip(plugin["settings"], hub["settings"], strict=True):
        assert mine.get("sensitive", False) == theirs.get("sensitive", False)
        assert mine.get("value") == theirs.get("value"), mine["name"]
