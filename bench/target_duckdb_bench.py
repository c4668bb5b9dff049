"""target-duckdb benchmark: our SDK target vs target-duckdb 0.8.0, on the same Singer files.

Writes bench/results/target_duckdb.json and .md (--quick: target_duckdb.quick.*).
Usage: python bench/target_duckdb_bench.py [--quick] [--big N]

1. Singer files, made once per run: tap-okendo against the Okendo sandbox (20k and --big
   reviews: wide, nested rows) and tap-shopify-chord against the Shopify sandbox (scale 1).
2. Each file loaded into a fresh DuckDB file by: target-duckdb 0.8.0 (with duckdb 1.2.2, the
   last it loads correctly, in a throwaway venv this script makes with uv), our target, and
   DuckDB itself reading the same records as plain JSON lines (the floor: no Singer, no
   upsert). Settings as Meltano gives them (metadata columns, 100,000-row batches).
   Rows/s, CPU seconds and peak RSS of the process (wait4), rows in the warehouse checked.
3. tap-okendo piped into each target vs the tap alone (20k reviews).
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
import typing as t
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
from _common import exe, sandbox_process, write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
UV = ROOT / ".tools" / "bin" / "uv"
OKENDO_USER = "5c4b8a1e-2f0d-4c3b-9a8e-7d6f5e4c3b2a"
OKENDO_KEY = "sbx0kendoKey00000000000000000042"
SHOPIFY_TOKEN = "shpat_sandbox0000000000000000000000000"
OLD = "target-duckdb==0.8.0 duckdb==1.2.2"


# This machine sets PYTHONDONTWRITEBYTECODE: every process would compile its imports again
# (seconds for the SDK and DuckDB). Installed packages normally have their bytecode, so each
# measured process may write and reuse it; warm_up() runs each loader once first.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str], *, stdin: Path | None = None, **popen: Any) -> dict[str, float]:
    """One process: wall seconds, CPU seconds and peak RSS (MiB) from wait4."""
    with stdin.open("rb") if stdin else open(os.devnull, "rb") as source:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=source, env=ENV, **popen)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"bench: {' '.join(cmd[:2])} exited {os.waitstatus_to_exitcode(status)}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def run_tap(cmd: list[str], config: dict[str, Any], out: Path) -> dict[str, float]:
    cfg = out.with_suffix(".config.json")
    cfg.write_text(json.dumps(config))
    with out.open("wb") as sink:
        return measure([*cmd, "--config", str(cfg)], stdout=sink, stderr=subprocess.DEVNULL)


def okendo_config(url: str) -> dict[str, Any]:
    """Pacing off (the sandbox is not rate-limited here): the tap runs as fast as it can."""
    return {
        "user_id": OKENDO_USER,
        "api_key": OKENDO_KEY,
        "api_url": f"{url}/enterprise",
        "max_requests_per_second": 0,
        "review_statuses": ["approved"],
    }


def okendo_file(work: Path, reviews: int) -> tuple[Path, dict[str, float]]:
    out = work / f"okendo-{reviews}.singer.jsonl"
    options = ["--approved", str(reviews), "--pending", "0", "--rejected", "0"]
    options += ["--rate-limit", "0"]
    with sandbox_process("okendo", *options, timeout=120) as url:
        config = {**okendo_config(url)}
        tap = run_tap([exe("tap-okendo")], config, out)
    return out, tap


def shopify_file(work: Path) -> Path:
    out = work / "shopify.singer.jsonl"
    with sandbox_process("shopify", "--scale", "1", "--restore-rate", "0", timeout=600) as url:
        config = {
            "shop": "chord-sandbox",
            "api_url": url,
            "access_token": SHOPIFY_TOKEN,
            "start_date": "2015-01-01T00:00:00Z",
            "bulk_poll_interval_ms": 100,
        }
        run_tap([exe("tap-shopify-chord")], config, out)
    return out


def records_only(singer: Path) -> tuple[list[Path], int]:
    """The RECORD messages' records as plain JSON lines, one file per stream (the floor's
    input), and their count."""
    outs: dict[str, t.BinaryIO] = {}
    n = 0
    with singer.open("rb") as src:
        for line in src:
            if b'"RECORD"' not in line[:40]:
                continue
            message = json.loads(line)
            stream = message["stream"]
            if stream not in outs:
                outs[stream] = singer.with_suffix(f".{stream}.records.jsonl").open("wb")
            outs[stream].write(json.dumps(message["record"]).encode() + b"\n")
            n += 1
    for out in outs.values():
        out.close()
    return [Path(out.name) for out in outs.values()], n


def old_target(work: Path) -> str:
    """target-duckdb 0.8.0 in a venv of its own, made here and deleted with `work`."""
    venv = work / "old-target-venv"
    subprocess.run([str(UV), "venv", "-q", "-p", sys.executable, str(venv)], check=True)
    subprocess.run(
        [str(UV), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *OLD.split()],
        check=True,
    )
    return str(venv / "bin" / "target-duckdb")


def warehouse_rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = 'raw_bench'"
        ).fetchall()
        return sum(
            int(con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0])  # type: ignore[index]
            for s, t in tables
        )


def load(target: str, singer: Path, work: Path, label: str) -> dict[str, Any]:
    db = work / f"{label}.duckdb"
    db.unlink(missing_ok=True)
    cfg = work / f"{label}.config.json"
    cfg.write_text(
        json.dumps(
            {
                "filepath": str(db),
                "default_target_schema": "raw_bench",
                "add_metadata_columns": True,
                "batch_size_rows": 100000,
                "primary_key_required": True,
                "validate_records": False,
                "hard_delete": False,
            }
        )
    )
    run = measure(
        [target, "--config", str(cfg)],
        stdin=singer,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run["rows"] = warehouse_rows(db)
    db.unlink(missing_ok=True)
    return run


def floor(records: list[Path], work: Path) -> dict[str, Any]:
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1])\n"
        "c.execute('create schema raw_bench')\n"
        "for i, f in enumerate(sys.argv[2:]):\n"
        '    c.execute(f"create table raw_bench.t{i} as select * from '
        "read_json(?, format='newline_delimited')\", [f])"
    )
    run: dict[str, Any] = measure([sys.executable, "-c", script, str(db), *map(str, records)])
    run["rows"] = warehouse_rows(db)
    db.unlink(missing_ok=True)
    return run


def rates(run: dict[str, Any], records: int) -> dict[str, Any]:
    return {**run, "records": records, "records_per_s": round(records / run["wall_s"])}


def piped(tap_cmd: list[str], target: str, work: Path, reviews: int) -> dict[str, Any]:
    """tap-okendo | target, as `meltano run` wires them (without Meltano's own cost)."""
    db = work / "piped.duckdb"
    db.unlink(missing_ok=True)
    cfg = work / "piped.config.json"
    settings = {"default_target_schema": "raw_bench", "add_metadata_columns": True}
    cfg.write_text(json.dumps({"filepath": str(db), **settings}))
    options = ["--approved", str(reviews), "--pending", "0", "--rejected", "0", "--rate-limit", "0"]
    with sandbox_process("okendo", *options, timeout=120) as url:
        tap_cfg = work / "piped.tap.json"
        tap_cfg.write_text(json.dumps(okendo_config(url)))
        start = time.perf_counter()
        tap = subprocess.Popen(
            [*tap_cmd, "--config", str(tap_cfg)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=ENV,
        )
        loader = subprocess.Popen(
            [target, "--config", str(cfg)],
            env=ENV,
            stdin=tap.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert tap.stdout is not None
        tap.stdout.close()
        if tap.wait() or loader.wait():
            raise SystemExit("bench: the piped run failed")
        wall = time.perf_counter() - start
    return {"wall_s": round(wall, 2), "records_per_s": round(reviews / wall)}


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "singer_sdk": version("singer-sdk"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2k and 10k reviews, no Shopify")
    parser.add_argument("--big", type=int, default=1_000_000, help="the large Okendo file")
    args = parser.parse_args()
    small, big = (2_000, 10_000) if args.quick else (20_000, args.big)
    result: dict[str, Any] = {"machine": machine(), "quick": args.quick, "files": {}}
    new = exe("target-duckdb")
    with tempfile.TemporaryDirectory(prefix="target-duckdb-bench-") as tmp:
        work = Path(tmp)
        old = old_target(work)
        files: dict[str, Path] = {}
        for n in (small, big):
            files[f"okendo_reviews_{n}"], tap = okendo_file(work, n)
            result.setdefault("tap_alone", {})[str(n)] = rates(tap, n)
        if not args.quick:
            files["shopify_scale_1"] = shopify_file(work)
        for target in (old, new):  # bytecode written, caches warm
            load(target, files[f"okendo_reviews_{small}"], work, "warm-up")
        for name, singer in files.items():
            records, count = records_only(singer)
            print(f"bench: {name}: {count:,} records", file=sys.stderr)
            result["files"][name] = {
                "records": count,
                "old_target_0_8": rates(load(old, singer, work, "old"), count),
                "new_target": rates(load(new, singer, work, "new"), count),
                "duckdb_read_json_floor": rates(floor(records, work), count),
            }
            for path in records:
                path.unlink()
        result["piped_okendo"] = {
            "reviews": small,
            "tap_alone": result["tap_alone"][str(small)],
            "tap_to_old_target": piped([exe("tap-okendo")], old, work, small),
            "tap_to_new_target": piped([exe("tap-okendo")], new, work, small),
        }
    write_results(RESULTS, "target_duckdb", result, markdown(result), quick=args.quick)
    print(markdown(result))
    return 0


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"# target-duckdb benchmark{' (quick)' if r['quick'] else ''}",
        "",
        f"{m['date']} · {m['cpu_count']} CPUs (shared; load avg {m['load_avg_1min']}) · "
        f"Python {m['python']} · DuckDB {m['duckdb']} · singer-sdk {m['singer_sdk']}. "
        "Command: `python bench/target_duckdb_bench.py`.",
        "",
        "Same Singer file into a fresh DuckDB file; old = target-duckdb 0.8.0 on duckdb 1.2.2; "
        "floor = DuckDB's read_json over the bare records (no Singer parsing, no upsert).",
        "",
        "| file | records | loader | rows/s | wall s | CPU s | peak RSS MiB | rows in warehouse |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, f in r["files"].items():
        for key, label in (
            ("old_target_0_8", "old 0.8.0"),
            ("new_target", "**new**"),
            ("duckdb_read_json_floor", "floor"),
        ):
            x = f[key]
            lines.append(
                f"| {name} | {f['records']:,} | {label} | {x['records_per_s']:,} | {x['wall_s']} "
                f"| {x['cpu_s']} | {x['peak_rss_mib']} | {x['rows']:,} |"
            )
    lines += ["", "Speed-up of the new target over the old one:", ""]
    for name, f in r["files"].items():
        ratio = f["new_target"]["records_per_s"] / f["old_target_0_8"]["records_per_s"]
        lines.append(f"- {name}: {ratio:.1f}x")
    p = r["piped_okendo"]
    lines += [
        "",
        f"tap-okendo piped into the target ({p['reviews']:,} reviews) vs the tap alone "
        f"({p['tap_alone']['records_per_s']:,} rows/s, writing to a file):",
        "",
        f"- old: {p['tap_to_old_target']['records_per_s']:,} rows/s "
        f"({p['tap_to_old_target']['records_per_s'] / p['tap_alone']['records_per_s']:.2f}x)",
        f"- new: {p['tap_to_new_target']['records_per_s']:,} rows/s "
        f"({p['tap_to_new_target']['records_per_s'] / p['tap_alone']['records_per_s']:.2f}x)",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
