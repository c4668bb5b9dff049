"""The Meltano Hub definition and the project's loader definition never drift from --about."""

from __future__ import annotations

from pathlib import Path

from sandbox.tap_testing import about, check_hub_settings, hub_definition, read_yaml

HERE = Path(__file__).resolve().parents[1]
PROJECT_PLUGIN = HERE.parents[1] / "meltano" / "loaders.meltano.yml"
OWN_SETTINGS = [
    "filepath",
    "path",
    "default_target_schema",
    "add_metadata_columns",
    "primary_key_required",
    "validate_records",
    "load_method",
    "hard_delete",
    "batch_size_rows",
]
KINDS = {"string": "string", "boolean": "boolean", "integer": "integer"}


def kind(prop: dict) -> str:
    return "options" if "enum" in prop else KINDS[prop["type"][0]]


def test_hub_settings_match_the_target():
    target = about("target-duckdb")
    hub = hub_definition(HERE)
    properties = target["settings"]["properties"]
    check_hub_settings(hub, target, {n: properties[n] for n in OWN_SETTINGS}, kind=kind)
    assert [o["value"] for o in hub["settings"][6]["options"]] == properties["load_method"]["enum"]
    assert hub["name"] == "target-duckdb"


def test_project_loader_is_this_target_with_the_old_settings():
    """A user of target-duckdb 0.8 switches by pip_url only: every setting the project gives
    the loader is one of this target's, of the same kind."""
    loaders = read_yaml(PROJECT_PLUGIN)["plugins"]["loaders"]
    (plugin,) = [p for p in loaders if p["name"] == "target-duckdb"]
    assert plugin["pip_url"].split()[:2] == ["-e", "targets/target-duckdb"]
    assert plugin["executable"] == "target-duckdb"
    hub = {s["name"]: s for s in hub_definition(HERE)["settings"]}
    for setting in plugin["settings"]:
        assert setting["name"] in hub, setting["name"]
        assert setting["kind"] == hub[setting["name"]]["kind"], setting["name"]
