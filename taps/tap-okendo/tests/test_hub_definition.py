"""The Meltano Hub definition and the project's plugin definition never drift from --about."""

from __future__ import annotations

from pathlib import Path

from sandbox.tap_testing import check_hub, check_project_plugin, hub_definition

HERE = Path(__file__).resolve().parents[1]
PROJECT_PLUGIN = HERE.parents[1] / "meltano" / "extractors.meltano.yml"
OWN_SETTINGS = [
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
]


def test_hub_settings_match_the_tap():
    tap, hub = check_hub(HERE, OWN_SETTINGS)
    assert hub["name"] == "tap-okendo"
    assert set(tap["settings"]["required"]) == {"user_id", "api_key"}
    assert hub["settings_group_validation"] == [["user_id", "api_key"]]


def test_project_plugin_definition_matches_the_hub():
    check_project_plugin(PROJECT_PLUGIN, hub_definition(HERE))
