"""Pytest fixtures for the shopify sandbox (registered as a pytest11 entry point)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from sandbox.server import serve_in_thread
from sandbox.shopify.app import DEFAULT_VERSION, ShopifySandbox, create_app
from sandbox.shopify.data import Store
from sandbox.shopify.graph import READ_SCOPES


@dataclass
class RunningShopify:
    url: str  # server root: the API, the bulk files and the /_sandbox admin routes
    sandbox: ShopifySandbox

    @property
    def api_url(self) -> str:
        """What the tap's `api_url` setting takes (it replaces https://{shop}.myshopify.com)."""
        return self.url

    @property
    def access_token(self) -> str:
        return self.sandbox.access_token

    @property
    def client_id(self) -> str:
        return self.sandbox.client_id

    @property
    def client_secret(self) -> str:
        return self.sandbox.client_secret

    @property
    def store(self) -> Store:
        return self.sandbox.store

    def graphql_url(self, version: str = DEFAULT_VERSION) -> str:
        return f"{self.url}/admin/api/{version}/graphql.json"

    def tap_config(self, **overrides: Any) -> dict[str, Any]:
        """Settings for tap-shopify-chord: the static token unless overridden (pass
        access_token=None with client_id/client_secret to test the grant)."""
        config: dict[str, Any] = {
            "shop": "chord-sandbox",
            "api_url": self.api_url,
            "api_version": DEFAULT_VERSION,
            "access_token": self.access_token,
            "start_date": "2020-01-01T00:00:00Z",
            **overrides,
        }
        return {k: v for k, v in config.items() if v is not None}

    def truth(self, scopes: tuple[str, ...] | list[str] | None = None) -> dict[str, Any]:
        params = {"scopes": ",".join(scopes)} if scopes is not None else {}
        response = requests.get(f"{self.url}/_sandbox/truth", params=params, timeout=120)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/stats", timeout=30).json()

    def reset_stats(self) -> None:
        requests.delete(f"{self.url}/_sandbox/stats", timeout=30).raise_for_status()

    def mutate(
        self,
        *,
        changed_orders: int = 0,
        refunds_on_old_orders: int = 0,
        new_customers: int = 0,
        seed: int | None = None,
        **more: Any,
    ) -> dict[str, Any]:
        """Store.mutate over HTTP; `more`: changed_customers, changed_products,
        changed_checkouts, second ("clock", "after" or "bookmark")."""
        body = {
            "changed_orders": changed_orders,
            "refunds_on_old_orders": refunds_on_old_orders,
            "new_customers": new_customers,
            "seed": seed,
            **more,
        }
        response = requests.post(f"{self.url}/_sandbox/mutate", json=body, timeout=60)
        response.raise_for_status()
        return response.json()


def start_shopify(
    stack: ExitStack,
    *,
    seed: int = 1,
    scale: float = 1.0,
    orders: int | None = None,
    now: float | None = None,
    scopes: tuple[str, ...] | list[str] = READ_SCOPES,
    **options: Any,
) -> RunningShopify:
    """Start one sandbox inside `stack` (closed with it). Options: ShopifySandbox fields
    (restore_rate, bucket, throttle_storm_every, error_rate, bulk_polls, bulk_seconds,
    bulk_fail, token_ttl)."""
    density = {k: options.pop(k) for k in ("per_second", "burst") if k in options}
    store = Store(
        seed=seed,
        scale=scale,
        orders_count=orders,
        now=None if now is None else int(now),
        **density,
    )
    sandbox = ShopifySandbox(store=store, scopes=tuple(scopes), **options)
    stack.callback(sandbox.close)
    url = stack.enter_context(serve_in_thread(create_app(sandbox)))
    return RunningShopify(url=url, sandbox=sandbox)


@pytest.fixture
def shopify_sandbox() -> Iterator[Callable[..., RunningShopify]]:
    """Factory: `shopify_sandbox(seed=1, scale=1.0, orders=None, scopes=READ_SCOPES,
    restore_rate=100, bucket=2000, throttle_storm_every=0, error_rate=0, bulk_polls=2,
    bulk_fail=0, token_ttl=86399, now=None)` -> RunningShopify."""
    with ExitStack() as stack:

        def start(**kwargs: Any) -> RunningShopify:
            return start_shopify(stack, **kwargs)

        yield start
