"""The Meltano Hub definition and the project's plugin definition never drift from --about."""

from __future__ import annotations

from pathlib import Path

from sandbox.tap_testing import check_hub, check_project_plugin, hub_definition

HERE = Path(__file__).resolve().parents[1]
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


def test_hub_settings_match_the_tap():
    tap, hub = check_hub(HERE, OWN_SETTINGS)
    assert {s["name"] for s in hub["settings"] if s.get("sensitive")} == {
        "access_token",
        "client_secret",
    }
    assert hub["name"] == "tap-shopify-chord"
    assert tap["settings"]["required"] == ["shop"]
    assert hub["settings_group_validation"] == [
        ["shop", "access_token"],
        ["shop", "client_id", "client_secret"],
    ]


def test_project_plugin_definition_matches_the_hub():
    plugin = check_project_plugin(PROJECT_PLUGIN, hub_definition(HERE))
    assert plugin["load_schema"] == "raw_shopify"
