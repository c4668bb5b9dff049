"""The Hub in a real browser: Debian's headless Chromium driven by Playwright.

An admin connects Okendo against the sandbox with a wrong key (sees the tap's error line and
Broken), fixes it (Connected), runs it now (Syncing, then the new Last sync and the row count
the sandbox says it holds), and pauses it. A read-only user then sees no change controls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COUNTS = {"approved": 5, "pending": 2, "rejected": 1}
WRONG_KEY = "wrongKey0000000000000000000000ab"
CREDENTIALS_ERROR = (
    "tap-okendo: Okendo rejected the User ID / API key pair (HTTP 401): re-copy both "
    "`user_id` and `api_key` from Okendo > Settings > Integrations > API credentials (no "
    "stray spaces; a regenerated key replaces the old one)."
)


@pytest.fixture
def open_browser(tmp_path: Path) -> Iterator[Callable[[], Page]]:
    """Factory: a new Chromium window with a fresh profile of its own (its own cookies)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package).")
    with sync_playwright() as playwright:
        contexts: list[BrowserContext] = []

        def launch() -> Page:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / f"chromium-profile-{len(contexts)}"),
                executable_path=CHROMIUM,
                args=ARGS,
                headless=True,
                viewport={"width": 1280, "height": 900},
            )
            context.set_default_timeout(60_000)  # a loaded CI machine: meltano starts slowly
            contexts.append(context)
            return context.pages[0] if context.pages else context.new_page()

        try:
            yield launch
        finally:
            for context in contexts:
                context.close()


def sign_in(page: Page, url: str, user: tuple[str, str]) -> None:
    page.goto(f"{url}/")
    page.get_by_label("User name").fill(user[0])
    page.get_by_label("Password").fill(user[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My Data Sources")).to_be_visible()


def test_admin_connects_runs_and_pauses_okendo_read_only_sees_no_controls(
    okendo_sandbox: Callable[..., Any],
    hub_server: Any,
    open_browser: Callable[[], Page],
    credentials: dict[str, tuple[str, str]],
    keep_screenshot: Callable[[Path], None],
    tmp_path: Path,
) -> None:
    okendo = okendo_sandbox(counts=COUNTS)
    truth = okendo.truth()
    page, url = open_browser(), hub_server.url
    shots = tmp_path / "screenshots"

    def shot(name: str, of: Page | None = None) -> None:
        path = shots / f"{name}.png"
        (of or page).screenshot(path=str(path), full_page=True)
        keep_screenshot(path)

    okendo_row = page.locator('tr[data-source="tap-okendo"]')

    sign_in(page, url, credentials["admin"])
    page.get_by_role("link", name="Add source").first.click()
    page.locator('a.source-card[data-source="tap-okendo"]').click()
    expect(page.get_by_role("heading", name=re.compile("Okendo"))).to_be_visible()

    # A wrong key: Save and Test shows the tap's own one-line error, and the list says Broken.
    page.get_by_text("More settings").click()
    page.get_by_label("API URL").fill(okendo.api_url)
    page.get_by_label("Max requests per second").fill("0")
    page.get_by_label("User ID").fill(okendo.sandbox.user_id)
    page.get_by_label("API key").fill(WRONG_KEY)
    page.get_by_role("button", name="Save and Test").click()
    expect(page.locator("#test-result")).to_have_text(CREDENTIALS_ERROR)
    expect(page.locator("#setup")).to_have_text("Broken")
    expect(page.get_by_label("API key")).to_have_value("")  # never echoed back
    assert WRONG_KEY not in page.content()
    shot("1-wrong-key")
    page.get_by_role("link", name="Data Sources").click()
    expect(okendo_row.locator('[data-col="setup"]')).to_have_text("Broken")
    expect(okendo_row.locator('[data-col="error"]')).to_have_text(CREDENTIALS_ERROR)

    # The right key: Connected.
    okendo_row.get_by_role("link", name="Okendo").click()
    page.get_by_label("API key").fill(okendo.sandbox.api_key)
    page.get_by_role("button", name="Save and Test").click()
    expect(page.locator("#test-result")).to_have_text("Connected")
    expect(page.locator("#setup")).to_have_text("Connected")
    shot("2-connected")

    # Run now: the list shows Syncing ...
    page.get_by_role("button", name="Run now").click()
    expect(okendo_row.locator('[data-col="sync"]')).to_have_text("Syncing")
    expect(okendo_row.locator('[data-col="last-sync"]')).to_have_text("Never")
    shot("3-syncing")

    # ... and while it runs, a read-only user (another browser) looks: the same pages, and not
    # one control that changes anything (the HTTP-level refusal is test_web.py's).
    page.evaluate("window.hubMarker = 'still the same page'")
    reader = open_browser()
    sign_in(reader, url, credentials["read-only"])
    expect(reader.locator(".role")).to_have_text("Read-only")
    expect(reader.get_by_role("link", name="Add source")).to_have_count(0)
    reader.locator('tr[data-source="tap-okendo"]').get_by_role("link", name="Okendo").click()
    expect(reader.locator("#setup")).to_have_text("Connected")
    for control in ("Save and Test", "Save schedule", "Run now", "Pause", "Resume"):
        expect(reader.get_by_role("button", name=control)).to_have_count(0)
    expect(reader.get_by_role("link", name=re.compile("Disconnect"))).to_have_count(0)
    expect(reader.locator("input:not([type=hidden]), select")).to_have_count(0)
    expect(reader.locator('form[method="post"]')).to_have_count(1)  # Sign out, nothing else
    shot("4-read-only", reader)

    # The admin's list refreshes itself: the new Last sync and the rows loaded appear.
    expect(okendo_row.locator('[data-col="sync"]')).to_have_text("Scheduled", timeout=90_000)
    expect(okendo_row.locator('[data-col="last-sync"]')).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
    )
    # Every review, plus the one sync_runs row that records the full copy.
    expected_rows = truth["reviews"]["total"] + 1
    expect(okendo_row.locator('[data-col="rows"]')).to_have_text(str(expected_rows))
    expect(okendo_row.locator('[data-col="setup"]')).to_have_text("Connected")
    expect(okendo_row.locator('[data-col="error"]')).to_have_text("")
    assert page.evaluate("window.hubMarker") == "still the same page"  # polled, not reloaded
    shot("5-synced")

    # Pause: the schedule stops starting runs.
    okendo_row.get_by_role("link", name="Okendo").click()
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#sync")).to_have_text("Paused")
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    page.get_by_role("link", name="Data Sources").click()
    expect(okendo_row.locator('[data-col="sync"]')).to_have_text("Paused")
    shot("6-paused")

    # The keys typed went to .env only (Meltano's store for secrets), and the wrong one is
    # gone from everywhere: project files, the Hub's state, the server's and the run's logs.
    project = hub_server.project
    assert f"TAP_OKENDO_API_KEY='{okendo.sandbox.api_key}'" in (project / ".env").read_text()
    assert (project / ".env").stat().st_mode & 0o077 == 0  # the owner's eyes only
    texts = [
        *(project / "meltano").glob("*.yml"),
        project / "meltano.yml",
        project / ".env",
        *(project / ".meltano" / "hub").rglob("*.json"),
        *(project / ".meltano" / "hub" / "runs").rglob("*.log"),
        hub_server.log,
    ]
    for path in texts:
        assert WRONG_KEY not in path.read_text(errors="replace"), path
