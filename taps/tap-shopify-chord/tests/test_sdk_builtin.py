"""singer-sdk's built-in tap tests, against a sandbox started for this module."""

from __future__ import annotations

import atexit
from contextlib import ExitStack

import pytest
from sandbox.shopify.pytest_plugin import start_shopify
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_shopify_chord.tap import TapShopifyChord

# The SDK builds its test class at import time from a fixed config, so the sandbox must be
# up before that: start it here and stop it when the interpreter exits. Throttling off, every
# scope, a store small enough to be quick but with rows in every table.
_servers = ExitStack()
atexit.register(_servers.close)
_shop = start_shopify(_servers, seed=5, scale=0.1, restore_rate=0)

# REST columns GraphQL no longer fills (cart_token, user_id, ...) are always null: the SDK's
# per-column type checks have nothing to check there and warn; every stream still must
# return records (that check fails, it does not warn).
pytestmark = pytest.mark.filterwarnings("ignore:No records were available to test:UserWarning")

TestTapShopifyChord = get_tap_test_class(
    TapShopifyChord,
    config=_shop.tap_config(bulk_poll_interval_ms=20),
    # no record cap: a capped run is a dry run, which reads plain pages instead of bulk
    suite_config=SuiteConfig(max_records_limit=None),
)
