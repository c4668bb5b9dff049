"""Run tap-shopify-chord as users do (its console script), against the sandbox over loopback."""

from __future__ import annotations

import contextlib
import io
import logging
from typing import Any

import pytest
from sandbox.tap_testing import TapRun, kill_tap_fixture, run_tap_fixture

run_tap = run_tap_fixture("tap-shopify-chord", timeout=120)
kill_tap = kill_tap_fixture("tap-shopify-chord", watch="state", timeout=60)


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
