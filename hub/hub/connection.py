"""Save and Test: run the tap's own connection check through Meltano and remember the result.

`meltano --environment ENV config test TAP` discovers the catalog and runs the tap until its
first record; on failure it passes on the tap's stderr, whose last line is the tap's one-line
error (our taps' `fail()`). The result is kept in .meltano/hub/connection_tests.json with a
keyed fingerprint of the settings tested, so the list can say Broken after a failed test and
knows a result is stale once the settings change. No secret is ever written there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub import settings
from hub.private import without_paths
from hub.state import hub_dir, read_json, secret_key, write_json

TIMEOUT_SECONDS = 120
# Meltano's own log lines ("2026-01-01T00:00:00Z [info ] ...") and its advice lines.
_MELTANO_LOG = re.compile(r"^\d{4}-\d\d-\d\dT\S+\s+\[\s*\w+\s*\]")
_MELTANO_NOISE = ("Run 'meltano config list", "Need help fixing this problem")


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str  # "Connected" or the tap's error line
    tested_at: datetime
    fingerprint: str

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tested_at": self.tested_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestResult:
        return cls(
            ok=bool(data["ok"]),
            message=str(data["message"]),
            tested_at=datetime.fromisoformat(data["tested_at"]),
            fingerprint=str(data["fingerprint"]),
        )


def _results_file(root: Path) -> Path:
    return hub_dir(root) / "connection_tests.json"


def fingerprint(root: Path, plugin: settings.Plugin) -> str:
    """HMAC of the settings a run would use: equal iff they did not change (secrets stay hidden)."""
    config = {s.name: s.value for s in plugin.settings}
    payload = json.dumps(config, sort_keys=True, default=str).encode()
    return hmac.new(secret_key(root), payload, hashlib.sha256).hexdigest()


def last_result(root: Path, source: str) -> TestResult | None:
    data = read_json(_results_file(root)).get(source)
    return TestResult.from_json(data) if data else None


def put_back(root: Path, source: str, previous: TestResult | None) -> None:
    """Make `previous` the source's last result again (None: as if never tested)."""
    results = read_json(_results_file(root))
    if previous is None:
        results.pop(source, None)
    else:
        results[source] = previous.to_json()
    write_json(_results_file(root), results)


def forget_result(root: Path, source: str) -> None:
    results = read_json(_results_file(root))
    if results.pop(source, None) is not None:
        write_json(_results_file(root), results)


def error_line(stderr: str, secrets: list[str]) -> str:
    """The tap's one-line error out of `meltano config test`'s stderr, secrets masked."""
    lines = [
        line.strip()
        for line in stderr.splitlines()
        if line.strip()
        and not _MELTANO_LOG.match(line.strip())
        and not line.strip().startswith(_MELTANO_NOISE)
    ]
    line = lines[-1] if lines else "The connection test failed without saying why."
    line = line.removeprefix("Plugin configuration is invalid").strip() or line
    for secret in secrets:
        if secret and len(secret) >= 4:
            line = line.replace(secret, "••••")
    return line


def meltano_command(root: Path, *args: str) -> list[str]:
    """`meltano` from this Python's environment, in the active environment."""
    meltano = str(Path(sys.executable).with_name("meltano"))
    env = settings.active_environment(root)
    return [meltano, *(["--environment", env] if env else []), *args]


def run_test(root: Path, source: str) -> TestResult:
    """Run the tap's connection check now and remember the result."""
    plugin = settings.extractor(root, source)
    secrets = [str(s.value) for s in plugin.settings if s.secret and s.value]
    stamp = fingerprint(root, plugin)
    if plugin.missing:
        ok, message = False, f"Missing: {', '.join(plugin.missing)}."
    else:
        try:
            done = subprocess.run(
                meltano_command(root, "config", "test", source),
                cwd=root,
                env={**os.environ, "MELTANO_PROJECT_ROOT": str(root)},
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            ok, message = (
                False,
                f"The connection test did not finish within {TIMEOUT_SECONDS} s: "
                "check the API URL and that the service is reachable.",
            )
        else:
            ok = done.returncode == 0
            message = "Connected" if ok else without_paths(error_line(done.stderr, secrets), root)
    result = TestResult(ok, message, datetime.now(UTC), stamp)
    results = read_json(_results_file(root))
    results[source] = result.to_json()
    write_json(_results_file(root), results)
    return result
