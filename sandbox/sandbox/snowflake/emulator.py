"""fakesnow plus what stock target-snowflake and dbt-snowflake need that fakesnow lacks.

fakesnow (an in-process patch of `snowflake.connector.connect`, DuckDB underneath) runs
Snowflake SQL, but not the file-staging path MeltanoLabs target-snowflake takes for every
batch (target_snowflake/connector.py, `_get_*_statement`):

    put 'file:///tmp/batch.json.gz' '@~/target-snowflake/<sync_id>'
    create or replace file format DB.SCHEMA."tf-<stream>-<uuid>" type = 'JSON' compression = 'AUTO'
    merge into T d using (select $1:"col"::TYPE as col, ... from
        '@~/target-snowflake/<sync_id>'(file_format => DB.SCHEMA."tf-...")
        QUALIFY ROW_NUMBER() OVER (PARTITION BY <keys> ORDER BY SEQ8() DESC) = 1) s on ...
    copy into T (cols) from (select $1:"col"::TYPE as col, ... from
        '@~/target-snowflake/<sync_id>')file_format = (format_name='DB.SCHEMA."tf-..."')
    remove '@~/target-snowflake/<sync_id>/'
    drop file format if exists DB.SCHEMA."tf-..."

fakesnow 0.9.43 has no user stage, no FILE FORMAT objects, no JSON staged files, no `REMOVE`,
and cannot select from a stage inside MERGE. `StageAdapter` intercepts exactly these
statements, as text, before fakesnow parses them, and does what Snowflake does:

- PUT copies the local file into the user stage, a directory (`<dir>/stage/<path>/`),
  gzipping it first unless it already is (Snowflake's AUTO_COMPRESS = TRUE default).
- CREATE / DROP FILE FORMAT keep the named formats (TYPE JSON or PARQUET) for the process;
  reading through an unknown format fails as on Snowflake.
- A query that reads `'@~/path'(file_format => F)` (the MERGE source) gets the staged files as
  a DuckDB temp table with one JSON value per staged document, Snowflake's `$1`; `$1`,
  `SEQ8()` (the staged row's ordinal) and `METADATA$FILENAME` are pointed at it, and fakesnow
  runs the rest (MERGE, the `$1:"key"::TYPE` casts, QUALIFY) as any other Snowflake SQL.
- COPY INTO from a stage subquery becomes INSERT INTO ... SELECT over the same temp table and
  answers Snowflake's per-file rows (file, status, rows_parsed, rows_loaded, ...).
- REMOVE deletes the staged files under the path and answers (name, result) rows.

Smaller gaps, each met where it shows up:

- `SELECT CURRENT_VERSION()` (the Snowflake SQLAlchemy dialect asks on connect) answers a
  version string.
- `CREATE TEMPORARY TABLE|VIEW db.schema.name` (dbt-snowflake's unit tests and incremental
  models): DuckDB allows temporary objects only in its own `temp` catalog, so they become
  ordinary objects that are dropped when the session (connection) closes, as Snowflake does.
- fakesnow asserts a current schema while building a MERGE whose source casts to VARCHAR;
  target-snowflake connects without one (`_some_schema`).
- Statements run one at a time: fakesnow's connections are cursors of one DuckDB connection,
  and concurrent DDL from client threads ends in DuckDB write-write conflicts.
- Types DuckDB accepts but Snowflake has not (JSON, HUGEINT, unsigned integers, ENUM) are
  refused, so SQL that works only on the emulator fails here too.

Everything else goes to fakesnow untouched. Not emulated: COPY load metadata (Snowflake skips
files it loaded in the last 64 days; target-snowflake never stages a file twice under one
sync id), file format options other than TYPE and COMPRESSION, `LIST @~`, named stages
(fakesnow has those), and PUT's PARALLEL / OVERWRITE options.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlparse
from urllib.request import url2pathname

import fakesnow
import snowflake.connector.errors
from fakesnow.conn import FakeSnowflakeConnection
from fakesnow.cursor import FakeSnowflakeCursor
from fakesnow.instance import FakeSnow
from sqlglot import exp

EMULATOR_DIR_ENV = "SNOWFLAKE_EMULATOR_DIR"

# One identifier part: "quoted" (case kept) or unquoted (upper-cased by Snowflake).
_PART = r'(?:"[^"]*"|[A-Za-z_][\w$]*)'
_NAME = rf"{_PART}(?:\s*\.\s*{_PART}){{0,2}}"
_STAGE = r"'?@~/(?P<path>[^'\s)]*)'?"
_FLAGS = re.IGNORECASE | re.DOTALL

PUT = re.compile(rf"^\s*put\s+'(?P<src>[^']+)'\s+{_STAGE}(?P<options>.*)$", _FLAGS)
REMOVE = re.compile(rf"^\s*(?:remove|rm)\s+{_STAGE}(?P<options>.*)$", _FLAGS)
CREATE_FORMAT = re.compile(
    rf"^\s*create\s+(?P<replace>or\s+replace\s+)?file\s+format\s+(?P<if_not>if\s+not\s+exists\s+)?"
    rf"(?P<name>{_NAME})(?P<options>.*)$",
    _FLAGS,
)
DROP_FORMAT = re.compile(
    rf"^\s*drop\s+file\s+format\s+(?P<if_exists>if\s+exists\s+)?(?P<name>{_NAME})\s*;?\s*$", _FLAGS
)
COPY = re.compile(
    rf"^\s*copy\s+into\s+(?P<into>.+?)\s+from\s*\((?P<select>.*{_STAGE}.*)\)\s*"
    rf"file_format\s*=\s*\(\s*format_name\s*=\s*'?(?P<format>{_NAME})'?\s*\)(?P<options>.*)$",
    _FLAGS,
)
# A stage read inside a query, with its inline format: '@~/p'(file_format => NAME).
STAGE_READ = re.compile(
    rf"{_STAGE}\s*(?:\(\s*file_format\s*=>\s*'?(?P<format>{_NAME})'?\s*\))?", re.IGNORECASE
)
# A session's temporary table or view under a qualified name (dbt-snowflake's unit tests and
# incremental models create DB.SCHEMA.<name>__dbt_tmp): DuckDB keeps temporary objects in its
# own `temp` catalog only ("TEMPORARY table names can *only* use the temp catalog").
TEMPORARY = re.compile(
    rf"^(?P<head>\s*create\s+(?:or\s+replace\s+)?)(?:local\s+|global\s+)?temp(?:orary)?\s+"
    rf"(?P<kind>table|view)\s+(?P<if_not>if\s+not\s+exists\s+)?(?P<name>{_PART}\s*\.\s*{_NAME})"
    rf"(?P<rest>.*)$",
    _FLAGS,
)
# Asked by the Snowflake SQLAlchemy dialect on connect; fakesnow has no such function.
CURRENT_VERSION = re.compile(r"^\s*select\s+current_version\s*\(\s*\)\s*;?\s*$", _FLAGS)
# The version the emulator reports (any recent Snowflake release number does).
SNOWFLAKE_VERSION = "9.0.0"
OPTION = re.compile(r"(?P<key>\w+)\s*=\s*'?(?P<value>[\w-]+)'?", re.IGNORECASE)

# The staged rows' columns: Snowflake's $1 and the row's place in the staged files.
VALUE_COLUMN = "_fs_stage_value"
FILE_COLUMN = "_fs_stage_file"
ROW_COLUMN = "_fs_stage_row"
FORMAT_TYPES = ("JSON", "PARQUET")

# Types DuckDB (and so fakesnow) accepts but Snowflake does not: refused as Snowflake would,
# so a loader or a model that only works on the emulator fails here too.
NOT_SNOWFLAKE_TYPES = frozenset(
    {
        exp.DataType.Type.JSON,
        exp.DataType.Type.JSONB,
        exp.DataType.Type.INT128,
        exp.DataType.Type.INT256,
        exp.DataType.Type.UINT,
        exp.DataType.Type.UINT128,
        exp.DataType.Type.UINT256,
        exp.DataType.Type.UBIGINT,
        exp.DataType.Type.USMALLINT,
        exp.DataType.Type.UTINYINT,
        exp.DataType.Type.ENUM,
    }
)

Execute = Callable[..., FakeSnowflakeCursor]
Transform = Callable[..., exp.Expression]


def _error(msg: str, errno: int, sqlstate: str) -> snowflake.connector.errors.ProgrammingError:
    return snowflake.connector.errors.ProgrammingError(msg=msg, errno=errno, sqlstate=sqlstate)


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _rows_sql(columns: list[str], rows: Sequence[tuple[object, ...]]) -> str:
    """A SELECT that answers `rows` under `columns` (an empty result keeps the columns)."""
    if not rows:
        nulls = ", ".join(f"NULL AS {c}" for c in columns)
        return f"SELECT {nulls} WHERE 1 = 0"
    values = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)
    return f"SELECT * FROM (VALUES {values}) AS t({', '.join(columns)})"


def _qualified(name: str, database: str | None, schema: str | None) -> tuple[str, ...]:
    """Resolve a (possibly partial) object name the way Snowflake does."""
    parts = [p.strip() for p in re.findall(_PART, name)]
    resolved = tuple(p[1:-1] if p.startswith('"') else p.upper() for p in parts)
    context = tuple(p.upper() for p in (database, schema) if p)
    return context[: max(0, 3 - len(resolved))] + resolved


def refuse_non_snowflake_types(expression: exp.Expression) -> None:
    """Fail like Snowflake on a data type it does not have (see NOT_SNOWFLAKE_TYPES)."""
    for data_type in expression.find_all(exp.DataType):
        if data_type.this in NOT_SNOWFLAKE_TYPES:
            name = data_type.sql(dialect="snowflake")
            raise _error(f"SQL compilation error:\nUnsupported data type '{name}'.", 2040, "0A000")


@contextmanager
def _some_schema(cursor: FakeSnowflakeCursor) -> Iterator[None]:
    """Lend the session a current schema name for one statement, if it has none.

    fakesnow 0.9.43 books the VARCHAR lengths of the temp table it builds for a MERGE under
    the session's current schema and asserts there is one
    (cursor.py, `assert catalog and schema`); Snowflake needs none when names are qualified,
    and target-snowflake connects without a schema. The name is used for nothing else.
    """
    conn = cursor._conn
    if conn._schema:
        yield
        return
    conn._schema = "PUBLIC"
    try:
        yield
    finally:
        conn._schema = None


class UserStage:
    """The user stage `@~` as a directory; stage paths are relative paths below it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, path: str) -> Path:
        target = (self.root / path.strip("/")).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise _error(f"SQL compilation error:\ninvalid stage path '@~/{path}'", 1003, "42000")
        return target

    def put(self, source: Path, path: str) -> tuple[object, ...]:
        """Stage one local file; returns PUT's result row."""
        if not source.is_file():
            raise _error(f"File doesn't exist: ['{source}']", 253006, "22000")
        directory = self._dir(path)
        directory.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as handle:
            compressed = handle.read(2) == b"\x1f\x8b"
        if compressed:
            target = directory / source.name
            shutil.copyfile(source, target)
        else:  # AUTO_COMPRESS = TRUE: Snowflake gzips and appends .gz
            target = directory / f"{source.name}.gz"
            with source.open("rb") as raw, gzip.open(target, "wb") as packed:
                shutil.copyfileobj(raw, packed)
        return (
            source.name,
            target.name,
            source.stat().st_size,
            target.stat().st_size,
            "GZIP" if compressed else "NONE",
            "GZIP",
            "UPLOADED",
            "",
        )

    def files(self, path: str) -> list[Path]:
        """Staged files whose stage path starts with `path` (Snowflake matches by prefix)."""
        if not self.root.is_dir():
            return []
        prefix = path.strip("/")
        return sorted(
            f
            for f in self.root.rglob("*")
            if f.is_file() and f.relative_to(self.root).as_posix().startswith(prefix)
        )

    def name(self, file: Path) -> str:
        return file.relative_to(self.root).as_posix()

    def remove(self, path: str) -> list[tuple[object, ...]]:
        """Delete the staged files below `path`; returns REMOVE's result rows."""
        removed: list[tuple[object, ...]] = []
        for file in self.files(path):
            file.unlink()
            removed.append((self.name(file), "removed"))
        for directory in sorted(self.root.rglob("*"), reverse=True):
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
        return removed


@dataclass
class StageAdapter:
    """Runs the statements fakesnow lacks (see the module doc); passes on everything else."""

    stage: UserStage
    # Fully qualified file format name -> its TYPE (JSON or PARQUET).
    file_formats: dict[tuple[str, ...], str] = field(default_factory=dict)
    # Temporary objects per session (connection id), dropped when the session closes.
    temporary: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def execute(
        self,
        run: Execute,
        cursor: FakeSnowflakeCursor,
        command: str,
        params: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> FakeSnowflakeCursor:
        # Bind client-side first (as the connector does with pyformat), so PUT's file
        # argument, a bound parameter in target-snowflake, is part of the text.
        sql, rest = cursor._rewrite_with_params(command, params)
        if rest or kwargs.get("binding_params"):
            return run(cursor, command, params, *args, **kwargs)
        conn = cursor._conn
        for pattern, handler in (
            (CURRENT_VERSION, self._current_version),
            (PUT, self._put),
            (REMOVE, self._remove),
            (CREATE_FORMAT, self._create_format),
            (DROP_FORMAT, self._drop_format),
            (COPY, self._copy),
            (TEMPORARY, self._temporary),
        ):
            if match := pattern.match(sql):
                return handler(run, cursor, match, conn.database, conn.schema)
        if STAGE_READ.search(sql):
            return self._read_stage(run, cursor, sql, conn.database, conn.schema)
        return run(cursor, command, params, *args, **kwargs)

    # -- statements --------------------------------------------------------------------

    def _current_version(self, run: Execute, cursor: FakeSnowflakeCursor, *_: Any) -> Any:
        return run(cursor, f"SELECT '{SNOWFLAKE_VERSION}' AS \"CURRENT_VERSION()\"")

    def _temporary(
        self,
        run: Execute,
        cursor: FakeSnowflakeCursor,
        m: re.Match[str],
        *_: Any,
    ) -> Any:
        # An ordinary table or view, dropped with the session (see close_session).
        conn = cursor._conn
        self.temporary.setdefault(id(conn), []).append((m["kind"].upper(), m["name"]))
        return run(cursor, f"{m['head']}{m['kind']} {m['if_not'] or ''}{m['name']}{m['rest']}")

    def close_session(self, run: Execute, conn: Any) -> None:
        """Drop the session's temporary tables and views, as Snowflake does at its end."""
        for kind, name in reversed(self.temporary.pop(id(conn), [])):
            run(conn.cursor(), f"DROP {kind} IF EXISTS {name}")

    def _put(self, run: Execute, cursor: FakeSnowflakeCursor, m: re.Match[str], *_: Any) -> Any:
        url = urlparse(m["src"])
        source = Path(url2pathname(url.path) if url.scheme == "file" else m["src"])
        row = self.stage.put(source, m["path"])
        columns = [
            "source",
            "target",
            "source_size",
            "target_size",
            "source_compression",
            "target_compression",
            "status",
            "message",
        ]
        return run(cursor, _rows_sql(columns, [row]))

    def _remove(self, run: Execute, cursor: FakeSnowflakeCursor, m: re.Match[str], *_: Any) -> Any:
        return run(cursor, _rows_sql(["name", "result"], self.stage.remove(m["path"])))

    def _create_format(
        self,
        run: Execute,
        cursor: FakeSnowflakeCursor,
        m: re.Match[str],
        database: str | None,
        schema: str | None,
    ) -> Any:
        name = _qualified(m["name"], database, schema)
        options = {o["key"].upper(): o["value"].upper() for o in OPTION.finditer(m["options"])}
        file_type = options.get("TYPE", "CSV")
        if file_type not in FORMAT_TYPES:
            raise NotImplementedError(f"file format TYPE = {file_type} (emulated: JSON, PARQUET)")
        if options.get("COMPRESSION", "AUTO") not in ("AUTO", "GZIP", "NONE"):
            raise NotImplementedError(f"file format COMPRESSION = {options['COMPRESSION']}")
        if name in self.file_formats and not m["replace"] and not m["if_not"]:
            raise _error(
                f"SQL compilation error:\nObject '{name[-1]}' already exists.", 2002, "42710"
            )
        self.file_formats.setdefault(name, file_type)
        if m["replace"]:
            self.file_formats[name] = file_type
        status = f"File format {name[-1].upper()} successfully created."
        return run(cursor, _rows_sql(["status"], [(status,)]))

    def _drop_format(
        self,
        run: Execute,
        cursor: FakeSnowflakeCursor,
        m: re.Match[str],
        database: str | None,
        schema: str | None,
    ) -> Any:
        name = _qualified(m["name"], database, schema)
        if self.file_formats.pop(name, None) is None and not m["if_exists"]:
            raise self._no_format(name)
        return run(cursor, _rows_sql(["status"], [(f"{name[-1]} successfully dropped.",)]))

    def _copy(
        self,
        run: Execute,
        cursor: FakeSnowflakeCursor,
        m: re.Match[str],
        database: str | None,
        schema: str | None,
    ) -> Any:
        if m["options"].strip().rstrip(";"):
            raise NotImplementedError(f"COPY INTO options {m['options'].strip()!r}")
        file_format = _qualified(m["format"], database, schema)
        with self._staged(cursor, m["path"], file_format) as table:
            select = self._point_at(m["select"], table)
            run(cursor, f"INSERT INTO {m['into']} {select}")
            per_file = cursor._duck_conn.execute(
                f"SELECT {FILE_COLUMN}, count(*) FROM {table} GROUP BY 1 ORDER BY 1"
            ).fetchall()
        rows = [
            (self.stage.name(Path(f)), "LOADED", n, n, 1, 0, None, None, None, None)
            for f, n in per_file
        ]
        columns = [
            "file",
            "status",
            "rows_parsed",
            "rows_loaded",
            "error_limit",
            "errors_seen",
            "first_error",
            "first_error_line",
            "first_error_character",
            "first_error_column_name",
        ]
        if not rows:
            return run(cursor, _rows_sql(["status"], [("Copy executed with 0 files processed.",)]))
        return run(cursor, _rows_sql(columns, rows))

    def _read_stage(
        self,
        run: Execute,
        cursor: FakeSnowflakeCursor,
        sql: str,
        database: str | None,
        schema: str | None,
    ) -> Any:
        reads = list(STAGE_READ.finditer(sql))
        if len(reads) != 1 or not reads[0]["format"]:
            raise NotImplementedError(
                "a query must read exactly one user-stage path with (file_format => NAME)"
            )
        read = reads[0]
        file_format = _qualified(read["format"], database, schema)
        with self._staged(cursor, read["path"], file_format) as table, _some_schema(cursor):
            return run(cursor, self._point_at(sql, table))

    # -- staged files as a table ---------------------------------------------------------

    def _no_format(self, name: tuple[str, ...]) -> snowflake.connector.errors.ProgrammingError:
        return _error(
            f"SQL compilation error:\nFile format '{'.'.join(name)}' does not exist or not "
            "authorized.",
            2003,
            "02000",
        )

    @contextmanager
    def _staged(
        self, cursor: FakeSnowflakeCursor, path: str, file_format: tuple[str, ...]
    ) -> Iterator[str]:
        """The staged files below `path` as a temp table (value, file, row), dropped after."""
        if file_format not in self.file_formats:
            raise self._no_format(file_format)
        files = [str(f) for f in self.stage.files(path)]
        table = f"temp.main._fs_stage_{uuid.uuid4().hex}"
        duck = cursor._duck_conn
        if not files:
            source = "(SELECT NULL::JSON AS value, NULL::VARCHAR AS file WHERE 1 = 0)"
        elif self.file_formats[file_format] == "JSON":
            # Snowflake's JSON format: each document is one row whose $1 is a VARIANT.
            source = f"read_json_objects({files!r}, format = 'auto', filename = true)"
            source = f"(SELECT json AS value, filename AS file FROM {source})"
        else:  # PARQUET: $1 is the row as an OBJECT.
            source = f"read_parquet({files!r}, filename = true)"
            source = f"(SELECT to_json(p) AS value, p.filename AS file FROM {source} AS p)"
        duck.execute(
            f"CREATE TEMP TABLE {table.split('.')[-1]} AS SELECT value AS {VALUE_COLUMN}, "
            f"file AS {FILE_COLUMN}, row_number() OVER () AS {ROW_COLUMN} FROM {source}"
        )
        try:
            yield table
        finally:
            duck.execute(f"DROP TABLE IF EXISTS {table}")

    @staticmethod
    def _point_at(sql: str, table: str) -> str:
        """Point the stage query's $1 and SEQ8() at the staged rows."""
        sql = STAGE_READ.sub(table, sql)
        sql = re.sub(r"\$1\b", VALUE_COLUMN, sql)
        sql = re.sub(r"\bSEQ8\s*\(\s*\)", ROW_COLUMN, sql, flags=re.IGNORECASE)
        return re.sub(r"\bMETADATA\$FILENAME\b", FILE_COLUMN, sql, flags=re.IGNORECASE)


def emulator_dir() -> Path:
    """The emulator's directory, from SNOWFLAKE_EMULATOR_DIR."""
    value = os.environ.get(EMULATOR_DIR_ENV)
    if not value:
        raise SystemExit(
            f"{EMULATOR_DIR_ENV} is not set: point it at the emulator's directory "
            "(the Meltano plugins set it to output/snowflake-emulator)."
        )
    return Path(value)


@contextmanager
def emulate(directory: Path | str) -> Iterator[StageAdapter]:
    """Patch `snowflake.connector.connect` with fakesnow plus the user-stage adapter.

    Databases persist as DuckDB files `<directory>/databases/<DATABASE>.db` (one writer
    process at a time, like any DuckDB file); the user stage is `<directory>/stage/`.
    """
    directory = Path(directory)
    (directory / "databases").mkdir(parents=True, exist_ok=True)
    adapter = StageAdapter(UserStage(directory / "stage"))
    original: Execute = FakeSnowflakeCursor.execute
    original_connect = FakeSnow.connect
    # One statement at a time: fakesnow's connections are cursors of one DuckDB connection,
    # and concurrent DDL from the clients' threads (dbt's `threads`, target-snowflake's
    # parallel sinks) ends in DuckDB write-write conflicts, e.g. two connects both
    # ATTACHing the database file ("Catalog write-write conflict on create").
    lock = threading.RLock()

    original_transform: Transform = FakeSnowflakeCursor._transform

    def transform(cursor: FakeSnowflakeCursor, expression: exp.Expression, params: Any) -> Any:
        refuse_non_snowflake_types(expression)
        return original_transform(cursor, expression, params)

    def execute(
        cursor: FakeSnowflakeCursor, command: str, params: Any = None, *args: Any, **kwargs: Any
    ) -> FakeSnowflakeCursor:
        with lock:
            return adapter.execute(original, cursor, command, params, *args, **kwargs)

    def connect(fake: FakeSnow, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original_connect(fake, *args, **kwargs)

    original_close = FakeSnowflakeConnection.close

    def close(conn: FakeSnowflakeConnection, *args: Any, **kwargs: Any) -> None:
        with lock:
            if not conn.is_closed():
                adapter.close_session(original, conn)
            original_close(conn, *args, **kwargs)

    with (
        mock.patch.object(FakeSnow, "connect", connect),
        fakesnow.patch(db_path=directory / "databases"),
        mock.patch.object(FakeSnowflakeCursor, "execute", execute),
        mock.patch.object(FakeSnowflakeCursor, "_transform", transform),
        mock.patch.object(FakeSnowflakeConnection, "close", close),
    ):
        yield adapter
