"""The Meltano Hub definition and the project's plugin definition never drift from --about."""

from __future__ import annotations

from pathlib import Path

from sandbox.tap_testing import check_hub, check_project_plugin, hub_definition

HERE = Path(__file__).resolve().parents[1]
PROJECT_PLUGIN = HERE.parents[1] / "meltano" / "recharge.meltano.yml"
OWN_SETTINGS = [
    "access_token",
    "api_url",
    "start_date",
    "page_size",
    "max_requests_per_second",
    "request_timeout",
    "retry_backoff_ms",
]


def test_hub_settings_match_the_tap():
    tap, hub = check_hub(HERE, OWN_SETTINGS)
    assert hub["name"] == "tap-recharge"
    assert tap["settings"]["required"] == ["access_token"]
    assert hub["settings_group_validation"] == [["access_token"]]


def test_project_plugin_definition_matches_the_hub():
    plugin = check_project_plugin(PROJECT_PLUGIN, hub_definition(HERE))
    assert plugin["load_schema"] == "raw_recharge"
