"""Run tap-shopify-chord as users do (its console script), against the sandbox over loopback."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TAP = str(Path(sys.executable).with_name("tap-shopify-chord"))


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
    def last_line(self) -> str:
        return self.stderr.strip().splitlines()[-1]


@pytest.fixture
def run_tap(tmp_path):
    def run(
        config: dict[str, Any],
        *args: str,
        state: dict[str, Any] | None = None,
        timeout: float = 120,
    ) -> TapRun:
        config_file = tmp_path / "config.json"
        config_file.write_text(json.dumps(config))
        extra: list[str] = []
        if state is not None:
            state_file = tmp_path / "state.json"
            state_file.write_text(json.dumps(state))
            extra = ["--state", str(state_file)]
        done = subprocess.run(
            [TAP, "--config", str(config_file), *extra, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return TapRun(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def kill_tap(tmp_path):
    """Start the tap and SIGKILL it at the first STATE message for which `until(state)`
    holds; returns what it wrote until then."""

    def run(
        config: dict[str, Any], *, until: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> TapRun:
        config_file = tmp_path / "kill-config.json"
        config_file.write_text(json.dumps(config))
        proc = subprocess.Popen(
            [TAP, "--config", str(config_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        lines: list[str] = []
        try:
            for line in proc.stdout:
                lines.append(line)
                message = json.loads(line)
                if message["type"] == "STATE" and until(message["value"]):
                    os.kill(proc.pid, signal.SIGKILL)
                    break
        finally:
            proc.kill()
            proc.wait(timeout=timeout)
        return TapRun(proc.returncode, "".join(lines), "")

    return run


@pytest.fixture
def run_in_process(caplog):
    """The tap run in this process (no interpreter start-up): stdout captured, log records
    as its stderr, a SystemExit as exit status 1 with its message as the last line."""
    from tap_shopify_chord.tap import TapShopifyChord

    def run(config: dict[str, Any], *, state: dict[str, Any] | None = None) -> TapRun:
        caplog.clear()
        caplog.set_level(logging.INFO)
        out = io.StringIO()
        code, last = 0, ""
        with contextlib.redirect_stdout(out):
            try:
                tap = TapShopifyChord(config=config, state=state, parse_env_config=False)
                tap.sync_all()
            except SystemExit as exc:
                code, last = 1, str(exc)
        logs = "\n".join(f"{r.levelname} {r.name} {r.getMessage()}" for r in caplog.records)
        return TapRun(code, out.getvalue(), logs + ("\n" + last if last else ""))

    return run
