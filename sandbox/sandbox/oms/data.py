"""Deterministic Solidus data: a small fixed store set-up, then users, catalog and orders.

Everything is a function of (seed, scale): the same arguments give the same rows, ids and
timestamps on every machine. Seeded history lies between START and END (in the past), so
anything written later (`changes.touch`) is newer than every seeded `updated_at`.

Orders are consistent the way Solidus' OrderUpdater leaves them:
  item_total = sum(line quantity * price), shipment_total = sum(shipment cost),
  promo_total = adjustment_total = sum(promotion adjustments) (no taxes),
  total = item_total + shipment_total + adjustment_total,
  payment_total = completed payments - their refunds.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from psycopg import Connection, sql

from sandbox.oms.schema import BY_NAME, TABLE_NAMES

START = datetime(2023, 1, 1, tzinfo=UTC)
END = datetime(2025, 6, 30, tzinfo=UTC)
DEFAULT_COUNTS = {"users": 200, "products": 30, "orders": 500}
CHUNK_ORDERS = 1_000  # orders generated and COPYed per round: memory stays flat at any scale

Row = dict[str, Any]
CENT = Decimal("0.01")


def _money(value: Decimal | float | int) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def scaled_counts(scale: float) -> dict[str, int]:
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    return {key: max(1, round(n * scale)) for key, n in DEFAULT_COUNTS.items()}


# -- the fixed store set-up -------------------------------------------------------------
_COUNTRIES = [
    ("US", "USA", "United States", 840, True),
    ("CA", "CAN", "Canada", 124, True),
    ("GB", "GBR", "United Kingdom", 826, False),
    ("AU", "AUS", "Australia", 36, True),
    ("DE", "DEU", "Germany", 276, False),
    ("FR", "FRA", "France", 250, False),
    ("NL", "NLD", "Netherlands", 528, False),
    ("JP", "JPN", "Japan", 392, True),
]
_CITIES: dict[str, list[tuple[str, str | None, str]]] = {
    "US": [("Portland", "OR", "97205"), ("Austin", "TX", "78701"), ("Brooklyn", "NY", "11201")],
    "CA": [("Toronto", "ON", "M5V 2T6"), ("Montréal", "QC", "H2X 1Y4")],
    "GB": [("London", None, "EC1A 1BB"), ("Leeds", None, "LS1 4AP")],
    "AU": [("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000")],
    "DE": [("Berlin", None, "10115"), ("München", None, "80331")],
    "FR": [("Paris", None, "75003"), ("Lyon", None, "69002")],
    "NL": [("Amsterdam", None, "1012 AB")],
    "JP": [("Tokyo", "13", "100-0001")],
}
_COUNTRY_WEIGHTS = [60, 10, 10, 5, 5, 4, 3, 3]
_STOCK_LOCATIONS = [("Portland DC", "PDX", True, "1200 NW Naito Pkwy", "Portland", "97209")]
_STOCK_LOCATIONS += [("Reno DC", "RNO", False, "555 Double R Blvd", "Reno", "89521")]
_PAYMENT_METHODS = [
    ("Spree::PaymentMethod::BogusCreditCard", "Credit Card", True),
    ("Spree::PaymentMethod::StoreCredit", "Store Credit", True),
    ("Spree::PaymentMethod::Check", "Check", False),
]
_REFUND_REASONS = [
    ("Return processing", False, "return"),
    ("Damaged in transit", True, "damaged"),
    ("Goodwill", True, "goodwill"),
    ("Price adjustment", True, "price"),
]
# (name, code, action type, preferences, kind, value)
_PROMOTIONS = [
    ("Welcome 10% off", "WELCOME10", "CreateItemAdjustments", "percent", Decimal("0.10")),
    ("Spring $15 off", "SPRING15", "CreateAdjustment", "flat", Decimal("15.00")),
    ("VIP 20% off", "VIP20", "CreateItemAdjustments", "percent", Decimal("0.20")),
    ("Free shipping over $75", "FREESHIP", "FreeShipping", "free_shipping", Decimal("75.00")),
]
_SHIPPING_COST = Decimal("7.95")

_FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoë", "Mateo", "Aiko", "Oluwaseun", "Chloé", "Ivan"]
_FIRST += ["Priya", "Lucas", "Sofía", "Jonas", "Hana", "Omar"]
_LAST = ["Nguyen", "Smith", "García", "Müller", "O'Brien", "Kowalski", "Rossi", "Tanaka"]
_LAST += ["Dubois", "Jensen", "Okafor", "Silva"]
_STREETS = ["Main St", "Oak Ave", "Elm St", "High St", "Market St", "Rue de Rivoli"]
_STREETS += ["Hauptstraße", "Queen St W", "Pine Rd"]
_ADJECTIVES = ["Everyday", "Merino", "Organic", "Linen", "Recycled", "Heritage", "Alpine"]
_ADJECTIVES += ["Coastal", "Classic", "Featherweight"]
_NOUNS = ["Tote", "Crew Sock", "Rain Shell", "Pour-Over", "Duvet Cover", "Beanie", "Hoodie"]
_NOUNS += ["Water Bottle", "Sneaker", "Backpack", "Candle", "Throw Blanket"]
_OPTION_SETS = [[], ["S", "M", "L", "XL"], ["Black", "Sand", "Olive"], ["Queen", "King"]]
_INSTRUCTIONS = [None, None, None, None, "Leave at the door.", "Gift: no invoice, please."]


@dataclass
class Variant:
    id: int
    price: Decimal
    cost_price: Decimal
    promotionable: bool


@dataclass
class Customer:
    user_id: int | None  # None: a guest checkout
    email: str
    address_id: int


@dataclass
class Refs:
    """What orders point at: the catalog, customers and the store set-up rows."""

    variants: list[Variant] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    country_ids: list[int] = field(default_factory=list)
    stock_location_ids: list[int] = field(default_factory=list)
    payment_method_ids: list[int] = field(default_factory=list)  # active, users' first
    refund_reason_ids: list[int] = field(default_factory=list)
    # promotion code id -> (code, action id, kind, value)
    promotions: dict[int, tuple[str, int, str, Decimal]] = field(default_factory=dict)


class Ids:
    """Next id per table; seeding starts at 1, later inserts after the current maximum."""

    def __init__(self, start: dict[str, int] | None = None) -> None:
        self._next = {name: 1 for name in TABLE_NAMES} | (start or {})

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


def _stamps(created: datetime, updated: datetime | None = None) -> Row:
    return {"created_at": created, "updated_at": updated or created}


def _address(rng: random.Random, ids: Ids, refs: Refs, name: str, at: datetime) -> Row:
    country = rng.choices(range(len(_COUNTRIES)), weights=_COUNTRY_WEIGHTS)[0]
    city, state, zipcode = rng.choice(_CITIES[_COUNTRIES[country][0]])
    return {
        "id": ids.take("spree_addresses"),
        "name": name,
        "address1": f"{rng.randint(1, 2999)} {rng.choice(_STREETS)}",
        "address2": rng.choice([None, None, None, f"Apt {rng.randint(1, 40)}"]),
        "city": city,
        "zipcode": zipcode,
        "phone": f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
        "state_name": state,
        "alternative_phone": None,
        "company": rng.choice([None] * 9 + ["Acme Studio"]),
        "country_id": refs.country_ids[country],
        **_stamps(at),
    }


def store_setup(ids: Ids, refs: Refs) -> dict[str, list[Row]]:
    """Countries, stock locations, payment methods, refund reasons and promotions."""
    rows: dict[str, list[Row]] = {name: [] for name in TABLE_NAMES}
    # One row a minute, so no two rows share an updated_at (as with Rails' timestamps).
    minutes = itertools.count()

    def at() -> datetime:
        return START - timedelta(days=30) + timedelta(minutes=next(minutes))

    for iso, iso3, name, numcode, states_required in _COUNTRIES:
        country_id = ids.take("spree_countries")
        refs.country_ids.append(country_id)
        rows["spree_countries"].append(
            {
                "id": country_id,
                "iso_name": name.upper(),
                "iso": iso,
                "iso3": iso3,
                "name": name,
                "numcode": numcode,
                "states_required": states_required,
                **_stamps(at()),
            }
        )
    for name, code, default, address1, city, zipcode in _STOCK_LOCATIONS:
        location_id = ids.take("spree_stock_locations")
        refs.stock_location_ids.append(location_id)
        rows["spree_stock_locations"].append(
            {
                "id": location_id,
                "name": name,
                "code": code,
                "default": default,
                "address1": address1,
                "city": city,
                "zipcode": zipcode,
                "country_id": refs.country_ids[0],
                "active": True,
                **_stamps(at()),
            }
        )
    for position, (kind, name, active) in enumerate(_PAYMENT_METHODS):
        method_id = ids.take("spree_payment_methods")
        if active:
            refs.payment_method_ids.append(method_id)
        rows["spree_payment_methods"].append(
            {
                "id": method_id,
                "type": kind,
                "name": name,
                "description": None,
                "active": active,
                "auto_capture": True,
                "preference_source": None,
                "position": position,
                "available_to_users": active,
                "available_to_admin": True,
                "deleted_at": None,
                **_stamps(at()),
            }
        )
    for name, mutable, code in _REFUND_REASONS:
        reason_id = ids.take("spree_refund_reasons")
        refs.refund_reason_ids.append(reason_id)
        rows["spree_refund_reasons"].append(
            {"id": reason_id, "name": name, "active": True, "mutable": mutable, "code": code}
            | _stamps(at())
        )
    for name, code, action_type, kind, value in _PROMOTIONS:
        promotion_id = ids.take("spree_promotions")
        code_id = ids.take("spree_promotion_codes")
        action_id = ids.take("spree_promotion_actions")
        refs.promotions[code_id] = (name, action_id, kind, value)
        rows["spree_promotions"].append(
            {
                "id": promotion_id,
                "description": name,
                "expires_at": None,
                "starts_at": START,
                "name": name,
                "type": None,
                "usage_limit": None,
                "match_policy": "all",
                "advertise": kind == "free_shipping",
                "path": None,
                "per_code_usage_limit": None,
                "apply_automatically": kind == "free_shipping",
                **_stamps(at()),
            }
        )
        rows["spree_promotion_codes"].append(
            {"id": code_id, "promotion_id": promotion_id, "value": code.lower()} | _stamps(at())
        )
        preferences = (
            f"---\n:percent: {value * 100:.0f}\n"
            if kind == "percent"
            else f"---\n:amount: {value}\n:currency: USD\n"
        )
        rows["spree_promotion_actions"].append(
            {
                "id": action_id,
                "promotion_id": promotion_id,
                "position": 1,
                "type": f"Spree::Promotion::Actions::{action_type}",
                "preferences": preferences,
                "deleted_at": None,
                **_stamps(at()),
            }
        )
    return rows


def users(
    rng: random.Random, ids: Ids, refs: Refs, count: int, at: tuple[datetime, datetime]
) -> dict[str, list[Row]]:
    """`count` accounts, each with one or two saved addresses (the first is the default).

    They sign up evenly over `at`; an empty interval (now, now) means they just signed up.
    """
    rows: dict[str, list[Row]] = {"spree_users": [], "spree_addresses": []}
    rows["spree_user_addresses"] = []
    first_at, last_at = at
    step = (last_at - first_at) / max(count, 1)
    for index in range(count):
        user_id = ids.take("spree_users")
        created, signed_in = first_at + step * index, first_at
        if step:
            created += timedelta(seconds=rng.randrange(int(step.total_seconds()) or 1))
            signed_in = created + timedelta(days=rng.randint(0, 120))
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first.lower()}.{user_id}@example.com"
        rows["spree_users"].append(
            {
                "id": user_id,
                "email": email,
                "login": email,
                "sign_in_count": rng.randint(1, 40),
                "failed_attempts": rng.choice([0, 0, 0, 1]),
                "last_sign_in_at": signed_in,
                "current_sign_in_at": signed_in,
                "deleted_at": None,
                **_stamps(created, signed_in),
            }
        )
        for number in range(rng.choice([1, 1, 2])):
            linked = created + timedelta(seconds=number * step.total_seconds() / 10)
            address = _address(rng, ids, refs, f"{first} {last}", linked)
            rows["spree_addresses"].append(address)
            rows["spree_user_addresses"].append(
                {
                    "id": ids.take("spree_user_addresses"),
                    "user_id": user_id,
                    "address_id": address["id"],
                    "default": number == 0,
                    "archived": False,
                    **_stamps(linked),
                }
            )
            if number == 0:
                refs.customers.append(Customer(user_id, email, address["id"]))
    return rows


def products(rng: random.Random, ids: Ids, refs: Refs, count: int) -> dict[str, list[Row]]:
    """`count` products, each with a master variant and 0-4 option variants, USD prices."""
    rows: dict[str, list[Row]] = {"spree_products": [], "spree_variants": [], "spree_prices": []}
    at = START - timedelta(days=20)
    for index in range(count):
        product_id = ids.take("spree_products")
        name = f"{_ADJECTIVES[index % len(_ADJECTIVES)]} {_NOUNS[index % len(_NOUNS)]}"
        if index >= len(_NOUNS):
            name += f" {index // len(_NOUNS) + 1}"
        discontinued = rng.random() < 0.1
        deleted = END - timedelta(days=rng.randint(30, 200)) if discontinued else None
        promotionable = rng.random() < 0.9
        created = at + timedelta(minutes=index)
        rows["spree_products"].append(
            {
                "id": product_id,
                "name": name,
                "description": f"The {name.lower()}, made to last.",
                "available_on": created,
                "discontinue_on": deleted,
                "deleted_at": deleted,
                "slug": name.lower().replace(" ", "-").replace("$", ""),
                "meta_description": None,
                "meta_title": None,
                "promotionable": promotionable,
                **_stamps(created, deleted or created),
            }
        )
        price = _money(rng.choice([12, 18, 24, 29, 38, 45, 58, 72, 96, 128]) - Decimal("0.05"))
        options = rng.choice(_OPTION_SETS)
        for position, option in enumerate([None, *options]):
            variant_id = ids.take("spree_variants")
            saved = (deleted or created) + timedelta(seconds=position)
            cost = _money(price * Decimal("0.42"))
            rows["spree_variants"].append(
                {
                    "id": variant_id,
                    "sku": f"SBX-{product_id:05d}" + (f"-{option.upper()}" if option else ""),
                    "weight": _money(rng.uniform(0.1, 3.0)),
                    "height": None,
                    "width": None,
                    "depth": None,
                    "deleted_at": deleted,
                    "is_master": option is None,
                    "product_id": product_id,
                    "cost_price": cost,
                    "cost_currency": "USD",
                    "position": position + 1,
                    "track_inventory": True,
                    **_stamps(created, saved),
                }
            )
            rows["spree_prices"].append(
                {
                    "id": ids.take("spree_prices"),
                    "variant_id": variant_id,
                    "amount": price,
                    "currency": "USD",
                    "country_iso": None,
                    "deleted_at": deleted,
                    **_stamps(created, saved),
                }
            )
            # Shoppers buy the option variants; the master only when there are none.
            if not deleted and (option is not None or not options):
                refs.variants.append(Variant(variant_id, price, cost, promotionable))
    if not refs.variants:  # every product discontinued: still sell the first one
        first, first_price = rows["spree_variants"][0], rows["spree_prices"][0]
        refs.variants.append(Variant(first["id"], first_price["amount"], first["cost_price"], True))
    return rows


def _number(rng: random.Random, prefix: str, digits: int) -> str:
    return f"{prefix}{rng.randrange(10**digits):0{digits}d}"


def _unique_number(prefix: str, row_id: int, digits: int) -> str:
    """Random-looking like Solidus' numbers, but unique: id -> id * odd non-5 multiplier is a
    bijection modulo 10**digits (for ids below 10**digits)."""
    return f"{prefix}{(row_id * 387_420_489 + 271_828_183) % 10**digits:0{digits}d}"


def order(
    rng: random.Random,
    ids: Ids,
    refs: Refs,
    created: datetime,
    *,
    fresh: bool = False,
    customers: int | None = None,
) -> dict[str, list[Row]]:
    """One order with its line items, promotion adjustments, payments, shipments, refunds.

    `fresh`: an order completed at `created` (now) that has not shipped yet. `customers`:
    choose the buyer among the first N accounts (those that existed by `created`).
    """
    rows: dict[str, list[Row]] = {
        name: []
        for name in (
            "spree_addresses",
            "spree_orders",
            "spree_line_items",
            "spree_adjustments",
            "spree_payments",
            "spree_shipments",
            "spree_refunds",
        )
    }
    order_id = ids.take("spree_orders")
    if rng.random() < 0.8:
        customer = refs.customers[rng.randrange(customers or len(refs.customers))]
    else:  # guest checkout: the address is the order's own
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        address = _address(rng, ids, refs, f"{first} {last}", created)
        rows["spree_addresses"].append(address)
        customer = Customer(None, f"{first.lower()}.guest{order_id}@example.com", address["id"])
    roll = rng.random()
    state = (
        "complete"
        if fresh or roll < 0.82
        else "canceled"
        if roll < 0.88
        else rng.choice(["cart", "address", "delivery", "payment", "confirm"])
    )
    placed = state in ("complete", "canceled")
    completed = created if fresh else created + timedelta(minutes=rng.randint(3, 90))
    seconds = itertools.count()

    def soon(at: datetime) -> datetime:
        # Rows saved one after another get distinct timestamps; a fresh order never gets
        # timestamps after "now" (a future updated_at would hold an incremental bookmark).
        return at if fresh else at + timedelta(seconds=next(seconds))

    # Line items, and item-level promotions (percent off).
    codes = [code for code, promo in refs.promotions.items() if promo[2] != "free_shipping"]
    code_id = rng.choice(codes) if codes and placed and rng.random() < 0.3 else None
    promo = refs.promotions.get(code_id) if code_id else None
    item_total, item_count, line_ids = Decimal(0), 0, []
    for variant in rng.sample(refs.variants, min(len(refs.variants), rng.choice([1, 1, 2, 3, 4]))):
        quantity = rng.choice([1, 1, 1, 2, 3])
        line_id = ids.take("spree_line_items")
        amount = variant.price * quantity
        line_promo = Decimal(0)
        if promo and promo[2] == "percent" and variant.promotionable:
            line_promo = -_money(amount * promo[3])
            rows["spree_adjustments"].append(
                _adjustment(ids, order_id, "Spree::LineItem", line_id, line_promo, promo, code_id)
                | _stamps(soon(completed))
            )
        item_total += amount
        item_count += quantity
        line_ids.append((line_id, amount))
        rows["spree_line_items"].append(
            {
                "id": line_id,
                "variant_id": variant.id,
                "order_id": order_id,
                "quantity": quantity,
                "price": variant.price,
                "cost_price": variant.cost_price,
                "currency": "USD",
                "adjustment_total": line_promo,
                "additional_tax_total": Decimal(0),
                "promo_total": line_promo,
                "included_tax_total": Decimal(0),
                **_stamps(soon(created), soon(completed) if line_promo else None),
            }
        )
    promo_total = sum((a["amount"] for a in rows["spree_adjustments"]), Decimal(0))
    if promo and promo[2] == "flat":
        amount = -min(promo[3], item_total)
        promo_total += amount
        rows["spree_adjustments"].append(
            _adjustment(ids, order_id, "Spree::Order", order_id, amount, promo, code_id)
            | _stamps(soon(completed))
        )

    # Shipments (placed orders only); free shipping is a shipment adjustment.
    shipment_total, shipment_state, last_event = Decimal(0), None, completed
    if placed:
        shipped = None
        if state == "canceled":
            shipment_state = "canceled"
        elif fresh or rng.random() < 0.12:
            shipment_state = "ready"
        else:
            shipment_state = "shipped"
            shipped = completed + timedelta(hours=rng.randint(4, 96))
        shipment_id = ids.take("spree_shipments")
        free = item_total >= _PROMOTIONS[3][4]
        ship_promo = -_SHIPPING_COST if free else Decimal(0)
        if free:
            free_code = next(c for c, p in refs.promotions.items() if p[2] == "free_shipping")
            adjustment = _adjustment(
                ids, order_id, "Spree::Shipment", shipment_id, ship_promo,
                refs.promotions[free_code], free_code,
            )  # fmt: skip
            rows["spree_adjustments"].append(adjustment | _stamps(soon(completed)))
            promo_total += ship_promo
        shipment_total = _SHIPPING_COST
        last_event = shipped or completed
        rows["spree_shipments"].append(
            {
                "id": shipment_id,
                "tracking": f"1Z{rng.randrange(10**15):015d}" if shipped else None,
                "number": _unique_number("H", shipment_id, 11),
                "cost": _SHIPPING_COST,
                "shipped_at": shipped,
                "order_id": order_id,
                "state": shipment_state,
                "stock_location_id": rng.choice(refs.stock_location_ids),
                "adjustment_total": ship_promo,
                "additional_tax_total": Decimal(0),
                "promo_total": ship_promo,
                "included_tax_total": Decimal(0),
                **_stamps(completed, last_event),
            }
        )
    total = item_total + shipment_total + promo_total

    # Payments: sometimes a declined card first; canceled orders void theirs.
    payment_total, payment_state = Decimal(0), None
    if placed:
        if not fresh and rng.random() < 0.05:
            rows["spree_payments"].append(
                _payment(
                    rng,
                    ids,
                    refs,
                    order_id,
                    total,
                    "failed",
                    soon(completed) - timedelta(minutes=2),
                )
            )
        paid = "void" if state == "canceled" else "completed"
        payment = _payment(rng, ids, refs, order_id, total, paid, completed)
        rows["spree_payments"].append(payment)
        payment_state = "void" if state == "canceled" else "paid"
        if paid == "completed":
            payment_total = total
            if shipment_state == "shipped" and rng.random() < 0.1:
                _, returned = rng.choice(line_ids)
                refund_amount = min(_money(returned * Decimal("0.5")), total)
                refunded = last_event + timedelta(days=rng.randint(3, 20))
                rows["spree_refunds"].append(
                    {
                        "id": ids.take("spree_refunds"),
                        "payment_id": payment["id"],
                        "amount": refund_amount,
                        "transaction_id": _number(rng, "re_", 14),
                        "refund_reason_id": rng.choice(refs.refund_reason_ids),
                        "reimbursement_id": None,
                        **_stamps(refunded),
                    }
                )
                payment_total -= refund_amount
                payment_state = "credit_owed"
                last_event = refunded

    rows["spree_orders"].append(
        {
            "id": order_id,
            "number": _unique_number("R", order_id, 9),
            "item_total": item_total,
            "total": total,
            "state": state,
            "adjustment_total": promo_total,
            "user_id": customer.user_id,
            "completed_at": completed if placed else None,
            "bill_address_id": customer.address_id,
            "ship_address_id": customer.address_id,
            "payment_total": payment_total,
            "shipment_state": shipment_state,
            "payment_state": payment_state,
            "email": customer.email,
            "special_instructions": rng.choice(_INSTRUCTIONS),
            "currency": "USD",
            "last_ip_address": f"203.0.113.{rng.randint(1, 254)}",
            "shipment_total": shipment_total,
            "additional_tax_total": Decimal(0),
            "promo_total": promo_total,
            "channel": "spree",
            "included_tax_total": Decimal(0),
            "item_count": item_count,
            "approved_at": None,
            "confirmation_delivered": placed,
            "canceled_at": completed + timedelta(hours=2) if state == "canceled" else None,
            "frontend_viewable": True,
            **_stamps(created, max(last_event, created) if placed else created),
        }
    )
    return rows


def _adjustment(
    ids: Ids,
    order_id: int,
    adjustable_type: str,
    adjustable_id: int,
    amount: Decimal,
    promo: tuple[str, int, str, Decimal],
    code_id: int | None,
) -> Row:
    name, action_id, _, _ = promo
    return {
        "id": ids.take("spree_adjustments"),
        "source_type": "Spree::PromotionAction",
        "source_id": action_id,
        "adjustable_type": adjustable_type,
        "adjustable_id": adjustable_id,
        "amount": amount,
        "label": f"Promotion ({name})",
        "eligible": True,
        "order_id": order_id,
        "included": False,
        "promotion_code_id": code_id,
        "finalized": True,
    }


def _payment(
    rng: random.Random,
    ids: Ids,
    refs: Refs,
    order_id: int,
    amount: Decimal,
    state: str,
    at: datetime,
) -> Row:
    payment_id = ids.take("spree_payments")
    return {
        "id": payment_id,
        "amount": amount,
        "order_id": order_id,
        # Card sources (spree_credit_cards) are not modelled: source_* stay null.
        "source_type": None,
        "source_id": None,
        "payment_method_id": refs.payment_method_ids[0 if rng.random() < 0.9 else -1],
        "state": state,
        "response_code": _number(rng, "ch_", 16) if state != "failed" else None,
        "avs_response": "Y" if state != "failed" else None,
        "number": _unique_number("P", payment_id, 7),
        "cvv_response_code": "M" if state != "failed" else "N",
        "cvv_response_message": None if state != "failed" else "Card declined",
        **_stamps(at - timedelta(minutes=1), at),
    }


# -- writing ----------------------------------------------------------------------------
def copy_rows(conn: Connection, rows: dict[str, list[Row]]) -> None:
    """COPY the rows in, parents first (foreign keys are checked per statement)."""
    for name in TABLE_NAMES:
        if not rows.get(name):
            continue
        columns = BY_NAME[name].column_names
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with conn.cursor() as cur, cur.copy(statement) as copy:
            for row in rows[name]:
                copy.write_row(tuple(row[c] for c in columns))


def merge(into: dict[str, list[Row]], rows: dict[str, list[Row]]) -> dict[str, list[Row]]:
    for name, table_rows in rows.items():
        into.setdefault(name, []).extend(table_rows)
    return into


def generate(seed: int, counts: dict[str, int]) -> Iterator[dict[str, list[Row]]]:
    """The seeded rows in rounds (set-up, users and catalog, then orders in chunks)."""
    rng = random.Random(f"oms:{seed}")
    ids, refs = Ids(), Refs()
    first = store_setup(ids, refs)
    merge(first, products(rng, ids, refs, counts["products"]))
    merge(first, users(rng, ids, refs, counts["users"], (START, END - timedelta(days=120))))
    yield first
    n_orders, n_customers = counts["orders"], len(refs.customers)
    step = (END - timedelta(days=60) - START) / max(n_orders, 1)
    chunk: dict[str, list[Row]] = {}
    for index in range(n_orders):
        created = START + step * index + timedelta(seconds=rng.randrange(int(step.total_seconds())))
        # Accounts open evenly over the history: buyers are the ones opened by then.
        customers = max(1, round(n_customers * (index + 1) / n_orders))
        merge(chunk, order(rng, ids, refs, created, customers=customers))
        if (index + 1) % CHUNK_ORDERS == 0:
            yield chunk
            chunk = {}
    if chunk:
        yield chunk
