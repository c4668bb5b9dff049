"""Run tap-okendo as users do (its console script), against the sandbox over loopback."""

from __future__ import annotations

from sandbox.tap_testing import run_tap_fixture

run_tap = run_tap_fixture("tap-okendo", timeout=300)
