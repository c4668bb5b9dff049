"""Recharge streams, declarative: path, key, bookmark, scope and schema per resource.

Incremental streams ask for `<key>_min` = bookmark - 1 s on the first page and follow
`next_cursor` alone after that; rows an earlier run emitted are dropped again (client.py).
Only charges take a `sort_by` (Recharge's own client, recharge-api, declares it for
charges alone), so only charges save their bookmark page by page; the others make it the
newest value they read when they finish. Products, collections and payment methods have
no updated-since filter in 2021-11, so each run copies them in full (they are small).

The order below is the sync order, children before parents: a row can only reference a row
created before it, so reading charges before subscriptions before addresses before
customers means every reference a run loads finds its target in the same run, even while
the store keeps changing.
"""

from __future__ import annotations

from tap_recharge import schemas
from tap_recharge.client import RechargeStream


class EventsStream(RechargeStream):
    name = "events"
    path = "/events"
    primary_keys = ("id",)
    replication_key = "created_at"
    records_jsonpath = "$.events[*]"
    scope = "read_events"
    schema = schemas.EVENT


class OrdersStream(RechargeStream):
    name = "orders"
    path = "/orders"
    primary_keys = ("id",)
    replication_key = "updated_at"
    records_jsonpath = "$.orders[*]"
    scope = "read_orders"
    schema = schemas.ORDER


class ChargesStream(RechargeStream):
    name = "charges"
    path = "/charges"
    primary_keys = ("id",)
    replication_key = "updated_at"
    records_jsonpath = "$.charges[*]"
    scope = "read_charges"
    sort_by = "updated_at-asc"
    schema = schemas.CHARGE


class OnetimesStream(RechargeStream):
    name = "onetimes"
    path = "/onetimes"
    primary_keys = ("id",)
    replication_key = "updated_at"
    records_jsonpath = "$.onetimes[*]"
    scope = "read_subscriptions"
    schema = schemas.ONETIME


class SubscriptionsStream(RechargeStream):
    name = "subscriptions"
    path = "/subscriptions"
    primary_keys = ("id",)
    replication_key = "updated_at"
    records_jsonpath = "$.subscriptions[*]"
    scope = "read_subscriptions"
    schema = schemas.SUBSCRIPTION


class AddressesStream(RechargeStream):
    name = "addresses"
    path = "/addresses"
    primary_keys = ("id",)
    replication_key = "updated_at"
    records_jsonpath = "$.addresses[*]"
    scope = "read_addresses"
    schema = schemas.ADDRESS


class PaymentMethodsStream(RechargeStream):
    name = "payment_methods"
    path = "/payment_methods"
    primary_keys = ("id",)
    replication_key = None
    records_jsonpath = "$.payment_methods[*]"
    scope = "read_payment_methods"
    schema = schemas.PAYMENT_METHOD


class CustomersStream(RechargeStream):
    name = "customers"
    path = "/customers"
    primary_keys = ("id",)
    replication_key = "updated_at"
    records_jsonpath = "$.customers[*]"
    scope = "read_customers"
    schema = schemas.CUSTOMER


class DiscountsStream(RechargeStream):
    name = "discounts"
    path = "/discounts"
    primary_keys = ("id",)
    replication_key = "updated_at"
    records_jsonpath = "$.discounts[*]"
    scope = "read_discounts"
    schema = schemas.DISCOUNT


class PlansStream(RechargeStream):
    name = "plans"
    path = "/plans"
    primary_keys = ("id",)
    replication_key = "updated_at"
    records_jsonpath = "$.plans[*]"
    scope = "read_products"
    schema = schemas.PLAN


class ProductsStream(RechargeStream):
    name = "products"
    path = "/products"
    primary_keys = ("id",)
    replication_key = None
    records_jsonpath = "$.products[*]"
    scope = "read_products"
    schema = schemas.PRODUCT


class CollectionsStream(RechargeStream):
    name = "collections"
    path = "/collections"
    primary_keys = ("id",)
    replication_key = None
    records_jsonpath = "$.collections[*]"
    scope = "read_products"
    schema = schemas.COLLECTION


STREAMS: list[type[RechargeStream]] = [
    EventsStream,
    OrdersStream,
    ChargesStream,
    OnetimesStream,
    SubscriptionsStream,
    AddressesStream,
    PaymentMethodsStream,
    CustomersStream,
    DiscountsStream,
    PlansStream,
    ProductsStream,
    CollectionsStream,
]
