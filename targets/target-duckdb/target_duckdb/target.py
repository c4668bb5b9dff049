"""target-duckdb: the embedded default loader, a singer-sdk target on current DuckDB."""

from __future__ import annotations

import atexit
import re
import shutil
import sys
import tempfile
import typing as t
from pathlib import Path

import duckdb
import msgspec
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecReader
from singer_sdk.helpers.capabilities import PluginCapabilities, TargetCapabilities
from singer_sdk.target_base import Target
from typing_extensions import override

from target_duckdb.sinks import DuckDBSink

# DuckDB 2.0: '... Conflicting lock is held in /usr/bin/python3.11 (PID 123). See also ...'
# (1.x added ' by user NAME').
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<holder>.+? \(PID \d+\))")
MEMORY_LIMIT = "256MB"
_encode = msgspec.json.Encoder(decimal_format="number").encode


class TargetDuckDB(Target):
    """Loads Singer streams into a DuckDB file, one table per stream, one schema per source."""

    name = "target-duckdb"
    default_sink_class = DuckDBSink
    # msgspec decodes each line several times faster than the stdlib (numbers stay exact).
    message_reader_class = MsgSpecReader
    capabilities: t.ClassVar[list[t.Any]] = [
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.BATCH,
        TargetCapabilities.HARD_DELETE,
        TargetCapabilities.SOFT_DELETE,
        TargetCapabilities.TARGET_SCHEMA,
        TargetCapabilities.VALIDATE_RECORDS,
    ]

    config_jsonschema = th.PropertiesList(
        th.Property(
            "filepath",
            th.StringType,
            title="Database file",
            description="Path of the DuckDB database file (created if missing).",
        ),
        th.Property(
            "path",
            th.StringType,
            title="Database file (alias)",
            description="Another name for `filepath`, as target-duckdb 0.8 accepted it.",
        ),
        th.Property(
            "default_target_schema",
            th.StringType,
            title="Target schema",
            description="Schema the tables are created in, one per source (raw_okendo, ...).",
        ),
        th.Property(
            "add_metadata_columns",
            th.BooleanType,
            title="Add metadata columns",
            description=(
                "Add the _sdc_* columns (extracted, batched, deleted at, table version, ...); "
                "the name target-duckdb 0.8 used for `add_record_metadata`."
            ),
            default=False,
        ),
        th.Property(
            "primary_key_required",
            th.BooleanType,
            title="Primary key required",
            description="Refuse a stream without a primary key (else its rows are appended).",
            default=True,
        ),
        th.Property(
            "validate_records",
            th.BooleanType,
            title="Validate records",
            description="Validate every record against its stream's JSON schema (slower).",
            default=False,
        ),
        th.Property(
            "load_method",
            th.StringType,
            title="Load method",
            description=(
                "upsert: a row replaces the row with its primary key (streams without one are "
                "appended); append-only: every row is added; overwrite: each run's first batch "
                "replaces the table."
            ),
            default="upsert",
            allowed_values=["upsert", "append-only", "overwrite"],
        ),
        th.Property(
            "hard_delete",
            th.BooleanType,
            title="Hard delete",
            description=(
                "Delete rows marked _sdc_deleted_at and rows of older table versions "
                "(ACTIVATE_VERSION) instead of keeping them marked."
            ),
            default=False,
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_parallelism = 1  # one DuckDB connection, one writer: drain sinks in turn
        raw = self.config.get("filepath") or self.config.get("path")
        if not raw:
            sys.exit("target-duckdb: set `filepath` (the DuckDB database file) in the config.")
        schema = (self.config.get("default_target_schema") or "").strip()
        if not schema:
            sys.exit("target-duckdb: set `default_target_schema` (e.g. raw_okendo) in the config.")
        self.schema_name = schema
        self.path = Path(raw).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = connect(self.path)
        self.batch_dir = tempfile.mkdtemp(prefix="target-duckdb-")
        atexit.register(shutil.rmtree, self.batch_dir, ignore_errors=True)  # also on errors

    @override
    def get_sink_class(self, stream_name: str) -> type[DuckDBSink]:
        return DuckDBSink

    @override
    def _process_schema_message(self, message_dict: dict[str, t.Any]) -> None:
        if self.config.get("primary_key_required", True) and not message_dict.get("key_properties"):
            sys.exit(
                f"target-duckdb: stream {message_dict.get('stream')!r} has no primary key; "
                "set primary_key_required to false to append its rows."
            )
        super()._process_schema_message(message_dict)

    @override
    def _process_state_message(self, message_dict: dict[str, t.Any]) -> None:
        """Forward a state as soon as every record before it is committed: at once when
        nothing is pending (a tap waiting on a bulk job has put its job id there), else after
        committing the pending batches, so a kill never leaves Meltano behind the warehouse."""
        self._assert_line_requires(message_dict, requires={"value"})
        state = message_dict["value"]
        if state == self._latest_state:
            return
        self._latest_state = state
        if any(sink.current_size for sink in self._sinks_active.values()):
            self.drain_all()
        else:
            self._write_state_message(state)

    @override
    def _process_activate_version_message(self, message_dict: dict[str, t.Any]) -> None:
        # the rows read before the message belong to the version being activated
        self.drain_all()
        super()._process_activate_version_message(message_dict)

    _written_state: t.Any = None

    @override
    def _write_state_message(self, state: dict[str, t.Any]) -> None:
        if state == self._written_state:
            return
        self._written_state = state
        sys.stdout.buffer.write(_encode(state) + b"\n")
        sys.stdout.flush()

    @override
    def process_endofpipe(self) -> None:
        try:
            super().process_endofpipe()
        finally:
            self.connection.execute("checkpoint")
            self.connection.close()
            shutil.rmtree(self.batch_dir, ignore_errors=True)


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, or one line naming the file and the process holding its lock."""
    try:
        connection = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        found = _LOCK_HOLDER.search(str(exc))
        if not found:
            raise
        sys.exit(
            f"target-duckdb: {path} is locked by another writer ({found['holder']}); "
            "nothing was loaded: let it finish or stop it, then run again."
        )
    # Inserts need not keep the batch's order (the dedupe does not rely on it): less memory.
    connection.execute("set preserve_insertion_order = false")
    # DuckDB's buffer pool would otherwise grow with the table (up to 80% of RAM); a batch is
    # at most 16 MiB of JSON (sinks.MAX_BATCH_BYTES), and what does not fit spills to disk.
    connection.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    # Time stamps without an offset are UTC, as the taps write them.
    connection.execute("set TimeZone = 'UTC'")
    return connection
