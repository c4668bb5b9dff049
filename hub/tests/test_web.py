"""The Hub over HTTP: access control at the HTTP level (not hidden buttons), CSRF on every
POST, cookie flags, form validation, Disconnect, and the `hub users` command."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from hub.auth import add_user
from ruamel.yaml import YAML

HUB = str(Path(sys.executable).with_name("hub"))
DEV_KEY = "sbx0kendoKey00000000000000000042"  # tap-okendo's key in the dev environment


def change_routes() -> list[str]:
    """Every POST route app.py declares, bar sign-in/out, with a real source filled in.

    Read from the source rather than imported: importing the app (and Meltano) here would
    cost the test seconds, and the server under test is a separate process anyway.
    """
    spec = importlib.util.find_spec("hub.app")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text()
    paths = re.findall(r'Route\("([^"]+)", [^\n]*methods=\["POST"\]\)', source)
    paths = [p for p in paths if p not in {"/login", "/logout"}]
    assert len(paths) == 7, paths
    return [p.replace("{name}", "tap-okendo") for p in paths]


def snapshot(project: Path) -> dict[str, str]:
    """Digest of every file a change could touch: YAML, .env, the Hub's state, the warehouse
    (not the sign-in sessions, which every visit may start)."""
    files = [
        *project.glob("meltano.yml"),
        *project.glob("meltano/*.yml"),
        *project.glob(".env"),
        *(f for f in (project / ".meltano" / "hub").rglob("*.json") if f.name != "sessions.json"),
        *(project / "output").glob("*.duckdb"),
    ]
    return {str(f.relative_to(project)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_every_change_is_refused_without_admin_role_or_csrf_token(
    hub_server: Any, hub_client: Callable[[], Any], credentials: dict[str, tuple[str, str]]
) -> None:
    project = hub_server.project
    routes = change_routes()
    before = snapshot(project)

    anonymous = hub_client()
    assert anonymous.get("/").status_code == 303
    assert anonymous.get("/").headers["location"] == "/login?next=/"
    for path in routes:
        assert anonymous.post(path, {"csrf_token": anonymous.csrf()}).status_code == 403, path

    # A wrong password: 401, and no signed-in session.
    stranger = hub_client()
    response = stranger.sign_in((credentials["admin"][0], "not the password"))
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert stranger.get("/").status_code == 303

    # Read-only: can look, and every change is refused even with a valid CSRF token.
    reader = hub_client()
    response = reader.sign_in(credentials["read-only"])
    cookie = response.headers["set-cookie"].lower()
    for flag in ("httponly", "secure", "samesite=strict"):
        assert flag in cookie, cookie
    page = reader.get("/")
    assert page.status_code == 200
    assert 'data-source="tap-okendo"' in page.text
    source_page = reader.get("/sources/tap-okendo")
    assert source_page.status_code == 200
    assert DEV_KEY not in source_page.text  # secrets are never sent to the browser
    assert reader.get("/lookup").status_code == 200
    token = reader.csrf("/")
    form = {"csrf_token": token, "cron": "* * * * *", "timezone": "UTC", "confirm": "tap-okendo"}
    for path in routes:
        refused = reader.post(path, form)
        assert refused.status_code == 403, path
        assert "Read-only users can look but not change anything." in refused.text

    # Admin without the CSRF token, or with another session's: refused too.
    admin = hub_client()
    assert admin.sign_in(credentials["admin"]).status_code == 303
    for path in routes:
        assert admin.post(path, {**form, "csrf_token": ""}).status_code == 403, path
        forged = admin.post(path, {**form, "csrf_token": token})  # the reader's token
        assert forged.status_code == 403, path
        assert "This form has expired" in forged.text
    # Sign-in itself needs the token (no login CSRF).
    assert hub_client().post("/login", {"username": "alice", "password": "x"}).status_code == 403

    assert snapshot(project) == before  # nothing changed anywhere
    assert DEV_KEY not in admin.get("/sources/tap-okendo").text

    # A new password voids the sessions signed in with the old one.
    add_user(project, "temp", "read-only", "first password")
    temp = hub_client()
    temp.sign_in(("temp", "first password"))
    assert temp.get("/").status_code == 200
    add_user(project, "temp", "read-only", "second password")
    assert temp.get("/").status_code == 303

    # Pages carry headers that keep them out of frames and scripts to our own.
    headers = admin.get("/").headers
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]


def test_admin_forms_validate_and_report_one_line(
    hub_server: Any, hub_client: Callable[[], Any], credentials: dict[str, tuple[str, str]]
) -> None:
    project = hub_server.project
    admin = hub_client()
    admin.sign_in(credentials["admin"])
    token = admin.csrf("/sources/tap-okendo")
    before = snapshot(project)

    bad_cron = admin.post(
        "/sources/tap-okendo/schedule",
        {"csrf_token": token, "cron": "61 * * * *", "timezone": "UTC"},
    )
    assert bad_cron.status_code == 400
    assert "&#39;61 * * * *&#39; is not a valid cron schedule" in bad_cron.text
    bad_zone = admin.post(
        "/sources/tap-okendo/schedule",
        {"csrf_token": token, "cron": "30 8 * * *", "timezone": "Mars/Olympus"},
    )
    assert bad_zone.status_code == 400
    assert "&#39;Mars/Olympus&#39; is not a time zone" in bad_zone.text
    bad_number = admin.post(
        "/sources/tap-okendo/settings", {"csrf_token": token, "page_size": "lots"}
    )
    assert bad_number.status_code == 400
    assert "Page size must be a whole number, not &#39;lots&#39;." in bad_number.text
    assert snapshot(project) == before

    saved = admin.post(
        "/sources/tap-okendo/schedule",
        {"csrf_token": token, "cron": "30 8 * * *", "timezone": "Asia/Tokyo"},
    )
    assert saved.status_code == 303
    page = admin.get("/sources/tap-okendo").text
    assert "Schedule saved: 30 8 * * * (Asia/Tokyo)." in page
    assert "<code>30 8 * * *</code> in Asia/Tokyo" in page
    assert page.count(" 08:30:00 JST</li>") == 5  # the next five runs, on Tokyo's clock

    # The frequency picker: a choice wins over the cron field.
    picked = admin.post(
        "/sources/tap-okendo/schedule",
        {"csrf_token": token, "frequency": "0 * * * *", "cron": "ignored", "timezone": "UTC"},
    )
    assert picked.status_code == 303
    assert "Schedule saved: 0 * * * * (UTC)." in admin.get("/sources/tap-okendo").text

    # Run now's load options are checked before anything starts.
    for source, form, message in (
        (
            "tap-okendo",
            {"load": "range", "since": "2026-01-01"},
            ("Okendo cannot load a date range (it has no start date): use All data."),
        ),
        (
            "tap-recharge",
            {"load": "range", "since": "2026-01-01", "until": "2026-01-31"},
            ("Recharge reads from a start date to now: leave To empty."),
        ),
        (
            "tap-ads-meta",
            {"load": "range", "since": "2026-02-01", "until": "2026-01-31"},
            ("The range ends (2026-01-31) before it starts (2026-02-01)."),
        ),
        (
            "tap-ads-meta",
            {"load": "range", "since": "last week"},
            ("Give the range&#39;s first day as YYYY-MM-DD (and its last, if any)."),
        ),
    ):
        assert (
            admin.post(f"/sources/{source}/run", {"csrf_token": token, **form}).status_code == 303
        )
        assert message in admin.get(f"/sources/{source}").text, (source, form)
    assert not (project / ".meltano" / "hub" / "runs").exists()  # nothing started

    # An unknown source is a 404 page, not a crash.
    assert admin.get("/sources/tap-nothing").status_code == 404


def test_disconnect_asks_first_then_forgets_settings_and_keeps_data(
    hub_server: Any, hub_client: Callable[[], Any], credentials: dict[str, tuple[str, str]]
) -> None:
    project = hub_server.project
    warehouse = project / "output" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw_okendo")
        con.execute("create table raw_okendo.reviews as select range as id from range(7)")
    (project / ".env").write_text("TAP_OKENDO_API_KEY='dotenvKey000000000000000000000042'\n")
    environments = project / "meltano" / "environments.meltano.yml"
    comments = [line for line in environments.read_text().splitlines() if "#" in line]

    admin = hub_client()
    admin.sign_in(credentials["admin"])
    confirm = admin.get("/sources/tap-okendo/disconnect")
    assert confirm.status_code == 200
    assert "Data already loaded stays in the warehouse" in confirm.text
    token = admin.csrf("/sources/tap-okendo/disconnect")
    unconfirmed = admin.post("/sources/tap-okendo/disconnect", {"csrf_token": token})
    assert unconfirmed.status_code == 303
    assert "Type tap-okendo to confirm." in admin.get("/sources/tap-okendo/disconnect").text
    assert "TAP_OKENDO_API_KEY" in (project / ".env").read_text()

    done = admin.post(
        "/sources/tap-okendo/disconnect", {"csrf_token": token, "confirm": "tap-okendo"}
    )
    assert done.status_code == 303
    listing = admin.get("/").text
    assert "Okendo is disconnected. Its loaded data stays in the warehouse." in listing
    assert 'data-source="tap-okendo"' not in listing  # no longer one of My Data Sources

    # Settings and secret gone from the project; comments kept; schedule paused; data kept.
    assert "TAP_OKENDO" not in (project / ".env").read_text()
    dev = YAML(typ="safe").load(environments.read_text())["environments"][0]
    extractors = {e["name"]: e for e in dev["config"]["plugins"]["extractors"]}
    assert extractors["tap-okendo"] == {"name": "tap-okendo"}  # no config left
    assert extractors["tap-oms"]["config"]["user"] == "postgres"  # the others untouched
    assert [line for line in environments.read_text().splitlines() if "#" in line] == comments
    paused = "job <code>okendo-reviews</code>), <strong>paused</strong>"
    assert paused in admin.get("/sources/tap-okendo").text
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw_okendo.reviews").fetchone() == (7,)
    catalog = admin.get("/sources/add").text
    assert 'data-source="tap-okendo"' in catalog


def test_users_command_hashes_passwords_outside_meltano_yml(hub_project: Path) -> None:
    def add(name: str, role: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [HUB, "users", "add", name, "--role", role, "--project", str(hub_project)],
            input=f"{password}\n",
            capture_output=True,
            text=True,
            check=False,
        )

    meltano_yml = (hub_project / "meltano.yml").read_text()
    done = add("carol", "admin", "a long enough password")
    assert (done.returncode, done.stdout) == (0, "carol can now sign in as an admin.\n")
    short = add("dave", "read-only", "short")
    assert short.returncode == 2
    assert short.stderr == "error: The password is too short: use at least 8 characters.\n"
    bad_role = add("erin", "owner", "a long enough password")
    assert bad_role.returncode == 2
    assert "invalid choice: 'owner'" in bad_role.stderr

    users_file = hub_project / ".meltano" / "hub" / "users.json"
    users = json.loads(users_file.read_text())
    assert users["carol"]["role"] == "admin"
    assert users["carol"]["password_hash"].startswith("$argon2id$")
    assert "a long enough password" not in users_file.read_text()
    assert "dave" not in users and "erin" not in users
    assert users_file.stat().st_mode & 0o077 == 0  # owner-only
    assert (hub_project / "meltano.yml").read_text() == meltano_yml


def seed_warehouse(path: Path) -> None:
    """A few staging rows shaped like the dbt models (OMS, Recharge, Shopify orders only)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists staging")
        con.execute(
            """
            create or replace table staging.stg_oms__products as
            select 7::bigint as product_id, 'Merino Crew Sock' as name, 'merino-crew' as slug,
                   timestamp '2026-11-20 10:00:00' as loaded_at;
            create or replace table staging.stg_oms__variants as
            select * from (values
                (70::bigint, 'SOCK-M-BLK', 7::bigint, timestamp '2026-11-20 10:00:00'),
                (71::bigint, 'SOCK-L-BLK', 7::bigint, timestamp '2026-11-20 10:00:00')
            ) as v(variant_id, sku, product_id, loaded_at);
            create or replace table staging.stg_oms__users as
            select 3::bigint as user_id, 'ann@example.com' as email,
                   timestamp '2026-11-21 09:30:00' as loaded_at;
            create or replace table staging.stg_oms__orders as
            select 11::bigint as order_id, 'R123456789' as order_number,
                   42.50::decimal(10, 2) as total, timestamp '2026-11-21 09:31:00' as loaded_at;
            create or replace table staging.stg_shopify__orders as
            select 5500000001::bigint as order_id, '#1001' as name, 1001::bigint as order_number,
                   timestamp '2026-11-22 07:00:00' as loaded_at;
            create or replace table staging.stg_recharge__customers as
            select 900::bigint as customer_id, 'Ann@Example.com' as email,
                   '5917633347819' as external_customer_id,
                   timestamp '2026-11-22 08:00:00' as loaded_at;
            """
        )


def test_lookup_searches_every_staging_table_there_is(tmp_path: Path) -> None:
    from hub.lookup import LookupFailed, search

    warehouse = tmp_path / "warehouse.duckdb"
    try:
        search(warehouse, "product", "SOCK-M-BLK")
    except LookupFailed as exc:
        assert str(exc) == "The warehouse has no data yet: run a source (Run now) and look again."
    else:
        raise AssertionError("a missing warehouse must be said in plain words")
    seed_warehouse(warehouse)

    by_sku = search(warehouse, "product", "SOCK-M-BLK")
    assert [(f.table, f.record["variant_id"]) for f in by_sku.found] == [
        ("staging.stg_oms__variants", 70)
    ]
    assert by_sku.found[0].last_synced == datetime(2026, 11, 20, 10, 0)
    assert json.loads(by_sku.found[0].json)["sku"] == "SOCK-M-BLK"
    assert by_sku.missing == [
        "Recharge staging.stg_recharge__products",
        "Shopify staging.stg_shopify__product_variants",
        "Shopify staging.stg_shopify__products",
    ]
    by_id = search(warehouse, "product", "7")  # the product and both its variants
    assert sorted((f.table, f.record.get("sku")) for f in by_id.found) == [
        ("staging.stg_oms__products", None),
        ("staging.stg_oms__variants", "SOCK-L-BLK"),
        ("staging.stg_oms__variants", "SOCK-M-BLK"),
    ]
    customer = search(warehouse, "customer", "ANN@example.com")  # email: any case
    assert [(f.source, f.record["email"]) for f in customer.found] == [
        ("OMS", "ann@example.com"),
        ("Recharge", "Ann@Example.com"),
    ]
    assert [f.source for f in search(warehouse, "customer", "5917633347819").found] == ["Recharge"]
    order = search(warehouse, "order", "R123456789")
    assert [(f.record["order_id"], json.loads(f.json)["total"]) for f in order.found] == [
        (11, "42.50")  # money stays exact
    ]
    assert search(warehouse, "order", "R999").found == []
    for shopify_number in ("#1001", "1001"):  # Shopify's order name, or its number
        found = search(warehouse, "order", shopify_number).found
        assert [(f.source, f.record["order_id"]) for f in found] == [("Shopify", 5500000001)]

    # A sync holding DuckDB's one writer lock: said plainly, not a stack trace.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        try:
            search(warehouse, "order", "R123456789")
        except LookupFailed as exc:
            assert str(exc) == (
                "The warehouse is busy: a sync is writing to it right now. "
                "Try again when the sync has finished."
            )
        else:
            raise AssertionError("a locked warehouse must be said in plain words")
    finally:
        holder.communicate("")
    assert len(search(warehouse, "order", "R123456789").found) == 1


HOLD_WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
"""


def test_lookup_page_shows_the_record_as_json_with_its_last_sync(
    hub_server: Any, hub_client: Callable[[], Any], credentials: dict[str, tuple[str, str]]
) -> None:
    seed_warehouse(hub_server.project / "output" / "warehouse.duckdb")
    reader = hub_client()
    reader.sign_in(credentials["read-only"])  # looking is allowed to everyone signed in
    page = reader.get("/lookup", params={"kind": "customer", "q": "ann@example.com"})
    assert page.status_code == 200
    assert '<p id="lookup-count">2 records found.</p>' in page.text
    assert "Last synced 2026-11-21 09:30:00 UTC" in page.text
    assert "&#34;email&#34;: &#34;ann@example.com&#34;" in page.text  # JSON, HTML-escaped
    assert "Not in the warehouse yet: Shopify staging.stg_shopify__customers." in page.text
