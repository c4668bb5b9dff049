"""What the target leaves in the warehouse: exact rows after upserts, schema changes,
ACTIVATE_VERSION and BATCH input; state forwarded after each commit (also without records);
a kill mid-batch then a re-run gives the same table; a locked file gives one line."""

from __future__ import annotations

import datetime
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from target_duckdb.testing import SCHEMA, TARGET, Warehouse, record, schema, state

STRING = {"type": ["string", "null"]}
INTEGER = {"type": ["integer", "null"]}
NUMBER = {"type": ["number", "null"]}
DATETIME = {"type": ["string", "null"], "format": "date-time"}
OBJECT = {"type": ["object", "null"], "properties": {"a": INTEGER}}
ARRAY = {"type": ["array", "null"], "items": STRING}
REVIEW = {"id": {"type": "string"}, "n": INTEGER}


def test_upserts_keep_the_last_copy_of_a_key_and_streams_without_one_append(warehouse: Warehouse):
    events = schema("events", {"id": STRING}, keys=[])
    messages = [
        schema("reviews", REVIEW),
        events,
        schema("skipped", REVIEW),  # no records (a stream skipped for a missing scope)
        # batch 1 (3 rows): `a` twice in the batch, the later copy wins
        record("reviews", {"id": "a", "n": 1}),
        record("reviews", {"id": "b", "n": 1}),
        record("reviews", {"id": "a", "n": 2}),
        # batch 2: `a` again replaces the committed row
        record("reviews", {"id": "c", "n": 1}),
        record("reviews", {"id": "a", "n": 3}),
        record("events", {"id": "e"}),
        record("events", {"id": "e"}),
        state({"bookmarks": {"reviews": 1}}),
    ]
    first = warehouse.load(messages, batch_size_rows=3, primary_key_required=False)
    assert first.states == [{"bookmarks": {"reviews": 1}}]
    assert warehouse.rows("reviews", "id, n") == [("a", 3), ("b", 1), ("c", 1)]
    assert warehouse.rows("events", "id") == [("e",), ("e",)]
    assert warehouse.rows("skipped") == []  # the table exists, empty, for dbt

    # a second run updates `b`, adds `d`; the events stream appends again
    warehouse.load(
        [
            schema("reviews", REVIEW),
            events,
            record("reviews", {"id": "b", "n": 2}),
            record("reviews", {"id": "d", "n": 1}),
            record("events", {"id": "e"}),
        ],
        primary_key_required=False,
    )
    assert warehouse.rows("reviews", "id, n") == [("a", 3), ("b", 2), ("c", 1), ("d", 1)]
    assert len(warehouse.rows("events")) == 3
    # one commit per batch: rows of one batch share _sdc_batched_at, later batches are later
    batched = warehouse.rows("reviews", "id, _sdc_batched_at")
    assert batched[1][1] == batched[3][1] > batched[0][1] == batched[2][1]


def test_schema_changes_add_and_widen_columns_and_keep_old_rows(warehouse: Warehouse):
    first = {"id": {"type": "integer"}, "n": INTEGER, "amount": INTEGER, "Name": STRING}
    changed = {
        **first,
        "n": NUMBER,  # BIGINT -> DOUBLE
        "amount": {"type": ["string", "integer", "null"]},  # BIGINT -> VARCHAR
        "note": STRING,  # new nullable fields, absent from the first record after the change
        "meta": OBJECT,
        "tags": ARRAY,
        "at": DATETIME,
    }
    warehouse.load(
        [
            schema("items", first),
            record("items", {"id": 1, "n": 7, "amount": 10, "Name": "one"}),
            # the schema changes in the middle of a run
            schema("items", changed),
            record("items", {"id": 2, "n": 2.5, "amount": "12.50", "Name": "two"}),
            record(
                "items",
                {
                    "id": 3,
                    "n": 1,
                    "amount": 3,
                    "note": "x",
                    "meta": {"a": 1, "b": [1.10, "z"]},
                    "tags": ["t1", "t2"],
                    "at": "2024-05-01T10:00:00.123-04:00",
                },
            ),
        ]
    )
    types = warehouse.types("items")
    assert {k: types[k] for k in ("id", "n", "amount", "name", "note", "meta", "tags", "at")} == {
        "id": "BIGINT",
        "n": "DOUBLE",
        "amount": "VARCHAR",
        "name": "VARCHAR",
        "note": "VARCHAR",
        "meta": "JSON",
        "tags": "JSON",
        "at": "TIMESTAMP",
    }
    assert warehouse.rows("items", 'id, n, amount, name, note, "at"') == [
        (1, 7.0, "10", "one", None, None),
        (2, 2.5, "12.50", "two", None, None),
        # offsets applied: the column is the UTC wall clock
        (3, 1.0, "3", None, "x", datetime.datetime(2024, 5, 1, 14, 0, 0, 123000)),
    ]
    # nested values are JSON text the dbt macros read (json_extract_string, cast as json[])
    assert warehouse.rows(
        "items",
        "json_extract_string(meta, '$.b[0]'), json_extract_string(meta, '$.b[1]'), "
        "cast(tags as json[])::varchar[]",
        order="id desc limit 1",
    ) == [("1.1", "z", ['"t1"', '"t2"'])]

    # a later run with the first, narrower schema loads into the widened columns
    warehouse.load([schema("items", first), record("items", {"id": 4, "n": 5, "amount": 6})])
    assert warehouse.rows("items", "id, n, amount", order="id desc limit 1") == [(4, 5.0, "6")]
    assert warehouse.types("items")["n"] == "DOUBLE"


def activate(version: int) -> dict:
    return {"type": "ACTIVATE_VERSION", "stream": "reviews", "version": version}


def full_table_sync(version: int, ids: list[str]) -> list[dict]:
    return [
        schema("reviews", REVIEW),
        activate(version),
        *(record("reviews", {"id": i, "n": version}, version=version) for i in ids),
        activate(version),
    ]


def test_activate_version_marks_or_deletes_the_rows_of_older_versions(tmp_path: Path):
    soft, hard = Warehouse(tmp_path / "soft"), Warehouse(tmp_path / "hard")
    for warehouse, hard_delete in ((soft, False), (hard, True)):
        warehouse.tmp.mkdir()
        warehouse.load(full_table_sync(1, ["a", "b", "c"]), hard_delete=hard_delete)
        # the next full sync no longer has `c`; `b` arrives deleted at the source
        sync = full_table_sync(2, ["a", "b"])
        sync[3]["record"]["_sdc_deleted_at"] = "2024-06-01T00:00:00Z"
        warehouse.load(sync, hard_delete=hard_delete)

    rows = soft.rows("reviews", "id, n, _sdc_table_version, _sdc_deleted_at is not null")
    assert rows == [("a", 2, 2, False), ("b", 2, 2, True), ("c", 1, 1, True)]
    assert hard.rows("reviews", "id, n, _sdc_table_version") == [("a", 2, 2)]


def test_batch_messages_jsonl_and_parquet_load_like_records(warehouse: Warehouse):
    properties = {"id": {"type": "string"}, "n": INTEGER, "meta": OBJECT, "at": DATETIME}
    jsonl = warehouse.tmp / "batch-1.json.gz"
    with gzip.open(jsonl, "wt") as out:
        for rec in (
            {"id": "a", "n": 1, "meta": {"a": 1}, "at": "2024-01-01T00:00:00Z"},
            {"id": "b", "n": 1, "meta": None},
        ):
            out.write(json.dumps(rec) + "\n")
    parquet = warehouse.tmp / "batch-2.parquet"
    pq.write_table(
        pa.Table.from_pylist(
            [
                {"id": "b", "n": 2, "meta": {"a": 2}, "at": "2024-01-02T00:00:00+01:00"},
                {"id": "c", "n": 2, "meta": {"a": 3}, "at": None},
            ]
        ),
        parquet,
    )

    def batch(path: Path, fmt: str, compression: str) -> dict:
        encoding = {"format": fmt, "compression": compression}
        manifest = [f"file://{path}"]
        return {"type": "BATCH", "stream": "items", "encoding": encoding, "manifest": manifest}

    warehouse.load(
        [
            schema("items", properties),
            batch(jsonl, "jsonl", "gzip"),
            batch(parquet, "parquet", "none"),
        ]
    )
    assert warehouse.rows("items", 'id, n, meta, "at"') == [
        ("a", 1, '{"a":1}', datetime.datetime(2024, 1, 1)),
        ("b", 2, '{"a":2}', datetime.datetime(2024, 1, 1, 23)),
        ("c", 2, '{"a":3}', None),
    ]


def _start(warehouse: Warehouse, **settings: object) -> subprocess.Popen[str]:
    config = warehouse.tmp / "config-live.json"
    config.write_text(json.dumps(warehouse.config(**settings)))
    return subprocess.Popen(
        [TARGET, "--config", str(config)],
        env={**os.environ, "TMPDIR": str(warehouse.tmp)},  # a killed run's batch dir stays here
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _send(target: subprocess.Popen[str], *messages: dict) -> None:
    assert target.stdin is not None
    target.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
    target.stdin.flush()


def _next_state(target: subprocess.Popen[str]) -> dict:
    assert target.stdout is not None
    return json.loads(target.stdout.readline())


def test_state_is_forwarded_after_each_commit_and_without_records(warehouse: Warehouse):
    """The Shopify tap puts its bulk job id in a state and then waits minutes for the job with
    no records: that state must reach Meltano at once, so a kill during the wait resumes it."""
    target = _start(warehouse)
    try:
        _send(target, schema("reviews", REVIEW), record("reviews", {"id": "a", "n": 1}))
        _send(target, state({"bookmarks": {"reviews": {"n": 1}}}))
        assert _next_state(target) == {"bookmarks": {"reviews": {"n": 1}}}

        job = {"bookmarks": {"orders": {"bulk_job": "gid://shopify/BulkOperation/1"}}}
        _send(target, state(job))
        assert _next_state(target) == job
    finally:
        target.kill()
        target.wait()
    # committed before the state went out
    assert warehouse.rows("reviews", "id, n") == [("a", 1)]


def _stream(start: int, stop: int) -> list[dict]:
    """3,000 records over 1,000 keys (each key updated three times), a state every 500."""
    messages: list[dict] = []
    for i in range(start, stop):
        messages.append(record("reviews", {"id": f"k{i % 1000:04}", "n": i}))
        if (i + 1) % 500 == 0:
            messages.append(state({"bookmarks": {"reviews": i + 1}}))
    return messages


def test_a_load_killed_mid_batch_then_run_again_gives_the_same_table(tmp_path: Path):
    clean = Warehouse(tmp_path / "clean")
    clean.tmp.mkdir()
    clean.load([schema("reviews", REVIEW), *_stream(0, 3000)], batch_size_rows=400)
    expected = clean.rows("reviews", "id, n")
    assert len(expected) == 1000
    assert expected[0] == ("k0000", 2000)

    killed = Warehouse(tmp_path / "killed")
    killed.tmp.mkdir()
    target = _start(killed, batch_size_rows=400)
    try:
        _send(target, schema("reviews", REVIEW), *_stream(0, 1700))
        states = [_next_state(target) for _ in range(3)]
        assert states[-1] == {"bookmarks": {"reviews": 1500}}
        # 200 records pending in the batch file, then SIGKILL (no drain, no goodbye)
        time.sleep(0.5)
        target.send_signal(signal.SIGKILL)
    finally:
        target.kill()
        target.wait()
    assert target.returncode == -signal.SIGKILL
    assert len(killed.rows("reviews")) == 1000  # every key committed once by then
    assert killed.rows("reviews", "max(n)", order="1") == [(1499,)]

    # Meltano starts the tap again from the last state it received: record 1500 on
    resumed = killed.load([schema("reviews", REVIEW), *_stream(1500, 3000)], batch_size_rows=400)
    assert resumed.states[-1] == {"bookmarks": {"reviews": 3000}}
    assert killed.rows("reviews", "id, n") == expected


def test_a_locked_warehouse_gives_one_line_and_loses_nothing(warehouse: Warehouse):
    warehouse.load([schema("reviews", REVIEW), record("reviews", {"id": "a", "n": 1})])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; c = duckdb.connect({str(warehouse.path)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        done = warehouse.run_cli(
            [
                schema("reviews", REVIEW),
                record("reviews", {"id": "a", "n": 2}),
                state({"bookmarks": {"reviews": 2}}),
            ]
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode != 0
    assert done.states == []  # Meltano keeps the old state: the records are read again
    assert done.last_line.startswith(
        f"target-duckdb: {warehouse.path} is locked by another writer ("
    )
    assert f"(PID {holder.pid})" in done.last_line
    assert done.last_line.endswith("nothing was loaded: let it finish or stop it, then run again.")
    assert warehouse.rows("reviews", "id, n") == [("a", 1)]


def test_a_stream_without_a_primary_key_is_refused_when_one_is_required(warehouse: Warehouse):
    done = warehouse.run([schema("events", {"id": STRING}, keys=[])])
    assert done.returncode == 1
    assert done.last_line == (
        "target-duckdb: stream 'events' has no primary key; "
        "set primary_key_required to false to append its rows."
    )
    assert not os.path.exists(f"{warehouse.path}.wal")
    assert SCHEMA
