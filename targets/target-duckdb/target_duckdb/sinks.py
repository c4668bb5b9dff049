"""One sink per stream: records are appended to a JSON-lines batch file as they arrive (memory
stays flat whatever the batch size), and each batch is loaded in one transaction by DuckDB's own
JSON reader: new columns added and types widened first, then the batch deduplicated on the
primary key (the last version wins), the rows it replaces deleted and the batch inserted.
A process killed mid-batch leaves the table as it was at the last commit.
"""

from __future__ import annotations

import datetime
import os
import tempfile
import time
import typing as t
from pathlib import Path

import duckdb
import msgspec
from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchFileFormat
from singer_sdk.sinks import BatchSink
from typing_extensions import override

from target_duckdb.columns import column_type, normalized, widened

if t.TYPE_CHECKING:
    from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum

    from target_duckdb.target import TargetDuckDB

# Order of the records within a batch, so the dedupe keeps the last copy of a key; never stored.
SEQ = "__target_duckdb_seq"
# A batch is also full at this size of its file, so DuckDB's memory for one load (the batch
# parsed, deduplicated and merged) is bounded whatever batch_size_rows and the row width are.
MAX_BATCH_BYTES = 16 * 2**20
# Filled in SQL once per batch rather than per record.
_PER_BATCH = ("_sdc_batched_at", "_sdc_received_at", "_sdc_sync_started_at")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_name(stream_name: str) -> str:
    """The table target-duckdb 0.8 made for a stream: `<schema>-<table>` names keep the table
    part, dots and dashes become underscores, lower case."""
    parts = stream_name.split("-")
    name = parts[-1] if len(parts) == 2 else "_".join(parts[2:]) if len(parts) > 2 else parts[0]
    return name.replace(".", "_").replace("-", "_").lower()


class DuckDBSink(BatchSink):
    """Loads one stream into `<default_target_schema>.<table>`."""

    _encoder = msgspec.json.Encoder(
        enc_hook=lambda obj: obj.isoformat() if hasattr(obj, "isoformat") else str(obj),
        decimal_format="number",
    )

    def __init__(self, target: TargetDuckDB, *args: t.Any, **kwargs: t.Any) -> None:
        self.duckdb_target = target
        super().__init__(target, *args, **kwargs)
        self.schema_name = target.schema_name
        self.table = table_name(self.stream_name)
        self.full_name = f"{quote(self.schema_name)}.{quote(self.table)}"
        # column name (lower case, as 0.8 stored it) -> (JSON property name, DuckDB type)
        self.columns: dict[str, tuple[str, str]] = {}
        for prop, spec in self.schema["properties"].items():
            self.columns.setdefault(prop.lower(), (prop, column_type(spec)))
        method = self.config.get("load_method", "upsert")
        self.key_columns = (
            [key.lower() for key in self.key_properties] if method == "upsert" else []
        )
        self._overwrite = method == "overwrite"
        self._table_ready = False
        self._types: dict[str, str] = {}
        self._file: t.BinaryIO | None = None
        self._path: Path | None = None
        self._seq = 0
        self._seq_base = time.time_ns() // 1000
        self._bytes = 0
        self._buffer = bytearray()

    @override
    def setup(self) -> None:
        """The table exists (with the stream's columns) once its SCHEMA is read, as with 0.8:
        a stream without records (skipped, or nothing new) is an empty table for dbt."""
        self.connection.execute("BEGIN TRANSACTION")
        try:
            self._prepare_table()
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
            self._table_ready = False
            raise

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self.duckdb_target.connection

    # -- per record: as little as possible -------------------------------------------------

    @override
    @property
    def include_sdc_metadata_properties(self) -> bool:
        # asked once per record: read the config once
        found: bool | None = self.__dict__.get("_include_sdc")
        if found is None:
            config = self.config
            found = bool(
                config.get("add_record_metadata", config.get("add_metadata_columns", False))
            )
            self.__dict__["_include_sdc"] = found
        return found

    @override
    def _add_sdc_metadata_to_record(
        self, record: dict[str, t.Any], message: dict[str, t.Any], context: dict[str, t.Any]
    ) -> None:
        record["_sdc_extracted_at"] = message.get("time_extracted")
        record["_sdc_deleted_at"] = record.get("_sdc_deleted_at")
        record["_sdc_table_version"] = message.get("version")
        # increasing across batches and runs: the load's start (microseconds) + the record's place
        record["_sdc_sequence"] = self._seq_base + self._seq

    @override
    def _parse_timestamps_in_record(
        self,
        record: dict[str, t.Any],
        schema: dict[str, t.Any],
        treatment: DatetimeErrorTreatmentEnum,
    ) -> None:
        """DuckDB parses the ISO 8601 strings itself when it loads the batch."""

    @override
    def process_record(self, record: dict[str, t.Any], context: dict[str, t.Any]) -> None:
        if self._file is None:
            handle, name = tempfile.mkstemp(
                prefix=f"{self.table}-", suffix=".jsonl", dir=self.duckdb_target.batch_dir
            )
            self._file, self._path = os.fdopen(handle, "wb"), Path(name)
        record[SEQ] = self._seq
        self._seq += 1
        self._encoder.encode_into(record, self._buffer)
        self._buffer.extend(b"\n")
        self._file.write(self._buffer)
        self._bytes += len(self._buffer)

    @override
    @property
    def is_full(self) -> bool:
        return self._bytes >= MAX_BATCH_BYTES or super().is_full

    @override
    def process_batch(self, context: dict[str, t.Any]) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        path, self._file, self._path = self._path, None, None
        self._bytes = 0
        try:
            self.load(lambda: f"read_json({literal(str(path))}, {self._json_options()})")
        finally:
            path.unlink(missing_ok=True)

    # -- BATCH messages: DuckDB reads the tap's files itself --------------------------------

    @override
    def process_batch_files(self, encoding: BaseBatchFileEncoding, files: t.Sequence[str]) -> None:
        paths = ", ".join(literal(_local_path(f)) for f in files)
        if encoding.format == BatchFileFormat.JSONL:
            self.load(
                lambda: f"read_json([{paths}], {self._json_options(sequenced=False)})",
                sequenced=False,
            )
        elif encoding.format == BatchFileFormat.PARQUET:
            self.load(lambda: f"read_parquet([{paths}])", sequenced=False, parquet=True)
        else:
            msg = f"target-duckdb reads BATCH files as jsonl or parquet, not {encoding.format}"
            raise NotImplementedError(msg)
        self.record_counter_metric.increment(self._last_count)

    # -- one batch, one transaction --------------------------------------------------------

    def _json_options(self, *, sequenced: bool = True) -> str:
        spec = {prop: kind for prop, kind in self._read_columns()}
        if sequenced:
            spec[SEQ] = "BIGINT"
        columns = ", ".join(f"{literal(name)}: {literal(kind)}" for name, kind in spec.items())
        # records up to 16 MiB each (DuckDB's default; its read buffers are twice that, within
        # the memory limit)
        size = 2**24
        return f"format = 'newline_delimited', columns = {{{columns}}}, maximum_object_size={size}"

    def _read_columns(self) -> list[tuple[str, str]]:
        """(JSON key, type to read it as): the table's own type, so a batch always fits."""
        ready = self._types
        return [
            (prop, _READ_AS.get(ready.get(column, kind), ready.get(column, kind)))
            for column, (prop, kind) in self.columns.items()
            if column not in _PER_BATCH
        ]

    _last_count = 0

    def load(
        self, source: t.Callable[[], str], *, sequenced: bool = True, parquet: bool = False
    ) -> None:
        """Load the rows `source()` reads (built once the table has its final types)."""
        connection = self.connection
        batched_at = datetime.datetime.now(tz=datetime.UTC).replace(tzinfo=None)
        connection.execute("BEGIN TRANSACTION")
        try:
            self._prepare_table()
            relation = source()
            types = self._types
            present = (
                {
                    row[0]
                    for row in connection.execute(f"describe select * from {relation}").fetchall()
                }
                if parquet
                else set()
            )
            select = []
            for column, (prop, _kind) in self.columns.items():
                if column in _PER_BATCH:
                    value = (
                        str(int(self.sync_started_at))  # epoch ms, the SDK's integer
                        if column == "_sdc_sync_started_at"
                        else literal(batched_at.isoformat())
                    )
                    select.append(f"cast({value} as {types[column]}) as {quote(column)}")
                elif parquet and prop not in present:
                    select.append(f"cast(null as {types[column]}) as {quote(column)}")
                elif parquet:
                    # parquet keeps nested values as structs and lists: JSON text, as from jsonl
                    value = _typed(_as_json(quote(prop), types[column]), types[column])
                    select.append(f"cast({value} as {types[column]}) as {quote(column)}")
                else:
                    select.append(f"{_typed(quote(prop), types[column])} as {quote(column)}")
            if self.key_columns and sequenced:
                select.append(quote(SEQ))
            staged = f"select {', '.join(select)} from {relation}"
            if self.key_columns:
                # the last copy of each key in the batch wins (BATCH files: any one copy)
                keys = ", ".join(quote(k) for k in self.key_columns)
                order = f"order by {quote(SEQ)} desc" if sequenced else ""
                drop = f" exclude ({quote(SEQ)})" if sequenced else ""
                staged = (
                    f"select *{drop} from ({staged}) "
                    f"qualify row_number() over (partition by {keys} {order}) = 1"
                )
            connection.execute(f"create or replace temp table __batch as {staged}")
            if self._overwrite:
                connection.execute(f"delete from {self.full_name}")
                self._overwrite = False  # the run's later batches add to it
            count = _scalar(connection, "select count(*) from __batch")
            if self.key_columns:
                match = " and ".join(
                    f"{self.full_name}.{quote(k)} = __batch.{quote(k)}" for k in self.key_columns
                )
                connection.execute(f"delete from {self.full_name} using __batch where {match}")
            names = ", ".join(quote(c) for c in self.columns)
            connection.execute(
                f"insert into {self.full_name} ({names}) select {names} from __batch"
            )
            if self.config.get("hard_delete") and "_sdc_deleted_at" in self.columns:
                connection.execute(
                    f"delete from {self.full_name} where _sdc_deleted_at is not null"
                )
            connection.execute("drop table __batch")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            self._table_ready = False
            raise
        self._last_count = count
        self.logger.info("Loaded %d rows into %s", count, self.full_name)

    def _table_types(self) -> dict[str, str]:
        rows = self.connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [self.schema_name, self.table],
        ).fetchall()
        return {name.lower(): normalized(kind) for name, kind in rows}

    def _prepare_table(self) -> None:
        """Create the table, add new columns, widen changed ones (never narrow, never drop)."""
        if self._table_ready:
            return
        connection = self.connection
        connection.execute(f"create schema if not exists {quote(self.schema_name)}")
        existing = self._table_types()
        if not existing:
            columns = ", ".join(f"{quote(c)} {kind}" for c, (_p, kind) in self.columns.items())
            connection.execute(f"create table {self.full_name} ({columns})")
        else:
            for column, (_prop, kind) in self.columns.items():
                if column not in existing:
                    self.logger.info("Adding column %s.%s %s", self.full_name, column, kind)
                    connection.execute(
                        f"alter table {self.full_name} add column {quote(column)} {kind}"
                    )
                    continue
                wider = widened(existing[column], kind)
                if wider != existing[column]:
                    self.logger.info(
                        "Widening column %s.%s %s -> %s",
                        self.full_name,
                        column,
                        existing[column],
                        wider,
                    )
                    connection.execute(
                        f"alter table {self.full_name} alter column {quote(column)} type {wider}"
                    )
        # the table's types once it is ready: only this sink changes it during the run
        self._types = self._table_types()
        self._table_ready = True

    # -- ACTIVATE_VERSION: rows of older versions are deleted (hard) or marked (soft) ------

    @override
    def activate_version(self, new_version: int) -> None:
        connection = self.connection
        connection.execute("BEGIN TRANSACTION")
        try:
            self._prepare_table()
            if "_sdc_table_version" not in self.columns:
                connection.execute("COMMIT")
                return
            older = f"(_sdc_table_version is null or _sdc_table_version < {int(new_version)})"
            if self.config.get("hard_delete"):
                connection.execute(f"delete from {self.full_name} where {older}")
            else:
                connection.execute(
                    f"update {self.full_name} set _sdc_deleted_at = current_timestamp::timestamp "
                    f"where {older} and _sdc_deleted_at is null"
                )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    @override
    def clean_up(self) -> None:
        if self._file is not None and self._path is not None:
            self._file.close()
            self._path.unlink(missing_ok=True)
            self._file = None
        super().clean_up()


# Read as text and converted in SQL: DuckDB 2.0 drops the offset of '...+02:00' cast straight to
# TIMESTAMP (1.2 applied it); through TIMESTAMPTZ every offset is applied, and the session is UTC.
_READ_AS = {"TIMESTAMP": "VARCHAR", "TIMESTAMP WITH TIME ZONE": "VARCHAR"}


def _typed(expression: str, kind: str) -> str:
    if kind == "TIMESTAMP":
        return f"timezone('UTC', cast({expression} as timestamptz))"
    if kind == "TIMESTAMP WITH TIME ZONE":
        return f"cast({expression} as timestamptz)"
    return expression


def _as_json(expression: str, kind: str) -> str:
    return f"to_json({expression})" if kind == "JSON" else expression


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = connection.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _local_path(url: str) -> str:
    """A BATCH manifest entry (`file:///...` or a plain path) as a local path."""
    return url.removeprefix("file://")
