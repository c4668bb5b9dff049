"""The demo: sandbox vendors -> taps -> Meltano -> DuckDB -> dbt, then rows per table.

Run by `make demo`. Starts the Okendo, Recharge, Shopify and five ad-platform sandboxes
(with their real rate limits) and the webhook collector on free ports, then, as a brand would:
  1. copies all reviews            (meltano run tap-okendo target-duckdb)
  2. backfills survey responses    (meltano run tap-okendo-survey-backfill target-duckdb)
  3. lets Okendo send webhooks     (sandbox webhooks okendo -> collector serve)
  4. loads the webhook inbox       (meltano run tap-webhook-inbox target-duckdb)
  5. copies Recharge               (meltano run tap-recharge target-duckdb)
  6. copies Shopify                (meltano run tap-shopify-chord target-duckdb: bulk exports)
  7. copies 30 days of ads         (meltano run tap-ads target-duckdb: all five platforms)
  8. copies the OMS, if PostgreSQL is reachable (seeds a local Solidus database `oms` first)
  9. builds and tests every model  (meltano invoke dbt-duckdb:build)
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
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from sandbox.ads import build as build_ad_platform
from sandbox.recharge.app import DEFAULT_TOKEN as RECHARGE_SANDBOX_TOKEN
from sandbox.shopify.app import ACCESS_TOKEN as SHOPIFY_SANDBOX_TOKEN

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUTPUT = ROOT / "output"
WAREHOUSE = OUTPUT / "warehouse.duckdb"
INBOX = OUTPUT / "inbox.sqlite3"
SCALE = os.environ.get("DEMO_SCALE", "4")  # 4 x (200/30/20 reviews, 150 + 150 survey responses)
# The sandbox's public signing secret; a real one comes from Okendo's webhook subscription.
DEMO_WEBHOOK_SECRET = "whsec_c2FuZGJveC1va2VuZG8td2ViaG9vay1zZWNyZXQ="
OMS_DSN = os.environ.get("OMS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/oms")
AD_PLATFORMS = ("meta", "google-ads", "tiktok", "pinterest", "reddit")
AD_DAYS = 30  # days of ad history the demo copies


def ad_settings(platform: str, url: str) -> dict[str, str]:
    """tap-ads' env for one running ad sandbox: its settings block as TAP_ADS_<PLATFORM>_*."""
    block = build_ad_platform(platform, scale=0.5).tap_config(url)
    prefix = f"TAP_ADS_{platform.replace('-', '_').upper()}_"
    return {
        prefix + key.upper(): json.dumps(value) if isinstance(value, list) else str(value)
        for key, value in block.items()
    }


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
    shopify = f"http://127.0.0.1:{free_port()}"
    ads = {platform: f"http://127.0.0.1:{free_port()}" for platform in AD_PLATFORMS}
    ads_start = (datetime.now(UTC) - timedelta(days=AD_DAYS)).date()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "TAP_OKENDO_API_URL": f"{okendo}/enterprise",
        "TAP_OKENDO_SURVEY_IDS": '["nps-post-purchase", "onsite-feedback"]',
        "TAP_WEBHOOK_INBOX_INBOX_URL": f"sqlite:///{INBOX}",
        "OKENDO_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
        "TAP_RECHARGE_API_URL": recharge,
        "TAP_RECHARGE_ACCESS_TOKEN": RECHARGE_SANDBOX_TOKEN,
        "TAP_SHOPIFY_CHORD_SHOP": "chord-sandbox",
        "TAP_SHOPIFY_CHORD_API_URL": shopify,
        "TAP_SHOPIFY_CHORD_ACCESS_TOKEN": SHOPIFY_SANDBOX_TOKEN,
        "TAP_SHOPIFY_CHORD_START_DATE": "2020-01-01T00:00:00Z",
        "TAP_ADS_START_DATE": ads_start.isoformat(),
    }
    for platform, url in ads.items():
        env.update(ad_settings(platform, url))
    oms = oms_database_ready()
    if oms:
        env["TAP_OMS_DATABASE"] = oms
    meltano = str(BIN / "meltano")
    started = time.monotonic()
    with (
        ExitStack() as ad_sandboxes,
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
        service(
            "the Shopify sandbox",
            [str(BIN / "sandbox"), "serve", "shopify", "--port", shopify.rsplit(":", 1)[1]],
            f"{shopify}/_sandbox/stats",
            env,
        ),
    ):
        for platform, url in ads.items():
            port = url.rsplit(":", 1)[1]
            ad_sandboxes.enter_context(
                service(
                    f"the {platform} sandbox",
                    [str(BIN / "sandbox"), "serve", platform, "--scale", "0.5", "--port", port],
                    f"{url}/_sandbox/stats",
                    env,
                )
            )
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
        step(
            "copy Shopify (bulk exports, paced on the Standard plan's 100 cost points/s)",
            [meltano, "run", "--full-refresh", "tap-shopify-chord", "target-duckdb"],
            env,
        )
        step(
            f"copy {AD_DAYS} days of ads from Meta, Google Ads, TikTok, Pinterest and Reddit",
            [meltano, "run", "--full-refresh", "tap-ads", "target-duckdb"],
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
        shopify_truth = get_json(f"{shopify}/_sandbox/truth")
        # Past "today" in every account's time zone, as far as the tap reads.
        window = f"start={ads_start}&end={datetime.now(UTC).date() + timedelta(days=2)}"
        ads_truth = {p: get_json(f"{url}/_sandbox/truth?{window}") for p, url in ads.items()}
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
    for table, truth_table in shopify_truth.items():
        if isinstance(truth_table, dict) and "rows" in truth_table:
            expected[f"stg_shopify__{table}"] = truth_table["rows"]
    for platform, truth_ads in ads_truth.items():
        name = platform.replace("-", "_")
        expected[f"stg_{name}__ad_performance_daily"] = truth_ads["report"]["rows"]
        if "video_report" in truth_ads:
            expected[f"stg_{name}__video_performance_daily"] = truth_ads["video_report"]["rows"]
    expected["fct_ad_performance_daily"] = sum(t["report"]["rows"] for t in ads_truth.values())
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
