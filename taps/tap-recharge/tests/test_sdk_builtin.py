"""singer-sdk's built-in tap tests, against a sandbox started for this module."""

from __future__ import annotations

import atexit
from contextlib import ExitStack

from sandbox.recharge import RechargeSandbox, RechargeStore, create_app
from sandbox.server import serve_in_thread
from singer_sdk.testing import get_tap_test_class
from tap_recharge.tap import TapRecharge

# The SDK builds its test class at import time from a fixed config, so the sandbox must be
# up before that: start it here and stop it when the interpreter exits. The token has every
# scope, since the SDK expects records from every stream.
_servers = ExitStack()
atexit.register(_servers.close)
_sandbox = RechargeSandbox(store=RechargeStore(seed=5, scale=0.04), rate_limit=0, missing_scopes=())
_url = _servers.enter_context(serve_in_thread(create_app(_sandbox)))

TestTapRecharge = get_tap_test_class(
    TapRecharge,
    config={"access_token": _sandbox.token, "api_url": _url, "max_requests_per_second": 0},
)
