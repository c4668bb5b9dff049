"""singer-sdk's built-in tap tests (discovery, a full sync, every record against its stream's
schema), with all five platforms configured, each against a sandbox started for this module."""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from datetime import timedelta

from sandbox.ads import build, create_app
from sandbox.server import serve_in_thread
from singer_sdk.testing import get_tap_test_class
from tap_ads.tap import TapAds

# The SDK builds its test class at import time from a fixed config, so the sandboxes must be
# up before that: start them here and stop them when the interpreter exits.
_servers = ExitStack()
atexit.register(_servers.close)
_config: dict = {}
_today = None
for _name in ("meta", "google-ads", "tiktok", "pinterest", "reddit"):
    _platform = build(_name, scale=0.2, job_polls=1)
    _url = _servers.enter_context(serve_in_thread(create_app(_platform)))
    _config[_platform.name] = _platform.tap_config(_url)
    _today = min(a.today for a in _platform.sandbox.data.accounts)
_config["meta"]["poll_interval_ms"] = _config["pinterest"]["poll_interval_ms"] = 10
assert _today is not None

TestTapAds = get_tap_test_class(
    TapAds, config={"start_date": str(_today - timedelta(days=3)), **_config}
)
