"""Pytest fixtures that start a vendor sandbox on a free loopback port, or create a
throwaway OMS database on the local PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import requests

from sandbox.faults import Faults
from sandbox.okendo import OkendoSandbox, ReviewStore, SurveyStore, create_app
from sandbox.recharge import RechargeSandbox, RechargeStore
from sandbox.recharge import create_app as create_recharge_app
from sandbox.server import serve_in_thread

if TYPE_CHECKING:  # psycopg is imported only by the tests that use the OMS
    from sandbox.oms.testing import OmsDatabase


@dataclass
class RunningOkendo:
    url: str  # server root, for the /_sandbox admin routes
    sandbox: OkendoSandbox

    @property
    def api_url(self) -> str:
        return f"{self.url}/enterprise"

    @property
    def surveys(self) -> SurveyStore:
        """The live survey store: change it in-process, or hand it to the webhook sender."""
        return self.sandbox.surveys

    def tap_config(self, **overrides: Any) -> dict[str, Any]:
        return {
            "user_id": self.sandbox.user_id,
            "api_key": self.sandbox.api_key,
            "api_url": self.api_url,
            **overrides,
        }

    def truth(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/truth", timeout=30).json()

    def survey_truth(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/surveys/truth", timeout=30).json()

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/stats", timeout=30).json()


@pytest.fixture
def okendo_sandbox() -> Iterator[Callable[..., RunningOkendo]]:
    """Factory: `okendo_sandbox(counts={...}, surveys={...}, rate_limit=0, faults=Faults(...))`.

    `counts` are reviews per status, `surveys` responses per survey id (default
    surveys.DEFAULT_SURVEYS); both stores share `seed`.
    """
    with ExitStack() as stack:

        def start(
            *,
            seed: int = 1,
            counts: dict[str, int] | None = None,
            surveys: dict[str, int] | None = None,
            rate_limit: float = 0.0,
            burst: int = 2,
            faults: Faults | None = None,
        ) -> RunningOkendo:
            store = ReviewStore(seed=seed, counts=counts) if counts else ReviewStore(seed=seed)
            survey_store = (
                SurveyStore(seed=seed, surveys=surveys)
                if surveys is not None
                else SurveyStore(seed=seed)
            )
            sandbox = OkendoSandbox(
                store=store,
                surveys=survey_store,
                rate_limit=rate_limit,
                burst=burst,
                faults=faults or Faults(),
            )
            url = stack.enter_context(serve_in_thread(create_app(sandbox)))
            return RunningOkendo(url=url, sandbox=sandbox)

        yield start


@functools.cache
def _postgres_down(admin_url: str) -> str | None:
    import psycopg

    try:
        psycopg.connect(admin_url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return " ".join(str(exc).split())
    return None


@pytest.fixture
def oms_database() -> Iterator[OmsDatabase]:
    """A new, empty PostgreSQL database for one test (dropped after it); `.seed(...)` fills it.

    The server is $OMS_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test).
    The OMS is a PostgreSQL database, so without a server the test fails rather than skips.
    """
    from sandbox.oms.testing import PG_ADMIN_URL, redact, scratch_database

    if down := _postgres_down(PG_ADMIN_URL):
        pytest.fail(f"PostgreSQL at {redact(PG_ADMIN_URL)} not reachable: {down}")
    with scratch_database(PG_ADMIN_URL) as database:
        yield database


@dataclass
class RunningRecharge:
    url: str  # server root: the API and the /_sandbox admin routes
    sandbox: RechargeSandbox

    @property
    def api_url(self) -> str:
        return self.url

    @property
    def store(self) -> RechargeStore:
        return self.sandbox.store

    def tap_config(self, **overrides: Any) -> dict[str, Any]:
        return {"access_token": self.sandbox.token, "api_url": self.api_url, **overrides}

    def truth(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/truth", timeout=30).json()

    def stats(self, *, times: bool = False) -> dict[str, Any]:
        params = {"times": "1"} if times else {}
        return requests.get(f"{self.url}/_sandbox/stats", params=params, timeout=30).json()

    def reset_stats(self) -> None:
        requests.delete(f"{self.url}/_sandbox/stats", timeout=30).raise_for_status()

    def snapshot(self, resource: str) -> dict[int, str]:
        """id -> updated_at (created_at for events): what a complete copy holds."""
        response = requests.get(f"{self.url}/_sandbox/snapshot/{resource}", timeout=30)
        response.raise_for_status()
        return {int(k): v for k, v in response.json()["rows"].items()}

    def touch(
        self, resource: str, *, count: int = 0, ids: list[int] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"ids": ids} if ids is not None else {"count": count}
        response = requests.post(f"{self.url}/_sandbox/{resource}/touch", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def create(self, resource: str, count: int) -> dict[str, list[int]]:
        response = requests.post(
            f"{self.url}/_sandbox/{resource}/create", json={"count": count}, timeout=30
        )
        response.raise_for_status()
        return response.json()["created"]


@pytest.fixture
def recharge_sandbox() -> Iterator[Callable[..., RunningRecharge]]:
    """Factory: `recharge_sandbox(seed=1, scale=0.05, rate_limit=0, faults=Faults(...), ...)`.

    Keyword arguments other than `seed` and `scale` go to RechargeSandbox (missing_scopes,
    retry_after, inclusive_bounds, html_errors, bucket_size). The rate limit is off unless
    a test asks for it.
    """
    with ExitStack() as stack:

        def start(
            *, seed: int = 1, scale: float = 0.05, rate_limit: float = 0.0, **options: Any
        ) -> RunningRecharge:
            sandbox = RechargeSandbox(
                store=RechargeStore(seed=seed, scale=scale), rate_limit=rate_limit, **options
            )
            url = stack.enter_context(serve_in_thread(create_recharge_app(sandbox)))
            return RunningRecharge(url=url, sandbox=sandbox)

        yield start
