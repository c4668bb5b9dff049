"""The Hub's security holes of issue 16, each closed and checked over HTTP against a real
`hub serve`: secrets through `${VAR}` references, a cron that never fires, sign-in
throttling, server-side sessions, secrets kept when the API host changes, and what read-only
users, file modes and error lines give away.

The module has its own server (and so its own sign-in counters): the throttle test runs last
because it spends this address's allowance of failures.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.auth import add_user
from hub.schedules import schedule_for_source
from ruamel.yaml import YAML

SERVER_SECRET = "serverOnlySecret0000000000000042"  # an env var of the server process
DOTENV_SECRET = "dotenvSecret00000000000000000042"
DEV_KEY = "sbx0kendoKey00000000000000000042"  # tap-okendo's key in the dev environment
HUB_ENV = {"HUB_TEST_SERVER_SECRET": SERVER_SECRET}


def _edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    yaml = YAML()
    yaml.preserve_quotes = True
    doc = yaml.load(path.read_text())
    change(doc)
    with path.open("w") as out:
        yaml.dump(doc, out)


def _okendo_config(project: Path, **values: Any) -> None:
    """Set tap-okendo's dev config in the project file, as a hand edit would."""

    def change(doc: Any) -> None:
        dev = next(e for e in doc["environments"] if e["name"] == "dev")
        okendo = next(
            e for e in dev["config"]["plugins"]["extractors"] if e["name"] == "tap-okendo"
        )
        okendo["config"].update(values)

    _edit_yaml(project / "meltano" / "environments.meltano.yml", change)


def _set_interval(project: Path, source: str, interval: str) -> None:
    schedule = schedule_for_source(project, source)
    assert schedule is not None

    def change(doc: Any) -> None:
        entry = next(e for e in doc["schedules"] if e["name"] == schedule.name)
        entry["interval"] = interval

    _edit_yaml(project / schedule.file, change)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_dollar_references_show_as_stored_and_cannot_be_entered(
    hub_server: Any, hub_client: Callable[[], Any], credentials: dict[str, tuple[str, str]]
) -> None:
    project = hub_server.project
    (project / ".env").write_text(f"TAP_OKENDO_API_KEY='{DOTENV_SECRET}'\n")
    # References already in a project file (a hand edit): shown as written, never expanded.
    _okendo_config(project, api_version="${TAP_OKENDO_API_KEY}", user_id="$HUB_TEST_SERVER_SECRET")
    reader, admin = hub_client(), hub_client()
    reader.sign_in(credentials["read-only"])
    admin.sign_in(credentials["admin"])
    for client in (reader, admin):
        page = client.get("/sources/tap-okendo").text
        for secret in (DOTENV_SECRET, SERVER_SECRET, DEV_KEY):
            assert secret not in page
        assert "${TAP_OKENDO_API_KEY}" in page
        assert "$HUB_TEST_SERVER_SECRET" in page

    # A new reference typed into the Hub is refused, and nothing is written.
    environments = project / "meltano" / "environments.meltano.yml"
    before = environments.read_text()
    token = admin.csrf("/sources/tap-okendo")
    for typed in ("${HUB_TEST_SERVER_SECRET}", "v$TAP_OKENDO_API_KEY"):
        refused = admin.post(
            "/sources/tap-okendo/settings",
            {"csrf_token": token, "request_timeout": "30", "api_url": typed},
        )
        assert refused.status_code == 400
        assert (
            "API URL cannot hold $NAME or ${NAME}: Meltano would replace it with an "
            "environment variable&#39;s value. Type the value itself."
        ) in refused.text
        assert SERVER_SECRET not in refused.text and DOTENV_SECRET not in refused.text
    assert environments.read_text() == before
    _okendo_config(project, api_version="2025-02-01", user_id="5c4b8a1e")
    (project / ".env").unlink()


def test_a_cron_that_never_fires_is_refused_and_never_takes_pages_down(
    hub_server: Any, hub_client: Callable[[], Any], credentials: dict[str, tuple[str, str]]
) -> None:
    project = hub_server.project
    admin, reader = hub_client(), hub_client()
    admin.sign_in(credentials["admin"])
    reader.sign_in(credentials["read-only"])
    token = admin.csrf("/sources/tap-okendo")
    refused = admin.post(
        "/sources/tap-okendo/schedule",
        {"csrf_token": token, "cron": "0 0 31 2 *", "timezone": "UTC"},
    )
    assert refused.status_code == 400
    assert "&#39;0 0 31 2 *&#39; never runs (no such date): pick a day" in refused.text

    # One already stored (a hand edit): every page still answers, and says it never runs.
    _set_interval(project, "tap-okendo", "0 0 31 2 *")
    try:
        for client in (admin, reader):
            for path in ("/", "/sources/add", "/sources/tap-okendo", "/?fragment=1"):
                response = client.get(path)
                assert response.status_code == 200, (path, response.text[-300:])
        page = admin.get("/sources/tap-okendo").text
        assert "This schedule never runs: no date matches <code>0 0 31 2 *</code>." in page
        assert 'id="save-schedule"' in page  # the repair form is on a working page
    finally:
        _set_interval(project, "tap-okendo", "0 6 * * *")


def test_sign_out_and_new_passwords_end_sessions_that_last_eight_hours_at_most(
    hub_server: Any, hub_client: Callable[[], Any], credentials: dict[str, tuple[str, str]]
) -> None:
    project = hub_server.project
    admin = hub_client()
    assert admin.sign_in(credentials["admin"]).status_code == 303
    kept = admin.cookie
    assert kept is not None and len(kept) >= 40
    # The cookie is an id, not the session: it is not re-signed on every response.
    page = admin.get("/")
    assert page.status_code == 200
    assert page.headers.get_list("set-cookie") == []
    assert admin.get("/sources/tap-okendo").headers.get_list("set-cookie") == []

    signed_out = admin.post("/logout", {"csrf_token": admin.csrf("/")})
    assert signed_out.status_code == 303
    assert "max-age=0" in signed_out.headers["set-cookie"].lower()
    thief = hub_client()
    thief.cookie = kept  # a copy kept from before the sign-out
    assert thief.get("/").status_code == 303
    assert thief.get("/").headers["location"] == "/login?next=/"

    # A password change ends that user's sessions.
    add_user(project, "carl", "read-only", "first password")
    carl = hub_client()
    carl.sign_in(("carl", "first password"))
    assert carl.get("/").status_code == 200
    add_user(project, "carl", "read-only", "second password")
    assert carl.get("/").status_code == 303

    # An absolute lifetime: a session started 8 hours ago ends, however busy it was.
    admin.sign_in(credentials["admin"])
    assert admin.get("/").status_code == 200
    store = project / ".meltano" / "hub" / "sessions.json"
    assert _mode(store) == 0o600
    assert admin.cookie not in store.read_text()  # only a hash of the id is stored
    sessions = json.loads(store.read_text())
    key = hashlib.sha256(str(admin.cookie).encode()).hexdigest()
    sessions[key]["created"] -= 8 * 3600 + 1
    store.write_text(json.dumps(sessions))
    assert admin.get("/").status_code == 303


def test_a_new_api_host_needs_the_secrets_typed_again(
    hub_server: Any, hub_client: Callable[[], Any], credentials: dict[str, tuple[str, str]]
) -> None:
    project = hub_server.project
    admin = hub_client()
    admin.sign_in(credentials["admin"])
    token = admin.csrf("/sources/tap-okendo")
    environments = project / "meltano" / "environments.meltano.yml"
    before = environments.read_text()
    for new_url in ("https://collector.example.net/enterprise", "http://127.0.0.1:9/enterprise"):
        refused = admin.post(
            "/sources/tap-okendo/settings",
            {"csrf_token": token, "api_url": new_url, "api_key": ""},
        )
        assert refused.status_code == 400
        assert (
            "The API URL now points at another host: type API key again, so the stored one "
            "is never sent there."
        ) in refused.text
    assert environments.read_text() == before
    assert DEV_KEY in before  # still stored, for the host it was meant for


def test_read_only_sees_no_disconnect_runs_leave_private_files_and_errors_no_paths(
    hub_server: Any,
    hub_client: Callable[[], Any],
    credentials: dict[str, tuple[str, str]],
    okendo_sandbox: Callable[..., Any],
) -> None:
    project = hub_server.project
    reader, admin = hub_client(), hub_client()
    reader.sign_in(credentials["read-only"])
    admin.sign_in(credentials["admin"])
    disconnect = reader.get("/sources/tap-okendo/disconnect")
    assert disconnect.status_code == 403
    assert 'name="confirm"' not in disconnect.text
    assert "Read-only users can look but not change anything." in disconnect.text
    assert 'name="confirm"' in admin.get("/sources/tap-okendo/disconnect").text

    # A real run (load only: dbt adds nothing here) against the sandbox, started by the Hub.
    okendo = okendo_sandbox(counts={"approved": 3})

    def load_only(doc: Any) -> None:
        job = next(j for j in doc["jobs"] if j["name"] == "okendo-reviews")
        job["tasks"] = ["tap-okendo target-duckdb"]

    _edit_yaml(project / "meltano" / "jobs.meltano.yml", load_only)
    token = admin.csrf("/sources/tap-okendo")
    # Never tested here: Incomplete, so Paused, and Run now is refused (Chord's statuses).
    assert admin.post("/sources/tap-okendo/run", {"csrf_token": token}).status_code == 303
    page = admin.get("/sources/tap-okendo").text
    assert "Run now needs a Connected source: Not tested yet: open it and Save and Test." in page
    assert '<span class="badge paused" id="sync">Paused</span>' in page
    assert not list((project / ".meltano" / "hub").glob("runs/okendo-reviews-daily/*.log"))
    # The new host with the key typed again is accepted; Connected starts the first sync.
    saved = admin.post(
        "/sources/tap-okendo/settings",
        {
            "csrf_token": token,
            "api_url": okendo.api_url,
            "user_id": okendo.sandbox.user_id,
            "api_key": okendo.sandbox.api_key,
            "max_requests_per_second": "0",
        },
    )
    assert saved.status_code == 303
    assert "Saved. Connected: the first sync has started." in admin.get("/").text
    deadline = time.monotonic() + 120
    while 'id="run-status">Running' in (page := admin.get("/sources/tap-okendo").text):
        assert time.monotonic() < deadline, "the run did not end within 120 s"
        time.sleep(0.5)
    assert 'id="run-status">Success' in page, page
    reviews = re.search(r'<tr data-stream="reviews">(.*?)</tr>', page, re.S)
    assert reviews is not None
    assert ">Green</span>" in reviews[1] and 'data-col="rows">3</td>' in reviews[1]
    hub = project / ".meltano" / "hub"
    private = [
        project / ".meltano" / "meltano.db",
        project / "output" / "warehouse.duckdb",
        *(hub / "runs").rglob("*.log"),
        *(hub / "locks").glob("*.lock"),
        *hub.glob("*.json"),
    ]
    assert len(private) >= 6
    assert {str(p.relative_to(project)): oct(_mode(p)) for p in private} == {
        str(p.relative_to(project)): oct(0o600) for p in private
    }
    folders = [hub, hub / "runs", hub / "locks", *(hub / "runs").iterdir()]
    assert {str(p): oct(_mode(p)) for p in folders} == {str(p): oct(0o700) for p in folders}

    # A failed run whose log names files: the page shows no absolute server path.
    oms = schedule_for_source(project, "tap-oms")
    assert oms is not None
    logs = hub / "runs" / oms.name
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "20261201T060000000000Z-0123456789abcdef0123456789abcdef.log").write_text(
        f"[hub] {oms.name}: run oms\n"
        "2026-12-01T06:00:01.000000Z [error    ] tap-oms       FileNotFoundError: [Errno 2] "
        f"No such file or directory: '{project}/.meltano/run/tap-oms/tap.properties.json'\n"
        "[hub] run ended: exit code 1 at 2026-12-01T06:00:02+00:00\n"
    )
    (logs / "20261201T050000000000Z-0123456789abcdef0123456789abcdee.log").write_text(
        "[hub] run ended: exit code 2 at 2026-12-01T05:00:02+00:00\n"
    )
    for client in (admin, reader):
        for path in ("/", "/sources/tap-oms"):
            text = client.get(path).text
            assert str(project) not in text and "/tmp/" not in text, path
    listing = admin.get("/").text
    assert re.search(
        r"No such file or directory: &#39;\.meltano/run/tap-oms/tap\.properties\.json&#39;",
        listing,
    ), listing


def test_sign_in_is_throttled_per_user_and_per_address(
    hub_server: Any, hub_client: Callable[[], Any], credentials: dict[str, tuple[str, str]]
) -> None:
    name, password = credentials["admin"]
    attacker = hub_client()
    for _ in range(5):
        assert attacker.sign_in((name, "guess")).status_code == 401
    refused = attacker.sign_in((name, "guess"))
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert "Too many failed sign-ins: try again in 1 second." in refused.text
    # While locked even the right password waits (and no argon2 hash is spent on it) ...
    assert hub_client().sign_in((name, password)).status_code == 429
    # ... but not for long: the lock is short (doubling to 30 s at most, see test_throttle).
    time.sleep(1.05)
    assert hub_client().sign_in((name, password)).status_code == 303

    # Per address: 20 failures from one address, whatever the names, stop that address.
    for n in range(15):  # the 5 above count too
        assert attacker.sign_in((f"nobody{n}", "guess")).status_code == 401
    blocked = attacker.sign_in(("someone-else", "guess"))
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "1"
