"""Test helpers: run the installed `target-duckdb` on Singer messages, read back what it
loaded (used by this package's tests; needs nothing beyond the target's own dependencies)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from target_duckdb.target import TargetDuckDB

TARGET = str(Path(sys.executable).with_name("target-duckdb"))
SCHEMA = "raw_test"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def states(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def last_line(self) -> str:
        return self.stderr.strip().splitlines()[-1]


def schema(stream: str, properties: dict[str, Any], keys: list[str] | None = None) -> dict:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": ["id"] if keys is None else keys,
    }


def record(stream: str, rec: dict[str, Any], **extra: Any) -> dict:
    return {"type": "RECORD", "stream": stream, "record": rec, **extra}


def state(value: dict[str, Any]) -> dict:
    return {"type": "STATE", "value": value}


class Warehouse:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.path = tmp / "warehouse.duckdb"
        self.runs = 0

    def config(self, **settings: Any) -> dict[str, Any]:
        return {
            "filepath": str(self.path),
            "default_target_schema": SCHEMA,
            "add_metadata_columns": True,
            "batch_size_rows": 100000,
            **settings,
        }

    def write_input(self, messages: list[dict]) -> Path:
        self.runs += 1
        lines = self.tmp / f"input-{self.runs}.jsonl"
        lines.write_text("".join(json.dumps(m) + "\n" for m in messages))
        return lines

    def run(self, messages: list[dict], **settings: Any) -> Run:
        """In this process (no interpreter start-up per run); SystemExit is the one-line error."""
        lines = self.write_input(messages)
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        code, error = 0, ""
        with contextlib.redirect_stdout(out), lines.open() as file_input:
            try:
                TargetDuckDB(config=self.config(**settings)).listen(file_input)
            except SystemExit as exc:
                code, error = 1, str(exc.code)
        out.flush()
        return Run(code, out.buffer.getvalue().decode(), error)

    def run_cli(self, messages: list[dict], **settings: Any) -> Run:
        """The installed command, as Meltano runs it."""
        config = self.tmp / f"config-{self.runs + 1}.json"
        config.write_text(json.dumps(self.config(**settings)))
        lines = self.write_input(messages)
        done = subprocess.run(
            [TARGET, "--config", str(config), "--input", str(lines)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def load(self, messages: list[dict], **settings: Any) -> Run:
        done = self.run(messages, **settings)
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    def rows(self, table: str, columns: str = "*", order: str = "id") -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(
                f"select {columns} from {SCHEMA}.{table} order by {order}"
            ).fetchall()

    def types(self, table: str) -> dict[str, str]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            found = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [SCHEMA, table],
            ).fetchall()
        return dict(found)
