"""Deterministic Recharge store data: twelve 2021-11 resources with referential integrity.

The store keeps one small `Row` per object (id, created/updated second, version, references)
and renders the full JSON object on demand from (seed, resource, id, version), so memory
grows by a few hundred bytes per object and a page costs only the objects it returns.

Integrity the generator guarantees (and the dbt relationships tests check):
  address.customer_id, payment_method.customer_id          -> customers
  address.payment_method_id                                -> a payment method of that customer
  subscription/onetime.address_id + customer_id            -> the address and its customer
  charge.address_id, charge.customer.id                    -> the address and its customer
  charge.line_items[].purchase_item_id (subscription/onetime) -> a subscription/onetime
                                                              of that address
  charge.discounts[].id                                    -> discounts
  order.charge.id, order.address_id, order.customer.id     -> the charge, its address, customer
  plan.external_product_id.ecommerce                       -> a product's external_product_id
  subscription.external_product_id.ecommerce               -> a product's external_product_id
  event.customer_id (when set)                             -> customers

Timestamps are whole seconds, rendered like Recharge 2021-11 ("2025-06-30T12:00:00+00:00").
Many objects share an updated_at second on purpose: a "batch job" second updates many rows at
once, and about 6% of every resource sits on the last seeded second (HISTORY_END), the
boundary an incremental reader bookmarks after its first run (at least 3 rows each). The
seconds before it are dense (`density`, sandbox.faults.Density): several rows a second, one
burst second, and rows in the second just before the boundary, which a reader asking from
"bookmark - 1 s" meets first.
Money is a decimal string ("19.99"), as Recharge sends it.
"""

from __future__ import annotations

import bisect
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.faults import Density

DENSITY = Density()  # the default: a busy store's last minutes (see sandbox.faults)

HISTORY_START = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
HISTORY_END = int(datetime(2025, 6, 30, 12, 0, 0, tzinfo=UTC).timestamp())
DAY = 86_400

# Resource -> the token scope it needs (the doc's read_* scopes; onetimes ride on
# read_subscriptions, plans and collections on read_products: unconfirmed, plausible).
SCOPES = {
    "customers": "read_customers",
    "addresses": "read_addresses",
    "payment_methods": "read_payment_methods",
    "subscriptions": "read_subscriptions",
    "onetimes": "read_subscriptions",
    "charges": "read_charges",
    "orders": "read_orders",
    "discounts": "read_discounts",
    "products": "read_products",
    "plans": "read_products",
    "collections": "read_products",
    "events": "read_events",
}
RESOURCES = tuple(SCOPES)
# Resources whose list takes updated_at_min/max and sort_by=updated_at-* (the vendor doc's list).
UPDATED_FILTER = frozenset(
    {
        "addresses",
        "charges",
        "customers",
        "discounts",
        "onetimes",
        "orders",
        "plans",
        "subscriptions",
    }
)
# The replication key a reader can bookmark on, per resource (events never change).
REPLICATION_KEY = {r: "updated_at" for r in UPDATED_FILTER} | {"events": "created_at"}

_ID_BASE = {
    "customers": 81_000_000,
    "addresses": 92_000_000,
    "payment_methods": 17_000_000,
    "subscriptions": 310_000_000,
    "onetimes": 320_000_000,
    "charges": 640_000_000,
    "orders": 470_000_000,
    "discounts": 150_000,
    "products": 2_200_000,
    "plans": 3_400_000,
    "collections": 45_000,
    "events": 1_900_000_000,
}

_FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoë", "Mateo", "Aiko", "Oluwaseun", "Chloé", "Ivan"]
_LAST = ["Nguyen", "Smith", "García", "Müller", "O'Brien", "Kowalski", "Rossi", "Tanaka"]
_PLACES = [
    ("US", "USD", "Austin", "Texas", "78701"),
    ("US", "USD", "Portland", "Oregon", "97205"),
    ("US", "USD", "Brooklyn", "New York", "11201"),
    ("CA", "CAD", "Toronto", "Ontario", "M5V 2T6"),
    ("GB", "GBP", "Leeds", "West Yorkshire", "LS1 4AP"),
    ("AU", "AUD", "Sydney", "New South Wales", "2000"),
]
_STREETS = ["Main St", "Oak Ave", "Elm Rd", "Market St", "Kingsway", "Rue du Port"]
_PRODUCT_NAMES = [
    "Cold Brew Concentrate",
    "Daily Greens",
    "Merino Crew Sock",
    "Oat Milk Barista",
    "Protein Bar Box",
    "Razor Refill",
    "Dog Chews",
    "Vitamin D3",
    "Matcha Tin",
    "Shampoo Bar",
]
_PRICES = ["4.99", "9.99", "12.50", "19.99", "24.00", "29.95", "39.00", "54.99", "120.00"]
_TAX_RATES = ["0", "0.0625", "0.0725", "0.08875", "0.13", "0.2"]
_CANCEL_REASONS = ["Too much product", "Price", "Moving", "Other"]
_DISCOUNT_TYPES = ["percentage", "fixed_amount", "shipping"]
_CENT = Decimal("0.01")


def iso(seconds: int | None) -> str | None:
    """Recharge 2021-11 timestamp format: UTC, whole seconds, explicit offset."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def iso_date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")


def money(value: Decimal | str) -> str:
    return str(Decimal(value).quantize(_CENT))


@dataclass(slots=True)
class Row:
    """What the store keeps per object; the JSON object is rendered from it on demand."""

    id: int
    created: int
    updated: int
    version: int = 0
    ref: dict[str, Any] = field(default_factory=dict)


class Table:
    """One resource's rows, indexed by id (ascending) and by (updated, id)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: dict[int, Row] = {}
        self.ids: list[int] = []
        self.by_updated: list[tuple[int, int]] = []

    def __len__(self) -> int:
        return len(self.ids)

    def load(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.rows[row.id] = row
            self.ids.append(row.id)
        self.by_updated = sorted((r.updated, r.id) for r in self.rows.values())

    def next_id(self) -> int:
        return (self.ids[-1] if self.ids else _ID_BASE[self.name]) + 1

    def insert(self, row: Row) -> Row:
        if self.ids and row.id <= self.ids[-1]:
            raise ValueError("ids must increase")
        self.rows[row.id] = row
        self.ids.append(row.id)
        bisect.insort(self.by_updated, (row.updated, row.id))
        return row

    def touch(self, row: Row, stamp: int) -> None:
        at = bisect.bisect_left(self.by_updated, (row.updated, row.id))
        del self.by_updated[at]
        row.updated, row.version = max(stamp, row.updated), row.version + 1
        bisect.insort(self.by_updated, (row.updated, row.id))


def _sorted_ids(table: str, specs: list[dict[str, Any]]) -> list[Row]:
    """Rows from specs in creation order: ids increase with created_at, as in Recharge."""
    specs.sort(key=lambda s: s["created"])
    base = _ID_BASE[table]
    return [
        Row(id=base + n + 1, created=s.pop("created"), updated=s.pop("updated"), ref=s)
        for n, s in enumerate(specs)
    ]


class RechargeStore:
    """The seeded objects of one Recharge store, with admin updates and additions."""

    def __init__(self, seed: int = 1, scale: float = 1.0, density: Density = DENSITY) -> None:
        if not 0 < scale <= 200:
            raise ValueError("scale must be in (0, 200]")
        self.seed, self.scale, self.density = seed, scale, density
        self.tables: dict[str, Table] = {name: Table(name) for name in RESOURCES}
        self.children: dict[str, defaultdict[int, list[int]]] = {
            "customer_subscriptions": defaultdict(list),
            "customer_orders": defaultdict(list),
            "customer_payment_methods": defaultdict(list),
            "address_subscriptions": defaultdict(list),
            "address_onetimes": defaultdict(list),
        }
        self._last_stamp = HISTORY_END
        self._products: dict[int, dict[str, Any]] = {}
        self._admin_rng = random.Random(f"{seed}/admin")
        self._generate(random.Random(seed))
        self._renderers: dict[str, Callable[[Row], dict[str, Any]]] = {
            name: getattr(self, f"_render_{name}") for name in RESOURCES
        }

    # -- generation -------------------------------------------------------------------
    def _count(self, base: int, minimum: int = 1) -> int:
        return max(minimum, round(base * self.scale))

    def _updated(self, rng: random.Random, created: int, batches: list[int]) -> int:
        roll = rng.random()
        if roll < 0.24:  # a batch job's second, shared by many rows
            later = [b for b in batches if b >= created]
            return rng.choice(later) if later else HISTORY_END
        return min(HISTORY_END, created + rng.randrange(0, 45 * DAY))

    def _generate(self, rng: random.Random) -> None:
        span = HISTORY_END - HISTORY_START
        batches = sorted(HISTORY_START + rng.randrange(span) for _ in range(12))

        def stamp(created: int) -> dict[str, int]:
            return {"created": created, "updated": self._updated(rng, created, batches)}

        def at(lo: int, hi: int) -> int:
            return rng.randint(lo, max(lo, hi))

        # catalogue
        products = _sorted_ids(
            "products",
            [
                {**stamp(at(HISTORY_START, HISTORY_START + 90 * DAY)), "name": i}
                for i in range(self._count(40, 3))
            ],
        )
        self.tables["products"].load(products)
        plan_specs = [
            {**stamp(at(p.created, p.created + 30 * DAY)), "product_id": p.id, "kind": kind}
            for p in products
            for kind in (["subscription", "prepaid"] if rng.random() < 0.4 else ["subscription"])
        ]
        self.tables["plans"].load(_sorted_ids("plans", plan_specs))
        self.tables["collections"].load(
            _sorted_ids(
                "collections",
                [stamp(at(HISTORY_START, HISTORY_START + 60 * DAY)) for _ in range(self._count(6))],
            )
        )
        discounts = _sorted_ids(
            "discounts",
            [stamp(at(HISTORY_START, HISTORY_END - 200 * DAY)) for _ in range(self._count(30, 2))],
        )
        self.tables["discounts"].load(discounts)

        # customers and their families
        customers = _sorted_ids(
            "customers",
            [stamp(at(HISTORY_START, HISTORY_END - 40 * DAY)) for _ in range(self._count(400))],
        )
        self.tables["customers"].load(customers)
        pm_specs = [
            {**stamp(at(c.created, c.created + 3600)), "customer_id": c.id}
            for c in customers
            for _ in range(2 if rng.random() < 0.2 else 1)
        ]
        pms = _sorted_ids("payment_methods", pm_specs)
        self.tables["payment_methods"].load(pms)
        for pm in pms:
            self.children["customer_payment_methods"][pm.ref["customer_id"]].append(pm.id)
        address_specs = []
        for c in customers:
            for n in range(2 if rng.random() < 0.3 else 1):
                created = c.created if n == 0 else at(c.created, HISTORY_END - 30 * DAY)
                address_specs.append(
                    {
                        **stamp(created),
                        "customer_id": c.id,
                        "payment_method_id": rng.choice(
                            self.children["customer_payment_methods"][c.id]
                        ),
                        "discount_id": rng.choice(discounts).id if rng.random() < 0.1 else None,
                    }
                )
        addresses = _sorted_ids("addresses", address_specs)
        self.tables["addresses"].load(addresses)

        sub_specs, onetime_specs = [], []
        for a in addresses:
            for _ in range(rng.choices([0, 1, 2, 3], weights=[1, 6, 3, 1])[0]):
                created = at(a.created, min(HISTORY_END - DAY, a.created + 60 * DAY))
                status = rng.choices(["active", "cancelled", "expired"], weights=[14, 5, 1])[0]
                sub_specs.append(
                    {
                        **stamp(created),
                        "address_id": a.id,
                        "customer_id": a.ref["customer_id"],
                        "product_id": rng.choice(products).id,
                        "status": status,
                        "ends": at(min(created + 20 * DAY, HISTORY_END), HISTORY_END)
                        if status != "active"
                        else None,
                    }
                )
            if rng.random() < 0.15:
                created = at(a.created, HISTORY_END - DAY)
                onetime_specs.append(
                    {
                        **stamp(created),
                        "address_id": a.id,
                        "customer_id": a.ref["customer_id"],
                        "product_id": rng.choice(products).id,
                    }
                )
        subs = _sorted_ids("subscriptions", sub_specs)
        self.tables["subscriptions"].load(subs)
        onetimes = _sorted_ids("onetimes", onetime_specs)
        self.tables["onetimes"].load(onetimes)
        for s in subs:
            self.children["customer_subscriptions"][s.ref["customer_id"]].append(s.id)
            self.children["address_subscriptions"][s.ref["address_id"]].append(s.id)
        for o in onetimes:
            self.children["address_onetimes"][o.ref["address_id"]].append(o.id)

        # charges: one per billing cycle of each address with subscriptions
        charge_specs = []
        by_id = self.tables["subscriptions"].rows
        for a in addresses:
            sub_ids = self.children["address_subscriptions"].get(a.id)
            if not sub_ids:
                continue
            first = min(by_id[s].created for s in sub_ids)
            ends = [by_id[s].ref["ends"] for s in sub_ids]
            last = HISTORY_END if None in ends else max(e for e in ends if e is not None)
            cycles = max(1, min(6, (last - first) // (30 * DAY)))
            for n in range(cycles):
                created = first + n * 30 * DAY + rng.randrange(3600)
                final = n == cycles - 1 and None in ends
                status = (
                    "queued"
                    if final
                    else rng.choices(
                        ["success", "error", "skipped", "refunded", "partially_refunded"],
                        weights=[86, 5, 4, 3, 2],
                    )[0]
                )
                items = [("subscription", s) for s in sub_ids]
                if n == 0:
                    items += [("onetime", o) for o in self.children["address_onetimes"][a.id]]
                charge_specs.append(
                    {
                        **stamp(min(created, HISTORY_END)),
                        "address_id": a.id,
                        "customer_id": a.ref["customer_id"],
                        "items": items,
                        "status": status,
                        "type": "checkout" if n == 0 else "recurring",
                        "discount_id": rng.choice(discounts).id if rng.random() < 0.1 else None,
                    }
                )
        charges = _sorted_ids("charges", charge_specs)
        self.tables["charges"].load(charges)
        order_specs = [
            {
                **stamp(min(HISTORY_END, c.created + rng.randrange(60, 3600))),
                "charge_id": c.id,
                "address_id": c.ref["address_id"],
                "customer_id": c.ref["customer_id"],
            }
            for c in charges
            if c.ref["status"] in {"success", "refunded", "partially_refunded"}
        ]
        orders = _sorted_ids("orders", order_specs)
        self.tables["orders"].load(orders)
        for o in orders:
            self.children["customer_orders"][o.ref["customer_id"]].append(o.id)

        # events: what happened to customers, subscriptions and charges, at that second
        event_specs: list[dict[str, Any]] = []
        for kind, rows, verb in (
            ("customer", customers, "created"),
            ("subscription", subs, "created"),
            ("charge", charges, "created"),
        ):
            for r in rows:
                customer_id = r.id if kind == "customer" else r.ref["customer_id"]
                event_specs.append(_event_spec(kind, r.id, customer_id, verb, r.created, {}))
        for s in subs:
            if s.ref["status"] == "cancelled":
                event_specs.append(
                    _event_spec(
                        "subscription",
                        s.id,
                        s.ref["customer_id"],
                        "cancelled",
                        s.ref["ends"],
                        {"status": "cancelled"},
                    )
                )
        self.tables["events"].load(_sorted_ids("events", event_specs))

        # The boundary second: however small the store, every resource has a group of rows
        # updated in its last second, which an incremental reader's first bookmark lands on.
        for name, table in self.tables.items():
            if name == "events" or not len(table):
                continue
            size = min(len(table), max(3, round(0.06 * len(table))))
            for row_id in rng.sample(table.ids, size):
                table.rows[row_id].updated = HISTORY_END
            self._crowd_before_boundary(rng, table)
            table.by_updated = sorted((r.updated, r.id) for r in table.rows.values())
        self._crowd_events_before_boundary(rng)

    def _crowd_before_boundary(self, rng: random.Random, table: Table) -> None:
        """A busy store's last minutes: `density` spreads changes over the seconds before
        the boundary (several a second, one batch-job burst, rows in the second before)."""
        others = [r for r in table.rows.values() if r.updated != HISTORY_END]
        count = round(self.density.fraction * len(others))
        if self.density.fraction:  # even a small table gets rows in the second before
            count = max(count, min(3, len(others)))
        stamps = self.density.stamps(rng, count, HISTORY_END)
        if not stamps:
            return
        eligible = [r for r in others if r.created <= stamps[0]]
        chosen = rng.sample(eligible, min(len(eligible), len(stamps)))
        for row, stamp in zip(chosen, stamps[len(stamps) - len(chosen) :], strict=True):
            row.updated = stamp

    def _crowd_events_before_boundary(self, rng: random.Random) -> None:
        """The newest events crowd the seconds before the newest one (ids keep increasing
        with created_at: each takes the later of its own second and its dense stamp)."""
        table = self.tables["events"]
        newest = max((r.created for r in table.rows.values()), default=HISTORY_END)
        older = [i for i in table.ids if table.rows[i].created < newest]
        stamps = self.density.stamps(rng, round(self.density.fraction * len(older)), newest)
        for row_id, stamp in zip(older[len(older) - len(stamps) :], stamps, strict=True):
            row = table.rows[row_id]
            row.created = row.updated = max(row.created, stamp)
        table.by_updated = sorted((r.updated, r.id) for r in table.rows.values())

    # -- admin changes ------------------------------------------------------------------
    def now(self) -> int:
        """The second admin changes are stamped with: the wall clock's, never before the
        history and never in the future (changes made within one second share it, as in a
        busy store; a stamp ahead of the clock would be a row no reader can bookmark yet)."""
        self._last_stamp = max(self._last_stamp, int(time.time()))
        return self._last_stamp

    def touch(
        self,
        resource: str,
        *,
        count: int = 0,
        ids: list[int] | None = None,
        same_second: bool = False,
    ) -> tuple[list[int], int]:
        """Change `ids` (or `count` seeded picks), all at one new second; returns (ids, second).

        `same_second`: change them again within the second of their last change (updated_at
        stays, the content changes), as a second save in one second looks with whole-second
        timestamps; every row must share that second."""
        table = self._table(resource)
        if resource == "events":
            raise ValueError("events never change")
        if ids is None:
            if not 0 <= count <= len(table):
                raise ValueError(f"count must be 0..{len(table)}")
            ids = sorted(self._admin_rng.sample(table.ids, count))
        missing = [i for i in ids if i not in table.rows]
        if missing:
            raise LookupError(f"no {resource} with id {missing[0]}")
        if same_second:
            seconds = {table.rows[i].updated for i in ids}
            if len(seconds) != 1:
                raise ValueError("same_second needs rows that share their updated_at second")
            stamp = seconds.pop()
        else:
            stamp = self.now()
        for row_id in ids:
            row = table.rows[row_id]
            table.touch(row, stamp)
            if resource in {"customers", "subscriptions", "charges"}:
                kind = resource.removesuffix("s")
                customer = row_id if kind == "customer" else row.ref["customer_id"]
                self._add_event(kind, row_id, customer, "updated", stamp, {"version": row.version})
        return ids, stamp

    def create(self, resource: str, count: int) -> dict[str, list[int]]:
        """Add `count` objects (with any parents they need) at one new second."""
        self._table(resource)
        if not 1 <= count <= 10_000:
            raise ValueError("count must be 1..10000")
        if resource == "events":
            raise ValueError("events are created by changes to other objects")
        stamp, rng = self.now(), self._admin_rng
        made: defaultdict[str, list[int]] = defaultdict(list)
        for _ in range(count):
            self._create_one(resource, stamp, rng, made)
        return dict(made)

    def _create_one(
        self, resource: str, stamp: int, rng: random.Random, made: defaultdict[str, list[int]]
    ) -> int:
        def new(name: str, **ref: Any) -> Row:
            row = self.tables[name].insert(
                Row(id=self.tables[name].next_id(), created=stamp, updated=stamp, ref=ref)
            )
            made[name].append(row.id)
            return row

        def pick(name: str) -> Row:
            return self.tables[name].rows[rng.choice(self.tables[name].ids)]

        if resource in {"products", "collections", "discounts"}:
            extra = {"name": rng.randrange(1000)} if resource == "products" else {}
            return new(resource, **extra).id
        if resource == "plans":
            return new("plans", product_id=pick("products").id, kind="subscription").id
        if resource == "customers":
            customer = new("customers")
            pm = new("payment_methods", customer_id=customer.id)
            self.children["customer_payment_methods"][customer.id].append(pm.id)
            address = new(
                "addresses", customer_id=customer.id, payment_method_id=pm.id, discount_id=None
            )
            sub = self._new_subscription(address, stamp, rng, new)
            self._new_charge(address, [("subscription", sub.id)], "queued", stamp, rng, new)
            self._add_event("customer", customer.id, customer.id, "created", stamp, {})
            return customer.id
        if resource == "payment_methods":
            customer = pick("customers")
            pm = new("payment_methods", customer_id=customer.id)
            self.children["customer_payment_methods"][customer.id].append(pm.id)
            return pm.id
        if resource == "addresses":
            customer = pick("customers")
            pm_id = self.children["customer_payment_methods"][customer.id][0]
            return new(
                "addresses", customer_id=customer.id, payment_method_id=pm_id, discount_id=None
            ).id
        address = pick("addresses")
        if resource == "subscriptions":
            return self._new_subscription(address, stamp, rng, new).id
        if resource == "onetimes":
            onetime = new(
                "onetimes",
                address_id=address.id,
                customer_id=address.ref["customer_id"],
                product_id=pick("products").id,
            )
            self.children["address_onetimes"][address.id].append(onetime.id)
            return onetime.id
        subs = self.children["address_subscriptions"].get(address.id)
        if not subs:
            subs = [self._new_subscription(address, stamp, rng, new).id]
        items = [("subscription", s) for s in subs]
        if resource == "charges":
            return self._new_charge(address, items, "queued", stamp, rng, new).id
        # orders: a processed charge and its order
        charge = self._new_charge(address, items, "success", stamp, rng, new)
        order = new(
            "orders",
            charge_id=charge.id,
            address_id=address.id,
            customer_id=address.ref["customer_id"],
        )
        self.children["customer_orders"][address.ref["customer_id"]].append(order.id)
        self._touch_customer(address.ref["customer_id"], stamp)
        return order.id

    def _new_subscription(
        self, address: Row, stamp: int, rng: random.Random, new: Callable[..., Row]
    ) -> Row:
        customer_id = address.ref["customer_id"]
        sub = new(
            "subscriptions",
            address_id=address.id,
            customer_id=customer_id,
            product_id=rng.choice(self.tables["products"].ids),
            status="active",
            ends=None,
        )
        self.children["customer_subscriptions"][customer_id].append(sub.id)
        self.children["address_subscriptions"][address.id].append(sub.id)
        self._add_event("subscription", sub.id, customer_id, "created", stamp, {})
        self._touch_customer(customer_id, stamp)  # its subscription counts changed
        return sub

    def _new_charge(
        self,
        address: Row,
        items: list[tuple[str, int]],
        status: str,
        stamp: int,
        rng: random.Random,
        new: Callable[..., Row],
    ) -> Row:
        charge = new(
            "charges",
            address_id=address.id,
            customer_id=address.ref["customer_id"],
            items=items,
            status=status,
            type="recurring",
            discount_id=None,
        )
        self._add_event("charge", charge.id, address.ref["customer_id"], "created", stamp, {})
        return charge

    def _touch_customer(self, customer_id: int, stamp: int) -> None:
        table = self.tables["customers"]
        row = table.rows[customer_id]
        if row.updated != stamp:
            table.touch(row, stamp)

    def _add_event(
        self,
        kind: str,
        object_id: int,
        customer_id: int | None,
        verb: str,
        stamp: int,
        changes: dict[str, Any],
    ) -> None:
        table = self.tables["events"]
        spec = _event_spec(kind, object_id, customer_id, verb, stamp, changes)
        table.insert(
            Row(
                id=table.next_id(),
                created=spec.pop("created"),
                updated=spec.pop("updated"),
                ref=spec,
            )
        )

    # -- reading ------------------------------------------------------------------------
    def _table(self, resource: str) -> Table:
        if resource not in self.tables:
            raise LookupError(f"unknown resource {resource!r}")
        return self.tables[resource]

    def render(self, resource: str, row: Row) -> dict[str, Any]:
        return self._renderers[resource](row)

    def snapshot(self, resource: str) -> dict[int, str]:
        """id -> replication value (updated_at; created_at for events): what a copy must hold."""
        table = self._table(resource)
        key = "created" if resource == "events" else "updated"
        return {row.id: str(iso(getattr(row, key))) for row in table.rows.values()}

    def truth(self) -> dict[str, Any]:
        """Row counts per resource (and child rows), newest replication values, money totals."""
        counts = {name: len(table) for name, table in self.tables.items()}
        charge_by_id = {
            r.id: self.render("charges", r) for r in self.tables["charges"].rows.values()
        }
        charges = list(charge_by_id.values())
        # an order bills exactly what its charge billed (see _render_orders)
        orders = [charge_by_id[r.ref["charge_id"]] for r in self.tables["orders"].rows.values()]
        subs = [self.render("subscriptions", r) for r in self.tables["subscriptions"].rows.values()]
        newest = {
            name: iso(max((r.created if name == "events" else r.updated) for r in t.rows.values()))
            for name, t in self.tables.items()
            if len(t)
        }
        return {
            "counts": counts,
            "rows": {
                "charge_line_items": sum(len(c["line_items"]) for c in charges),
                "order_line_items": sum(len(o["line_items"]) for o in orders),
            },
            "newest": newest,
            "money": {
                "charges.total_price": str(sum(Decimal(c["total_price"]) for c in charges)),
                "charges.total_tax": str(sum(Decimal(c["total_tax"]) for c in charges)),
                "orders.total_price": str(sum(Decimal(o["total_price"]) for o in orders)),
                "subscriptions.price": str(sum(Decimal(s["price"]) for s in subs)),
            },
            "total": sum(counts.values()),
        }

    # -- rendering ----------------------------------------------------------------------
    def _rng(self, resource: str, row: Row, versioned: bool = False) -> random.Random:
        suffix = f"/{row.version}" if versioned else ""
        return random.Random(f"{self.seed}/{resource}/{row.id}{suffix}")

    def _person(self, customer_id: int) -> tuple[str, str]:
        rng = random.Random(f"{self.seed}/customers/{customer_id}")
        return rng.choice(_FIRST), rng.choice(_LAST)

    def _product(self, product_id: int) -> dict[str, Any]:
        """The immutable part of a product (title, variants, prices), cached: lines reuse it."""
        cached = self._products.get(product_id)
        if cached is None:
            cached = self._products[product_id] = self._make_product(product_id)
        return cached

    def _place(self, address_id: int) -> tuple[str, str, str, str, str]:
        """(country, currency, city, province, zip) of an address: fixed for its life."""
        return random.Random(f"{self.seed}/place/{address_id}").choice(_PLACES)

    def _address_fields(self, address_id: int) -> dict[str, Any]:
        row = self.tables["addresses"].rows[address_id]
        rng = self._rng("addresses", row)
        first, last = self._person(row.ref["customer_id"])
        country, _currency, city, province, zip_code = self._place(address_id)
        return {
            "address1": f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
            "address2": rng.choice([None, None, f"Apt {rng.randint(1, 40)}"]),
            "city": city,
            "company": rng.choice([None, None, None, "Acme Co."]),
            "country_code": country,
            "first_name": first,
            "last_name": last,
            "phone": f"+1555{rng.randrange(10**7):07d}",
            "province": province,
            "zip": zip_code,
        }

    def _currency(self, address_id: int) -> str:
        return self._place(address_id)[1]

    def _make_product(self, product_id: int) -> dict[str, Any]:
        row = self.tables["products"].rows[product_id]
        rng = self._rng("products", row)
        name = f"{_PRODUCT_NAMES[row.ref['name'] % len(_PRODUCT_NAMES)]} #{product_id % 1000}"
        return {
            "external_product_id": str(7_000_000_000 + product_id),
            "title": name,
            "handle": name.lower().replace(" ", "-").replace("#", ""),
            "variants": [
                {
                    "external_variant_id": str(40_000_000_000 + product_id * 10 + n),
                    "title": size,
                    "sku": f"SKU-{product_id}-{n}",
                    "price": rng.choice(_PRICES),
                    "grams": rng.choice([0, 120, 250, 500, 1000]),
                }
                for n, size in enumerate(rng.choice([["Default Title"], ["S", "M", "L"], ["1 kg"]]))
            ],
        }

    def _line(self, kind: str, item_id: int, version: int) -> dict[str, Any]:
        table = "subscriptions" if kind == "subscription" else "onetimes"
        row = self.tables[table].rows[item_id]
        rng = random.Random(f"{self.seed}/line/{item_id}/{version}")
        product = self._product(row.ref["product_id"])
        variant = product["variants"][self._rng(table, row).randrange(len(product["variants"]))]
        quantity = rng.choice([1, 1, 1, 2, 3])
        unit = Decimal(variant["price"])
        rate = Decimal(rng.choice(_TAX_RATES))
        total = unit * quantity
        tax = (total * rate).quantize(_CENT)
        return {
            "purchase_item_id": item_id,
            "purchase_item_type": kind,
            "external_product_id": {"ecommerce": product["external_product_id"]},
            "external_variant_id": {"ecommerce": variant["external_variant_id"]},
            "grams": variant["grams"],
            "handle": product["handle"],
            "images": {
                "large": f"https://cdn.example.com/p/{item_id}_large.jpg",
                "medium": f"https://cdn.example.com/p/{item_id}_medium.jpg",
                "original": f"https://cdn.example.com/p/{item_id}.jpg",
                "small": f"https://cdn.example.com/p/{item_id}_small.jpg",
            },
            "original_price": money(unit),
            "properties": [{"name": "grind", "value": "whole bean"}] if rng.random() < 0.2 else [],
            "quantity": quantity,
            "sku": variant["sku"],
            "tax_due": money(tax),
            "tax_lines": [{"price": money(tax), "rate": str(rate), "title": "Sales tax"}]
            if rate
            else [],
            "taxable": bool(rate),
            "taxable_amount": money(total if rate else Decimal(0)),
            "title": product["title"],
            "total_price": money(total),
            "unit_price": money(unit),
            "unit_price_includes_tax": False,
            "variant_title": variant["title"],
        }

    def _billing(self, charge: Row, rng: random.Random) -> dict[str, Any]:
        """Line items, discounts, shipping and totals of a charge (orders copy their charge's)."""
        lines = [self._line(kind, item, charge.version) for kind, item in charge.ref["items"]]
        subtotal = sum((Decimal(li["total_price"]) for li in lines), Decimal(0))
        tax = sum((Decimal(li["tax_due"]) for li in lines), Decimal(0))
        discounts, total_discounts = [], Decimal(0)
        if charge.ref.get("discount_id"):
            discount = self._render_discounts(
                self.tables["discounts"].rows[charge.ref["discount_id"]]
            )
            value = Decimal(discount["value"])
            amount = (
                (subtotal * value / 100).quantize(_CENT)
                if discount["value_type"] == "percentage"
                else min(subtotal, value)
                if discount["value_type"] == "fixed_amount"
                else Decimal(0)
            )
            total_discounts = amount
            discounts = [
                {
                    "id": discount["id"],
                    "code": discount["code"],
                    "value": discount["value"],
                    "value_type": discount["value_type"],
                }
            ]
        shipping = Decimal(rng.choice(["0.00", "0.00", "4.95", "9.99"]))
        total = subtotal - total_discounts + tax + shipping
        refunds = (
            total
            if charge.ref["status"] == "refunded"
            else (total / 2).quantize(_CENT)
            if charge.ref["status"] == "partially_refunded"
            else Decimal(0)
        )
        return {
            "discounts": discounts,
            "line_items": lines,
            "shipping_lines": [
                {
                    "code": "Standard" if shipping else "Free",
                    "price": money(shipping),
                    "source": "shopify",
                    "tax_lines": [],
                    "taxable": False,
                    "title": "Standard Shipping" if shipping else "Free Shipping",
                }
            ],
            "subtotal_price": money(subtotal - total_discounts),
            "tax_lines": [
                {
                    "price": money(tax),
                    "rate": lines[0]["tax_lines"][0]["rate"],
                    "title": "Sales tax",
                }
            ]
            if tax and lines[0]["tax_lines"]
            else [],
            "taxable": bool(tax),
            "total_discounts": money(total_discounts),
            "total_line_items_price": money(subtotal),
            "total_price": money(total),
            "total_refunds": money(refunds),
            "total_tax": money(tax),
            "total_weight_grams": sum(li["grams"] * li["quantity"] for li in lines),
        }

    def _customer_ref(self, customer_id: int) -> dict[str, Any]:
        first, _last = self._person(customer_id)
        rng = random.Random(f"{self.seed}/customers/{customer_id}/hash")
        return {
            "id": customer_id,
            "email": _email(first, customer_id),
            "external_customer_id": {"ecommerce": str(6_100_000_000 + customer_id)},
            "hash": f"{rng.getrandbits(64):016x}",
        }

    def _render_customers(self, row: Row) -> dict[str, Any]:
        rng, vrng = self._rng("customers", row), self._rng("customers", row, versioned=True)
        first, last = self._person(row.id)
        sub_rows = self.tables["subscriptions"].rows
        subs = self.children["customer_subscriptions"].get(row.id, [])
        orders = self.children["customer_orders"].get(row.id, [])
        ref = self._customer_ref(row.id)
        first_order = self.tables["orders"].rows[orders[0]].created if orders else None
        return {
            "id": row.id,
            "analytics_data": {
                "utm_params": [
                    {
                        "utm_campaign": "spring",
                        "utm_content": None,
                        "utm_data_source": "storefront",
                        "utm_medium": "email",
                        "utm_source": "newsletter",
                        "utm_term": None,
                        "utm_time_stamp": iso(row.created),
                    }
                ]
                if rng.random() < 0.3
                else []
            },
            "apply_credit_to_next_recurring_charge": vrng.random() < 0.1,
            "created_at": iso(row.created),
            "email": ref["email"],
            "external_customer_id": ref["external_customer_id"],
            "first_charge_processed_at": iso(first_order),
            "first_name": first,
            "has_payment_method_in_dunning": vrng.random() < 0.03,
            "has_valid_payment_method": vrng.random() < 0.95,
            "hash": ref["hash"],
            "last_name": last,
            "orders_count": len(orders),
            "phone": None if rng.random() < 0.4 else f"+1555{rng.randrange(10**7):07d}",
            "subscriptions_active_count": sum(sub_rows[s].ref["status"] == "active" for s in subs),
            "subscriptions_total_count": len(subs),
            "tax_exempt": rng.random() < 0.02,
            "updated_at": iso(row.updated),
        }

    def _render_addresses(self, row: Row) -> dict[str, Any]:
        vrng = self._rng("addresses", row, versioned=True)
        return {
            "id": row.id,
            "customer_id": row.ref["customer_id"],
            "payment_method_id": row.ref["payment_method_id"],
            **self._address_fields(row.id),
            "created_at": iso(row.created),
            "discounts": [{"id": row.ref["discount_id"]}] if row.ref.get("discount_id") else [],
            "order_attributes": [{"name": "gift", "value": "yes"}] if vrng.random() < 0.1 else [],
            "order_note": "Leave at the door" if vrng.random() < 0.1 else None,
            "presentment_currency": self._currency(row.id),
            "shipping_lines_conserved": [],
            "shipping_lines_override": [{"code": "Express", "price": "12.00", "title": "Express"}]
            if vrng.random() < 0.05
            else [],
            "updated_at": iso(row.updated),
        }

    def _render_payment_methods(self, row: Row) -> dict[str, Any]:
        rng = self._rng("payment_methods", row)
        kind = rng.choices(["CREDIT_CARD", "PAYPAL", "APPLE_PAY"], weights=[8, 1, 1])[0]
        siblings = self.children["customer_payment_methods"][row.ref["customer_id"]]
        first, last = self._person(row.ref["customer_id"])
        return {
            "id": row.id,
            "customer_id": row.ref["customer_id"],
            "billing_address": {
                "address1": f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
                "address2": None,
                "city": "Austin",
                "company": None,
                "country_code": "US",
                "first_name": first,
                "last_name": last,
                "phone": None,
                "province": "Texas",
                "zip": "78701",
            },
            "created_at": iso(row.created),
            "default": siblings[0] == row.id,
            "payment_details": {
                "brand": None if kind == "PAYPAL" else rng.choice(["visa", "mastercard", "amex"]),
                "exp_month": None if kind == "PAYPAL" else rng.randint(1, 12),
                "exp_year": None if kind == "PAYPAL" else rng.randint(2025, 2031),
                "last4": None if kind == "PAYPAL" else f"{rng.randrange(10_000):04d}",
                "paypal_email": _email(first, row.ref["customer_id"]) if kind == "PAYPAL" else None,
                "wallet_type": "apple_pay" if kind == "APPLE_PAY" else None,
            },
            "payment_type": kind,
            "processor_customer_token": f"cus_{rng.getrandbits(48):012x}",
            "processor_name": "braintree" if kind == "PAYPAL" else "stripe",
            "processor_payment_method_token": f"pm_{rng.getrandbits(48):012x}",
            "status": "valid" if rng.random() < 0.95 else "invalid",
            "status_reason": None,
            "updated_at": iso(row.updated),
        }

    def _render_subscriptions(self, row: Row) -> dict[str, Any]:
        rng, vrng = self._rng("subscriptions", row), self._rng("subscriptions", row, versioned=True)
        product = self._product(row.ref["product_id"])
        variant = product["variants"][rng.randrange(len(product["variants"]))]
        status = row.ref["status"]
        unit = rng.choice(["month", "week", "day"])
        frequency = {"month": rng.choice([1, 2, 3]), "week": rng.choice([2, 4]), "day": 30}[unit]
        ends = row.ref.get("ends")
        return {
            "id": row.id,
            "address_id": row.ref["address_id"],
            "customer_id": row.ref["customer_id"],
            "analytics_data": {"utm_params": []},
            "cancellation_reason": rng.choice(_CANCEL_REASONS) if status == "cancelled" else None,
            "cancellation_reason_comments": None,
            "cancelled_at": iso(ends) if status == "cancelled" else None,
            "charge_interval_frequency": frequency,
            "created_at": iso(row.created),
            "expire_after_specific_number_of_charges": 6 if status == "expired" else None,
            "external_product_id": {"ecommerce": product["external_product_id"]},
            "external_variant_id": {"ecommerce": variant["external_variant_id"]},
            "has_queued_charges": status == "active",
            "is_prepaid": False,
            "is_skippable": True,
            "is_swappable": rng.random() < 0.5,
            "max_retries_reached": False,
            "next_charge_scheduled_at": iso_date(max(row.updated, HISTORY_END) + 20 * DAY)
            if status == "active"
            else None,
            "order_day_of_month": None,
            "order_day_of_week": None,
            "order_interval_frequency": frequency,
            "order_interval_unit": unit,
            "presentment_currency": self._currency(row.ref["address_id"]),
            "price": money(Decimal(variant["price"]) + Decimal(vrng.choice(["0", "0", "1.00"]))),
            "product_title": product["title"],
            "properties": [],
            "quantity": vrng.choice([1, 1, 1, 2, 3]),
            "sku": variant["sku"],
            "sku_override": False,
            "status": status,
            "updated_at": iso(row.updated),
            "variant_title": variant["title"],
        }

    def _render_onetimes(self, row: Row) -> dict[str, Any]:
        rng, vrng = self._rng("onetimes", row), self._rng("onetimes", row, versioned=True)
        product = self._product(row.ref["product_id"])
        variant = product["variants"][rng.randrange(len(product["variants"]))]
        return {
            "id": row.id,
            "address_id": row.ref["address_id"],
            "customer_id": row.ref["customer_id"],
            "created_at": iso(row.created),
            "external_product_id": {"ecommerce": product["external_product_id"]},
            "external_variant_id": {"ecommerce": variant["external_variant_id"]},
            "is_cancelled": vrng.random() < 0.05,
            "next_charge_scheduled_at": iso_date(row.created + 14 * DAY),
            "price": variant["price"],
            "product_title": product["title"],
            "properties": [],
            "quantity": vrng.choice([1, 2]),
            "sku": variant["sku"],
            "sku_override": False,
            "updated_at": iso(row.updated),
            "variant_title": variant["title"],
        }

    def _render_charges(self, row: Row) -> dict[str, Any]:
        rng, vrng = self._rng("charges", row), self._rng("charges", row, versioned=True)
        status = row.ref["status"]
        address = self._address_fields(row.ref["address_id"])
        processed = None if status in {"queued", "skipped"} else row.created + rng.randrange(60)
        return {
            "id": row.id,
            "address_id": row.ref["address_id"],
            "analytics_data": {"utm_params": []},
            "billing_address": address,
            "client_details": {"browser_ip": None, "user_agent": None},
            "created_at": iso(row.created),
            "currency": self._currency(row.ref["address_id"]),
            "customer": self._customer_ref(row.ref["customer_id"]),
            **self._billing(row, vrng),
            "error": "Card declined" if status == "error" else None,
            "error_type": "CLOSED_MAX_RETRIES_REACHED" if status == "error" else None,
            "external_order_id": {"ecommerce": None},
            "external_transaction_id": {
                "payment_processor": None if processed is None else f"ch_{rng.getrandbits(40):010x}"
            },
            "has_uncommitted_changes": False,
            "note": None,
            "order_attributes": [],
            "orders_count": 1 if status in {"success", "refunded", "partially_refunded"} else 0,
            "payment_processor": "stripe",
            "processed_at": iso(processed),
            "retry_date": iso(row.created + 3 * DAY) if status == "error" else None,
            "scheduled_at": iso_date(row.created),
            "shipping_address": address,
            "status": status,
            "tags": "Subscription, Subscription Recurring Order"
            if row.ref["type"] == "recurring"
            else "Subscription First Order",
            "type": row.ref["type"],
            "updated_at": iso(row.updated),
        }

    def _render_orders(self, row: Row) -> dict[str, Any]:
        charge = self.tables["charges"].rows[row.ref["charge_id"]]
        rendered = self._render_charges(charge)
        number = 1000 + (row.id - _ID_BASE["orders"])
        return {
            "id": row.id,
            "address_id": row.ref["address_id"],
            "billing_address": rendered["billing_address"],
            "charge": {
                "id": charge.id,
                "external_transaction_id": rendered["external_transaction_id"],
            },
            "client_details": {"browser_ip": None, "user_agent": None},
            "created_at": iso(row.created),
            "currency": rendered["currency"],
            "customer": self._customer_ref(row.ref["customer_id"]),
            **{key: rendered[key] for key in _BILLING_KEYS},
            "error": None,
            "external_cart_token": None,
            "external_order_id": {"ecommerce": str(5_500_000_000 + row.id)},
            "external_order_name": {"ecommerce": f"#{number}"},
            "external_order_number": {"ecommerce": str(number)},
            "is_prepaid": False,
            "note": None,
            "order_attributes": [],
            "processed_at": iso(row.created),
            "scheduled_at": iso(charge.created),
            "shipping_address": rendered["shipping_address"],
            "status": "refunded" if charge.ref["status"] == "refunded" else "success",
            "tags": rendered["tags"],
            "total_duties": "0.00",
            "type": rendered["type"],
            "updated_at": iso(row.updated),
        }

    def _render_discounts(self, row: Row) -> dict[str, Any]:
        rng, vrng = self._rng("discounts", row), self._rng("discounts", row, versioned=True)
        value_type = rng.choice(_DISCOUNT_TYPES)
        value = {
            "percentage": rng.choice(["10.00", "15.00", "20.00", "25.00"]),
            "fixed_amount": rng.choice(["5.00", "10.00", "12.50"]),
            "shipping": "100.00",
        }[value_type]
        portal = {"can_apply": True, "can_remove": True}
        return {
            "id": row.id,
            "applies_to": {"ids": [], "purchase_item_type": "ALL", "resource": None},
            "channel_settings": {
                "api": portal,
                "checkout_page": {"can_apply": True},
                "customer_portal": portal,
                "merchant_portal": portal,
            },
            "code": f"SAVE{row.id % 100_000}",
            "created_at": iso(row.created),
            "ends_at": iso(row.created + 365 * DAY) if rng.random() < 0.3 else None,
            "external_discount_id": {"ecommerce": None},
            "external_discount_source": None,
            "prerequisite_subtotal_min": rng.choice([None, "25.00", "50.00"]),
            "starts_at": iso(row.created),
            "status": vrng.choices(["enabled", "disabled"], weights=[9, 1])[0],
            "updated_at": iso(row.updated),
            "usage_limits": {
                "first_time_customer_restriction": rng.random() < 0.3,
                "max_subsequent_redemptions": rng.choice([None, 1, 3]),
                "one_application_per_customer": rng.random() < 0.5,
            },
            "value": value,
            "value_type": value_type,
        }

    def _render_products(self, row: Row) -> dict[str, Any]:
        product = self._product(row.id)
        vrng = self._rng("products", row, versioned=True)
        return {
            "id": row.id,
            "created_at": iso(row.created),
            "external_product_id": product["external_product_id"],
            "handle": product["handle"],
            "images": {
                "large": f"https://cdn.example.com/products/{row.id}_large.jpg",
                "medium": f"https://cdn.example.com/products/{row.id}_medium.jpg",
                "original": f"https://cdn.example.com/products/{row.id}.jpg",
                "small": f"https://cdn.example.com/products/{row.id}_small.jpg",
            },
            "options": [
                {"name": "Size", "position": 1, "values": [v["title"] for v in product["variants"]]}
            ],
            "published_at": iso(row.created),
            "requires_shipping": True,
            "title": product["title"],
            "updated_at": iso(row.updated),
            "variants": [
                {
                    "external_variant_id": v["external_variant_id"],
                    "option_values": [{"label": v["title"]}],
                    "prices": {
                        "compare_at_price": vrng.choice([None, money(Decimal(v["price"]) * 2)]),
                        "unit_price": v["price"],
                    },
                    "requires_shipping": True,
                    "sku": v["sku"],
                    "taxable": True,
                    "title": v["title"],
                    "weight": {"unit": "g", "value": v["grams"]},
                }
                for v in product["variants"]
            ],
            "vendor": "Example Goods",
        }

    def _render_plans(self, row: Row) -> dict[str, Any]:
        rng = self._rng("plans", row)
        product = self._product(row.ref["product_id"])
        kind = row.ref["kind"]
        unit = rng.choice(["month", "week"])
        frequency = rng.choice([1, 2, 3]) if unit == "month" else rng.choice([2, 4])
        portal = {"display": True}
        return {
            "id": row.id,
            "channel_settings": {
                "api": portal,
                "checkout_page": portal,
                "customer_portal": portal,
                "merchant_portal": portal,
            },
            "created_at": iso(row.created),
            "deleted_at": None,
            "discount_amount": rng.choice(["0.00", "5.00", "10.00", "15.00"]),
            "discount_type": "percentage",
            "external_product_id": {"ecommerce": product["external_product_id"]},
            "external_variant_ids": [v["external_variant_id"] for v in product["variants"]],
            "has_variant_restrictions": False,
            "sort_order": 0 if kind == "subscription" else 1,
            "subscription_preferences": {
                "charge_interval_frequency": frequency * (3 if kind == "prepaid" else 1),
                "cutoff_day_of_month": None,
                "cutoff_day_of_week": None,
                "expire_after_specific_number_of_charges": 4 if kind == "prepaid" else None,
                "interval_unit": unit,
                "order_day_of_month": None,
                "order_day_of_week": None,
                "order_interval_frequency": frequency,
            },
            "title": f"{product['title']} ({kind})",
            "type": kind,
            "updated_at": iso(row.updated),
        }

    def _render_collections(self, row: Row) -> dict[str, Any]:
        rng = self._rng("collections", row)
        title = rng.choice(["Best sellers", "Coffee", "Wellness", "Gifts", "Bundles", "New"])
        return {
            "id": row.id,
            "created_at": iso(row.created),
            "description": f"{title} collection",
            "sort_order": rng.choice(["id-asc", "title-asc", "created_at-desc"]),
            "title": title,
            "type": "manual",
            "updated_at": iso(row.updated),
        }

    def _render_events(self, row: Row) -> dict[str, Any]:
        ref = row.ref
        return {
            "id": row.id,
            "created_at": iso(row.created),
            "customer_id": ref["customer_id"],
            "object_id": ref["object_id"],
            "object_type": ref["object_type"],
            "source": {
                "account_id": None,
                "api_token_id": None,
                "api_token_name": None,
                "origin": "api" if ref["verb"] == "updated" else "recharge_checkout",
                "user_type": "api" if ref["verb"] == "updated" else "customer",
            },
            "updated_attributes": dict(ref["changes"]),
            "verb": ref["verb"],
        }


_BILLING_KEYS = (
    "discounts",
    "line_items",
    "shipping_lines",
    "subtotal_price",
    "tax_lines",
    "taxable",
    "total_discounts",
    "total_line_items_price",
    "total_price",
    "total_refunds",
    "total_tax",
    "total_weight_grams",
)


def _email(first: str, customer_id: int) -> str:
    ascii_name = first.encode("ascii", "ignore").decode().lower() or "customer"
    return f"{ascii_name}.{customer_id}@example.com"


def _event_spec(
    kind: str,
    object_id: int,
    customer_id: int | None,
    verb: str,
    at: int,
    changes: dict[str, Any],
) -> dict[str, Any]:
    return {
        "created": at,
        "updated": at,
        "object_type": kind,
        "object_id": object_id,
        "customer_id": customer_id,
        "verb": verb,
        "changes": changes,
    }
