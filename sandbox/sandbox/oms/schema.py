"""The Solidus (Spree) tables the OMS sandbox creates, parents before children.

Column names, types and defaults follow Solidus 4's db/schema.rb for the tables an order
touches (orders, line items, users, addresses, catalog, payments, shipments, promotion
adjustments, refunds). Left out on purpose: taxes (the sandbox store sells tax-free, so
there are no spree_tax_rates or tax adjustments), stores, option values, stock items,
inventory units, credit cards (payment sources stay null) and return authorizations.

Rails sets `updated_at` on every save; the sandbox does the same with a trigger, so an
ad-hoc `UPDATE` in psql bumps it too, like any write from the storefront would.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import Connection, sql


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type and constraints), in COPY order

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def _table(name: str, *columns: tuple[str, str]) -> Table:
    # Every Solidus table has a bigserial id and the two Rails timestamps.
    return Table(
        name,
        (
            ("id", "bigserial PRIMARY KEY"),
            *columns,
            ("created_at", "timestamptz NOT NULL"),
            ("updated_at", "timestamptz NOT NULL"),
        ),
    )


MONEY = "numeric(10,2) NOT NULL DEFAULT 0.0"

TABLES: tuple[Table, ...] = (
    _table(
        "spree_countries",
        ("iso_name", "varchar"),
        ("iso", "varchar NOT NULL UNIQUE"),
        ("iso3", "varchar"),
        ("name", "varchar"),
        ("numcode", "integer"),
        ("states_required", "boolean DEFAULT false"),
    ),
    _table(
        "spree_addresses",
        ("name", "varchar"),
        ("address1", "varchar"),
        ("address2", "varchar"),
        ("city", "varchar"),
        ("zipcode", "varchar"),
        ("phone", "varchar"),
        ("state_name", "varchar"),
        ("alternative_phone", "varchar"),
        ("company", "varchar"),
        ("country_id", "bigint REFERENCES spree_countries"),
    ),
    _table(
        "spree_users",
        ("email", "varchar NOT NULL"),
        ("login", "varchar"),
        ("sign_in_count", "integer NOT NULL DEFAULT 0"),
        ("failed_attempts", "integer NOT NULL DEFAULT 0"),
        ("last_sign_in_at", "timestamptz"),
        ("current_sign_in_at", "timestamptz"),
        ("deleted_at", "timestamptz"),
    ),
    _table(
        "spree_user_addresses",
        ("user_id", "bigint NOT NULL REFERENCES spree_users"),
        ("address_id", "bigint NOT NULL REFERENCES spree_addresses"),
        ("default", "boolean DEFAULT false"),
        ("archived", "boolean DEFAULT false"),
    ),
    _table(
        "spree_products",
        ("name", "varchar NOT NULL DEFAULT ''"),
        ("description", "text"),
        ("available_on", "timestamptz"),
        ("discontinue_on", "timestamptz"),
        ("deleted_at", "timestamptz"),
        ("slug", "varchar UNIQUE"),
        ("meta_description", "text"),
        ("meta_title", "varchar"),
        ("promotionable", "boolean DEFAULT true"),
    ),
    _table(
        "spree_variants",
        ("sku", "varchar NOT NULL DEFAULT ''"),
        ("weight", "numeric(8,2) DEFAULT 0.0"),
        ("height", "numeric(8,2)"),
        ("width", "numeric(8,2)"),
        ("depth", "numeric(8,2)"),
        ("deleted_at", "timestamptz"),
        ("is_master", "boolean DEFAULT false"),
        ("product_id", "bigint NOT NULL REFERENCES spree_products"),
        ("cost_price", "numeric(10,2)"),
        ("cost_currency", "varchar"),
        ("position", "integer"),
        ("track_inventory", "boolean DEFAULT true"),
    ),
    _table(
        "spree_prices",
        ("variant_id", "bigint NOT NULL REFERENCES spree_variants"),
        ("amount", "numeric(10,2)"),
        ("currency", "varchar"),
        ("country_iso", "varchar(2)"),
        ("deleted_at", "timestamptz"),
    ),
    _table(
        "spree_stock_locations",
        ("name", "varchar"),
        ("code", "varchar"),
        ("default", "boolean NOT NULL DEFAULT false"),
        ("address1", "varchar"),
        ("city", "varchar"),
        ("zipcode", "varchar"),
        ("country_id", "bigint REFERENCES spree_countries"),
        ("active", "boolean DEFAULT true"),
    ),
    _table(
        "spree_payment_methods",
        ("type", "varchar"),
        ("name", "varchar"),
        ("description", "text"),
        ("active", "boolean DEFAULT true"),
        ("auto_capture", "boolean"),
        ("preference_source", "varchar"),
        ("position", "integer DEFAULT 0"),
        ("available_to_users", "boolean DEFAULT true"),
        ("available_to_admin", "boolean DEFAULT true"),
        ("deleted_at", "timestamptz"),
    ),
    _table(
        "spree_refund_reasons",
        ("name", "varchar"),
        ("active", "boolean DEFAULT true"),
        ("mutable", "boolean DEFAULT true"),
        ("code", "varchar"),
    ),
    _table(
        "spree_promotions",
        ("description", "varchar"),
        ("expires_at", "timestamptz"),
        ("starts_at", "timestamptz"),
        ("name", "varchar"),
        ("type", "varchar"),
        ("usage_limit", "integer"),
        ("match_policy", "varchar DEFAULT 'all'"),
        ("advertise", "boolean DEFAULT false"),
        ("path", "varchar"),
        ("per_code_usage_limit", "integer"),
        ("apply_automatically", "boolean DEFAULT false"),
    ),
    _table(
        "spree_promotion_codes",
        ("promotion_id", "bigint NOT NULL REFERENCES spree_promotions"),
        ("value", "varchar NOT NULL UNIQUE"),
    ),
    _table(
        "spree_promotion_actions",
        ("promotion_id", "bigint REFERENCES spree_promotions"),
        ("position", "integer"),
        ("type", "varchar"),
        ("preferences", "text"),
        ("deleted_at", "timestamptz"),
    ),
    _table(
        "spree_orders",
        ("number", "varchar(32) UNIQUE"),
        ("item_total", MONEY),
        ("total", MONEY),
        ("state", "varchar"),
        ("adjustment_total", MONEY),
        ("user_id", "bigint REFERENCES spree_users"),
        ("completed_at", "timestamptz"),
        ("bill_address_id", "bigint REFERENCES spree_addresses"),
        ("ship_address_id", "bigint REFERENCES spree_addresses"),
        ("payment_total", "numeric(10,2) DEFAULT 0.0"),
        ("shipment_state", "varchar"),
        ("payment_state", "varchar"),
        ("email", "varchar"),
        ("special_instructions", "text"),
        ("currency", "varchar"),
        ("last_ip_address", "varchar"),
        ("shipment_total", MONEY),
        ("additional_tax_total", "numeric(10,2) DEFAULT 0.0"),
        ("promo_total", "numeric(10,2) DEFAULT 0.0"),
        ("channel", "varchar DEFAULT 'spree'"),
        ("included_tax_total", MONEY),
        ("item_count", "integer DEFAULT 0"),
        ("approved_at", "timestamptz"),
        ("confirmation_delivered", "boolean DEFAULT false"),
        ("canceled_at", "timestamptz"),
        ("frontend_viewable", "boolean NOT NULL DEFAULT true"),
    ),
    _table(
        "spree_line_items",
        ("variant_id", "bigint NOT NULL REFERENCES spree_variants"),
        ("order_id", "bigint NOT NULL REFERENCES spree_orders"),
        ("quantity", "integer NOT NULL"),
        ("price", "numeric(10,2) NOT NULL"),
        ("cost_price", "numeric(10,2)"),
        ("currency", "varchar"),
        ("adjustment_total", "numeric(10,2) DEFAULT 0.0"),
        ("additional_tax_total", "numeric(10,2) DEFAULT 0.0"),
        ("promo_total", "numeric(10,2) DEFAULT 0.0"),
        ("included_tax_total", MONEY),
    ),
    _table(
        "spree_payments",
        ("amount", MONEY),
        ("order_id", "bigint NOT NULL REFERENCES spree_orders"),
        ("source_type", "varchar"),
        ("source_id", "bigint"),
        ("payment_method_id", "bigint REFERENCES spree_payment_methods"),
        ("state", "varchar"),
        ("response_code", "varchar"),
        ("avs_response", "varchar"),
        ("number", "varchar UNIQUE"),
        ("cvv_response_code", "varchar"),
        ("cvv_response_message", "varchar"),
    ),
    _table(
        "spree_shipments",
        ("tracking", "varchar"),
        ("number", "varchar UNIQUE"),
        ("cost", "numeric(10,2) DEFAULT 0.0"),
        ("shipped_at", "timestamptz"),
        ("order_id", "bigint NOT NULL REFERENCES spree_orders"),
        ("state", "varchar"),
        ("stock_location_id", "bigint REFERENCES spree_stock_locations"),
        ("adjustment_total", "numeric(10,2) DEFAULT 0.0"),
        ("additional_tax_total", "numeric(10,2) DEFAULT 0.0"),
        ("promo_total", "numeric(10,2) DEFAULT 0.0"),
        ("included_tax_total", MONEY),
    ),
    # Promotion adjustments only (no taxes). `adjustable` is the order, a line item or a
    # shipment (polymorphic, as in Solidus); `source` is the promotion action that made it.
    _table(
        "spree_adjustments",
        ("source_type", "varchar"),
        ("source_id", "bigint"),
        ("adjustable_type", "varchar NOT NULL"),
        ("adjustable_id", "bigint NOT NULL"),
        ("amount", "numeric(10,2)"),
        ("label", "varchar"),
        ("eligible", "boolean DEFAULT true"),
        ("order_id", "bigint NOT NULL REFERENCES spree_orders"),
        ("included", "boolean DEFAULT false"),
        ("promotion_code_id", "bigint REFERENCES spree_promotion_codes"),
        ("finalized", "boolean NOT NULL DEFAULT false"),
    ),
    _table(
        "spree_refunds",
        ("payment_id", "bigint REFERENCES spree_payments"),
        ("amount", MONEY),
        ("transaction_id", "varchar"),
        ("refund_reason_id", "bigint REFERENCES spree_refund_reasons"),
        ("reimbursement_id", "bigint"),
    ),
)

TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)
BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Indexes Solidus has on the foreign keys the sandbox fills, plus updated_at, which every
# incremental read filters and sorts on.
_INDEXED = {
    "spree_addresses": ("country_id",),
    "spree_user_addresses": ("user_id", "address_id"),
    "spree_variants": ("product_id",),
    "spree_prices": ("variant_id",),
    "spree_promotion_codes": ("promotion_id",),
    "spree_promotion_actions": ("promotion_id",),
    "spree_orders": ("user_id", "completed_at"),
    "spree_line_items": ("order_id", "variant_id"),
    "spree_payments": ("order_id",),
    "spree_shipments": ("order_id",),
    "spree_adjustments": ("order_id",),
    "spree_refunds": ("payment_id",),
}

_TOUCH_FUNCTION = "oms_sandbox_touch_updated_at"


def existing_tables(conn: Connection) -> list[str]:
    """The sandbox's tables already present in the `public` schema."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_name = ANY(%s) ORDER BY table_name",
        (list(TABLE_NAMES),),
    ).fetchall()
    return [row[0] for row in rows]


def drop_schema(conn: Connection) -> None:
    for table in reversed(TABLES):
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table.name)))
    conn.execute(sql.SQL("DROP FUNCTION IF EXISTS {}()").format(sql.Identifier(_TOUCH_FUNCTION)))


def create_schema(conn: Connection) -> None:
    """Create every table, index and updated_at trigger (in the caller's transaction)."""
    # An UPDATE that leaves updated_at alone gets the time of the write, as Rails would set;
    # one that sets it explicitly (a backfill) keeps its value.
    conn.execute(
        sql.SQL(
            """
            CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
                    NEW.updated_at := clock_timestamp();
                END IF;
                RETURN NEW;
            END
            $$
            """
        ).format(sql.Identifier(_TOUCH_FUNCTION))
    )
    for table in TABLES:
        name = sql.Identifier(table.name)
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(ddl))
            for column, ddl in table.columns
        )
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(name, columns))
        for column in (*_INDEXED.get(table.name, ()), "updated_at"):
            conn.execute(
                sql.SQL("CREATE INDEX {} ON {} ({})").format(
                    sql.Identifier(f"index_{table.name}_on_{column}"),
                    name,
                    sql.Identifier(column),
                )
            )
        conn.execute(
            sql.SQL(
                "CREATE TRIGGER touch_updated_at BEFORE UPDATE ON {} "
                "FOR EACH ROW EXECUTE FUNCTION {}()"
            ).format(name, sql.Identifier(_TOUCH_FUNCTION))
        )
