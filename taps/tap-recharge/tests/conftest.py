"""Run tap-recharge as users do (its console script), against the sandbox over loopback."""

from __future__ import annotations

from sandbox.tap_testing import kill_tap_fixture, run_tap_fixture

run_tap = run_tap_fixture("tap-recharge", timeout=300)
kill_tap = kill_tap_fixture("tap-recharge", watch="counts", timeout=120)
