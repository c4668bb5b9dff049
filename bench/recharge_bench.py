"""tap-recharge benchmarks against the local Recharge sandbox; see bench/README.md.

Writes bench/results/recharge.json and bench/results/recharge.md (--quick: recharge.quick.*).
Usage: python bench/recharge_bench.py [--quick]

1. Throughput with the rate limit off (sandbox --rate-limit 0, tap max_requests_per_second 0).
2. Under Recharge's real bucket (40 calls, draining 2/s), tap defaults: achieved calls/s and
   records/s as a share of the ceiling (2 calls/s x 250 records), and the 429s.
3. The same sync by singer-io's tap-recharge 3.0.1 (PyPI), installed in a throwaway venv under
   /tmp. It hardcodes https://api.rechargeapps.com (client.py, for the token check and every
   request) and has no base-URL setting, so it runs unmodified behind a shim that mounts a
   requests transport adapter sending that host's requests to the sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
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
TOKEN = "sk_sandbox_recharge_0123456789abcdef0123456789abcdef"  # the sandbox's public token
HEADERS = {"X-Recharge-Access-Token": TOKEN, "X-Recharge-Version": "2021-11"}
PAGE_SIZE = 250
DRAIN, BUCKET = 2.0, 40
INCREMENTAL = {
    "events": "created_at",
    "orders": "updated_at",
    "charges": "updated_at",
    "onetimes": "updated_at",
    "subscriptions": "updated_at",
    "addresses": "updated_at",
    "customers": "updated_at",
    "discounts": "updated_at",
    "plans": "updated_at",
}
ALL_STREAMS = [*INCREMENTAL, "payment_methods", "products", "collections"]
# What both taps copy the same way (updated_at_min + sort_by=updated_at-asc): singer-io's
# collections use an updated filter Recharge does not document (the sandbox refuses it),
# its products/store/metafields are not in this sandbox, and it has no events stream.
SHARED = ["addresses", "charges", "customers", "discounts", "onetimes", "orders", "plans"]
SHARED.append("subscriptions")
SINGERIO_VERSION = "3.0.1"
SINGERIO_VENV = Path(tempfile.gettempdir()) / f"singerio-tap-recharge-{SINGERIO_VERSION}"
METRIC = re.compile(r"METRIC: (\{.*\})")
SHIM = '''"""Run singer-io tap-recharge unmodified, its hardcoded API host sent to the sandbox."""
import sys

import requests
from requests.adapters import HTTPAdapter

TARGET, HOST = sys.argv.pop(1), "https://api.rechargeapps.com"


class ToSandbox(HTTPAdapter):
    def send(self, request, **kwargs):
        request.url = TARGET + request.url[len(HOST):]
        return super().send(request, **kwargs)


_init = requests.Session.__init__


def _mounted(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.mount(HOST, ToSandbox())


requests.Session.__init__ = _mounted
from tap_recharge import main  # noqa: E402

main()
'''


TAP = exe("tap-recharge")


@dataclass
class Sandbox:
    url: str

    def stats(self, times: bool = False) -> dict[str, Any]:
        params = {"times": "1"} if times else {}
        return requests.get(f"{self.url}/_sandbox/stats", params=params, timeout=60).json()

    def reset_stats(self) -> None:
        requests.delete(f"{self.url}/_sandbox/stats", timeout=60).raise_for_status()

    def counts(self) -> dict[str, int]:
        return requests.get(f"{self.url}/_sandbox/truth", timeout=300).json()["counts"]


@contextmanager
def sandbox(scale: float, rate_limit: float) -> Iterator[Sandbox]:
    options = ["--scale", str(scale), "--rate-limit", str(rate_limit)]
    options += ["--bucket-size", str(BUCKET), "--missing-scopes", ""]
    with sandbox_process("recharge", *options, timeout=60) as url:
        yield Sandbox(url)


def _records(log: str) -> dict[str, int]:
    """Records per stream from the METRIC lines (SDK: tags.stream, singer-python: endpoint)."""
    counts: dict[str, int] = {}
    for metric in map(json.loads, METRIC.findall(log)):
        if metric.get("metric") == "record_count":
            tags = metric.get("tags", {})
            stream = tags.get("stream") or tags.get("endpoint")
            counts[stream] = counts.get(stream, 0) + int(metric["value"])
    return counts


def run(
    cmd: list[str], box: Sandbox, config: dict[str, Any], expected: dict[str, int], *args: str
) -> dict[str, Any]:
    """One tap process, stdout to /dev/null: wall time, CPU time and peak RSS (wait4)."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg, err = Path(tmp, "config.json"), Path(tmp, "stderr.log")
        cfg.write_text(json.dumps(config))
        box.reset_stats()
        with err.open("wb") as stderr:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [*cmd, "--config", str(cfg), *args], stdout=subprocess.DEVNULL, stderr=stderr
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        log = err.read_text(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise RuntimeError(f"{cmd[-1]} exited {code}:\n{log[-3000:]}")
    records = {k: v for k, v in _records(log).items() if v}
    if records != {k: v for k, v in expected.items() if v}:
        raise RuntimeError(f"{cmd[-1]} emitted {records}, expected {expected}")
    stats = box.stats(times=True)
    times = stats.pop("times")
    total = sum(records.values())
    ok = stats["by_status"].get("200", 0)
    result = {
        "records": total,
        "records_by_stream": records,
        "wall_s": round(wall, 3),
        "records_per_s": round(total / wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "requests": stats["requests"],
        "requests_200": ok,
        "http_429": stats["by_status"].get("429", 0),
        "by_status": stats["by_status"],
        "calls_per_s": round(stats["requests"] / wall, 3),
        "api_span_s": stats["elapsed_s"],
    }
    if len(times) > BUCKET + 10:
        # After the bucket's free calls are spent, the pace is the steady state.
        tail = times[BUCKET:]
        result["steady_calls_per_s"] = round((len(tail) - 1) / (tail[-1] - tail[0]), 3)
    return result


def catalog_selecting(cmd: list[str], config: dict[str, Any], streams: list[str]) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp, "config.json")
        cfg.write_text(json.dumps(config))
        done = subprocess.run(
            [*cmd, "--config", str(cfg), "--discover"], capture_output=True, text=True, check=True
        )
    catalog = json.loads(done.stdout)
    for stream in catalog["streams"]:
        chosen = stream["tap_stream_id"] in streams
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = chosen
    path = Path(tempfile.mkstemp(suffix=".catalog.json")[1])
    path.write_text(json.dumps(catalog))
    return path


def http_only(box: Sandbox) -> dict[str, Any]:
    """The sandbox + HTTP + JSON cost alone: a bare requests loop over every page, no Singer."""
    session = requests.Session()
    session.headers.update(HEADERS)
    records, pages, start = 0, 0, time.perf_counter()
    for stream in ALL_STREAMS:
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if stream in INCREMENTAL:
            params["sort_by"] = f"{INCREMENTAL[stream]}-asc"
        while True:
            body = session.get(f"{box.url}/{stream}", params=params, timeout=120).json()
            records, pages = records + len(body[stream]), pages + 1
            if "next_cursor" not in body:
                break
            params = {"cursor": body["next_cursor"], "limit": PAGE_SIZE}
    wall = time.perf_counter() - start
    return {
        "records": records,
        "requests": pages,
        "wall_s": round(wall, 3),
        "records_per_s": round(records / wall, 1),
    }


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {**min(runs, key=lambda r: r["wall_s"]), "runs_wall_s": [r["wall_s"] for r in runs]}


def ours(box: Sandbox, **config: Any) -> dict[str, Any]:
    return {"access_token": TOKEN, "api_url": box.url, **config}


def bench_throughput(scale: float, repeats: int) -> dict[str, Any]:
    with sandbox(scale, rate_limit=0) as box:
        expected = box.counts()
        floor = best([http_only(box) for _ in range(repeats)])
        tap = best(
            [
                run([TAP], box, ours(box, max_requests_per_second=0), expected)
                for _ in range(repeats)
            ]
        )
    return {
        "scale": scale,
        "objects": sum(expected.values()),
        "counts": expected,
        "repeats": repeats,
        "pick": "best wall time",
        "tap": tap,
        "http_only": floor,
        "requests_per_1000_records": round(1000 * tap["requests"] / tap["records"], 2),
    }


def bench_rate_limited(scale: float) -> dict[str, Any]:
    with sandbox(scale, rate_limit=DRAIN) as box:
        expected = box.counts()
        tap = run([TAP], box, ours(box), expected)  # tap defaults: 2/s, bucket-aware
    wall, calls, span = tap["wall_s"], tap["requests"], tap["api_span_s"]
    # A perfect client spends the 40 free calls at once, then 2/s: N calls need (N - 40)/2 s,
    # and in T seconds it can make at most 40 + 2T calls.
    ideal_s = max(0.0, (calls - BUCKET) / DRAIN)
    most_calls = BUCKET + DRAIN * span
    records_per_call = tap["records"] / tap["requests_200"]
    return {
        "scale": scale,
        "objects": sum(expected.values()),
        "sandbox": f"--rate-limit {DRAIN:g} --bucket-size {BUCKET}",
        "tap_config": "defaults (max_requests_per_second 2, page_size 250)",
        "run": tap,
        "ceiling_calls_per_s": DRAIN,
        "ceiling_records_per_s": DRAIN * PAGE_SIZE,
        "share_calls_steady": round(tap.get("steady_calls_per_s", 0) / DRAIN, 3),
        "steady_records_per_s": round(tap.get("steady_calls_per_s", 0) * records_per_call, 1),
        "share_records_steady": round(
            tap.get("steady_calls_per_s", 0) * records_per_call / (DRAIN * PAGE_SIZE), 3
        ),
        "share_records_whole_run": round(tap["records_per_s"] / (DRAIN * PAGE_SIZE), 3),
        "share_of_bucket_ceiling_calls": round(calls / most_calls, 3),
        "records_per_call": round(records_per_call, 1),
        "ideal_wall_s": ideal_s,
        "share_of_ideal_wall": round(ideal_s / wall, 3) if ideal_s else None,
        "http_429": tap["http_429"],
    }


def singerio_python() -> tuple[str | None, str]:
    """singer-io tap-recharge in a throwaway venv under /tmp (never in the project)."""
    python = SINGERIO_VENV / "bin" / "python"
    if not python.exists():
        uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
        try:
            subprocess.run(
                [uv, "venv", "-q", "--python", "3.11", str(SINGERIO_VENV)],
                check=True,
                capture_output=True,
            )
            package = f"tap-recharge=={SINGERIO_VERSION}"
            subprocess.run(
                [uv, "pip", "install", "-q", "--python", str(python), package],
                check=True,
                capture_output=True,
            )
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            return None, f"could not install tap-recharge=={SINGERIO_VERSION}: {detail[-300:]!r}"
    shim = SINGERIO_VENV / "to_sandbox.py"
    shim.write_text(SHIM)
    return str(python), str(shim)


def bench_vs_singerio(scale: float) -> dict[str, Any]:
    python, shim = singerio_python()
    if python is None:
        return {"skipped": shim}
    result: dict[str, Any] = {
        "scale": scale,
        "streams": SHARED,
        "singerio_version": SINGERIO_VERSION,
        "how": "unmodified, behind a requests transport adapter mapping "
        "https://api.rechargeapps.com to the sandbox (it has no base-URL setting)",
        "singerio_design": "page size 50 (fixed), 100 requests per 60 s window (singer "
        "utils.ratelimit: a burst of 100, then wait), 5 s sleep + 5 tries on 429, bookmarks "
        "written once per stream at its end",
    }
    base = {"access_token": TOKEN, "start_date": "2000-01-01T00:00:00Z", "user_agent": "bench"}
    for label, rate in (("limit_off", 0.0), ("bucket", DRAIN)):
        row: dict[str, Any] = {"sandbox": f"--rate-limit {rate:g} --bucket-size {BUCKET}"}
        # Each tap gets a fresh sandbox: the bucket one run spent must not slow the next.
        for name in ("singerio", "tap_recharge"):
            with sandbox(scale, rate_limit=rate) as box:
                expected = {k: v for k, v in box.counts().items() if k in SHARED}
                if name == "singerio":
                    cmd, config = [python, shim, box.url], base
                else:
                    pacing = {"max_requests_per_second": 0} if rate == 0 else {}
                    cmd, config = [TAP], ours(box, **pacing)
                catalog = catalog_selecting(cmd, config, SHARED)
                try:
                    if rate:  # let the calls discovery made (singer-io: one) drain away
                        time.sleep(box.stats()["requests"] / DRAIN)
                    row[name] = run(cmd, box, config, expected, "--catalog", str(catalog))
                finally:
                    catalog.unlink()
        me, theirs = row["tap_recharge"], row["singerio"]
        row["ratio_records_per_s"] = round(me["records_per_s"] / theirs["records_per_s"], 2)
        row["ratio_wall"] = round(theirs["wall_s"] / me["wall_s"], 2)
        result[label] = row
    return result


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
    m, t, rl, vs = r["machine"], r["throughput"], r["rate_limited"], r["vs_singerio"]
    tap, floor = t["tap"], t["http_only"]
    lines = [
        f"# tap-recharge benchmark{' (quick)' if r['quick'] else ''}",
        "",
        f"{m['date']} · {m['cpu_count']} CPUs · Python {m['python']} · "
        f"singer-sdk {m['singer_sdk']} · {m['platform']} · load avg (1 min) before/after "
        f"{m['loadavg_1m_before_after']}",
        "",
        f"## Throughput, limit off ({t['objects']:,} objects in 12 streams, sandbox scale "
        f"{t['scale']:g}, best of {t['repeats']}, stdout to /dev/null)",
        "",
        "| run | wall s | records/s | requests | CPU s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|",
        f"| tap-recharge | {tap['wall_s']} | {tap['records_per_s']:,} | {tap['requests']} | "
        f"{tap['cpu_s']} | {tap['peak_rss_mib']} |",
        f"| HTTP + JSON only, no Singer (in-process) | {floor['wall_s']} | "
        f"{floor['records_per_s']:,} | {floor['requests']} | | |",
        "",
        f"Requests per 1,000 records: {t['requests_per_1000_records']} (page size 250; floor 4 "
        "plus one partial last page per stream).",
        "",
        f"## Under Recharge's bucket ({rl['sandbox']}, tap defaults, {rl['objects']:,} objects)",
        "",
        "| | calls/s | share of 2 calls/s | records/s | share of 500 records/s |",
        "|---|---:|---:|---:|---:|",
    ]
    x = rl["run"]
    lines += [
        f"| steady state (after the 40 free calls) | {x.get('steady_calls_per_s', '-')} | "
        f"**{rl['share_calls_steady']:.1%}** | {rl['steady_records_per_s']} | "
        f"**{rl['share_records_steady']:.1%}** |",
        f"| whole run (wall {x['wall_s']} s, start-up included) | {x['calls_per_s']} | "
        f"{x['calls_per_s'] / 2:.1%} | {x['records_per_s']} | "
        f"{rl['share_records_whole_run']:.1%} |",
        "",
        f"{x['requests']} requests, **{x['http_429']} answered 429**; "
        f"{rl['records_per_call']} records per call (the last page of each stream is partial). "
        "The whole-run rates exceed 2 calls/s because the bucket starts empty: 40 calls are free "
        f"at once. Against that burst-aware ceiling (40 + 2 x {x['api_span_s']} s of API time) "
        f"the run made {rl['share_of_bucket_ceiling_calls']:.1%} of the calls possible; a perfect "
        f"client would need {rl['ideal_wall_s']:.1f} s for them, the tap took {x['wall_s']} s "
        f"wall ({rl['share_of_ideal_wall']:.1%}).",
        "",
        "## Side by side: singer-io tap-recharge",
        "",
    ]
    if "skipped" in vs:
        lines += [f"Skipped: {vs['skipped']}", ""]
        return "\n".join(lines)
    lines += [
        f"singer-io tap-recharge {vs['singerio_version']} from PyPI, {vs['how']}. Its design: "
        f"{vs['singerio_design']}. Streams both copy alike: {', '.join(vs['streams'])} "
        f"(sandbox scale {vs['scale']:g}).",
        "",
        "| sandbox | tap | wall s | records | records/s | requests | 429s | CPU s | RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in ("limit_off", "bucket"):
        row = vs[label]
        for name, key in (("tap-recharge", "tap_recharge"), ("singer-io", "singerio")):
            y = row[key]
            lines.append(
                f"| {row['sandbox']} | {name} | {y['wall_s']} | {y['records']:,} | "
                f"{y['records_per_s']} | {y['requests']} | {y['http_429']} | {y['cpu_s']} | "
                f"{y['peak_rss_mib']} |"
            )
    lines += [
        "",
        f"Ratio tap-recharge / singer-io, records/s: **{vs['limit_off']['ratio_records_per_s']}x** "
        f"with the limit off, **{vs['bucket']['ratio_records_per_s']}x** under the bucket.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (about 2 minutes)")
    quick = parser.parse_args().quick
    result: dict[str, Any] = {"quick": quick, "machine": machine()}
    load = round(os.getloadavg()[0], 2)  # others' work on the box skews wall times
    steps = [
        ("throughput", bench_throughput, (1.0 if quick else 5.0, 1 if quick else 3)),
        ("rate_limited", bench_rate_limited, (2.0 if quick else 4.0,)),
        ("vs_singerio", bench_vs_singerio, (0.5 if quick else 1.0,)),
    ]
    for key, func, args in steps:
        print(f"bench: {key} ...", file=sys.stderr, flush=True)
        result[key] = func(*args)  # type: ignore[operator]
    result["machine"]["loadavg_1m_before_after"] = [load, round(os.getloadavg()[0], 2)]
    write_results(RESULTS, "recharge", result, markdown(result), quick=quick)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
