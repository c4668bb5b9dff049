"""Data lookup: find one product, customer or order in the warehouse's staging tables.

Each kind of lookup searches every staging table that can answer it and exists right now
(OMS, Recharge, Shopify when its models are built), on the columns below. The warehouse is
opened read-only; while a sync holds DuckDB's single writer lock the answer says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

SCHEMA = "staging"


@dataclass(frozen=True)
class Where:
    """One table that answers a lookup, and the columns a search term may match."""

    source: str
    table: str
    id_columns: tuple[str, ...] = ()  # matched when the term is a whole number
    text_columns: tuple[str, ...] = ()  # matched exactly
    email_columns: tuple[str, ...] = ()  # matched ignoring case


LOOKUPS: dict[str, tuple[str, tuple[Where, ...]]] = {
    "product": (
        "Product by SKU or id",
        (
            Where("OMS", "stg_oms__variants", ("variant_id", "product_id"), ("sku",)),
            Where("OMS", "stg_oms__products", ("product_id",), ("slug",)),
            Where("Recharge", "stg_recharge__products", ("product_id",), ("external_product_id",)),
            Where(
                "Shopify",
                "stg_shopify__product_variants",
                ("product_variant_id", "product_id"),
                ("sku",),
            ),
            Where("Shopify", "stg_shopify__products", ("product_id",), ("handle",)),
        ),
    ),
    "customer": (
        "Customer by id or email",
        (
            Where("OMS", "stg_oms__users", ("user_id",), (), ("email",)),
            Where(
                "Recharge",
                "stg_recharge__customers",
                ("customer_id",),
                ("external_customer_id",),
                ("email",),
            ),
            Where("Shopify", "stg_shopify__customers", ("customer_id",), (), ("email",)),
        ),
    ),
    "order": (
        "Order by number",
        (
            Where("OMS", "stg_oms__orders", (), ("order_number",)),
            Where(
                "Recharge",
                "stg_recharge__orders",
                ("order_id",),
                ("external_order_number", "external_order_name"),
            ),
            # Shopify's order number 1001 is named "#1001": either finds it.
            Where("Shopify", "stg_shopify__orders", ("order_id", "order_number"), ("name",)),
        ),
    ),
}
SYNC_COLUMNS = ("loaded_at", "_sdc_batched_at", "_sdc_extracted_at")
MAX_RESULTS = 20


class LookupFailed(Exception):
    """The lookup could not run (no warehouse, warehouse busy): one line for the page."""


@dataclass(frozen=True)
class Found:
    source: str
    table: str
    record: dict[str, Any]
    last_synced: datetime | None

    @property
    def json(self) -> str:
        return json.dumps(self.record, indent=2, default=_plain, ensure_ascii=False)


@dataclass(frozen=True)
class Answer:
    found: list[Found]
    searched: list[str]  # "OMS staging.stg_oms__orders", the tables that exist
    missing: list[str]  # tables that would answer but are not in the warehouse (yet)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise LookupFailed("The warehouse has no data yet: run a source (Run now) and look again.")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise LookupFailed(
                "The warehouse is busy: a sync is writing to it right now. "
                "Try again when the sync has finished."
            ) from None
        raise LookupFailed(
            f"The warehouse could not be opened: {str(exc).splitlines()[0]}"
        ) from None


def search(warehouse: Path, kind: str, term: str) -> Answer:
    """Records of `kind` matching `term` in every staging table that exists."""
    if kind not in LOOKUPS:
        raise LookupFailed(f"Unknown lookup '{kind}': choose product, customer or order.")
    term = term.strip()
    if not term:
        raise LookupFailed("Type what to look for.")
    with _connect(warehouse) as con:
        columns: dict[str, set[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = ?",
            [SCHEMA],
        ).fetchall():
            columns.setdefault(table, set()).add(column)
        found: list[Found] = []
        searched: list[str] = []
        missing: list[str] = []
        for where in LOOKUPS[kind][1]:
            have = columns.get(where.table)
            if have is None:
                missing.append(f"{where.source} {SCHEMA}.{where.table}")
                continue
            searched.append(f"{where.source} {SCHEMA}.{where.table}")
            tests: list[str] = []
            params: list[Any] = []
            if term.isdigit():
                for column in where.id_columns:
                    if column in have:
                        tests.append(f'cast("{column}" as varchar) = ?')
                        params.append(term)
            for column in where.text_columns:
                if column in have:
                    tests.append(f'cast("{column}" as varchar) = ?')
                    params.append(term)
            for column in where.email_columns:
                if column in have:
                    tests.append(f'lower("{column}") = lower(?)')
                    params.append(term)
            if not tests:
                continue
            cursor = con.execute(
                f'select * from "{SCHEMA}"."{where.table}" where {" or ".join(tests)} '
                f"limit {MAX_RESULTS}",
                params,
            )
            names = [d[0] for d in cursor.description or []]
            for row in cursor.fetchall():
                record = dict(zip(names, row, strict=True))
                synced = next((record[c] for c in SYNC_COLUMNS if record.get(c)), None)
                found.append(Found(where.source, f"{SCHEMA}.{where.table}", record, synced))
    return Answer(found, searched, missing)
