"""singer-sdk's built-in tap tests, against a sandbox started for this module."""

from __future__ import annotations

import atexit
from contextlib import ExitStack

from sandbox.okendo import OkendoSandbox, ReviewStore, SurveyStore, create_app
from sandbox.server import serve_in_thread
from singer_sdk.testing import get_tap_test_class
from tap_okendo.tap import TapOkendo

# The SDK builds its test class at import time from a fixed config, so the sandbox must be
# up before that: start it here and stop it when the interpreter exits.
_servers = ExitStack()
atexit.register(_servers.close)
_sandbox = OkendoSandbox(
    store=ReviewStore(seed=5, counts={"approved": 120, "pending": 15, "rejected": 4}),
    surveys=SurveyStore(seed=5, surveys={"nps-post-purchase": 110, "onsite-feedback": 20}),
    rate_limit=0,
)
_url = _servers.enter_context(serve_in_thread(create_app(_sandbox)))

TestTapOkendo = get_tap_test_class(
    TapOkendo,
    config={
        "user_id": _sandbox.user_id,
        "api_key": _sandbox.api_key,
        "api_url": f"{_url}/enterprise",
        "max_requests_per_second": 0,
        "survey_ids": ["nps-post-purchase", "onsite-feedback"],
    },
)
