"""Emulated Snowflake load next to the DuckDB load of the same Okendo data, in one run.

Two measurements, both with the Okendo sandbox's rate limit off:

1. Loaders alone: tap-okendo's Singer output is captured once to a file, then piped into
   each Meltano-installed target process (its own config from `meltano invoke --dump=config`)
   twice: into an empty warehouse (inserts), then again (every row an update: MERGE /
   upsert on the primary key). Wall time, CPU time and peak RSS of the target process.
2. End to end: `meltano run tap-okendo target-snowflake-emulated` next to
   `meltano run tap-okendo target-duckdb` (tap + loader + Meltano, first load).

Writes bench/results/snowflake.json and bench/results/snowflake.md.
Usage: python bench/snowflake_bench.py [--reviews N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from _common import sandbox_process

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
USER_ID = "5c4b8a1e-2f0d-4c3b-9a8e-7d6f5e4c3b2a"
API_KEY = "sbx0kendoKey00000000000000000042"
SPLIT = {"approved": 0.80, "pending": 0.12, "rejected": 0.08}  # the sandbox's default mix
BIN = Path(sys.executable).parent
LOADERS = {
    "snowflake (emulated)": ("target-snowflake-emulated", "target-snowflake-emulated"),
    "duckdb": ("target-duckdb", "target-duckdb"),
}


def split(total: int) -> dict[str, int]:
    counts = {s: round(total * share) for s, share in SPLIT.items()}
    counts["approved"] += total - sum(counts.values())
    return counts


@contextmanager
def sandbox(counts: dict[str, int]) -> Iterator[str]:
    options = ["--rate-limit", "0"]
    for status, n in counts.items():
        options += [f"--{status}", str(n)]
    with sandbox_process("okendo", *options) as url:
        yield url


class Project:
    """Meltano against a throwaway system DB, warehouse file and emulator directory."""

    def __init__(self, tmp: Path, api_url: str) -> None:
        self.tmp = tmp
        self.env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp / 'meltano.db'}",
            "TAP_OKENDO_API_URL": api_url,
            "TAP_OKENDO_USER_ID": USER_ID,
            "TAP_OKENDO_API_KEY": API_KEY,
            "TAP_OKENDO_MAX_REQUESTS_PER_SECOND": "0",
            # Outside `meltano run` there is no load schema to take it from.
            "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "raw_okendo",
            "TARGET_SNOWFLAKE_EMULATED_DEFAULT_TARGET_SCHEMA": "raw_okendo",
        }
        self.fresh_warehouses()

    def fresh_warehouses(self) -> None:
        for path in (self.tmp / "warehouse.duckdb", self.tmp / "emulator"):
            if path.is_dir():
                shutil.rmtree(path)
            path.unlink(missing_ok=True)
        self.env["TARGET_DUCKDB_FILEPATH"] = str(self.tmp / "warehouse.duckdb")
        self.env["TARGET_SNOWFLAKE_EMULATED_EMULATOR_DIR"] = str(self.tmp / "emulator")
        self.env["SNOWFLAKE_EMULATOR_DIR"] = str(self.tmp / "emulator")

    def meltano(self, *args: str, stdout: Any = subprocess.PIPE) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(BIN / "meltano"), *args],
            cwd=ROOT,
            env=self.env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"meltano {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done


def measured(cmd: list[str], env: dict[str, str], stdin: Path) -> dict[str, float]:
    """Run one process to completion: wall, CPU (user + sys) and peak RSS, from wait4."""
    with stdin.open("rb") as source, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=source, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status):
            err.seek(0)
            raise RuntimeError(f"{cmd[0]} failed:\n{err.read().decode(errors='replace')[-3000:]}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def loaders_alone(project: Project, records: int, repeats: int) -> dict[str, Any]:
    messages = project.tmp / "messages.jsonl"
    with messages.open("w") as out:
        project.meltano("invoke", "tap-okendo", stdout=out)
    counts = {"RECORD": 0}
    with messages.open() as lines:
        for line in lines:
            if line.startswith('{"type":"RECORD"') or line.startswith('{"type": "RECORD"'):
                counts["RECORD"] += 1
    if counts["RECORD"] != records:
        raise RuntimeError(f"captured {counts['RECORD']} records, expected {records}")
    configs = {}
    for label, (plugin, executable) in LOADERS.items():
        path = project.tmp / f"{plugin}.json"
        path.write_text(project.meltano("invoke", "--dump=config", plugin).stdout)
        exe = ROOT / ".meltano" / "loaders" / plugin / "venv" / "bin" / executable
        configs[label] = [str(exe), "--config", str(path)]
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        label: {"insert": [], "update": []} for label in LOADERS
    }
    for _ in range(repeats):  # interleaved, so drift on a shared box hits both alike
        for label, cmd in configs.items():
            project.fresh_warehouses()
            env = {**project.env, "VIRTUAL_ENV": str(Path(cmd[0]).parents[1])}
            for phase in ("insert", "update"):
                runs[label][phase].append(measured(cmd, env, messages))
    return {
        "records": records,
        "messages_mib": round(messages.stat().st_size / 2**20, 1),
        "runs": {
            label: {
                phase: {**best(r), "rows_per_s": round(records / best(r)["wall_s"], 1)}
                for phase, r in phases.items()
            }
            for label, phases in runs.items()
        },
    }


def end_to_end(project: Project, records: int, repeats: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in LOADERS}
    for _ in range(repeats):
        for label, (plugin, _exe) in LOADERS.items():
            project.fresh_warehouses()
            project.env["MELTANO_DATABASE_URI"] = f"sqlite:///{project.tmp / 'e2e.db'}"
            (project.tmp / "e2e.db").unlink(missing_ok=True)
            start = time.perf_counter()
            project.meltano("run", "tap-okendo", plugin)
            runs[label].append({"wall_s": round(time.perf_counter() - start, 3)})
    return {
        "records": records,
        "runs": {
            label: {**best(r), "rows_per_s": round(records / best(r)["wall_s"], 1)}
            for label, r in runs.items()
        },
    }


def best(runs: list[dict[str, float]]) -> dict[str, Any]:
    return {**min(runs, key=lambda r: r["wall_s"]), "runs_wall_s": [r["wall_s"] for r in runs]}


def machine() -> dict[str, Any]:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gib": round(mem / 2**30, 1),
        "meltano": version("meltano"),
        "fakesnow": version("fakesnow"),
        "duckdb": version("duckdb"),
    }


def markdown(r: dict[str, Any]) -> str:
    m, alone, e2e = r["machine"], r["loaders_alone"], r["end_to_end"]
    lines = [
        "# Emulated Snowflake load vs DuckDB load",
        "",
        f"{m['date']} · {m['cpu_count']} CPUs · Python {m['python']} · Meltano {m['meltano']} · "
        f"fakesnow {m['fakesnow']} · DuckDB {m['duckdb']} · load avg (1 min) before/after "
        f"{m['loadavg_1m_before_after']}",
        "",
        f"{r['reviews']:,} Okendo reviews (+1 sync_runs row) from the sandbox, rate limit off; "
        f"best of {r['repeats']} by wall time (all runs in the JSON).",
        "",
        f"## Loaders alone (the same {alone['messages_mib']} MiB Singer file piped into each "
        "target process)",
        "",
        "| target | load | wall s | rows/s | CPU s | peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, phases in alone["runs"].items():
        for phase, x in phases.items():
            what = "into empty tables" if phase == "insert" else "same rows again (all updates)"
            lines.append(
                f"| {label} | {what} | {x['wall_s']} | {x['rows_per_s']:,} | {x['cpu_s']} | "
                f"{x['peak_rss_mib']} |"
            )
    sf, dd = (alone["runs"][k]["insert"]["wall_s"] for k in LOADERS)
    lines += [
        "",
        f"Emulated Snowflake / DuckDB, first load: **{round(sf / dd, 2)}x** the wall time.",
        "",
        "## End to end (`meltano run tap-okendo <loader>`, first load)",
        "",
        "| loader | wall s | rows/s |",
        "|---|---:|---:|",
    ]
    for label, x in e2e["runs"].items():
        lines.append(f"| {label} | {x['wall_s']} | {x['rows_per_s']:,} |")
    lines += [
        "",
        "The emulated numbers measure stock target-snowflake (SQLAlchemy, batch files, PUT, MERGE)",
        "on fakesnow's DuckDB, not Snowflake: a real load adds network transfer and warehouse",
        "time, and the emulator runs one statement at a time. They show the loader's own cost",
        "and catch regressions; they are not a Snowflake capacity figure.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    missing = [
        p for p, _ in LOADERS.values() if not (ROOT / ".meltano" / "loaders" / p / "venv").is_dir()
    ]
    if missing:
        raise SystemExit(f"bench: run `meltano install` first (missing: {', '.join(missing)})")
    load = round(os.getloadavg()[0], 2)  # others' work on the box skews wall times
    result: dict[str, Any] = {
        "reviews": args.reviews,
        "repeats": args.repeats,
        "machine": machine(),
    }
    records = args.reviews + 1  # + the sync_runs row
    with sandbox(split(args.reviews)) as url, tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp), f"{url}/enterprise")
        print("bench: loaders alone ...", file=sys.stderr, flush=True)
        result["loaders_alone"] = loaders_alone(project, records, args.repeats)
        print("bench: end to end ...", file=sys.stderr, flush=True)
        result["end_to_end"] = end_to_end(project, records, args.repeats)
    result["machine"]["loadavg_1m_before_after"] = [load, round(os.getloadavg()[0], 2)]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "snowflake.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "snowflake.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
