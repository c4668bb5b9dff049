"""tap-shopify-chord benchmarks against the local Shopify sandbox; see bench/README.md.

Writes bench/results/shopify.json and bench/results/shopify.md (--quick: shopify.quick.*).
Usage: python bench/shopify_bench.py [--quick]

1. Tap alone, bulk exports (the default), throttling off: rows/s, and the API cost points the
   sync used per 1,000 orders (from the sandbox, which charges Shopify's cost model).
2. The same store read with plain paginated queries (`bulk_streams: []`) under the Standard
   plan's bucket (2,000 points, 100 restored per second): rows/s, points per 1,000 orders,
   throttled answers; and the bulk sync under the same bucket, for comparison.
3. Tap -> target-duckdb (bulk), a shell pipe into a throwaway DuckDB file: rows/s end to end.
4. Peak RSS of the tap process (os.wait4) at ~10k and ~500k order lines: flat, because the
   JSONL export is streamed line by line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from _common import exe, sandbox_process, write_results

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
TARGET = ROOT / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin" / "target-duckdb"
TOKEN = "shpat_sandbox0000000000000000000000000"  # the sandbox's public token
LINES_PER_ORDER = 3.0  # the sandbox's average (scale 1: 500 orders, ~1,500 lines)


def tap_config(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "shop": "chord-sandbox",
        "api_url": url,
        "access_token": TOKEN,
        "start_date": "2015-01-01T00:00:00Z",
        "bulk_poll_interval_ms": 100,
        **extra,
    }


def run_tap(config: dict[str, Any], *, target: bool = False) -> dict[str, Any]:
    """One sync; records per stream, wall seconds and the tap's peak RSS (MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        config_file = Path(tmp) / "config.json"
        config_file.write_text(json.dumps(config))
        started = time.perf_counter()
        tap = subprocess.Popen(
            [exe("tap-shopify-chord"), "--config", str(config_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert tap.stdout is not None
        counts: dict[str, int] = {}
        if target:
            target_config = Path(tmp) / "target.json"
            target_config.write_text(
                # as meltano/loaders.meltano.yml sets it (without metadata columns, target-duckdb
                # 0.8 fails upserting a table whose columns are all key, e.g. order_tags)
                json.dumps(
                    {
                        "filepath": str(Path(tmp) / "w.duckdb"),
                        "default_target_schema": "raw",
                        "add_metadata_columns": True,
                        "validate_records": False,
                    }
                )
            )
            loader = subprocess.Popen(
                [str(TARGET), "--config", str(target_config)],
                stdin=tap.stdout,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            tap.stdout.close()
        else:
            for line in tap.stdout:
                if line.startswith(b'{"type":"RECORD"'):
                    stream = json.loads(line)["stream"]
                    counts[stream] = counts.get(stream, 0) + 1
        _, status, usage = os.wait4(tap.pid, 0)
        tap.returncode = os.waitstatus_to_exitcode(status)
        if target:
            loader.wait()
            if loader.returncode:
                raise SystemExit(f"bench: target-duckdb exited {loader.returncode}")
            counts = _warehouse_counts(Path(tmp) / "w.duckdb")
        seconds = time.perf_counter() - started
        if tap.returncode:
            raise SystemExit(f"bench: tap-shopify-chord exited {tap.returncode}")
        return {"counts": counts, "seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024}


def _warehouse_counts(path: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()]
        return {t: con.sql(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}  # type: ignore[index]


def sync(options: list[str], **config: Any) -> dict[str, Any]:
    """A fresh sandbox per sync (its bucket and stats start full and empty)."""
    with sandbox_process("shopify", *options, timeout=600) as url:
        run = run_tap(
            tap_config(url, **{k: v for k, v in config.items() if k != "target"}),
            target=bool(config.get("target")),
        )
        stats = requests.get(f"{url}/_sandbox/stats", timeout=30).json()
        truth = requests.get(f"{url}/_sandbox/truth", timeout=600).json()
    rows = sum(run["counts"].values())
    orders = truth["orders"]["rows"]
    return {
        "rows": rows,
        "orders": orders,
        "order_lines": truth["order_lines"]["rows"],
        "seconds": round(run["seconds"], 2),
        "rows_per_second": round(rows / run["seconds"]),
        "cost_points": stats["cost_points"],
        "cost_points_per_1000_orders": round(stats["cost_points"] * 1000 / orders),
        "requests": stats["requests"],
        "throttled": stats["throttled"],
        "bulk_operations": stats.get("bulk_operations", 0),
        "peak_rss_mib": round(run["peak_rss_mib"], 1),
        "exact": all(
            run["counts"].get(t, 0) == v["rows"]
            for t, v in truth.items()
            if isinstance(v, dict) and t in run["counts"]
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small stores, for a smoke run")
    args = parser.parse_args()
    scale = ["--scale", "0.4" if args.quick else "1"]
    no_throttle = ["--restore-rate", "0"]
    small_lines, big_lines = (2_000, 20_000) if args.quick else (10_000, 500_000)

    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "quick": args.quick,
    }
    result["tap_bulk"] = sync(scale + no_throttle)
    result["tap_plain_standard_bucket"] = sync(scale, bulk_streams=[])
    result["tap_bulk_standard_bucket"] = sync(scale)
    result["tap_to_target_duckdb_bulk"] = sync(scale + no_throttle, target=True)
    memory = {}
    for lines in (small_lines, big_lines):
        orders = str(round(lines / LINES_PER_ORDER))
        memory[str(lines)] = sync(["--orders", orders, *no_throttle])
    result["memory"] = memory
    write_results(RESULTS, "shopify", result, markdown(result), quick=args.quick)
    print(markdown(result))


def markdown(r: dict[str, Any]) -> str:
    def row(name: str, x: dict[str, Any]) -> str:
        return (
            f"| {name} | {x['rows']:,} | {x['seconds']} | {x['rows_per_second']:,} | "
            f"{x['cost_points_per_1000_orders']:,} | {x['requests']} | {x['throttled']} | "
            f"{'yes' if x['exact'] else 'NO'} |"
        )

    lines = [
        "# tap-shopify-chord benchmark",
        "",
        f"{r['when']}, {r['machine']}{' (quick)' if r['quick'] else ''}. Sandbox: "
        f"{r['tap_bulk']['orders']:,} orders, {r['tap_bulk']['order_lines']:,} order lines.",
        "",
        "| sync | rows | s | rows/s | cost points / 1,000 orders | requests | throttled | exact |",
        "|---|---|---|---|---|---|---|---|",
        row("tap alone, bulk, no throttling", r["tap_bulk"]),
        row("tap alone, bulk, Standard bucket (100 pts/s)", r["tap_bulk_standard_bucket"]),
        row("tap alone, plain pages, Standard bucket", r["tap_plain_standard_bucket"]),
        row("tap -> target-duckdb, bulk, no throttling", r["tap_to_target_duckdb_bulk"]),
        "",
        "Peak RSS of the tap process (bulk export streamed line by line):",
        "",
        "| order lines | orders | rows | s (incl. export) | rows/s | peak RSS (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for lines_count, x in r["memory"].items():
        lines.append(
            f"| {int(lines_count):,} | {x['orders']:,} | {x['rows']:,} | {x['seconds']} | "
            f"{x['rows_per_second']:,} | {x['peak_rss_mib']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
