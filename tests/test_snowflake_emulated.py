"""The production Snowflake path, proven on the local emulator (sandbox/sandbox/snowflake/).

Okendo sandbox -> tap-okendo -> Meltano -> STOCK target-snowflake on fakesnow + the user-stage
adapter (`target-snowflake-emulated`) -> dbt-snowflake on the same emulator. Every check reads
the warehouse through the emulator, as a Snowflake client would (information_schema, SHOW,
VARIANT paths).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests
import snowflake.connector
import snowflake.connector.errors
import yaml
from sandbox.snowflake import emulate

ROOT = Path(__file__).resolve().parents[1]
COUNTS = {"approved": 157, "pending": 23, "rejected": 9}
PLUGINS = ["loaders/target-snowflake-emulated", "utilities/dbt-snowflake-emulated"]
DATABASE = "COMMERCE"  # the emulated plugins' `database`
CHILD_MODELS = {
    "review_media": "staging.stg_okendo__review_media",
    "review_rated_attributes": "staging.stg_okendo__review_rated_attributes",
    "review_product_attributes": "staging.stg_okendo__review_product_attributes",
    "review_tags": "staging.stg_okendo__review_tags",
    "review_reviewer_attributes": "staging.stg_okendo__review_reviewer_attributes",
}
# target-snowflake settings that decide what lands and how (not where it connects).
LOADING_SETTINGS = (
    "default_target_schema",
    "add_record_metadata",
    "hard_delete",
    "load_method",
    "timestamp_type",
    "uuid_format",
)
# Column types a Snowflake user expects from target-snowflake with this project's settings.
EXPECTED_TYPES = {
    "REVIEWS": {
        "REVIEWID": "TEXT",  # uuid_format: string -> VARCHAR(36)
        "RATING": "NUMBER",
        "TITLE": "TEXT",
        "DATECREATED": "TIMESTAMP_NTZ",  # timestamp_type: TIMESTAMP_NTZ
        "ISRECOMMENDED": "BOOLEAN",
        "REVIEWER": "VARIANT",  # nested object
        "ORDER": "VARIANT",
        "REPLY": "VARIANT",
        "REWARD": "VARIANT",
        "MEDIA": "VARIANT",  # array of objects
        "TAGS": "VARIANT",  # array of strings
        "ATTRIBUTESWITHRATING": "VARIANT",
        "PRODUCTATTRIBUTES": "VARIANT",
        "_SYNC_STARTED_AT": "TIMESTAMP_NTZ",
        "_SDC_BATCHED_AT": "TIMESTAMP_NTZ",
        "_SDC_DELETED_AT": "TIMESTAMP_NTZ",
    },
    "SYNC_RUNS": {
        "STREAM": "TEXT",
        "SYNC_STARTED_AT": "TIMESTAMP_NTZ",
        "SYNC_COMPLETED_AT": "TIMESTAMP_NTZ",
        "REVIEW_STATUSES": "VARIANT",
        "RECORD_COUNT": "NUMBER",
    },
}


@dataclass
class SnowflakePipeline:
    pipeline: Any  # tests/conftest.py's Pipeline: meltano runs in a throwaway project state
    okendo: Any  # the running Okendo sandbox
    emulator: Path  # the emulator's directory (databases/, stage/)

    def run(self, *blocks: str) -> subprocess.CompletedProcess[str]:
        return self.pipeline.run(*blocks)


@pytest.fixture
def snowflake_pipeline(pipeline: Any, okendo_sandbox: Any) -> SnowflakePipeline:
    """The `pipeline` harness with its own emulator directory and an Okendo sandbox."""
    missing = [p for p in PLUGINS if not (ROOT / ".meltano" / p / "venv").is_dir()]
    if missing:
        pytest.fail(
            f"Meltano plugins not installed ({', '.join(missing)}): run `make test`, "
            "which runs `meltano install` first."
        )
    emulator = pipeline.tmp / "snowflake-emulator"
    pipeline.env["TARGET_SNOWFLAKE_EMULATED_EMULATOR_DIR"] = str(emulator)
    pipeline.env["DBT_SNOWFLAKE_EMULATED_EMULATOR_DIR"] = str(emulator)
    okendo = okendo_sandbox(counts=COUNTS)
    pipeline.point_at(okendo)
    return SnowflakePipeline(pipeline=pipeline, okendo=okendo, emulator=emulator)


@contextmanager
def warehouse(directory: Path) -> Iterator[Any]:
    """A cursor on the emulated warehouse (opened and closed around each use: one writer)."""
    with emulate(directory):
        conn = snowflake.connector.connect(
            account="emulated", user="emulator", password="emulator", database=DATABASE
        )
        try:
            yield conn.cursor()
        finally:
            conn.close()


def rows(cursor: Any, sql: str) -> list[tuple]:
    return cursor.execute(sql).fetchall()


def test_emulated_loader_loads_like_production() -> None:
    """The emulated loader may differ from target-snowflake only in where it connects."""
    plugins: dict[str, dict[str, Any]] = {}
    for path in (ROOT / "meltano").glob("*.meltano.yml"):
        for kind in yaml.safe_load(path.read_text()).get("plugins", {}).values():
            plugins.update({p["name"]: p for p in kind})

    def loading(name: str) -> dict[str, Any]:
        values = {s["name"]: s.get("value") for s in plugins[name]["settings"]}
        return {k: values.get(k) for k in LOADING_SETTINGS}

    assert loading("target-snowflake") == loading("target-snowflake-emulated")
    assert None not in loading("target-snowflake").values()
    prod_pin = next(p for p in plugins["target-snowflake"]["pip_url"].split() if "snowflake" in p)
    assert prod_pin in plugins["target-snowflake-emulated"]["pip_url"].split()


def test_full_load_then_second_run_upserts_with_snowflake_types(
    snowflake_pipeline: SnowflakePipeline,
) -> None:
    pipeline, okendo = snowflake_pipeline, snowflake_pipeline.okendo
    pipeline.run("tap-okendo", "target-snowflake-emulated")
    truth = okendo.truth()
    with warehouse(pipeline.emulator) as sf:
        assert rows(sf, "select count(*), count(distinct reviewid) from raw_okendo.reviews") == [
            (truth["reviews"]["total"], truth["reviews"]["total"])
        ]
        by_status = dict(rows(sf, "select status, count(*) from raw_okendo.reviews group by 1"))
        assert by_status == {s: truth["reviews"][s] for s in COUNTS}
        assert rows(sf, "select sum(rating) from raw_okendo.reviews") == [(truth["rating_sum"],)]
        assert rows(sf, "select count(*) from raw_okendo.sync_runs") == [(1,)]

        # Types as information_schema reports them to any Snowflake client.
        for table, expected in EXPECTED_TYPES.items():
            found = dict(
                rows(
                    sf,
                    "select column_name, data_type from information_schema.columns "
                    f"where table_schema = 'RAW_OKENDO' and table_name = '{table}'",
                )
            )
            assert {c: found.get(c) for c in expected} == expected, table
        keys = rows(sf, "show primary keys in table raw_okendo.reviews")
        assert [k[4] for k in keys] == ["REVIEWID"]  # column_name: what MERGE matches on

        # VARIANT columns answer Snowflake's path syntax; arrays keep their elements.
        assert rows(
            sf,
            "select count(*) from raw_okendo.reviews "
            "where reviewer:location:country:code::varchar is null",
        ) == [(0,)]
        assert rows(sf, "select sum(array_size(media)) from raw_okendo.reviews") == [
            (truth["rows"]["review_media"],)
        ]
        edited, untouched = (
            r[0]
            for r in rows(
                sf, "select reviewid from raw_okendo.reviews order by datecreated, reviewid limit 2"
            )
        )

    # Change the vendor's data: an edited review, new reviews; then load again.
    assert requests.patch(
        f"{okendo.url}/_sandbox/reviews/{edited}",
        json={"title": "Edited after the first load"},
        timeout=30,
    ).ok
    created = requests.post(
        f"{okendo.url}/_sandbox/reviews?status=pending&count=3", timeout=30
    ).json()["created"]
    pipeline.run("tap-okendo", "target-snowflake-emulated")
    truth = okendo.truth()
    assert truth["reviews"]["total"] == sum(COUNTS.values()) + 3
    with warehouse(pipeline.emulator) as sf:
        # MERGE on the primary key: every review once, the edit applied, the new ones added.
        assert rows(sf, "select count(*), count(distinct reviewid) from raw_okendo.reviews") == [
            (truth["reviews"]["total"], truth["reviews"]["total"])
        ]
        assert rows(sf, f"select title from raw_okendo.reviews where reviewid = '{edited}'") == [
            ("Edited after the first load",)
        ]
        ids = {r[0] for r in rows(sf, "select reviewid from raw_okendo.reviews")}
        assert set(created) <= ids and untouched in ids
        # Every review was re-read by the second run, so every row carries its stamp.
        assert rows(
            sf,
            "select count(distinct _sync_started_at), count(*) from raw_okendo.reviews "
            "where _sync_started_at = (select max(sync_started_at) from raw_okendo.sync_runs)",
        ) == [(1, truth["reviews"]["total"])]
        assert rows(sf, "select count(*) from raw_okendo.sync_runs") == [(2,)]
    # target-snowflake REMOVEd every batch it staged in the user stage after loading it.
    assert not any(p.is_file() for p in (pipeline.emulator / "stage").rglob("*"))


def test_dbt_models_build_and_pass_their_tests_on_the_emulator(
    snowflake_pipeline: SnowflakePipeline,
) -> None:
    pipeline, okendo = snowflake_pipeline, snowflake_pipeline.okendo
    # Every model, data test and unit test of the project, `dbt build --target snowflake`.
    pipeline.run("tap-okendo", "target-snowflake-emulated", "dbt-snowflake-emulated:build")
    truth = okendo.truth()
    with warehouse(pipeline.emulator) as sf:
        assert rows(
            sf, "select count(*), count(distinct review_id) from staging.stg_okendo__reviews"
        ) == [(truth["reviews"]["total"], truth["reviews"]["total"])]
        for key, model in CHILD_MODELS.items():
            assert rows(sf, f"select count(*) from {model}") == [(truth["rows"][key],)], model
        assert rows(sf, "select sum(rating) from staging.stg_okendo__reviews") == [
            (truth["rating_sum"],)
        ]
        # Typed by the models, not left as VARIANT.
        found = dict(
            rows(
                sf,
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'STAGING' and table_name = 'STG_OKENDO__REVIEWS'",
            )
        )
        assert (found["RATING"], found["CREATED_AT"], found["REVIEWER_COUNTRY_CODE"]) == (
            "NUMBER",
            "TIMESTAMP_NTZ",
            "TEXT",
        )


# -- the stage adapter on its own: the COPY path (append-only loads) and the refusals -------


def _jsonl(path: Path, records: list[dict[str, Any]], *, gzipped: bool) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(text) if gzipped else text)
    return path


def test_stage_adapter_put_copy_merge_remove(tmp_path: Path) -> None:
    with warehouse(tmp_path / "emulator") as sf:
        sf.execute("create schema raw")
        sf.execute("create table raw.events (id number, payload variant, at timestamp_ntz)")
        sf.execute("create or replace file format raw.\"ff-1\" type = 'JSON' compression = 'AUTO'")
        plain = _jsonl(
            tmp_path / "a.json",
            [{"id": i, "payload": {"k": f"v{i}"}, "at": "2024-01-02T03:04:05Z"} for i in (1, 2, 3)],
            gzipped=False,
        )
        put = rows(sf, f"put 'file://{plain}' '@~/t/sync-1'")
        # (source, target, source_size, target_size, src compression, target compression, status)
        assert put[0][:2] == ("a.json", "a.json.gz") and put[0][5:7] == ("GZIP", "UPLOADED")

        copied = rows(
            sf,
            "copy into raw.events (id, payload, at) from (select $1:id::NUMBER as id, "
            "$1:payload::VARIANT as payload, $1:at::TIMESTAMP_NTZ as at from '@~/t/sync-1')"
            "file_format = (format_name='raw.\"ff-1\"')",
        )
        assert [(c[0], c[1], c[3]) for c in copied] == [("t/sync-1/a.json.gz", "LOADED", 3)]
        assert rows(sf, "select id, payload:k::varchar from raw.events order by id") == [
            (1, "v1"),
            (2, "v2"),
            (3, "v3"),
        ]

        # MERGE from the stage, deduplicated by SEQ8(): the later staged row of a key wins.
        packed = _jsonl(
            tmp_path / "b.json.gz",
            [{"id": 2, "payload": {"k": "old"}}, {"id": 2, "payload": {"k": "new"}}, {"id": 4}],
            gzipped=True,
        )
        assert rows(sf, f"put 'file://{packed}' '@~/t/sync-2'")[0][1] == "b.json.gz"
        merged = rows(
            sf,
            "merge into raw.events d using (select $1:id::NUMBER as id, $1:payload::VARIANT as "
            "payload from '@~/t/sync-2'(file_format => raw.\"ff-1\") QUALIFY ROW_NUMBER() OVER "
            "(PARTITION BY id ORDER BY SEQ8() DESC) = 1) s on d.id = s.id when matched then "
            "update set d.id = s.id, d.payload = s.payload when not matched then insert (id, "
            "payload) values (s.id, s.payload)",
        )
        assert merged == [(1, 1)]  # (rows inserted, rows updated)
        assert rows(sf, "select id, payload:k::varchar from raw.events order by id") == [
            (1, "v1"),
            (2, "new"),
            (3, "v3"),
            (4, None),
        ]

        assert rows(sf, "remove '@~/t/sync-1/'") == [("t/sync-1/a.json.gz", "removed")]
        assert rows(sf, "remove '@~/t/sync-1/'") == []
        sf.execute('drop file format if exists raw."ff-1"')
        with pytest.raises(snowflake.connector.errors.ProgrammingError, match="does not exist"):
            sf.execute("select $1:id::number from '@~/t/sync-2'(file_format => raw.\"ff-1\")")


def test_the_emulator_refuses_types_snowflake_lacks(tmp_path: Path) -> None:
    # DuckDB would run these; Snowflake would not, so neither does the emulator.
    with warehouse(tmp_path / "emulator") as sf:
        sf.execute("create schema s")
        for sql in ("select cast(null as json)", "create table s.t (n hugeint)"):
            with pytest.raises(snowflake.connector.errors.ProgrammingError) as failed:
                sf.execute(sql)
            assert "Unsupported data type" in str(failed.value), sql


# -- production: Meltano's system database and state backend on PostgreSQL ------------------

PG_ADMIN_URL = os.environ.get("MELTANO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def test_meltano_system_database_and_state_on_postgresql(
    snowflake_pipeline: SnowflakePipeline,
) -> None:
    """What prod sets, MELTANO_DATABASE_URI=postgresql+psycopg://...: runs and state live there."""
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server at {PG_ADMIN_URL} ({error}); set MELTANO_TEST_PG_URL")
    name = f"meltano_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(PG_ADMIN_URL)._replace(path=f"/{name}"))
    env = {
        **os.environ,
        **snowflake_pipeline.pipeline.env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MELTANO_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }

    def meltano(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(Path(sys.executable).with_name("meltano")), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    try:
        done = meltano("run", "tap-okendo", "target-snowflake-emulated")
        assert done.returncode == 0, done.stderr[-3000:]
        state_id = "dev:tap-okendo-to-target-snowflake-emulated"
        listed = meltano("state", "list")
        assert state_id in listed.stdout, listed.stderr[-3000:]
        with psycopg.connect(url, connect_timeout=5) as conn:
            assert conn.execute("select state from runs").fetchall() == [("SUCCESS",)]
            assert conn.execute("select state_id from state").fetchall() == [(state_id,)]
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
