"""JSON Schema -> DuckDB column types, and how a column widens when the schema changes.

The types are the ones target-duckdb 0.8 (pipelinewise) created, so a warehouse it filled keeps
working and the dbt models read the same types: objects and arrays are JSON, `date-time` strings
TIMESTAMP (UTC wall clock), numbers DOUBLE, integers BIGINT (0.8 made HUGEINT; both are kept).
"""

from __future__ import annotations

from typing import Any

JSON = "JSON"
VARCHAR = "VARCHAR"

# Each chain is ordered narrow -> wide; a column only ever moves right, and two types that share
# no chain meet at VARCHAR (which holds any JSON value as text).
_CHAINS: tuple[tuple[str, ...], ...] = (
    ("BOOLEAN", VARCHAR),
    ("SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", VARCHAR),
    ("DATE", "TIMESTAMP", VARCHAR),
    ("TIME", VARCHAR),
    (JSON, VARCHAR),
)


def column_type(prop: dict[str, Any]) -> str:
    """The DuckDB type for one JSON Schema property."""
    types = _types(prop)
    if not types or types & {"object", "array"}:
        return JSON
    if "string" in types:
        if len(types - {"string"}) > 0:
            return VARCHAR  # e.g. ["integer", "string"]
        fmt = prop.get("format")
        return {"date-time": "TIMESTAMP", "time": "TIME"}.get(fmt or "", VARCHAR)
    if "number" in types:
        return "DOUBLE"
    if "integer" in types:
        return "BIGINT"
    if "boolean" in types:
        return "BOOLEAN" if types == {"boolean"} else VARCHAR
    return JSON


def _types(prop: dict[str, Any]) -> set[str]:
    if "anyOf" in prop or "oneOf" in prop:
        found: set[str] = set()
        for option in prop.get("anyOf", prop.get("oneOf", [])):
            found |= _types(option)
        if found & {"object", "array"}:
            return {"object"}
        # a date-time among the options decides the format
        return found - {"null"}
    declared = prop.get("type", [])
    if isinstance(declared, str):
        declared = [declared]
    return set(declared) - {"null"}


def normalized(duckdb_type: str) -> str:
    """DuckDB's spelling in information_schema, in this module's words."""
    upper = duckdb_type.upper()
    return {
        "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
        "INT64": "BIGINT",
        "INT32": "INTEGER",
        "FLOAT8": "DOUBLE",
        "TEXT": VARCHAR,
        "STRING": VARCHAR,
    }.get(upper, upper)


def widened(existing: str, wanted: str) -> str:
    """The type a column of type `existing` must become to also hold `wanted` values."""
    existing, wanted = normalized(existing), normalized(wanted)
    if existing == wanted:
        return existing
    for chain in _CHAINS:
        if existing in chain and wanted in chain:
            return chain[max(chain.index(existing), chain.index(wanted))]
    if existing in {VARCHAR, "UUID"} or existing.startswith(("DECIMAL", "VARCHAR")):
        return existing if existing != "UUID" else VARCHAR
    return VARCHAR
