"""Pytest fixtures that start a vendor sandbox on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from sandbox.faults import Faults
from sandbox.okendo import OkendoSandbox, ReviewStore, SurveyStore, create_app
from sandbox.server import serve_in_thread


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
