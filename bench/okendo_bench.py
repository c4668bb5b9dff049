"""tap-okendo benchmarks against the local Okendo sandbox; see bench/README.md.

Writes bench/results/okendo.json and bench/results/okendo.md.
Usage: python bench/okendo_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import requests
from _common import exe, sandbox_process, write_results

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
USER_ID = "5c4b8a1e-2f0d-4c3b-9a8e-7d6f5e4c3b2a"
API_KEY = "sbx0kendoKey00000000000000000042"
PAGE_SIZE = 100
SPLIT = {"approved": 0.80, "pending": 0.12, "rejected": 0.08}  # the sandbox's default mix
METRIC = re.compile(r"METRIC: (\{.*\})")


TAP = [exe("tap-okendo")]
MINIMAL = [sys.executable, str(BENCH / "minimal_tap.py")]


def split(total: int) -> dict[str, int]:
    counts = {s: round(total * share) for s, share in SPLIT.items()}
    counts["approved"] += total - sum(counts.values())
    return counts


@dataclass
class Sandbox:
    url: str

    @property
    def api_url(self) -> str:
        return f"{self.url}/enterprise"

    def reset_stats(self) -> None:
        requests.delete(f"{self.url}/_sandbox/stats", timeout=30).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/stats", timeout=30).json()


@contextmanager
def sandbox(counts: dict[str, int], rate_limit: float = 0, burst: int = 2) -> Iterator[Sandbox]:
    options = ["--rate-limit", str(rate_limit), "--burst", str(burst)]
    for status in SPLIT:
        options += [f"--{status}", str(counts.get(status, 0))]
    with sandbox_process("okendo", *options) as url:
        yield Sandbox(url)


def run_tap(cmd: list[str], box: Sandbox, expected: int, **config: Any) -> dict[str, Any]:
    """One tap process, stdout to /dev/null: wall time, CPU time and peak RSS (wait4)."""
    config = {"user_id": USER_ID, "api_key": API_KEY, "api_url": box.api_url, **config}
    with tempfile.TemporaryDirectory() as tmp:
        cfg, err = Path(tmp, "config.json"), Path(tmp, "stderr.log")
        cfg.write_text(json.dumps(config))
        box.reset_stats()
        with err.open("wb") as stderr:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [*cmd, "--config", str(cfg)], stdout=subprocess.DEVNULL, stderr=stderr
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        log = err.read_text(errors="replace")
    if proc.returncode:
        raise RuntimeError(f"{cmd[-1]} exited {proc.returncode}:\n{log[-2000:]}")
    records = sum(
        m["value"]
        for m in map(json.loads, METRIC.findall(log))
        if m["metric"] == "record_count" and m["tags"]["stream"] == "reviews"
    )
    if records != expected:
        raise RuntimeError(f"{cmd[-1]} emitted {records} reviews, expected {expected}")
    stats = box.stats()
    return {
        "records": records,
        "wall_s": round(wall, 3),
        "records_per_s": round(records / wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "requests": stats["requests"],
        "by_status": stats["by_status"],
    }


def http_only(box: Sandbox, status: str, expected: int) -> dict[str, Any]:
    """The sandbox + HTTP + JSON cost alone: a bare requests loop, in-process, no Singer."""
    session = requests.Session()
    session.auth = (USER_ID, API_KEY)
    session.headers["okendo-api-version"] = "2025-02-01"
    url: str | None = f"/reviews?status={status}&limit={PAGE_SIZE}&orderBy=date+asc"
    records, start = 0, time.perf_counter()
    while url:
        body = session.get(box.api_url + url, timeout=60).json()
        records += len(body["reviews"])
        url = body.get("nextUrl")
    wall = time.perf_counter() - start
    assert records == expected, (records, expected)
    return {"records": records, "wall_s": round(wall, 3), "records_per_s": round(records / wall, 1)}


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {**min(runs, key=lambda r: r["wall_s"]), "runs_wall_s": [r["wall_s"] for r in runs]}


def bench_throughput(n: int, repeats: int) -> dict[str, Any]:
    off = {"max_requests_per_second": 0, "review_statuses": ["approved"]}
    with sandbox({"approved": n}) as box:
        http = best([http_only(box, "approved", n) for _ in range(repeats)])
        tap_runs, floor_runs = [], []
        for _ in range(repeats):  # interleaved, so drift hits both alike
            tap_runs.append(run_tap(TAP, box, n, **off))
            floor_runs.append(run_tap(MINIMAL, box, n, review_statuses=["approved"]))
    tap, floor = best(tap_runs), best(floor_runs)
    return {
        "reviews": n,
        "statuses": ["approved"],
        "repeats": repeats,
        "pick": "best wall time",
        "tap": tap,
        "minimal_sdk_tap": floor,
        "http_only": http,
        "overhead_ratio_wall": round(tap["wall_s"] / floor["wall_s"], 3),
        "overhead_ratio_cpu": round(tap["cpu_s"] / floor["cpu_s"], 3),
    }


def bench_rate_limited(n: int) -> dict[str, Any]:
    counts = split(n)
    with sandbox(counts, rate_limit=2, burst=2) as box:
        run = run_tap(TAP, box, n)  # tap defaults: 2 requests/s, all three statuses
    ceiling = 2 * PAGE_SIZE
    return {
        "reviews": n,
        "counts": counts,
        "sandbox": "--rate-limit 2 --burst 2",
        "tap_config": "defaults (max_requests_per_second 2)",
        "run": run,
        "ceiling_reviews_per_s": ceiling,
        "share_of_ceiling": round(run["records_per_s"] / ceiling, 3),
        "http_429": run["by_status"].get("429", 0),
    }


def bench_memory(sizes: tuple[int, int]) -> dict[str, Any]:
    runs = {}
    for n in sizes:
        with sandbox(split(n)) as box:
            runs[str(n)] = {"counts": split(n), **run_tap(TAP, box, n, max_requests_per_second=0)}
    small, large = (runs[str(n)] for n in sizes)
    return {"runs": runs, "rss_ratio": round(large["peak_rss_mib"] / small["peak_rss_mib"], 3)}


def requests_per_1000(result: dict[str, Any]) -> dict[str, Any]:
    rows = {"throughput (approved only)": result["throughput"]["tap"]}
    rows |= {f"memory {n} (3 statuses)": r for n, r in result["memory"]["runs"].items()}
    rows["rate-limited (3 statuses, 200s only)"] = {
        **result["rate_limited"]["run"],
        "requests": result["rate_limited"]["run"]["by_status"].get("200", 0),
    }
    return {
        k: {
            "reviews": r["records"],
            "requests": r["requests"],
            "per_1000": round(1000 * r["requests"] / r["records"], 2),
        }
        for k, r in rows.items()
    }


def machine() -> dict[str, Any]:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gib": round(mem / 2**30, 1),
        "singer_sdk": version("singer-sdk"),
    }


def markdown(r: dict[str, Any]) -> str:
    m, t, rl, mem = r["machine"], r["throughput"], r["rate_limited"], r["memory"]
    lines = [
        f"# tap-okendo benchmark{' (quick)' if r['quick'] else ''}",
        "",
        f"{m['date']} · {m['cpu_count']} CPUs · Python {m['python']} · "
        f"singer-sdk {m['singer_sdk']} · {m['platform']} · load avg (1 min) before/after "
        f"{m['loadavg_1m_before_after']}",
        "",
        f"## Throughput, limit off ({t['reviews']:,} approved reviews, best of "
        f"{t['repeats']} by wall time, stdout to /dev/null)",
        "",
        "| run | wall s | reviews/s | CPU s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, key in (("tap-okendo", "tap"), ("minimal SDK tap (floor)", "minimal_sdk_tap")):
        x = t[key]
        lines.append(
            f"| {label} | {x['wall_s']} | {x['records_per_s']:,} | {x['cpu_s']} | "
            f"{x['peak_rss_mib']} |"
        )
    h = t["http_only"]
    lines += [
        f"| HTTP + JSON only, no Singer (in-process) | {h['wall_s']} | "
        f"{h['records_per_s']:,} | | |",
        "",
        f"Overhead tap / floor: **{t['overhead_ratio_wall']}x** wall, "
        f"{t['overhead_ratio_cpu']}x CPU.",
        "",
        "## Requests per 1,000 reviews (page size 100, floor 10)",
        "",
        "| run | reviews | requests | per 1,000 |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {k} | {v['reviews']:,} | {v['requests']} | {v['per_1000']} |"
        for k, v in r["requests_per_1000"].items()
    ]
    run = rl["run"]
    lines += [
        "",
        f"## Rate-limited ({rl['sandbox']}, tap defaults, {rl['reviews']:,} reviews)",
        "",
        "| wall s | reviews/s | share of 200/s ceiling | requests | 429s |",
        "|---:|---:|---:|---:|---:|",
        f"| {run['wall_s']} | {run['records_per_s']} | "
        f"**{rl['share_of_ceiling']:.1%}** | {run['requests']} | {rl['http_429']} |",
        "",
        "## Peak RSS, limit off (3 statuses)",
        "",
        "| reviews | wall s | reviews/s | peak RSS MiB |",
        "|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {int(n):,} | {x['wall_s']} | {x['records_per_s']:,} | {x['peak_rss_mib']} |"
        for n, x in mem["runs"].items()
    ]
    lines += ["", f"RSS ratio large / small: **{mem['rss_ratio']}x** (flat means ≈ 1).", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (about a minute)")
    quick = parser.parse_args().quick
    result: dict[str, Any] = {"quick": quick, "machine": machine()}
    load = round(os.getloadavg()[0], 2)  # others' work on the box skews wall times
    steps = [
        ("throughput", bench_throughput, (10_000 if quick else 50_000, 2 if quick else 3)),
        ("rate_limited", bench_rate_limited, (2_000 if quick else 6_000,)),
        ("memory", bench_memory, ((10_000, 50_000 if quick else 200_000),)),
    ]
    for key, func, args in steps:
        print(f"bench: {key} ...", file=sys.stderr, flush=True)
        result[key] = func(*args)  # type: ignore[operator]
    result["requests_per_1000"] = requests_per_1000(result)
    result["machine"]["loadavg_1m_before_after"] = [load, round(os.getloadavg()[0], 2)]
    write_results(RESULTS, "okendo", result, markdown(result), quick=quick)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
