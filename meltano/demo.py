"""The demo: sandbox Okendo -> tap-okendo -> Meltano -> DuckDB -> dbt, then rows per table.

Run by `make demo`. Starts the Okendo sandbox (with its real 2 requests/s limit) on a free
port, runs the dev environment's pipeline against it, prints what landed next to what the
sandbox holds, and stops the sandbox whatever happens.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WAREHOUSE = ROOT / "output" / "warehouse.duckdb"
SCALE = os.environ.get("DEMO_SCALE", "4")  # 4 x (200 approved, 30 pending, 20 rejected)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("demo: the sandbox exited before it started serving")
        try:
            urllib.request.urlopen(f"{url}/_sandbox/stats", timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("demo: the sandbox did not start within 30 s")


def main() -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [BIN / "sandbox", "serve", "okendo", "--port", str(port), "--scale", SCALE]
    )
    try:
        wait_until_up(url, sandbox)
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "TAP_OKENDO_API_URL": f"{url}/enterprise",
        }
        print(f"demo: Okendo sandbox at {url}/enterprise (2 requests/s, like Okendo)", flush=True)
        started = time.monotonic()
        run = subprocess.run(
            [BIN / "meltano", "run", "tap-okendo", "target-duckdb", "dbt-duckdb:build"],
            cwd=ROOT,
            env=env,
            check=False,
        )
        if run.returncode != 0:
            return run.returncode
        elapsed = time.monotonic() - started
        with urllib.request.urlopen(f"{url}/_sandbox/truth", timeout=30) as response:
            truth = json.load(response)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    print(f"\ndemo: pipeline finished in {elapsed:.1f} s; rows per table in {WAREHOUSE}:")
    with duckdb.connect(str(WAREHOUSE), read_only=True) as con:
        tables = con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw_okendo', 'staging') "
            "order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            count = con.sql(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            expected = truth["rows"].get(table.removeprefix("stg_okendo__"))
            note = f"  (sandbox holds {expected})" if expected is not None else ""
            print(f"  {schema + '.' + table:<50} {count:>8}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
