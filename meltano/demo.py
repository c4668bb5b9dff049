"""The demo: sandbox vendors -> taps -> Meltano -> DuckDB -> dbt, then rows per table.

Run by `make demo`. Starts the Okendo and Recharge sandboxes (with their real rate limits)
and the webhook collector on free ports, then, as a brand would:
  1. copies all reviews            (meltano run tap-okendo target-duckdb)
  2. backfills survey responses    (meltano run tap-okendo-survey-backfill target-duckdb)
  3. lets Okendo send webhooks     (sandbox webhooks okendo -> collector serve)
  4. loads the webhook inbox       (meltano run tap-webhook-inbox target-duckdb)
  5. copies Recharge               (meltano run tap-recharge target-duckdb)
  6. copies the OMS, if PostgreSQL is reachable (seeds a local Solidus database `oms` first)
  7. builds and tests every model  (meltano invoke dbt-duckdb:build)
and prints what landed next to each source's ground truth. Stops the services whatever
happens. The demo reads everything again each time (--full-refresh), so it can be re-run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from sandbox.recharge.app import DEFAULT_TOKEN as RECHARGE_SANDBOX_TOKEN

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUTPUT = ROOT / "output"
WAREHOUSE = OUTPUT / "warehouse.duckdb"
INBOX = OUTPUT / "inbox.sqlite3"
SCALE = os.environ.get("DEMO_SCALE", "4")  # 4 x (200/30/20 reviews, 150 + 150 survey responses)
# The sandbox's public signing secret; a real one comes from Okendo's webhook subscription.
DEMO_WEBHOOK_SECRET = "whsec_c2FuZGJveC1va2VuZG8td2ViaG9vay1zZWNyZXQ="
OMS_DSN = os.environ.get("OMS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/oms")


def oms_database_ready() -> str | None:
    """Create the demo's OMS database if needed; None if there is no PostgreSQL to use."""
    server, _, name = OMS_DSN.rpartition("/")
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
                conn.execute(f'create database "{name}"')
    except psycopg.Error as exc:
        print(f"demo: skipping the OMS: no PostgreSQL at {server} ({str(exc).strip()})")
        return None
    return name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


@contextmanager
def service(name: str, command: list[str], ready_url: str, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                sys.exit(f"demo: {name} exited before it started serving")
            try:
                get_json(ready_url)
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"demo: {name} did not start within 30 s")
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def step(title: str, command: list[str], env: dict[str, str]) -> None:
    print(f"\ndemo: {title}: {' '.join(command)}", flush=True)
    if subprocess.run(command, cwd=ROOT, env=env, check=False).returncode != 0:
        sys.exit(f"demo: step failed: {title}")


def main() -> int:
    OUTPUT.mkdir(exist_ok=True)
    okendo = f"http://127.0.0.1:{free_port()}"
    collector = f"http://127.0.0.1:{free_port()}"
    recharge = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "TAP_OKENDO_API_URL": f"{okendo}/enterprise",
        "TAP_OKENDO_SURVEY_IDS": '["nps-post-purchase", "onsite-feedback"]',
        "TAP_WEBHOOK_INBOX_INBOX_URL": f"sqlite:///{INBOX}",
        "OKENDO_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
        "TAP_RECHARGE_API_URL": recharge,
        "TAP_RECHARGE_ACCESS_TOKEN": RECHARGE_SANDBOX_TOKEN,
    }
    oms = oms_database_ready()
    if oms:
        env["TAP_OMS_DATABASE"] = oms
    meltano = str(BIN / "meltano")
    started = time.monotonic()
    with (
        service(
            "the Okendo sandbox",
            [
                str(BIN / "sandbox"),
                "serve",
                "okendo",
                "--port",
                okendo.rsplit(":", 1)[1],
                "--scale",
                SCALE,
            ],
            f"{okendo}/_sandbox/stats",
            env,
        ),
        service(
            "the collector",
            [
                str(BIN / "collector"),
                "serve",
                "--port",
                collector.rsplit(":", 1)[1],
                "--inbox",
                f"sqlite:///{INBOX}",
            ],
            f"{collector}/health",
            env,
        ),
        service(
            "the Recharge sandbox",
            [str(BIN / "sandbox"), "serve", "recharge", "--port", recharge.rsplit(":", 1)[1]],
            f"{recharge}/_sandbox/truth",
            env,
        ),
    ):
        print(
            f"demo: Okendo sandbox at {okendo}/enterprise (2 requests/s, like Okendo); "
            f"collector at {collector}",
            flush=True,
        )
        step("copy every review", [meltano, "run", "tap-okendo", "target-duckdb"], env)
        step(
            "one-time survey backfill",
            [meltano, "run", "--full-refresh", "tap-okendo-survey-backfill", "target-duckdb"],
            env,
        )
        step(
            "Okendo sends survey webhooks (out of order, some twice)",
            [
                str(BIN / "sandbox"),
                "webhooks",
                "okendo",
                "--to",
                f"{collector}/webhooks/okendo",
                "--sandbox",
                okendo,
            ],
            env,
        )
        step(
            "load the webhook inbox",
            [meltano, "run", "--full-refresh", "tap-webhook-inbox", "target-duckdb"],
            env,
        )
        step(
            "copy Recharge (its sandbox token lacks read_payment_methods, like many real ones)",
            [meltano, "run", "--full-refresh", "tap-recharge", "target-duckdb"],
            env,
        )
        if oms:
            step(
                "seed the OMS",
                [str(BIN / "sandbox"), "oms", "seed", "--dsn", OMS_DSN, "--replace"],
                env,
            )
            step(
                "copy the OMS", [meltano, "run", "--full-refresh", "tap-oms", "target-duckdb"], env
            )
        step("build and test every model", [meltano, "invoke", "dbt-duckdb:build"], env)
        truth = get_json(f"{okendo}/_sandbox/truth")
        recharge_truth = get_json(f"{recharge}/_sandbox/truth")
    oms_truth = (
        json.loads(
            subprocess.run(
                [str(BIN / "sandbox"), "oms", "truth", "--dsn", OMS_DSN],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        if oms
        else {"rows": {}}
    )
    print(f"\ndemo: finished in {time.monotonic() - started:.0f} s; rows per table in {WAREHOUSE}:")
    expected = {f"stg_okendo__{key}": n for key, n in truth["rows"].items()}
    surveys = truth["survey_responses"]
    expected["okendo_survey_responses"] = surveys["total"]
    expected["okendo_survey_answers"] = surveys["answers"]
    for name, count in {**recharge_truth["counts"], **recharge_truth["rows"]}.items():
        expected[f"stg_recharge__{name}"] = count
    # The demo token lacks read_payment_methods: the tap skips that stream with a warning.
    expected["stg_recharge__payment_methods"] = "0, scope missing: skipped with a warning"
    for table, count in oms_truth["rows"].items():
        expected[f"stg_oms__{table.removeprefix('spree_')}"] = count
    with duckdb.connect(str(WAREHOUSE), read_only=True) as con:
        tables = con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('staging', 'marts') order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            count = con.sql(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            note = f"  (sandbox truth: {expected[table]})" if table in expected else ""
            print(f"  {schema + '.' + table:<52} {count:>8}{note}")
        nps = con.sql(
            "select round(100.0 * (count(*) filter (where nps_category = 'promoter') "
            "- count(*) filter (where nps_category = 'detractor')) / count(*), 2) "
            "from marts.okendo_survey_responses where nps_score is not null"
        ).fetchone()[0]
    print(f"\n  overall NPS {nps}  (sandbox truth: {round(surveys['nps']['nps'], 2)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
