"""The Hub in a real browser: Debian's headless Chromium driven by Playwright.

An admin adds Okendo and sees the setup guide beside the form; connects it against the
sandbox with a wrong key (the tap's error line, Broken), fixes it (Connected, and the first
sync starts by itself: Syncing, then the new Last sync and the row count the sandbox holds),
reads the per-stream rows and the run history with its log, tries a wrong key on the working
source (the test fails and the previous key stays in use), pauses it, and reads the audit
log. A read-only user meanwhile sees no control, and the server refuses each change with 403.
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
    # Extract and load only: dbt's models are tested end to end elsewhere, and would double
    # the wait for the first sync here.
    jobs = hub_server.project / "meltano" / "jobs.meltano.yml"
    jobs.write_text(
        jobs.read_text().replace(
            "tap-okendo target-duckdb dbt-duckdb:build-okendo-reviews", "tap-okendo target-duckdb"
        )
    )
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
    guide = page.locator("#setup-guide")  # beside the form: where each credential is
    expect(guide).to_contain_text("Okendo > Settings > Integrations > API credentials")
    expect(guide).to_contain_text("What Save and Test checks")

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

    # Choose what syncs (the catalog of that first discovery): sync_runs is left out.
    okendo_row.get_by_role("link", name="Okendo").click()
    streams = page.locator('#stream-form input[name="stream"]')
    expect(streams).to_have_count(3)
    page.get_by_label("survey_responses").uncheck()  # the project deselects it already
    page.get_by_label("sync_runs").uncheck()
    page.get_by_role("button", name="Save streams").click()
    expect(page.get_by_role("status")).to_have_text(
        "Streams saved: reviews. The next run syncs only these."
    )
    expect(page.get_by_label("sync_runs")).not_to_be_checked()
    environments = (hub_server.project / "meltano" / "environments.meltano.yml").read_text()
    assert "select:\n              - reviews.*\n" in environments, environments

    # The right key: Connected, and the first sync starts by itself: the list shows Syncing.
    page.get_by_label("API key").fill(okendo.sandbox.api_key)
    page.get_by_role("button", name="Save and Test").click()
    expect(page.locator("#test-result")).to_have_text("Connected")
    expect(page.locator("#setup")).to_have_text("Connected")
    expect(page.get_by_role("status")).to_have_text("Saved. Connected: the first sync has started.")
    shot("2-connected")
    page.get_by_role("link", name="Data Sources").click()
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
    expect(reader.get_by_role("link", name="Audit log")).to_have_count(0)
    shot("4-read-only", reader)
    # ... and the server refuses every change from that session (not only hidden buttons).
    token = reader.locator('input[name="csrf_token"]').first.get_attribute("value") or ""
    for action in ("settings", "streams", "schedule", "run", "pause", "resume", "disconnect"):
        answer = reader.request.post(
            f"{url}/sources/tap-okendo/{action}",
            form={"csrf_token": token, "confirm": "tap-okendo", "cron": "* * * * *"},
        )
        assert answer.status == 403, action
    assert reader.request.get(f"{url}/audit").status == 403
    assert reader.request.get(f"{url}/sources/tap-okendo/disconnect").status == 403

    # The admin's list refreshes itself: the new Last sync and the rows loaded appear.
    expect(okendo_row.locator('[data-col="sync"]')).to_have_text("Scheduled", timeout=90_000)
    expect(okendo_row.locator('[data-col="last-sync"]')).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
    )
    # Every review; sync_runs (one row per full copy) was deselected, so it loads nothing.
    expected_rows = truth["reviews"]["total"]
    expect(okendo_row.locator('[data-col="rows"]')).to_have_text(str(expected_rows))
    expect(okendo_row.locator('[data-col="setup"]')).to_have_text("Connected")
    expect(okendo_row.locator('[data-col="error"]')).to_have_text("")
    assert page.evaluate("window.hubMarker") == "still the same page"  # polled, not reloaded
    shot("5-synced")

    # Per stream, as SparkLayer shows feeds: rows, last import and Green; the run's history.
    okendo_row.get_by_role("link", name="Okendo").click()
    reviews = page.locator('#streams tr[data-stream="reviews"]')
    expect(reviews.locator('[data-col="state"]')).to_have_text("Green")
    expect(reviews.locator('[data-col="rows"]')).to_have_text(f"{truth['reviews']['total']:,}")
    expect(reviews.locator('[data-col="imported"]')).to_have_text(re.compile(r" UTC$"))
    expect(page.locator('#streams tr[data-stream="sync_runs"]')).to_have_count(0)
    expect(page.locator("#streams tbody tr")).to_have_count(1)
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(1)
    expect(history.locator('[data-col="outcome"]')).to_have_text("Success")
    expect(history.locator('[data-col="duration"]')).to_have_text(re.compile(r"^\d+ s$"))
    shot("5b-streams")
    history.get_by_role("link", name="Log").click()
    expect(page.locator("#run-log")).to_contain_text("[hub] run ended: exit code 0")
    assert str(hub_server.project) not in page.content()
    page.go_back()

    # A wrong key on a working source: the test fails, and the previous key stays in use.
    page.get_by_label("API key").fill(WRONG_KEY)
    page.get_by_role("button", name="Save and Test").click()
    expect(page.get_by_role("status")).to_have_text(
        f"The test failed with the new settings, so the previous ones stay in use: "
        f"{CREDENTIALS_ERROR}"
    )
    expect(page.locator("#setup")).to_have_text("Connected")
    expect(page.locator("#test-result")).to_have_text("Connected")
    shot("5c-wrong-key-kept-old")

    # Pause: the schedule stops starting runs.
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#sync")).to_have_text("Paused")
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    page.get_by_role("link", name="Data Sources").click()
    expect(okendo_row.locator('[data-col="sync"]')).to_have_text("Paused")
    shot("6-paused")

    # Run now's load options (Amperity's): Okendo has no start date, so no date range; what
    # each option runs is test_scheduler's, and the refusals test_web's.
    okendo_row.get_by_role("link", name="Okendo").click()
    options = page.locator("#load option")
    expect(options).to_have_text(["New data (from the bookmarks)", "All data (a full copy)"])
    page.get_by_role("link", name="Data Sources").click()

    # The audit log: who did what, and when.
    page.get_by_role("link", name="Audit log").click()
    actions = page.locator('#audit [data-col="action"]')
    expect(actions.first).to_have_text("Paused")
    done = actions.all_text_contents()
    for action in (
        "Connection created",
        "Connection tested",
        "Streams chosen",
        "Run started",
        "Signed in",
    ):
        assert action in done, done
    expect(page.locator("#audit")).to_contain_text("first sync")
    shot("7-audit-log")

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
