"""tap-shopify-chord benchmarks against the local Shopify sandbox; see bench/README.md.

Writes bench/results/shopify.json and bench/results/shopify.md (--quick: shopify.quick.*).
Usage: python bench/shopify_bench.py [--quick] [--lines N]

1. The tap alone on a pre-generated orders export (default 500k JSONL lines): the bench
   submits the very bulk query the tap builds, waits until the sandbox has written the file
   (that generation time is reported, not counted), then runs the tap with a state naming
   that job, so the tap resumes it and only reads: rows/s and the tap process's CPU per row
   (os.wait4), next to a minimal singer-sdk tap (`floor`, in this file) emitting the same
   rows (the tap's own output, replayed from files) with the same schemas.
2. The three bulk exports (orders, customers, products) of one run, side by side as the tap
   starts them, against one after the other (three runs of one export each), with every
   export taking at least BULK_SECONDS in the sandbox as a real one takes its time at
   Shopify: wall seconds of each.
3. Tap alone, bulk, the default store: rows/s and API cost points per 1,000 orders, exact.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from _common import exe, sandbox_process, write_results

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
TOKEN = "shpat_sandbox0000000000000000000000000"  # the sandbox's public token
VERSION = "2026-10"
START = "2015-01-01T00:00:00Z"
JSONL_PER_ORDER = 4.24  # the sandbox's orders export: JSONL lines per order (order, lines, ...)
BULK_SECONDS = 4.0
ROOTS = {"orders": "orders", "customers": "customers", "products": "products"}


def tap_config(url: str, **extra: t.Any) -> dict[str, t.Any]:
    return {
        "shop": "chord-sandbox",
        "api_url": url,
        "api_version": VERSION,
        "access_token": TOKEN,
        "start_date": START,
        "bulk_poll_interval_ms": 100,
        **extra,
    }


def gql(url: str, query: str, variables: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    response = requests.post(
        f"{url}/admin/api/{VERSION}/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": TOKEN},
        timeout=600,
    )
    body = response.json()
    assert "errors" not in body, body
    return t.cast("dict[str, t.Any]", body["data"])


def catalog(roots: set[str], tmp: Path) -> Path:
    """The tap's catalog with only `roots` and their child tables selected."""
    from tap_shopify_chord.streams import STREAMS, ChildStream, RootStream

    keep = {s.name for s in STREAMS if issubclass(s, RootStream) and s.name in roots}
    keep |= {
        s.name for s in STREAMS if issubclass(s, ChildStream) and s.parent_stream_type.name in keep
    }
    found = subprocess.run(
        [exe("tap-shopify-chord"), "--config", str(tmp / "config.json"), "--discover"],
        check=True,
        capture_output=True,
    )
    body = json.loads(found.stdout)
    for entry in body["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in keep
    path = tmp / f"catalog-{'-'.join(sorted(roots))}.json"
    path.write_text(json.dumps(body))
    return path


def run_process(cmd: list[str], out: Path | None = None) -> dict[str, t.Any]:
    """Wall seconds, CPU seconds (user + system, os.wait4) and peak RSS of one process;
    its stdout to `out` (or counted and dropped)."""
    started = time.perf_counter()
    sink = out.open("wb") if out else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if out:
        t.cast("t.IO[bytes]", sink).close()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"bench: {' '.join(cmd[:2])} exited {os.waitstatus_to_exitcode(status)}")
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def records_by_stream(path: Path, tmp: Path) -> dict[str, int]:
    """Split the tap's RECORD messages into one file per stream (the floor's input)."""
    counts: dict[str, int] = {}
    files: dict[str, t.IO[str]] = {}
    with path.open() as messages:
        for line in messages:
            if line.startswith('{"type":"RECORD"'):
                message = json.loads(line)
                stream = message["stream"]
                if stream not in files:
                    files[stream] = (tmp / f"rows-{stream}.jsonl").open("w")
                files[stream].write(json.dumps(message["record"]) + "\n")
                counts[stream] = counts.get(stream, 0) + 1
    for handle in files.values():
        handle.close()
    return counts


def pregenerated(lines: int) -> dict[str, t.Any]:
    """Section 1: the tap reading a ready export vs the SDK floor emitting the same rows."""
    from tap_shopify_chord import queries as q

    orders = round(lines / JSONL_PER_ORDER)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        options = ["--orders", str(orders), "--restore-rate", "0"]
        with sandbox_process("shopify", *options, timeout=600) as url:
            (tmp / "config.json").write_text(json.dumps(tap_config(url, bulk_streams=["orders"])))
            # the query the tap builds on a first run (start_date minus the refunds lookback)
            since = datetime.fromisoformat(START) - timedelta(hours=24)
            until = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            window = q.search(q.ORDERS, since.strftime("%Y-%m-%dT%H:%M:%SZ"), until)
            query = q.bulk_query(q.for_scopes(q.ORDERS, None), window)
            started = time.perf_counter()
            run = gql(url, q.BULK_RUN, {"query": query})["bulkOperationRunQuery"]
            job = run["bulkOperation"]
            while job["status"] not in ("COMPLETED", "FAILED"):
                time.sleep(0.5)
                job = gql(url, q.BULK_POLL, {"id": job["id"]})["node"]
            generation = round(time.perf_counter() - started, 1)
            assert job["status"] == "COMPLETED", job
            saved = {"id": job["id"], "query": query}
            state = {"bookmarks": {"orders": {"bulk_operation": saved}}}
            (tmp / "state.json").write_text(json.dumps(state))
            cat = catalog({"orders"}, tmp)
            requests.delete(f"{url}/_sandbox/stats", timeout=30)
            cmd = [exe("tap-shopify-chord"), "--config", str(tmp / "config.json")]
            cmd += ["--catalog", str(cat), "--state", str(tmp / "state.json")]
            tap = run_process(cmd, tmp / "tap.out")
            stats = requests.get(f"{url}/_sandbox/stats", timeout=30).json()
        counts = records_by_stream(tmp / "tap.out", tmp)
        (tmp / "floor.json").write_text(json.dumps({"rows_dir": str(tmp)}))
        floor_cmd = [sys.executable, __file__, "floor", "--config", str(tmp / "floor.json")]
        floor = run_process(floor_cmd)
    rows = sum(counts.values())
    for x in (tap, floor):
        x["rows_per_second"] = round(rows / x["seconds"])
        x["cpu_us_per_row"] = round(x["cpu_seconds"] * 1e6 / rows, 1)
    return {
        "jsonl_lines": int(job["objectCount"]),
        "orders": orders,
        "rows": rows,
        "rows_by_table": counts,
        "generation_seconds_not_counted": generation,
        "refund_follow_up_requests": stats["requests"] - 2,  # minus scopes and the one poll
        "tap": tap,
        "floor": floor,
        "cpu_ratio": round(tap["cpu_seconds"] / floor["cpu_seconds"], 2),
        "wall_ratio": round(tap["seconds"] / floor["seconds"], 2),
    }


def exports(scale: str) -> dict[str, t.Any]:
    """Section 2: the three exports side by side (one run) vs one after the other."""
    options = ["--scale", scale, "--restore-rate", "0", "--bulk-seconds", str(BULK_SECONDS)]
    out: dict[str, t.Any] = {"bulk_seconds_per_export": BULK_SECONDS}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for mode, groups in (("concurrent", [set(ROOTS)]), ("sequential", [{r} for r in ROOTS])):
            with sandbox_process("shopify", *options, timeout=600) as url:
                (tmp / "config.json").write_text(json.dumps(tap_config(url)))
                cats = [catalog(group, tmp) for group in groups]
                started = time.perf_counter()
                for cat in cats:
                    cmd = [exe("tap-shopify-chord"), "--config", str(tmp / "config.json")]
                    run_process([*cmd, "--catalog", str(cat)])
                wall = round(time.perf_counter() - started, 2)
                jobs = requests.get(f"{url}/_sandbox/stats", timeout=30).json()
            out[mode] = {"seconds": wall, "jobs": jobs["bulk_operations_created"]}
    out["speedup"] = round(out["sequential"]["seconds"] / out["concurrent"]["seconds"], 2)
    return out


def default_store() -> dict[str, t.Any]:
    """Section 3: the whole tap (all streams, bulk), default store, throttling off."""
    with (
        tempfile.TemporaryDirectory() as name,
        sandbox_process("shopify", "--restore-rate", "0", timeout=600) as url,
    ):
        tmp = Path(name)
        (tmp / "config.json").write_text(json.dumps(tap_config(url)))
        run = run_process(
            [exe("tap-shopify-chord"), "--config", str(tmp / "config.json")], tmp / "out"
        )
        counts = records_by_stream(tmp / "out", tmp)
        stats = requests.get(f"{url}/_sandbox/stats", timeout=30).json()
        truth = requests.get(f"{url}/_sandbox/truth", timeout=600).json()
    rows = sum(counts.values())
    return {
        "rows": rows,
        "orders": truth["orders"]["rows"],
        "seconds": run["seconds"],
        "rows_per_second": round(rows / run["seconds"]),
        "cost_points_per_1000_orders": round(stats["cost_points"] * 1000 / truth["orders"]["rows"]),
        "requests": stats["requests"],
        "exact": all(
            counts.get(k, 0) == v["rows"] for k, v in truth.items() if isinstance(v, dict)
        ),
    }


# -- the floor: the simplest singer-sdk tap emitting the same rows --------------------------
def floor_tap() -> t.Any:
    from singer_sdk import Stream, Tap
    from singer_sdk import typing as th
    from tap_shopify_chord import schemas
    from tap_shopify_chord.streams import STREAMS

    def table(name: str, keys: tuple[str, ...]) -> type[Stream]:
        def get_records(self: Stream, context: t.Any) -> t.Iterable[dict[str, t.Any]]:
            path = Path(self.config["rows_dir"]) / f"rows-{self.name}.jsonl"
            if path.exists():
                with path.open() as rows:
                    for line in rows:
                        yield json.loads(line)

        return type(
            f"Floor{name}",
            (Stream,),
            {
                "name": name,
                "primary_keys": keys,
                "schema": schemas.schema(name, keys),
                "get_records": get_records,
            },
        )

    class FloorTap(Tap):
        name = "floor-shopify"
        config_jsonschema = th.PropertiesList(
            th.Property("rows_dir", th.StringType, required=True)
        ).to_dict()

        def discover_streams(self) -> list[Stream]:
            return [table(s.name, tuple(s.primary_keys or ()))(self) for s in STREAMS]

    return FloorTap


def main() -> None:
    if sys.argv[1:2] == ["floor"]:
        floor_tap().cli(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small stores, for a smoke run")
    parser.add_argument("--lines", type=int, help="JSONL lines of the export (default 500k)")
    args = parser.parse_args()
    lines = args.lines or (20_000 if args.quick else 500_000)
    result: dict[str, t.Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "quick": args.quick,
        "default_store": default_store(),
        "exports": exports("0.4" if args.quick else "1"),
        "pregenerated": pregenerated(lines),
    }
    write_results(RESULTS, "shopify", result, markdown(result), quick=args.quick)
    print(markdown(result))


def markdown(r: dict[str, t.Any]) -> str:
    p, e, d = r["pregenerated"], r["exports"], r["default_store"]
    tap, floor = p["tap"], p["floor"]
    return "\n".join(
        [
            "# tap-shopify-chord benchmark",
            "",
            f"{r['when']}, {r['machine']}{' (quick)' if r['quick'] else ''}.",
            "",
            f"## The tap alone on a pre-generated export ({p['jsonl_lines']:,} JSONL lines, "
            f"{p['orders']:,} orders, {p['rows']:,} rows)",
            "",
            f"The sandbox wrote the export in {p['generation_seconds_not_counted']} s (not "
            "counted); the tap resumed that job from its state and read the file, plus "
            f"{p['refund_follow_up_requests']:,} refund follow-up queries (`nodes(ids:)`, "
            "up to 29 orders each).",
            "",
            "| tap | s | rows/s | CPU s | CPU us/row | peak RSS (MiB) |",
            "|---|---|---|---|---|---|",
            f"| tap-shopify-chord | {tap['seconds']} | {tap['rows_per_second']:,} | "
            f"{tap['cpu_seconds']} | {tap['cpu_us_per_row']} | {tap['peak_rss_mib']} |",
            f"| floor: minimal singer-sdk tap, same rows | {floor['seconds']} | "
            f"{floor['rows_per_second']:,} | {floor['cpu_seconds']} | {floor['cpu_us_per_row']} | "
            f"{floor['peak_rss_mib']} |",
            "",
            f"CPU ratio tap / floor: {p['cpu_ratio']}x; wall ratio: {p['wall_ratio']}x.",
            "",
            f"## Three bulk exports (each takes at least {e['bulk_seconds_per_export']} s in "
            "the sandbox)",
            "",
            "| exports | wall s | jobs |",
            "|---|---|---|",
            f"| side by side (one run) | {e['concurrent']['seconds']} | "
            f"{e['concurrent']['jobs']} |",
            f"| one after the other | {e['sequential']['seconds']} | {e['sequential']['jobs']} |",
            "",
            f"Speed-up: {e['speedup']}x.",
            "",
            "## Default store, whole tap (bulk, no throttling)",
            "",
            f"{d['rows']:,} rows ({d['orders']} orders) in {d['seconds']} s: "
            f"{d['rows_per_second']:,} rows/s, {d['cost_points_per_1000_orders']:,} cost points "
            f"per 1,000 orders, {d['requests']} requests, exact: {'yes' if d['exact'] else 'NO'}.",
            "",
        ]
    )


if __name__ == "__main__":
    main()
