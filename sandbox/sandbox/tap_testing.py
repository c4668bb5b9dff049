"""What every tap's tests share: run the tap's console script as users do, read the Singer
messages it wrote, and check its Meltano Hub and project plugin definitions against its
`--about`. Each tap's conftest and hub test call these with their own names (registered as
a pytest11 entry point, so the asserts here are rewritten and say what differed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest


def executable(name: str) -> str:
    """The tap's console script in this environment."""
    return str(Path(sys.executable).with_name(name))


@dataclass
class TapRun:
    returncode: int
    stdout: str
    stderr: str

    parse_float: ClassVar[type[Any]] = float  # the numbers' type (a subclass may take Decimal)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [
            json.loads(line, parse_float=self.parse_float)
            for line in self.stdout.splitlines()
            if line.strip()
        ]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.messages:
            if m["type"] == "RECORD":
                counts[m["stream"]] = counts.get(m["stream"], 0) + 1
        return counts

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def state(self) -> dict[str, Any]:
        return self.states[-1]

    @property
    def last_line(self) -> str:
        return self.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def tap_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A tap's environment with bytecode cached for the session (in a private folder, even
    where PYTHONDONTWRITEBYTECODE is set), so each run does not compile singer-sdk again."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    return env


def run_tap_fixture(
    name: str, *, timeout: float = 120, result: type[TapRun] = TapRun, cache_bytecode: bool = False
) -> Any:
    """A `run_tap(config, *args, state=None, timeout=...)` fixture for the tap `name`."""
    tap = executable(name)

    @pytest.fixture
    def run_tap(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., TapRun]:
        env = request.getfixturevalue("tap_env") if cache_bytecode else None

        def run(
            config: dict[str, Any],
            *args: str,
            state: dict[str, Any] | None = None,
            timeout: float = timeout,
        ) -> TapRun:
            config_file = tmp_path / "config.json"
            config_file.write_text(json.dumps(config))
            extra: list[str] = []
            if state is not None:
                state_file = tmp_path / "state.json"
                state_file.write_text(json.dumps(state))
                extra = ["--state", str(state_file)]
            done = subprocess.run(
                [tap, "--config", str(config_file), *extra, *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=env,
            )
            return result(done.returncode, done.stdout, done.stderr)

        return run

    return run_tap


def kill_tap_fixture(name: str, *, watch: Literal["state", "counts"], timeout: float) -> Any:
    """A `kill_tap(config, until=...)` fixture: start the tap and SIGKILL it at the first
    STATE message for which `until(x)` holds, x being that state (watch="state") or the
    records read so far per stream (watch="counts"); returns what it wrote until then."""
    tap = executable(name)

    @pytest.fixture
    def kill_tap(tmp_path: Path) -> Callable[..., TapRun]:
        def run(config: dict[str, Any], *, until: Callable[[dict[str, Any]], bool]) -> TapRun:
            config_file = tmp_path / "kill-config.json"
            config_file.write_text(json.dumps(config))
            proc = subprocess.Popen(
                [tap, "--config", str(config_file)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert proc.stdout is not None
            lines: list[str] = []
            counts: dict[str, int] = {}
            try:
                for line in proc.stdout:
                    lines.append(line)
                    message = json.loads(line)
                    if message["type"] == "RECORD":
                        counts[message["stream"]] = counts.get(message["stream"], 0) + 1
                    elif message["type"] == "STATE" and until(
                        message["value"] if watch == "state" else counts
                    ):
                        os.kill(proc.pid, signal.SIGKILL)
                        break
            finally:
                proc.kill()
                proc.wait(timeout=timeout)
            return TapRun(proc.returncode, "".join(lines), "")

        return run

    return kill_tap


# -- the Hub and project plugin definitions ------------------------------------------------
def about(name: str) -> dict[str, Any]:
    """What `<tap> --about --format=json` prints."""
    done = subprocess.run(
        [executable(name), "--about", "--format=json"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def read_yaml(path: Path) -> Any:
    import yaml  # type: ignore[import-untyped]  # only the hub tests need it

    return yaml.safe_load(path.read_text())


def hub_definition(tap_dir: Path) -> dict[str, Any]:
    return read_yaml(tap_dir / "meltano-hub.yml")


def check_hub(tap_dir: Path, own_settings: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """--about and the Hub definition of the tap in `tap_dir`, checked against each other
    (`own_settings`: the tap's own settings, in the Hub's order); returns both."""
    hub = hub_definition(tap_dir)
    tap = about(hub["name"])
    properties = tap["settings"]["properties"]
    check_hub_settings(hub, tap, {name: properties[name] for name in own_settings})
    return tap, hub


def check_hub_settings(
    hub: dict[str, Any],
    about: dict[str, Any],
    own: dict[str, dict[str, Any]],
    *,
    labels: bool = True,
    kind: Callable[[dict[str, Any]], str] | None = None,
) -> None:
    """The Hub definition says what --about says: the tap's own settings (`own`: name ->
    --about property) in that order, each with its description, secrecy, default, label
    (unless `labels=False`) and `kind(property)` where given; capabilities the tap has."""
    assert [s["name"] for s in hub["settings"]] == list(own)
    for setting in hub["settings"]:
        name, prop = setting["name"], own[setting["name"]]
        assert setting["description"] == prop["description"], name
        if labels:
            assert setting["label"] == prop["title"], name
        assert setting.get("sensitive", False) == bool(prop.get("secret")), name
        assert setting.get("value") == prop.get("default"), name
        if kind is not None:
            assert setting["kind"] == kind(prop), name
    assert set(hub["capabilities"]) <= set(about["capabilities"])
    assert hub["executable"] == hub["name"]
    assert hub["namespace"] == hub["name"].replace("-", "_")


def check_project_plugin(project_file: Path, hub: dict[str, Any]) -> dict[str, Any]:
    """The project's definition of the tap (in meltano/*.meltano.yml) matches the Hub's:
    installed from the tap's folder, the same settings (name, kind, secrecy, default),
    capabilities and group validation. Returns it."""
    extractors = read_yaml(project_file)["plugins"]["extractors"]
    (plugin,) = [p for p in extractors if p["name"] == hub["name"]]
    assert plugin["pip_url"] == f"-e taps/{hub['name']}"
    assert [s["name"] for s in plugin["settings"]] == [s["name"] for s in hub["settings"]]
    for mine, theirs in zip(plugin["settings"], hub["settings"], strict=True):
        assert mine["kind"] == theirs["kind"], mine["name"]
        assert mine.get("sensitive", False) == theirs.get("sensitive", False), mine["name"]
        assert mine.get("value") == theirs.get("value"), mine["name"]
    assert set(plugin["capabilities"]) == set(hub["capabilities"])
    assert plugin.get("settings_group_validation") == hub.get("settings_group_validation")
    return plugin
