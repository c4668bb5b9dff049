"""A run killed inside a report window, then restarted with the last state it wrote: the
copy (rows upserted on the primary key, as every target does) is exactly the truth, with no
row lost and none doubled, whether the target kept the rows after the last state or not."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
from datetime import date, timedelta

from sandbox.tap_testing import executable

STREAM = "meta_ad_insights_daily"


def key(row: dict) -> tuple:
    return (row["account_id"], row["ad_group_id"], row["ad_id"], row["date"])


def run_until_inside_a_window(config_path, env) -> tuple[list[dict], list[dict], dict]:
    """Start the tap; kill it (SIGKILL) at the first report row after a window's bookmark.
    Returns (rows before the last state, all rows before the kill, the last state)."""
    tap = subprocess.Popen(
        [executable("tap-ads"), "--config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert tap.stdout is not None
    rows: list[dict] = []
    committed: list[dict] = []
    state: dict = {}
    bookmarked = False
    try:
        for line in tap.stdout:
            message = json.loads(line)
            if message["type"] == "STATE":
                state, committed = message["value"], list(rows)
                partitions = state.get("bookmarks", {}).get(STREAM, {}).get("partitions", [])
                bookmarked = any("replication_key_value" in p for p in partitions)
            elif message["type"] == "RECORD" and message["stream"] == STREAM:
                rows.append(message["record"])
                if bookmarked:  # inside the window after a bookmarked one
                    tap.send_signal(signal.SIGKILL)
                    break
    finally:
        tap.stdout.close()
        tap.wait(timeout=30)
    assert tap.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    return committed, rows, state


def test_a_run_killed_inside_a_report_window_resumes_exactly(ads_case, sync_tap, tmp_path, tap_env):
    # Windows of 2 days (one insights job each) over 8 days; a 1-day lookback.
    case = ads_case("meta", days=8, scale=0.2)
    case.config["meta"] |= {"max_job_days": 2, "lookback_days": 1}
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(case.config))
    committed, seen, state = run_until_inside_a_window(config_path, tap_env)
    assert len(committed) < len(seen)  # killed after rows that no state covers yet

    resumed = sync_tap(case.config, state=copy.deepcopy(state))  # the tap updates its copy
    assert resumed.returncode == 0, resumed.stderr
    again = resumed.records(STREAM)
    assert len({key(r) for r in again}) == len(again)  # no duplicates within the run
    # The resumed run starts at each bookmark minus the lookback, not at start_date.
    for p in state["bookmarks"][STREAM]["partitions"]:
        if "replication_key_value" in p:
            since = date.fromisoformat(p["replication_key_value"]) - timedelta(days=1)
            mine = [r["date"] for r in again if r["account_id"] == p["context"]["account_id"]]
            assert min(mine) == str(since)
    truth = case.truth_totals(case.truth()["report"])
    for loaded in (committed, seen):  # the target kept what the last state covers, or more
        merged = {key(r): r for r in loaded} | {key(r): r for r in again}
        assert case.totals(list(merged.values())) == truth
