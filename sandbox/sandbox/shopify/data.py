"""The seeded Shopify store: customers, orders, products, locations, abandoned checkouts.

Compact: the store keeps one small `Row` per customer, order, product and checkout (id,
created/updated second, edit version, customer reference) and renders the GraphQL object on
demand from (seed, index, version), so 500k order lines cost a few dozen bytes per order until
a page or a bulk export asks for them. Products (a few hundred) are built eagerly: order lines
price from them.

Rendered objects are plain dicts keyed by GraphQL field name; a field that takes arguments or
points at another object (connections, `refunds`, `customer`, ...) is a callable
`(info, **args)` that graph.py's default resolver calls. Truth is computed from the same
rendered objects, so the API and the truth cannot disagree.

Clock: history runs over the two years before the store's anchor (the start of the current
UTC day, or `now` when given). No order is created in the day after the 60-day line
([anchor-60d, anchor-59d)), so which orders a token without read_all_orders sees does not
change while the clock moves through the anchor's day.
"""

from __future__ import annotations

import bisect
import functools
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DAY = 86_400
HISTORY_DAYS = 730
TAIL_SECONDS = 6  # the dense newest seconds of every table (Store.per_second, Store.burst)
BURST_AT = 1  # the burst second: just before the newest one
VISIBLE_DAYS = 60  # orders a token without read_all_orders can see
SHOP_CURRENCY = "USD"
CENT = Decimal("0.01")

# Legacy id bases. Child ids are derived from the parent's index, so they are stable
# whatever is rendered first; the gaps between them are as unremarkable as Shopify's.
ORDER_BASE = 5_610_000_000_000
LINE_BASE = 14_800_000_000_000  # + order index * 8 + line
REFUND_BASE = 980_000_000_000  # + order index * 16 + refund
REFUND_LINE_BASE = 610_000_000_000  # + (order index * 16 + refund) * 8 + line
CUSTOMER_BASE = 7_320_000_000_000
ADDRESS_BASE = 9_100_000_000_000  # + customer index * 4 + address
PRODUCT_BASE = 8_120_000_000_000
VARIANT_BASE = 45_300_000_000_000  # + product index * 8 + variant
INVENTORY_BASE = 47_900_000_000_000  # + product index * 8 + variant
LOCATION_BASE = 61_000_000_000
CHECKOUT_BASE = 33_500_000_000_000
MAX_REFUNDS = 16

_RATES = {"USD": Decimal(1), "EUR": Decimal("0.92"), "GBP": Decimal("0.79")} | {
    "CAD": Decimal("1.36"),
    "AUD": Decimal("1.52"),
}
_FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoë", "Mateo", "Aiko", "Oluwaseun", "Chloé", "Ivan"]
_FIRST += ["Priya", "Lukas", "Sofía", "Jamal", "Hana", "Finn"]
_LAST = ["Nguyen", "Smith", "García", "Müller", "O'Brien", "Kowalski", "Rossi", "Tanaka"]
_LAST += ["Okafor", "Dubois", "Larsen", "Haddad"]
_PLACES = [
    ("United States", "US", "Austin", "Texas", "TX", "78701"),
    ("United States", "US", "Portland", "Oregon", "OR", "97205"),
    ("United States", "US", "Brooklyn", "New York", "NY", "11201"),
    ("Canada", "CA", "Toronto", "Ontario", "ON", "M5V 2T6"),
    ("United Kingdom", "GB", "Leeds", "West Yorkshire", None, "LS1 4AP"),
    ("Australia", "AU", "Sydney", "New South Wales", "NSW", "2000"),
    ("Germany", "DE", "Berlin", None, None, "10115"),
]
_STREETS = ["Main St", "Oak Ave", "Elm Rd", "Market St", "Kingsway", "Rue du Port", "Hauptstr."]
_CUSTOMER_TAGS = ["vip", "wholesale", "newsletter", "subscriber", "returning", "influencer"]
_ORDER_TAGS = ["gift", "priority", "subscription", "wholesale", "fraud-check", "b2b"]
_PRODUCT_TAGS = ["new", "bestseller", "organic", "vegan", "limited", "sale", "bundle"]
_ADJECTIVES = ["Classic", "Organic", "Everyday", "Merino", "Cold Brew", "Daily", "Travel"]
_NOUNS = [
    ("Crew Sock", "Apparel", "Loop & Knit"),
    ("Greens Powder", "Supplements", "Verdant Labs"),
    ("Oat Milk", "Grocery", "Oatly Farms"),
    ("Protein Bar", "Grocery", "Fuel Co"),
    ("Razor Kit", "Personal Care", "Edge & Co"),
    ("Matcha Tin", "Grocery", "Kyoto Leaf"),
    ("Shampoo Bar", "Personal Care", "Suds"),
    ("Dog Chews", "Pets", "Good Boy"),
]
_PRICES = ["4.99", "9.99", "12.50", "19.99", "24.00", "29.95", "39.00", "54.99", "120.00"]
_TAX_RATES = [Decimal("0"), Decimal("0.0625"), Decimal("0.0825"), Decimal("0.13")]
_TAX_RATES += [Decimal("0.2")]
_SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
_COLORS = ["Black", "Oat", "Forest", "Navy"]
_CANCEL_REASONS = ["CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"]
_SOURCES = [("web", 0.8), ("pos", 0.1), ("shopify_draft_order", 0.05), ("iphone", 0.05)]
_APPS = {
    "web": ("gid://shopify/App/580111", "Online Store"),
    "pos": ("gid://shopify/App/129785", "Point of Sale"),
    "shopify_draft_order": ("gid://shopify/App/1354745", "Draft Orders"),
    "iphone": ("gid://shopify/App/2329312", "Shop"),
}
_LINE_COUNTS = [(1, 0.15), (2, 0.25), (3, 0.25), (4, 0.2), (5, 0.15)]  # about 3 per order
_TAG_COUNTS = [(0, 0.5), (1, 0.3), (2, 0.15), (3, 0.05)]
_CODES = ["WELCOME10", "SPRING15", "VIP20", "FREESHIP", "SAVE5", "BFCM25"]

LOCATIONS: list[dict[str, Any]] = [
    # (name, active, fulfillment service, city index); only the first two are what a
    # default `locations` query returns: includeInactive/includeLegacy default to false.
    {"name": "Main Warehouse", "active": True, "service": False, "place": 0},
    {"name": "SoHo Store", "active": True, "service": False, "place": 2},
    {"name": "Old Depot", "active": False, "service": False, "place": 1},
    {"name": "ShipBob Fulfillment", "active": True, "service": True, "place": 3},
]


def iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def parse_iso(text: str) -> int:
    """An ISO 8601 timestamp or date -> epoch seconds (naive means UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def gid(kind: str, legacy_id: int) -> str:
    return f"gid://shopify/{kind}/{legacy_id}"


def legacy(global_id: str) -> tuple[str, int]:
    """'gid://shopify/Order/5610000000001' -> ('Order', 5610000000001); ValueError if not."""
    prefix = "gid://shopify/"
    if not global_id.startswith(prefix):
        raise ValueError(f"invalid global id {global_id!r}")
    kind, _, rest = global_id[len(prefix) :].partition("/")
    number = rest.split("?", 1)[0]
    if not kind or not number.isdigit():
        raise ValueError(f"invalid global id {global_id!r}")
    return kind, int(number)


@functools.lru_cache(maxsize=65536)  # amounts repeat a lot; callers never mutate the bags
def money_bag(shop: Decimal, currency: str) -> dict[str, Any]:
    presentment = cents(shop * _RATES[currency])
    return {
        "shopMoney": {"amount": str(cents(shop)), "currencyCode": SHOP_CURRENCY},
        "presentmentMoney": {"amount": str(presentment), "currencyCode": currency},
    }


def _weighted(rng: random.Random, choices: list[tuple[Any, float]]) -> Any:
    roll = rng.random()
    for value, weight in choices:
        if roll < weight:
            return value
        roll -= weight
    return choices[-1][0]


@dataclass(slots=True)
class Row:
    """What the store keeps per object; everything else is rendered from (seed, index, version)."""

    index: int
    id: int
    created: int
    updated: int
    version: int = 0
    customer: int = -1  # orders and checkouts: customer index, -1 for a guest
    seeded: int = 0  # orders: the seeded updated_at, which dates what happened before mutate


def _by_updated(row: Row) -> int:
    return row.updated


def _cancelled_at(row: Row) -> int:
    """An hour after the order, but never after its seeded updated_at."""
    return row.created + min(3600, row.seeded - row.created)


@dataclass(slots=True)
class AddedRefund:
    """A refund `mutate` added: when, and (line number, quantity, restock type) per line."""

    created: int
    lines: list[tuple[int, int, str]]


class Table:
    """One object type's rows in id order, plus an (updated, id) index for UPDATED_AT paging."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self.by_id = {row.id: row for row in rows}
        self.by_updated = sorted((row.updated, row.id) for row in rows)

    def __len__(self) -> int:
        return len(self.rows)

    def reindex(self) -> None:
        self.by_updated = sorted((row.updated, row.id) for row in self.rows)

    def append(self, row: Row) -> None:
        self.rows.append(row)
        self.by_id[row.id] = row
        bisect.insort(self.by_updated, (row.updated, row.id))

    def touch(self, row: Row, stamp: int) -> None:
        del self.by_updated[bisect.bisect_left(self.by_updated, (row.updated, row.id))]
        row.updated, row.version = max(row.updated, stamp), row.version + 1
        bisect.insort(self.by_updated, (row.updated, row.id))


@dataclass
class Store:
    """A deterministic store. `orders` overrides the scaled order count (customers and
    abandoned checkouts then follow it: 0.4 and 0.16 per order)."""

    seed: int = 1
    scale: float = 1.0
    orders_count: int | None = None
    now: int | None = None  # epoch seconds; None = the start of the current UTC day
    # Density of the newest timestamps (a busy store): `per_second` rows in each of the
    # last TAIL_SECONDS seconds before the anchor, and `burst` rows (a batch job) in one of
    # them; None scales the burst with the store (200 at scale 1, at least 10).
    per_second: int = 5
    burst: int | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        if not 0 < self.scale <= 1000:
            raise ValueError("scale must be in (0, 1000]")
        if self.orders_count is not None and self.orders_count < 0:
            raise ValueError("orders must be >= 0")
        if self.now is None:
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            self.anchor = int(today.timestamp())
        else:
            self.anchor = int(self.now)
        self.start = self.anchor - HISTORY_DAYS * DAY
        self.last_stamp = self.anchor
        self.added_refunds: defaultdict[int, list[AddedRefund]] = defaultdict(list)
        self.mutations = 0
        rng = random.Random(self.seed)
        n_orders = self.orders_count if self.orders_count is not None else round(500 * self.scale)
        basis = n_orders / 500 if self.orders_count is not None else self.scale
        self._build_products(rng, max(3, round(60 * basis)))
        self._build_customers(rng, max(1, round(200 * basis)))
        self._build_orders(rng, n_orders)
        self._build_checkouts(rng, round(80 * basis))
        burst = self.burst if self.burst is not None else max(10, round(200 * basis))
        if self.per_second < 0 or burst < 0:
            raise ValueError("per_second and burst must be >= 0")
        for table in (self.orders, self.customers, self.products, self.checkouts):
            self._densify(table, burst)
        self._render_order = functools.lru_cache(maxsize=1024)(self._order)
        # Customers never change once created, so their rendering is cached by index.
        self.customer = functools.lru_cache(maxsize=4096)(self._customer)  # type: ignore[method-assign]

    # -- generation ---------------------------------------------------------------------
    def _stamps(self, rng: random.Random, count: int, lo: int, hi: int) -> list[int]:
        return sorted(rng.randint(lo, hi) for _ in range(count))

    def _densify(self, table: Table, burst: int) -> None:
        """Move the newest rows (only ever later) into the last seconds before the anchor:
        `per_second` a second, `burst` in the second BURST_AT before it, so the boundary a
        reader bookmarks on (the newest second) has neighbours on both sides, and ties."""
        first = self.anchor - TAIL_SECONDS + 1
        # the newest seconds first, then the burst: a small table keeps the boundary dense
        slots = [self.anchor - k for k in range(TAIL_SECONDS) for _ in range(self.per_second)]
        slots += [self.anchor - BURST_AT] * burst
        movable = sorted((row for row in table.rows if row.updated < first), key=_by_updated)
        count = min(len(slots), len(movable) // 3)
        chosen = movable[len(movable) - count :]
        for row, second in zip(chosen, sorted(slots[:count]), strict=True):
            row.updated = second
            if row.seeded:
                row.seeded = second
        table.reindex()

    def _build_products(self, rng: random.Random, count: int) -> None:
        created = self._stamps(rng, count, self.start - 200 * DAY, self.anchor - 30 * DAY)
        rows = [
            Row(i, PRODUCT_BASE + i + 1, c, min(self.anchor, c + rng.randrange(0, 120 * DAY)))
            for i, c in enumerate(created)
        ]
        self.products = Table(rows)
        self.product_specs = [self._product_spec(row) for row in rows]

    def _product_spec(self, row: Row) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:p:{row.index}")
        adjective, (noun, kind, vendor) = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
        n_variants = _weighted(rng, [(1, 0.3), (2, 0.15), (3, 0.2), (4, 0.15), (5, 0.1), (6, 0.1)])
        price = Decimal(rng.choice(_PRICES))
        by_size = rng.random() < 0.6
        variants = []
        for k in range(n_variants):
            unit, value = _weighted(
                rng,
                [
                    (("GRAMS", float(rng.randrange(50, 900, 10))), 0.7),
                    (("KILOGRAMS", rng.randrange(1, 40) / 10), 0.15),
                    (("POUNDS", rng.randrange(1, 30) / 10), 0.15),
                ],
            )
            option = (_SIZES if by_size else _COLORS)[k % (6 if by_size else 4)]
            variants.append(
                {
                    "k": k,
                    "id": VARIANT_BASE + row.index * 8 + k,
                    "inventory_id": INVENTORY_BASE + row.index * 8 + k,
                    "option_name": "Size" if by_size else "Color",
                    "option": option,
                    "price": price + Decimal(k % 3) * Decimal("2.00"),
                    "compare_at": cents(price * Decimal("1.25")) if rng.random() < 0.3 else None,
                    "sku": f"SKU-{row.index + 1:04d}-{k + 1}" if rng.random() < 0.95 else None,
                    "barcode": str(rng.randrange(10**11, 10**12)) if rng.random() < 0.6 else None,
                    "taxable": rng.random() < 0.9,
                    "policy": "DENY" if rng.random() < 0.8 else "CONTINUE",
                    "quantity": rng.randrange(-3, 400),
                    "tracked": rng.random() < 0.9,
                    "shipping": kind != "Gift Cards" and rng.random() < 0.97,
                    "unit": unit,
                    "weight": value,
                    "grams": round(
                        value * {"GRAMS": 1, "KILOGRAMS": 1000, "POUNDS": 453.59237}[unit]
                    ),
                    "created": row.created + k * 60,
                }
            )
        title = f"{adjective} {noun}"
        status = _weighted(rng, [("ACTIVE", 0.85), ("DRAFT", 0.1), ("ARCHIVED", 0.05)])
        return {
            "title": title,
            "handle": f"{title.lower().replace(' ', '-')}-{row.index + 1}",
            "kind": kind,
            "vendor": vendor,
            "status": status,
            "tags": sorted(rng.sample(_PRODUCT_TAGS, rng.randrange(0, 4))),
            "suffix": "alternate" if rng.random() < 0.1 else None,
            "published": None if status == "DRAFT" else row.created + rng.randrange(0, 3 * DAY),
            "variants": variants,
        }

    def _build_customers(self, rng: random.Random, count: int) -> None:
        created = self._stamps(rng, count, self.start - 60 * DAY, self.anchor - DAY)
        self.customers = Table([Row(i, CUSTOMER_BASE + i + 1, c, c) for i, c in enumerate(created)])
        self.customer_orders: defaultdict[int, list[int]] = defaultdict(list)

    def _build_orders(self, rng: random.Random, count: int) -> None:
        gap_lo, gap_hi = self.anchor - VISIBLE_DAYS * DAY, self.anchor - (VISIBLE_DAYS - 1) * DAY
        stamps = []
        for _ in range(count):
            stamp = rng.randint(self.start, self.anchor - 1)
            if gap_lo <= stamp < gap_hi:  # keep the 60-day line clear (module docstring)
                stamp -= DAY
            stamps.append(stamp)
        stamps.sort()
        # Bulk edits: a few seconds shared by many orders' updated_at (a tagging app's run).
        batches = self._stamps(rng, 6, self.start + 30 * DAY, self.anchor)
        customer_created = [row.created for row in self.customers.rows]
        rows = []
        for i, created in enumerate(stamps):
            roll = rng.random()
            if roll < 0.05:
                later = [b for b in batches if b >= created]
                updated = later[0] if later else created
            else:
                updated = min(self.anchor, created + int(rng.expovariate(1 / (3 * DAY))))
            known = bisect.bisect_right(customer_created, created)
            customer = rng.randrange(known) if known and rng.random() < 0.85 else -1
            rows.append(
                Row(i, ORDER_BASE + i + 1, created, updated, customer=customer, seeded=updated)
            )
            if customer >= 0:
                self.customer_orders[customer].append(i)
                crow = self.customers.rows[customer]
                crow.updated = max(crow.updated, created + rng.randrange(0, 120))
        for crow in self.customers.rows:  # profile edits after sign-up
            crow.updated = min(self.anchor, max(crow.updated, crow.created + rng.randrange(DAY)))
        self.customers = Table(self.customers.rows)
        self.orders = Table(rows)

    def _build_checkouts(self, rng: random.Random, count: int) -> None:
        created = self._stamps(rng, count, self.start, self.anchor - 3600)
        rows = []
        customer_created = [row.created for row in self.customers.rows]
        for i, c in enumerate(created):
            known = bisect.bisect_right(customer_created, c)
            customer = rng.randrange(known) if known and rng.random() < 0.7 else -1
            updated = min(self.anchor, c + rng.randrange(600, 3 * DAY))
            rows.append(Row(i, CHECKOUT_BASE + i + 1, c, updated, customer=customer))
        self.checkouts = Table(rows)

    # -- clock and mutations ------------------------------------------------------------
    def next_stamp(self, clock: int) -> int:
        """A new second, after every timestamp already in the store."""
        self.last_stamp = max(clock, self.last_stamp + 1)
        return self.last_stamp

    def mutate(
        self,
        clock: int,
        *,
        changed_orders: int = 0,
        refunds_on_old_orders: int = 0,
        new_customers: int = 0,
        changed_customers: int = 0,
        changed_products: int = 0,
        changed_checkouts: int = 0,
        seed: int | None = None,
        second: str = "clock",
    ) -> dict[str, Any]:
        """Edit orders, refund old orders, sign up customers, edit customers, products and
        abandoned checkouts; all at one second: the clock's (after every stamp), "after"
        (the second after the newest stamp) or "bookmark" (the newest stamp itself: a tie
        with the bookmark of a reader that copied up to now). Checks first, so a request
        it cannot satisfy changes nothing (ValueError)."""
        counts = (changed_orders, refunds_on_old_orders, new_customers, changed_customers)
        if min(*counts, changed_products, changed_checkouts) < 0:
            raise ValueError("every count must be >= 0")
        if second not in ("clock", "after", "bookmark"):
            raise ValueError("second must be clock, after or bookmark")
        with self.lock:
            rng = random.Random(
                f"{self.seed if seed is None else seed}:mutate:{self.mutations + 1}"
            )
            n_orders = len(self.orders)
            changed = rng.sample(range(n_orders), min(changed_orders, n_orders))
            skip = set(changed)
            old = [
                row.index
                for row in self.orders.rows
                if row.created < clock - 90 * DAY and row.index not in skip
            ]
            rng.shuffle(old)
            plans: list[tuple[int, tuple[int, int, str]]] = []
            for i in old:
                if len(plans) == refunds_on_old_orders:
                    break
                plan = self._refund_plan(rng, self.orders.rows[i])
                if plan is not None:
                    plans.append((i, plan))
            if len(plans) < refunds_on_old_orders:
                raise ValueError(
                    f"only {len(plans)} orders older than 90 days can take another refund"
                )
            self.mutations += 1
            if second == "bookmark":
                stamp = self.last_stamp
            else:
                stamp = self.next_stamp(clock if second == "clock" else self.last_stamp + 1)
            touched: dict[str, list[int]] = {}
            for name, table, count in (
                ("changed_customers", self.customers, changed_customers),
                ("changed_products", self.products, changed_products),
                ("changed_checkouts", self.checkouts, changed_checkouts),
            ):
                picked = rng.sample(range(len(table)), min(count, len(table)))
                for i in picked:
                    table.touch(table.rows[i], stamp)
                touched[name] = sorted(table.rows[i].id for i in picked)
            self.customer.cache_clear()  # type: ignore[attr-defined]  # updatedAt moved
            for i in changed:
                self.orders.touch(self.orders.rows[i], stamp)
            refund_ids = []
            for i, plan in plans:
                self.added_refunds[i].append(AddedRefund(stamp, [plan]))
                self.orders.touch(self.orders.rows[i], stamp)
                refund_ids.append(legacy(self.order(i)["_refunds"][-1]["id"])[1])
            new = []
            for _ in range(new_customers):
                index = len(self.customers)
                self.customers.append(Row(index, CUSTOMER_BASE + index + 1, stamp, stamp))
                new.append(CUSTOMER_BASE + index + 1)
            return {
                "updated_at": iso(stamp),
                "changed_orders": sorted(ORDER_BASE + i + 1 for i in changed),
                "refunded_orders": [ORDER_BASE + i + 1 for i, _ in plans],
                "refunds": refund_ids,
                "new_customers": new,
                **touched,
            }

    def _refund_plan(self, rng: random.Random, row: Row) -> tuple[int, int, str] | None:
        """(line, quantity, restock type) of a new refund, None if the order takes none."""
        order = self._render_order(row.index, row.version)
        # Seeded refunds take at most 2 of the MAX_REFUNDS id slots per order.
        if order["cancelledAt"] or len(self.added_refunds[row.index]) >= MAX_REFUNDS - 2:
            return None
        open_lines = [
            (k, line["currentQuantity"])
            for k, line in enumerate(order["_lines"])
            if line["currentQuantity"] > 0
        ]
        if not open_lines:
            return None
        k, left = rng.choice(open_lines)
        return k, rng.randint(1, left), rng.choice(["RETURN", "NO_RESTOCK"])

    # -- rendering ----------------------------------------------------------------------
    def customer(self, index: int) -> dict[str, Any]:
        return self._customer(index)

    def _customer(self, index: int) -> dict[str, Any]:
        row = self.customers.rows[index]
        rng = random.Random(f"{self.seed}:c:{index}")
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        ascii_last = "".join(ch for ch in last.lower() if ch.isalpha() and ch.isascii())
        ascii_first = "".join(ch for ch in first.lower() if ch.isascii())
        email = f"{ascii_first}.{ascii_last}{index + 1}@example.com"
        phone = f"+1555{rng.randrange(10**6, 10**7)}" if rng.random() < 0.6 else None
        addresses = []
        for k in range(_weighted(rng, [(0, 0.15), (1, 0.55), (2, 0.2), (3, 0.1)])):
            country, code, city, province, province_code, zip_code = rng.choice(_PLACES)
            addresses.append(
                {
                    # Shopify's MailingAddress ids carry a query suffix; the legacy id is
                    # the number before it.
                    "id": gid("MailingAddress", ADDRESS_BASE + index * 4 + k)
                    + "?model_name=CustomerAddress",
                    "_legacy": ADDRESS_BASE + index * 4 + k,
                    "address1": f"{rng.randrange(1, 999)} {rng.choice(_STREETS)}",
                    "address2": f"Apt {rng.randrange(1, 40)}" if rng.random() < 0.3 else None,
                    "city": city,
                    "company": "Acme Ltd" if rng.random() < 0.1 else None,
                    "country": country,
                    "countryCodeV2": code,
                    "firstName": first,
                    "lastName": last,
                    "name": f"{first} {last}",
                    "phone": phone,
                    "province": province,
                    "provinceCode": province_code,
                    "zip": zip_code,
                }
            )
        order_indexes = self.customer_orders.get(index, [])

        def amount_spent(info: Any = None) -> dict[str, Any]:
            total = Decimal(0)
            for i in order_indexes:
                order = self.order(i)
                if not order["test"] and not order["cancelledAt"]:
                    total += Decimal(order["currentTotalPriceSet"]["shopMoney"]["amount"])
            return {"amount": str(cents(total)), "currencyCode": SHOP_CURRENCY}

        state = _weighted(
            rng, [("ENABLED", 0.6), ("DISABLED", 0.3), ("INVITED", 0.08), ("DECLINED", 0.02)]
        )
        return {
            "__typename": "Customer",
            "id": gid("Customer", row.id),
            "legacyResourceId": str(row.id),
            "firstName": first,
            "lastName": last,
            "displayName": f"{first} {last}",
            "defaultEmailAddress": {
                "emailAddress": email,
                "marketingState": rng.choice(["NOT_SUBSCRIBED", "SUBSCRIBED", "UNSUBSCRIBED"]),
            },
            "defaultPhoneNumber": {"phoneNumber": phone} if phone else None,
            "defaultAddress": addresses[0] if addresses else None,
            "_addresses": addresses,
            "numberOfOrders": str(len(order_indexes)),
            "amountSpent": amount_spent,
            "lastOrder": (lambda info=None: self.order(order_indexes[-1]))
            if order_indexes
            else None,
            "multipassIdentifier": None,
            "note": "Prefers email contact" if rng.random() < 0.1 else None,
            "state": state,
            "tags": sorted(rng.sample(_CUSTOMER_TAGS, _weighted(rng, _TAG_COUNTS))),
            "taxExempt": rng.random() < 0.03,
            "verifiedEmail": rng.random() < 0.9,
            "createdAt": iso(row.created),
            "updatedAt": iso(row.updated),
        }

    def order(self, index: int) -> dict[str, Any]:
        row = self.orders.rows[index]
        return self._render_order(index, row.version)

    def _order(self, index: int, version: int) -> dict[str, Any]:
        """One order, as of its edit `version` (the cache key; the refunds follow it)."""
        row = self.orders.rows[index]
        rng = random.Random(f"{self.seed}:o:{index}")
        currency = _weighted(
            rng, [("USD", 0.75), ("EUR", 0.1), ("GBP", 0.06), ("CAD", 0.05), ("AUD", 0.04)]
        )
        source = _weighted(rng, _SOURCES)
        tax_rate = rng.choice(_TAX_RATES)
        test = rng.random() < 0.02
        cancelled = not test and rng.random() < 0.04
        lines: list[dict[str, Any]] = []
        for k in range(_weighted(rng, _LINE_COUNTS)):
            quantity = _weighted(rng, [(1, 0.6), (2, 0.25), (3, 0.1), (4, 0.05)])
            if rng.random() < 0.03:  # a custom line: no product behind it
                spec = variant = None
                price, title, grams = Decimal("5.00"), "Gift wrap", 0
            else:
                p = rng.randrange(len(self.product_specs))
                spec = self.product_specs[p]
                variant = rng.choice(spec["variants"])
                price, title, grams = variant["price"], spec["title"], variant["grams"]
            lines.append(
                {
                    "k": k,
                    "product": p if spec else None,
                    "variant": variant,
                    "title": title,
                    "price": price,
                    "quantity": quantity,
                    "grams": grams,
                    "discount": Decimal(0),
                    "allocations": [],
                }
            )
        applications = self._discounts(rng, lines)
        subtotal_gross = sum((ln["price"] * ln["quantity"] for ln in lines), Decimal(0))
        discounts = sum((ln["discount"] for ln in lines), Decimal(0))
        for ln in lines:
            ln["tax"] = cents((ln["price"] * ln["quantity"] - ln["discount"]) * tax_rate)
        tax = sum((ln["tax"] for ln in lines), Decimal(0))
        subtotal = subtotal_gross - discounts
        total = subtotal + tax
        refunds = self._refunds(rng, row, lines, cancelled, tax_rate)
        refunded_subtotal = sum((r["_subtotal"] for r in refunds), Decimal(0))
        refunded_tax = sum((r["_tax"] for r in refunds), Decimal(0))
        refunded_discount = Decimal(0)
        for ln in lines:
            ln["refunded"] = sum(
                (q for r in refunds for (k, q, _s, _t, _ty, _id) in r["_lines"] if k == ln["k"]),
                0,
            )
            if ln["refunded"]:
                refunded_discount += cents(ln["discount"] / ln["quantity"] * ln["refunded"])
        fully_refunded = all(ln["refunded"] >= ln["quantity"] for ln in lines)
        age = self.anchor - row.created
        if cancelled:
            financial = "REFUNDED" if refunds else "VOIDED"
        elif refunds:
            financial = "REFUNDED" if fully_refunded else "PARTIALLY_REFUNDED"
        else:
            financial = _weighted(rng, [("PAID", 0.95), ("PENDING", 0.03), ("AUTHORIZED", 0.02)])
        fulfilled = not cancelled and (age > 5 * DAY or rng.random() < 0.3)
        cancelled_at = _cancelled_at(row)
        edit = random.Random(f"{self.seed}:o:{index}:v{version}") if version else None
        tags = set(rng.sample(_ORDER_TAGS, _weighted(rng, [(0, 0.6), (1, 0.3), (2, 0.1)])))
        note = "Leave at the back door" if rng.random() < 0.08 else None
        if edit is not None:  # an edited order: staff retagged it and left a note
            tags ^= {edit.choice(_ORDER_TAGS)}
            note = f"Edited by staff ({edit.choice(['address', 'tags', 'contact'])}, v{version})"
        customer = self.customers.rows[row.customer] if row.customer >= 0 else None
        contact = self.customer(row.customer) if customer else None
        email = (
            contact["defaultEmailAddress"]["emailAddress"]
            if contact
            else f"guest{index + 1}@example.net"
        )
        if edit is not None and rng.random() < 0.5:
            email = email.replace("@", "+orders@")
        app_id, app_name = _APPS[source]
        line_dicts = [self._line(index, ln, currency, applications) for ln in lines]
        current_subtotal = subtotal - refunded_subtotal
        current_tax = tax - refunded_tax
        outstanding = total if financial in ("PENDING", "AUTHORIZED") else Decimal(0)
        for line in line_dicts:
            line["unfulfilledQuantity"] = 0 if fulfilled else line["currentQuantity"]
        refund_dicts = [self._refund(r, line_dicts, currency) for r in refunds]
        return {
            "__typename": "Order",
            "id": gid("Order", row.id),
            "legacyResourceId": str(row.id),
            "name": f"#{1000 + index + 1}",
            "number": index + 1,
            "confirmationNumber": "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=9)),
            "email": email,
            "phone": contact["defaultPhoneNumber"]["phoneNumber"]
            if contact and contact["defaultPhoneNumber"]
            else None,
            "createdAt": iso(row.created),
            "updatedAt": iso(row.updated),
            "processedAt": iso(row.created),
            "cancelledAt": iso(cancelled_at) if cancelled else None,
            "cancelReason": rng.choice(_CANCEL_REASONS) if cancelled else None,
            "closedAt": iso(min(row.seeded, row.created + 5 * DAY))
            if fulfilled and financial == "PAID"
            else None,
            "currencyCode": SHOP_CURRENCY,
            "presentmentCurrencyCode": currency,
            "displayFinancialStatus": financial,
            "displayFulfillmentStatus": "FULFILLED" if fulfilled else "UNFULFILLED",
            "note": note,
            "tags": sorted(tags),
            "test": test,
            "totalWeight": str(sum(ln["grams"] * ln["quantity"] for ln in lines)),
            "taxesIncluded": False,
            "estimatedTaxes": False,
            "sourceName": source,
            "sourceIdentifier": f"pos-{index + 1}" if source == "pos" else None,
            "customerLocale": rng.choice(["en", "en", "en-CA", "fr", "de"]),
            "clientIp": f"203.0.113.{rng.randrange(1, 255)}" if source == "web" else None,
            "customerAcceptsMarketing": rng.random() < 0.4,
            "paymentGatewayNames": ["manual"]
            if source == "shopify_draft_order"
            else [rng.choice(["shopify_payments", "shopify_payments", "paypal"])],
            "customerJourneySummary": {
                "firstVisit": {
                    "landingPage": f"https://sandbox-shop.example/products/p{rng.randrange(99)}",
                    "referrerUrl": rng.choice(
                        [None, "https://www.google.com/", "https://www.instagram.com/"]
                    ),
                    "source": rng.choice(["google", "instagram", "direct"]),
                }
            }
            if source == "web"
            else None,
            "customer": (lambda info=None: self.customer(row.customer)) if customer else None,
            "app": {"id": app_id, "name": app_name},
            "retailLocation": (lambda info=None: self.location(1)) if source == "pos" else None,
            "subtotalPriceSet": money_bag(subtotal, currency),
            "totalPriceSet": money_bag(total, currency),
            "totalTaxSet": money_bag(tax, currency),
            "totalDiscountsSet": money_bag(discounts, currency),
            "currentSubtotalPriceSet": money_bag(current_subtotal, currency),
            "currentTotalPriceSet": money_bag(current_subtotal + current_tax, currency),
            "currentTotalTaxSet": money_bag(current_tax, currency),
            "currentTotalDiscountsSet": money_bag(discounts - refunded_discount, currency),
            "totalOutstandingSet": money_bag(outstanding, currency),
            "totalTipReceivedSet": money_bag(Decimal(0), currency),
            "discountCode": next((a["code"] for a in applications if "code" in a), None),
            "discountCodes": [a["code"] for a in applications if "code" in a],
            "_applications": applications,
            "_lines": line_dicts,
            "_refunds": refund_dicts,
        }

    def _discounts(self, rng: random.Random, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Discount applications, allocated to the lines ACROSS (proportionally)."""
        roll = rng.random()
        if roll >= 0.28:
            return []
        kinds = ["code"] if roll < 0.2 else ["automatic"] if roll < 0.24 else ["manual"]
        if roll < 0.03:
            kinds.append("automatic")
        applications: list[dict[str, Any]] = []
        codes = rng.sample(_CODES, len(kinds))
        for index, kind in enumerate(kinds):
            if rng.random() < 0.6:
                percentage = float(rng.choice([10, 15, 20]))
                value: dict[str, Any] = {
                    "__typename": "PricingPercentageValue",
                    "percentage": percentage,
                }
                shares = [
                    cents(
                        (ln["price"] * ln["quantity"] - ln["discount"]) * Decimal(percentage) / 100
                    )
                    for ln in lines
                ]
            else:
                amount = Decimal(rng.choice(["5.00", "10.00"]))
                base = [ln["price"] * ln["quantity"] - ln["discount"] for ln in lines]
                amount = min(amount, sum(base, Decimal(0)))
                value = {
                    "__typename": "MoneyV2",
                    "amount": str(amount),
                    "currencyCode": SHOP_CURRENCY,
                }
                total = sum(base, Decimal(0))
                shares = [cents(amount * b / total) if total else Decimal(0) for b in base[:-1]]
                shares.append(amount - sum(shares, Decimal(0)))
            application: dict[str, Any] = {
                "__typename": {
                    "code": "DiscountCodeApplication",
                    "automatic": "AutomaticDiscountApplication",
                    "manual": "ManualDiscountApplication",
                }[kind],
                "index": index,
                "allocationMethod": "ACROSS",
                "targetSelection": "ALL",
                "targetType": "LINE_ITEM",
                "value": value,
                "_amount": sum(shares, Decimal(0)),
            }
            if kind == "code":
                application["code"] = codes[index]
            elif kind == "automatic":
                application["title"] = "Buy more, save more"
            else:
                application["title"] = "Staff discount"
                application["description"] = "Applied by staff at checkout"
            applications.append(application)
            for ln, share in zip(lines, shares, strict=True):
                if share:
                    ln["discount"] += share
                    ln["allocations"].append((index, share))
        return applications

    def _refunds(
        self,
        rng: random.Random,
        row: Row,
        lines: list[dict[str, Any]],
        cancelled: bool,
        tax_rate: Decimal,
    ) -> list[dict[str, Any]]:
        """Seeded refunds (a full CANCEL refund for half the cancelled orders, returns on
        about 12% of the rest), then the ones `mutate` added."""
        plans: list[tuple[int, list[tuple[int, int, str]]]] = []
        if cancelled and rng.random() < 0.5:
            plans.append(
                (_cancelled_at(row), [(ln["k"], ln["quantity"], "CANCEL") for ln in lines])
            )
        elif not cancelled and rng.random() < 0.12:
            for _ in range(2 if rng.random() < 0.25 else 1):
                # a return of one line, or of up to 3 lines at once (a parcel sent back)
                ks = rng.sample(range(len(lines)), min(len(lines), 1 if rng.random() < 0.6 else 3))
                when = row.created + int((row.seeded - row.created) * rng.random())
                restock = rng.choice(["RETURN", "NO_RESTOCK"])
                plans.append((when, [(k, 1, restock) for k in sorted(ks)]))
        plans += [(added.created, added.lines) for added in self.added_refunds.get(row.index, [])]
        plans = plans[:MAX_REFUNDS]
        left = {ln["k"]: ln["quantity"] for ln in lines}
        refunds = []
        for r, (when, plan) in enumerate(plans):
            refund_id = REFUND_BASE + row.index * MAX_REFUNDS + r
            items = []
            for j, (k, wanted, restock) in enumerate(plan):
                quantity = min(wanted, left[k])
                if not quantity:
                    continue
                left[k] -= quantity
                ln = lines[k]
                net = ln["price"] * ln["quantity"] - ln["discount"]
                subtotal = cents(net / ln["quantity"] * quantity)
                item_id = REFUND_LINE_BASE + (row.index * MAX_REFUNDS + r) * 8 + j
                items.append((k, quantity, subtotal, cents(subtotal * tax_rate), restock, item_id))
            if items:
                refunds.append(
                    {
                        "id": refund_id,
                        "created": when,
                        "_lines": items,
                        "_subtotal": sum((i[2] for i in items), Decimal(0)),
                        "_tax": sum((i[3] for i in items), Decimal(0)),
                    }
                )
        return refunds

    def _line(
        self, order_index: int, ln: dict[str, Any], currency: str, applications: list[dict]
    ) -> dict[str, Any]:
        variant, p = ln["variant"], ln["product"]
        line_id = LINE_BASE + order_index * 8 + ln["k"]
        current = ln["quantity"] - ln.get("refunded", 0)
        return {
            "__typename": "LineItem",
            "id": gid("LineItem", line_id),
            "_legacy": line_id,
            "name": f"{ln['title']} - {variant['option']}" if variant else ln["title"],
            "title": ln["title"],
            "variantTitle": variant["option"] if variant else None,
            "vendor": self.product_specs[p]["vendor"] if p is not None else None,
            "sku": variant["sku"] if variant else None,
            "quantity": ln["quantity"],
            "currentQuantity": current,
            "unfulfilledQuantity": 0,
            "requiresShipping": variant["shipping"] if variant else False,
            "taxable": variant["taxable"] if variant else True,
            "isGiftCard": False,
            "originalUnitPriceSet": money_bag(ln["price"], currency),
            "totalDiscountSet": money_bag(ln["discount"], currency),
            "discountAllocations": [
                {
                    "allocatedAmountSet": money_bag(share, currency),
                    "discountApplication": applications[i],
                }
                for i, share in ln["allocations"]
            ],
            "product": (lambda info=None: self.product(p)) if p is not None else None,
            "variant": (lambda info=None: self.variant(p, variant["k"])) if variant else None,
            "_price_x_quantity": ln["price"] * ln["quantity"],
        }

    def _refund(self, refund: dict[str, Any], lines: list[dict], currency: str) -> dict[str, Any]:
        items = [
            {
                "id": gid("RefundLineItem", item_id),
                "_legacy": item_id,
                "lineItem": lines[k],
                "quantity": quantity,
                "restockType": restock,
                "restocked": restock in ("RETURN", "CANCEL", "LEGACY_RESTOCK"),
                "location": (lambda info=None: self.location(0)) if restock == "RETURN" else None,
                "priceSet": money_bag(
                    lines[k]["_price_x_quantity"] / lines[k]["quantity"], currency
                ),
                "subtotalSet": money_bag(subtotal, currency),
                "totalTaxSet": money_bag(tax, currency),
                "_subtotal": subtotal,
            }
            for (k, quantity, subtotal, tax, restock, item_id) in refund["_lines"]
        ]
        return {
            "__typename": "Refund",
            "id": gid("Refund", refund["id"]),
            "legacyResourceId": str(refund["id"]),
            "createdAt": iso(refund["created"]),
            "updatedAt": iso(refund["created"]),
            "note": None,
            "totalRefundedSet": money_bag(refund["_subtotal"] + refund["_tax"], currency),
            "_items": items,
        }

    def product(self, index: int) -> dict[str, Any]:
        row, spec = self.products.rows[index], self.product_specs[index]
        return {
            "__typename": "Product",
            "id": gid("Product", row.id),
            "legacyResourceId": str(row.id),
            "title": spec["title"],
            "handle": spec["handle"],
            "descriptionHtml": f"<p>{spec['title']} by {spec['vendor']}.</p>",
            "productType": spec["kind"],
            "vendor": spec["vendor"],
            "status": spec["status"],
            "tags": spec["tags"],
            "templateSuffix": spec["suffix"],
            "publishedAt": iso(spec["published"]),
            "createdAt": iso(row.created),
            "updatedAt": iso(row.updated),
            "variantsCount": {"count": len(spec["variants"]), "precision": "EXACT"},
            "_variants": lambda: [self.variant(index, v["k"]) for v in spec["variants"]],
        }

    def variant(self, index: int, k: int) -> dict[str, Any]:
        row, spec = self.products.rows[index], self.product_specs[index]
        v = spec["variants"][k]
        return {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", v["id"]),
            "_legacy": v["id"],
            "legacyResourceId": str(v["id"]),
            "title": v["option"],
            "displayName": f"{spec['title']} - {v['option']}",
            "sku": v["sku"],
            "barcode": v["barcode"],
            "price": str(cents(v["price"])),
            "compareAtPrice": str(v["compare_at"]) if v["compare_at"] is not None else None,
            "position": k + 1,
            "taxable": v["taxable"],
            "inventoryPolicy": v["policy"],
            "inventoryQuantity": v["quantity"],
            "selectedOptions": [{"name": v["option_name"], "value": v["option"]}],
            "createdAt": iso(v["created"]),
            "updatedAt": iso(max(v["created"], row.updated)),
            "product": lambda info=None: self.product(index),
            "inventoryItem": {
                "__typename": "InventoryItem",
                "id": gid("InventoryItem", v["inventory_id"]),
                "legacyResourceId": str(v["inventory_id"]),
                "tracked": v["tracked"],
                "requiresShipping": v["shipping"],
                "measurement": {"weight": {"unit": v["unit"], "value": v["weight"]}},
            },
        }

    def location(self, index: int) -> dict[str, Any]:
        spec = LOCATIONS[index]
        country, code, city, province, province_code, zip_code = _PLACES[spec["place"]]
        created = self.start - 300 * DAY + index * 40 * DAY
        return {
            "__typename": "Location",
            "id": gid("Location", LOCATION_BASE + index + 1),
            "legacyResourceId": str(LOCATION_BASE + index + 1),
            "name": spec["name"],
            "isActive": spec["active"],
            "isFulfillmentService": spec["service"],
            "fulfillsOnlineOrders": spec["active"] and index != 1,
            "createdAt": iso(created),
            "updatedAt": iso(created + 30 * DAY),
            "deactivatedAt": None if spec["active"] else iso(created + 200 * DAY),
            "address": {
                "address1": f"{100 + index} {_STREETS[index]}",
                "address2": "Unit 4" if index == 0 else None,
                "city": city,
                "country": country,
                "countryCode": code,
                "phone": f"+1555000{index:04d}",
                "province": province,
                "provinceCode": province_code,
                "zip": zip_code,
            },
        }

    def checkout(self, index: int) -> dict[str, Any]:
        row = self.checkouts.rows[index]
        rng = random.Random(f"{self.seed}:a:{index}")
        currency = "USD" if rng.random() < 0.8 else rng.choice(["EUR", "GBP", "CAD"])
        gross = sum(
            (Decimal(rng.choice(_PRICES)) * rng.randint(1, 3) for _ in range(rng.randint(1, 4))),
            Decimal(0),
        )
        code = rng.choice(_CODES) if rng.random() < 0.15 else None
        discount = cents(gross * Decimal("0.1")) if code else Decimal(0)
        tax = cents((gross - discount) * Decimal("0.08"))
        return {
            "__typename": "AbandonedCheckout",
            "id": gid("AbandonedCheckout", row.id),
            "_legacy": row.id,
            "name": f"#{row.id}",
            "abandonedCheckoutUrl": f"https://sandbox-shop.example/checkouts/{row.id:x}/recover",
            "createdAt": iso(row.created),
            "updatedAt": iso(row.updated),
            "completedAt": None,
            "note": None,
            "taxesIncluded": False,
            "customer": (lambda info=None: self.customer(row.customer))
            if row.customer >= 0
            else None,
            "discountCodes": [code] if code else [],
            "totalPriceSet": money_bag(gross - discount + tax, currency),
            "subtotalPriceSet": money_bag(gross - discount, currency),
            "totalTaxSet": money_bag(tax, currency),
            "totalDiscountSet": money_bag(discount, currency),
            "totalLineItemsPriceSet": money_bag(gross, currency),
        }

    # -- lookups ------------------------------------------------------------------------
    def renderer(self, kind: str) -> Callable[[int], dict[str, Any]]:
        return {
            "Order": self.order,
            "Customer": self.customer,
            "Product": self.product,
            "AbandonedCheckout": self.checkout,
            "Location": self.location,
        }[kind]

    def table(self, kind: str) -> Table:
        return {
            "Order": self.orders,
            "Customer": self.customers,
            "Product": self.products,
            "AbandonedCheckout": self.checkouts,
        }[kind]

    # -- truth --------------------------------------------------------------------------
    def truth(self, cutoff: int | None = None) -> dict[str, Any]:
        """Rows, ids and money totals per REST-style table; orders (and their children)
        created before `cutoff` are left out (a token without read_all_orders)."""
        with self.lock:
            tables: dict[str, list[Any]] = defaultdict(list)
            totals: dict[str, Decimal] = defaultdict(Decimal)
            for row in self.customers.rows:
                customer = self.customer(row.index)
                tables["customers"].append(row.id)
                tables["customer_addresses"] += [a["_legacy"] for a in customer["_addresses"]]
                tables["customer_tags"] += [[row.id, tag] for tag in customer["tags"]]
            for row in self.orders.rows:
                if cutoff is not None and row.created < cutoff:
                    continue
                self._order_truth(row, tables, totals)
            for i in range(len(LOCATIONS)):
                tables["locations"].append(LOCATION_BASE + i + 1)
            for row in self.products.rows:
                product = self.product(row.index)
                tables["products"].append(row.id)
                tables["product_tags"] += [[row.id, tag] for tag in product["tags"]]
                tables["product_variants"] += [v["_legacy"] for v in product["_variants"]()]
            tables["abandoned_checkouts"] = [row.id for row in self.checkouts.rows]
            result: dict[str, Any] = {
                name: {"rows": len(tables[name]), "ids": sorted(tables[name])} for name in TABLES
            }
            for key, amount in (
                ("orders.total_price", totals["orders"]),
                ("order_lines.price_x_quantity", totals["order_lines"]),
                ("order_line_refunds.subtotal", totals["order_line_refunds"]),
                ("discount_allocations.amount", totals["discount_allocations"]),
            ):
                table, column = key.split(".")
                result[table][column] = str(cents(amount))
            result["visible_from"] = iso(cutoff)
            return result

    def _order_truth(self, row: Row, tables: dict[str, list], totals: dict[str, Decimal]) -> None:
        order = self.order(row.index)
        tables["orders"].append(row.id)
        totals["orders"] += Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
        tables["order_tags"] += [[row.id, tag] for tag in order["tags"]]
        for line in order["_lines"]:
            tables["order_lines"].append(line["_legacy"])
            totals["order_lines"] += line["_price_x_quantity"]
            for allocation in line["discountAllocations"]:
                index = allocation["discountApplication"]["index"]
                tables["discount_allocations"].append([line["_legacy"], index])
                totals["discount_allocations"] += Decimal(
                    allocation["allocatedAmountSet"]["shopMoney"]["amount"]
                )
        tables["discount_codes"] += [[row.id, code] for code in order["discountCodes"]]
        for refund in order["_refunds"]:
            for item in refund["_items"]:
                tables["order_line_refunds"].append(item["_legacy"])
                totals["order_line_refunds"] += item["_subtotal"]


TABLES = (
    "customers",
    "customer_addresses",
    "customer_tags",
    "orders",
    "order_lines",
    "order_tags",
    "discount_allocations",
    "discount_codes",
    "order_line_refunds",
    "locations",
    "products",
    "product_tags",
    "product_variants",
    "abandoned_checkouts",
)
