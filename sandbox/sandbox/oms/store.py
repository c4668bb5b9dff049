"""Seed the OMS database, change it the way the storefront would, and read the ground truth.

All three take an open psycopg connection and commit nothing themselves: the caller's
transaction decides (the CLI and the pytest fixture commit on success).
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg import Connection, sql

from sandbox.faults import Density
from sandbox.oms import data
from sandbox.oms.schema import TABLE_NAMES, create_schema, drop_schema, existing_tables

DENSITY = Density()  # the default: a busy store's last minutes (see sandbox.faults)


class OmsError(RuntimeError):
    """A request the OMS sandbox refuses, with what to do instead."""


def seed(
    conn: Connection,
    *,
    seed: int = 1,
    scale: float = 1.0,
    replace: bool = False,
    density: Density = DENSITY,
) -> dict[str, int]:
    """Create the Solidus tables in `public` and fill them; returns the rows per table.

    Refuses to touch existing spree_* tables unless `replace` (which drops them first).
    `density` shapes each table's last seconds before its newest row (see _crowd).
    """
    counts = data.scaled_counts(scale)
    if present := existing_tables(conn):
        if not replace:
            raise OmsError(
                f"{len(present)} spree_* tables already exist ({', '.join(present[:3])}, ...): "
                "seed an empty database, or pass replace=True (--replace) to drop them first"
            )
        drop_schema(conn)
    create_schema(conn)
    for rows in data.generate(seed, counts):
        data.copy_rows(conn, rows)
    _sync_sequences(conn)
    rng = random.Random(f"oms-density:{seed}")
    for name in TABLE_NAMES:
        _crowd(conn, name, rng, density)
    return row_counts(conn)


def _crowd(conn: Connection, table: str, rng: random.Random, density: Density) -> None:
    """A busy store's last seconds before `table`'s newest row (the first bookmark of a
    reader): `density.fraction` of the rows re-stamped a few per second (microseconds apart,
    as Rails stamps one save after another), one batch job's `update_all` giving up to
    `density.burst` rows one identical instant, and two more rows on the newest instant
    itself (a tie a `>=` reader re-reads). updated_at never goes before created_at."""
    name = sql.Identifier(table)
    newest = conn.execute(sql.SQL("SELECT max(updated_at) FROM {}").format(name)).fetchone()
    if newest is None or newest[0] is None:
        return
    top: datetime = newest[0]
    rows = conn.execute(
        sql.SQL("SELECT id, created_at FROM {} WHERE updated_at < %s ORDER BY id").format(name),
        (top,),
    ).fetchall()
    base = top.replace(microsecond=0)
    seconds = density.stamps(rng, round(density.fraction * len(rows)), 0)
    per_second = Counter(seconds)
    burst = max(per_second, key=lambda s: (per_second[s], s)) if seconds else None
    rank: Counter[int] = Counter()
    stamps = []
    for second in seconds:
        at = base + timedelta(seconds=second)
        if second != burst or per_second[second] < 10:  # a batch job shares one instant
            at += timedelta(microseconds=rank[second] * (999_999 // per_second[second]))
        rank[second] += 1
        stamps.append(at)
    earliest = stamps[0] if stamps else top
    eligible = [row_id for row_id, created in rows if created <= earliest]
    chosen = rng.sample(eligible, min(len(eligible), len(stamps) + 2))
    writes = list(zip(stamps[len(stamps) - len(chosen) + 2 :], chosen[2:], strict=True))
    writes += [(top, row_id) for row_id in chosen[:2]]
    with conn.cursor() as cursor:
        cursor.executemany(
            sql.SQL("UPDATE {} SET updated_at = %s WHERE id = %s").format(name), writes
        )


def _sync_sequences(conn: Connection) -> None:
    # Rows are written with explicit ids; later inserts must continue after them.
    for name in TABLE_NAMES:
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                "coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            ).format(name=sql.Literal(name), table=sql.Identifier(name))
        )


# -- changes ----------------------------------------------------------------------------
# What a storefront or admin write looks like per table. The updated_at trigger stamps each
# row; tables whose rows Solidus only ever touches (e.g. line items on recalculation) say so.
_TOUCH = "updated_at = clock_timestamp()"
_UPDATES: dict[str, str] = {
    "spree_countries": _TOUCH,
    "spree_addresses": "phone = '+1 555 010 ' || lpad(mod(id, 10000)::text, 4, '0')",
    "spree_users": "sign_in_count = sign_in_count + 1, last_sign_in_at = current_sign_in_at, "
    "current_sign_in_at = clock_timestamp()",
    "spree_user_addresses": _TOUCH,
    "spree_products": "meta_title = name || ' | Sandbox Outfitters'",
    "spree_variants": "weight = weight + 0.10",
    "spree_prices": "amount = round(amount * 1.05, 2)",
    "spree_stock_locations": _TOUCH,
    "spree_payment_methods": "description = 'Reviewed by the finance team'",
    "spree_refund_reasons": _TOUCH,
    "spree_promotions": "usage_limit = coalesce(usage_limit, 1000) + 100",
    "spree_promotion_codes": _TOUCH,
    "spree_promotion_actions": _TOUCH,
    "spree_orders": "special_instructions = 'Please leave the parcel with a neighbour.'",
    "spree_line_items": _TOUCH,
    "spree_payments": "avs_response = 'Y', cvv_response_code = 'M'",
    "spree_shipments": "tracking = coalesce(tracking, '1Z' || lpad(id::text, 15, '0'))",
    "spree_adjustments": "finalized = true",
    "spree_refunds": _TOUCH,
}
assert set(_UPDATES) == set(TABLE_NAMES)


@dataclass
class Changes:
    """Ids written by one `touch`, per table."""

    updated: dict[str, list[int]] = field(default_factory=dict)
    inserted: dict[str, list[int]] = field(default_factory=dict)

    def ids(self, table: str) -> set[int]:
        return set(self.updated.get(table, ())) | set(self.inserted.get(table, ()))

    def as_dict(self) -> dict[str, dict[str, list[int]]]:
        return {
            name: {"updated": self.updated.get(name, []), "inserted": self.inserted.get(name, [])}
            for name in TABLE_NAMES
        }


def touch(
    conn: Connection,
    *,
    seed: int = 1,
    updates: int = 3,
    new_orders: int = 2,
    new_users: int = 1,
) -> Changes:
    """Update `updates` rows of every table and place `new_orders` orders (with line items,
    adjustments, payment and shipment) from `new_users` new accounts and existing ones.

    Rows are picked deterministically from `seed` and the database's current contents;
    every written row gets an `updated_at` later than any row had before.
    """
    rng = random.Random(f"oms-touch:{seed}")
    changes = Changes()
    for name in TABLE_NAMES:
        query = sql.SQL("SELECT id FROM {} ORDER BY id").format(sql.Identifier(name))
        existing = [row[0] for row in conn.execute(query)]
        picked = sorted(rng.sample(existing, min(updates, len(existing))))
        if picked:
            conn.execute(
                sql.SQL("UPDATE {} SET {} WHERE id = ANY(%s)").format(
                    sql.Identifier(name),
                    sql.SQL(_UPDATES[name]),
                ),
                (picked,),
            )
        changes.updated[name] = picked

    now: datetime = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
    ids, refs = _next_ids(conn), _refs(conn)
    rows = data.users(rng, ids, refs, new_users, (now, now))
    new_customers = refs.customers[-new_users:] if new_users else []
    for index in range(new_orders):
        # New accounts place the first orders; existing customers the rest.
        customers = refs.customers if index >= len(new_customers) else [new_customers[index]]
        buyer = dataclasses.replace(refs, customers=customers)
        data.merge(rows, data.order(rng, ids, buyer, now, fresh=True))
    data.copy_rows(conn, rows)
    _sync_sequences(conn)
    changes.inserted = {name: sorted(r["id"] for r in rows.get(name, [])) for name in TABLE_NAMES}
    return changes


def _next_ids(conn: Connection) -> data.Ids:
    start = {}
    for name in TABLE_NAMES:
        query = sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(sql.Identifier(name))
        start[name] = conn.execute(query).fetchone()[0]  # type: ignore[index]
    return data.Ids(start)


def _refs(conn: Connection) -> data.Refs:
    """What new orders point at, read back from the database."""

    def ids(query: str) -> list[int]:
        return [row[0] for row in conn.execute(query)]

    refs = data.Refs(
        country_ids=ids("SELECT id FROM spree_countries ORDER BY id"),
        stock_location_ids=ids("SELECT id FROM spree_stock_locations WHERE active ORDER BY id"),
        payment_method_ids=ids(
            "SELECT id FROM spree_payment_methods WHERE active AND deleted_at IS NULL "
            "ORDER BY available_to_users DESC, position, id"
        ),
        refund_reason_ids=ids("SELECT id FROM spree_refund_reasons WHERE active ORDER BY id"),
    )
    # The variants shoppers buy: live option variants, or the master of a product without any.
    for variant_id, price, cost, promotionable in conn.execute(
        """
        SELECT v.id, pr.amount, v.cost_price, p.promotionable
        FROM spree_variants v
        JOIN spree_products p ON p.id = v.product_id
        JOIN spree_prices pr ON pr.variant_id = v.id AND pr.currency = 'USD'
            AND pr.deleted_at IS NULL
        WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL
          AND (NOT v.is_master OR NOT EXISTS (
              SELECT 1 FROM spree_variants o
              WHERE o.product_id = v.product_id AND NOT o.is_master AND o.deleted_at IS NULL))
        ORDER BY v.id
        """
    ):
        refs.variants.append(data.Variant(variant_id, price, cost, promotionable))
    for user_id, email, address_id in conn.execute(
        """
        SELECT u.id, u.email, ua.address_id
        FROM spree_users u
        JOIN spree_user_addresses ua ON ua.user_id = u.id AND ua."default"
        WHERE u.deleted_at IS NULL
        ORDER BY u.id
        """
    ):
        refs.customers.append(data.Customer(user_id, email, address_id))
    for code_id, name, action_id, action_type, preferences in conn.execute(
        """
        SELECT c.id, p.name, a.id, a.type, a.preferences
        FROM spree_promotion_codes c
        JOIN spree_promotions p ON p.id = c.promotion_id
        JOIN spree_promotion_actions a ON a.promotion_id = p.id AND a.deleted_at IS NULL
        ORDER BY c.id
        """
    ):
        refs.promotions[code_id] = (name, action_id, *_action_kind(action_type, preferences))
    if not refs.variants or not refs.payment_method_ids or not refs.stock_location_ids:
        raise OmsError("the OMS has no live variant, payment method or stock location to sell")
    return refs


def _action_kind(action_type: str, preferences: str | None) -> tuple[str, Decimal]:
    """(kind, value) of a promotion action, from its type and YAML preferences."""
    found = re.search(r":(percent|amount): ([0-9.]+)", preferences or "")
    value = Decimal(found.group(2)) if found else Decimal(0)
    if action_type.endswith("CreateItemAdjustments"):
        return "percent", value / 100
    if action_type.endswith("FreeShipping"):
        return "free_shipping", value
    return "flat", value


# -- truth ------------------------------------------------------------------------------
def row_counts(conn: Connection) -> dict[str, int]:
    counts = {}
    for name in TABLE_NAMES:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
        counts[name] = conn.execute(query).fetchone()[0]  # type: ignore[index]
    return counts


def truth(
    conn: Connection, since: Mapping[str, datetime | str] | datetime | str | None = None
) -> dict[str, Any]:
    """Rows and newest updated_at per table, money totals, and (with `since`) the ids per table
    with updated_at >= since: what an incremental read with that bookmark must return.

    `since` is one timestamp for every table or one per table (a stream's bookmark);
    inclusive, as tap-postgres (the Singer SDK) compares `replication_key >= bookmark`.
    """
    newest = {}
    for name in TABLE_NAMES:
        query = sql.SQL("SELECT max(updated_at) FROM {}").format(sql.Identifier(name))
        newest[name] = conn.execute(query).fetchone()[0]  # type: ignore[index]
    totals = conn.execute(
        """
        SELECT
            (SELECT coalesce(sum(total), 0) FROM spree_orders WHERE state = 'complete'),
            (SELECT coalesce(sum(payment_total), 0) FROM spree_orders),
            (SELECT coalesce(sum(quantity), 0) FROM spree_line_items),
            (SELECT coalesce(sum(amount), 0) FROM spree_payments WHERE state = 'completed'),
            (SELECT coalesce(sum(amount), 0) FROM spree_refunds),
            (SELECT coalesce(sum(amount), 0) FROM spree_adjustments)
        """
    ).fetchone()
    assert totals is not None
    result: dict[str, Any] = {
        "rows": row_counts(conn),
        "max_updated_at": {k: v.isoformat() if v else None for k, v in newest.items()},
        "totals": dict(
            zip(
                (
                    "completed_order_total",
                    "order_payment_total",
                    "line_item_quantity",
                    "completed_payment_amount",
                    "refund_amount",
                    "adjustment_amount",
                ),
                (str(value) for value in totals),
                strict=True,
            )
        ),
    }
    if since is not None:
        bookmarks = since if isinstance(since, Mapping) else dict.fromkeys(TABLE_NAMES, since)
        result["changed"] = {
            name: [
                row[0]
                for row in conn.execute(
                    sql.SQL("SELECT id FROM {} WHERE updated_at >= %s ORDER BY id").format(
                        sql.Identifier(name)
                    ),
                    (bookmarks[name],),
                )
            ]
            for name in TABLE_NAMES
            if bookmarks.get(name) is not None
        }
    return result
