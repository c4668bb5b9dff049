"""Run tap-okendo as users do (its console script), against the sandbox over loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TAP = str(Path(sys.executable).with_name("tap-okendo"))


@dataclass
class TapRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]


@pytest.fixture
def run_tap(tmp_path):
    def run(config: dict[str, Any], *args: str, timeout: float = 300) -> TapRun:
        config_file = tmp_path / "config.json"
        config_file.write_text(json.dumps(config))
        done = subprocess.run(
            [TAP, "--config", str(config_file), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return TapRun(done.returncode, done.stdout, done.stderr)

    return run
