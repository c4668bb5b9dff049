"""tap-ads benchmark against the local ad-platform sandboxes; see bench/README.md.

Writes bench/results/ads.json and bench/results/ads.md (--quick: ads.quick.*).
Usage: python bench/ads_bench.py [--quick]

Per platform, the tap alone (one settings block, stdout to /dev/null) copies the whole
history (`today - 120 days` .. today) from `sandbox serve PLATFORM --rate-limit 0`: report
rows/s (wall time of the whole process, start-up included), CPU time, peak RSS, and the API
calls the sandbox answered per 1,000 report rows (all calls, and the report calls alone).
Every run is checked: the rows emitted equal the sandbox's truth, or the benchmark fails.
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
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import requests
from _common import exe, sandbox_process, write_results

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
PLATFORMS = ("meta", "google-ads", "tiktok", "pinterest", "reddit")
HISTORY_DAYS = 120  # the sandbox's history: today - 120 days .. today
METRIC = re.compile(r"METRIC: (\{.*\})")
TAP = exe("tap-ads")
# Meta and Pinterest reports are async jobs the sandbox finishes on the 2nd status poll, as
# a small real job does. The tap's first poll waits 2 s by default (the real APIs take that
# long); here it waits 100 ms, so rows/s measures the tap rather than the sleep.
POLLED, POLL_MS = {"meta", "pinterest"}, 100


def _records(log: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for metric in map(json.loads, METRIC.findall(log)):
        if metric.get("metric") == "record_count":
            stream = metric.get("tags", {}).get("stream")
            counts[stream] = counts.get(stream, 0) + int(metric["value"])
    return {k: v for k, v in counts.items() if v}


def run_tap(url: str, name: str, start: date, end: date) -> dict[str, Any]:
    """One tap process for one platform: wall, CPU, peak RSS (wait4), records, API calls."""
    block = requests.get(f"{url}/_sandbox/tap-config", timeout=30).json()
    key = name.replace("-", "_")
    truth = requests.get(
        f"{url}/_sandbox/truth", params={"start": str(start), "end": str(end)}, timeout=120
    ).json()
    requests.delete(f"{url}/_sandbox/stats", timeout=30).raise_for_status()
    if key in POLLED:
        block["poll_interval_ms"] = POLL_MS
    config = {"start_date": start.isoformat(), "end_date": end.isoformat(), key: block}
    with tempfile.TemporaryDirectory() as tmp:
        cfg, err = Path(tmp, "config.json"), Path(tmp, "stderr.log")
        cfg.write_text(json.dumps(config))
        with err.open("wb") as stderr:
            began = time.perf_counter()
            proc = subprocess.Popen(
                [TAP, "--config", str(cfg)], stdout=subprocess.DEVNULL, stderr=stderr
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - began
        log = err.read_text(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise RuntimeError(f"tap-ads ({name}) exited {code}:\n{log[-3000:]}")
    records = _records(log)
    report = {s: n for s, n in records.items() if s.endswith("_daily")}
    ad_report = sum(n for s, n in report.items() if "video" not in s)
    if ad_report != truth["report"]["rows"]:
        raise RuntimeError(f"{name}: {report} report rows, truth {truth['report']['rows']}")
    stats = requests.get(f"{url}/_sandbox/stats", timeout=30).json()
    rows = sum(report.values())
    return {
        "records": sum(records.values()),
        "records_by_stream": records,
        "report_rows": rows,
        "wall_s": round(wall, 3),
        "report_rows_per_s": round(rows / wall, 1),
        "records_per_s": round(sum(records.values()) / wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "api_calls": stats["requests"],
        "by_endpoint": stats["by_endpoint"],
        "throttled": stats["throttled"],
        "jobs": stats["jobs"],
        "calls_per_1000_report_rows": round(1000 * stats["requests"] / rows, 2),
    }


def bench_platform(name: str, scale: float, repeats: int) -> dict[str, Any]:
    # Latest "today" over the accounts' zones (Tokyo, Sydney run ahead of UTC).
    end = datetime.now(UTC).date() + timedelta(days=1)
    start = end - timedelta(days=HISTORY_DAYS + 2)
    runs = []
    with sandbox_process(name, "--scale", str(scale), "--rate-limit", "0", timeout=60) as url:
        for _ in range(repeats):
            runs.append(run_tap(url, name, start, end))
    best = min(runs, key=lambda r: r["wall_s"])
    return {"scale": scale, **best, "runs_wall_s": [r["wall_s"] for r in runs]}


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
    m = r["machine"]
    lines = [
        f"# tap-ads benchmark{' (quick)' if r['quick'] else ''}",
        "",
        f"{m['date']} · {m['cpu_count']} CPUs · Python {m['python']} · "
        f"singer-sdk {m['singer_sdk']} · {m['platform']} · load avg (1 min) before/after "
        f"{m['loadavg_1m_before_after']}",
        "",
        f"The tap alone per platform, limits off (`sandbox serve PLATFORM --rate-limit 0 "
        f"--scale {r['scale']:g}`), whole history ({HISTORY_DAYS + 1} days, 2 accounts), stdout "
        f"to /dev/null, best of {r['repeats']} by wall time (start-up included). Rows are "
        "checked against the sandbox's truth. Meta and Pinterest: async report jobs done on the "
        f"2nd status poll, tap `poll_interval_ms` {POLL_MS} (default 2000).",
        "",
        "| platform | report rows | wall s | report rows/s | all records/s | CPU s | "
        "peak RSS MiB | API calls | calls / 1,000 report rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, x in r["platforms"].items():
        lines.append(
            f"| {name} | {x['report_rows']:,} | {x['wall_s']} | **{x['report_rows_per_s']:,}** | "
            f"{x['records_per_s']:,} | {x['cpu_s']} | {x['peak_rss_mib']} | {x['api_calls']} | "
            f"**{x['calls_per_1000_report_rows']}** |"
        )
    lines += [
        "",
        "Google Ads' report rows include the per-video report (VIDEO campaigns) next to the ad "
        "report. API calls count every answered request (tokens, entity pages, report pages, "
        "async job creation, polls and downloads), entity lists included; `by_endpoint` in "
        "ads.json splits them by the sandbox's endpoint names.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (about 1 minute)")
    quick = parser.parse_args().quick
    scale, repeats = (1.0, 1) if quick else (4.0, 3)
    result: dict[str, Any] = {
        "quick": quick,
        "scale": scale,
        "repeats": repeats,
        "machine": machine(),
        "platforms": {},
    }
    load = round(os.getloadavg()[0], 2)  # others' work on the box skews wall times
    for name in PLATFORMS:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        result["platforms"][name] = bench_platform(name, scale, repeats)
    result["machine"]["loadavg_1m_before_after"] = [load, round(os.getloadavg()[0], 2)]
    write_results(RESULTS, "ads", result, markdown(result), quick=quick)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
