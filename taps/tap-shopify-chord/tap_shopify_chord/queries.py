"""The GraphQL the tap sends: one selection per object, rendered for a bulk export or for
plain paginated queries.

Every node selects `__typename`, so a bulk JSONL line (or a plain page flattened into the
same shape) says which table it feeds without looking at its neighbours. Each nested
connection node selects what its table needs from its parent-less self (ids of the line
item, location, product, ...); the parent key itself comes from the line's `__parentId`.
That is what lets a bulk file be read line by line: no child waits for its parent.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, replace

MAX_FIRST = 250  # Shopify's largest page
# `[scope|columns: fields]` in a selection: fields that reach an object another scope guards
# (Shopify fails the whole query, or bulk job, with ACCESS_DENIED without it). Kept when the
# app has the scope; otherwise left out, and those columns stay empty (the tap warns once).
_SCOPED = re.compile(r"\[(\w+)\|([^:\]]+): ([^\]]*)\]")


@dataclass(frozen=True)
class Connection:
    """A nested connection: its field name, node selection and its own nested connections."""

    field: str
    node_type: str
    selection: str
    first: int  # page size in plain queries (a bulk export has no pages)
    children: tuple[Connection, ...] = ()
    follow_first: int = 250  # page size of follow-up queries: at most 1000 cost points


@dataclass(frozen=True)
class ListOf:
    """A plain list field (not a connection) that holds connections, e.g. Order.refunds.

    Shopify refuses a bulk query with a connection inside a list field, so a bulk export
    selects only the list's own fields; its connections come by plain follow-up queries
    (`list_children_query`) for the parents whose list is not empty."""

    field: str
    selection: str
    first: int
    children: tuple[Connection, ...] = ()
    # Shopify's calculated cost of one item with its connections' first pages (object 1,
    # connection 2 + first x node): sizes the follow-up batches (tests price them).
    item_cost: int = 1


@dataclass(frozen=True)
class Root:
    """A top-level connection the tap reads: `orders`, `customers`, ..."""

    field: str
    node_type: str
    selection: str
    children: tuple[Connection | ListOf, ...] = ()
    sort_key: str | None = "UPDATED_AT"
    filter_field: str | None = "updated_at"
    extra_args: str = ""
    scope: str = ""


def _money(name: str) -> str:
    return f"{name} {{ shopMoney {{ amount currencyCode }} }}"


ADDRESS = (
    "__typename id address1 address2 city company country countryCodeV2 firstName lastName "
    "name phone province provinceCode zip"
)
CUSTOMER = (
    "__typename id legacyResourceId firstName lastName defaultEmailAddress { emailAddress } "
    "defaultPhoneNumber { phoneNumber } defaultAddress { id } numberOfOrders "
    "amountSpent { amount currencyCode } multipassIdentifier note state "
    "tags taxExempt verifiedEmail createdAt updatedAt "
    "[read_orders|customers.last_order_id, last_order_name: lastOrder { id name }]"
)
ORDER = " ".join(
    [
        "__typename id legacyResourceId name number email phone createdAt updatedAt processedAt",
        "cancelledAt cancelReason closedAt currencyCode presentmentCurrencyCode",
        "displayFinancialStatus displayFulfillmentStatus note tags test totalWeight",
        "taxesIncluded estimatedTaxes sourceName sourceIdentifier customerLocale clientIp",
        "customerAcceptsMarketing paymentGatewayNames",
        "customerJourneySummary { firstVisit { landingPage referrerUrl } }",
        "app { id } [read_customers|orders.customer_id: customer { id }]",
        "[read_locations|orders.location_id: retailLocation { id }]",
        *map(
            _money,
            [
                "subtotalPriceSet",
                "totalPriceSet",
                "totalTaxSet",
                "totalDiscountsSet",
                "currentSubtotalPriceSet",
                "currentTotalPriceSet",
                "currentTotalTaxSet",
                "currentTotalDiscountsSet",
                "totalOutstandingSet",
                "totalTipReceivedSet",
            ],
        ),
    ]
)
_WEIGHT = "measurement { weight { unit value } }"
LINE_ITEM = " ".join(
    [
        "__typename id name title variantTitle vendor sku quantity unfulfilledQuantity",
        "requiresShipping taxable isGiftCard",
        "originalUnitPriceSet { shopMoney { amount } } totalDiscountSet { shopMoney { amount } }",
        "discountAllocations { allocatedAmountSet { shopMoney { amount } } "
        "discountApplication { index } }",
        "[read_products|order_lines.product_id, variant_id, grams: product { id } "
        f"variant {{ id inventoryItem {{ {_WEIGHT} }} }}]",
    ]
)
DISCOUNT_APPLICATION = (
    "__typename index targetType "
    "value { __typename ... on MoneyV2 { amount } ... on PricingPercentageValue { percentage } } "
    "... on DiscountCodeApplication { code }"
)
REFUND = "__typename id legacyResourceId createdAt"
REFUND_LINE_ITEM = (
    "__typename id quantity restockType lineItem { id } "
    "[read_locations|order_line_refunds.location_id: location { id }] "
    "subtotalSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } }"
)
PRODUCT = (
    "__typename id legacyResourceId title handle descriptionHtml productType vendor status "
    "tags templateSuffix publishedAt createdAt updatedAt"
)
VARIANT = (
    "__typename id legacyResourceId title sku barcode price compareAtPrice position taxable "
    "inventoryPolicy inventoryQuantity selectedOptions { value } createdAt updatedAt "
    f"product {{ id }} inventoryItem {{ id tracked requiresShipping {_WEIGHT} }}"
)
LOCATION = (
    "__typename id legacyResourceId name isActive isFulfillmentService createdAt updatedAt "
    "address { address1 address2 city country countryCode phone province provinceCode zip }"
)
ABANDONED_CHECKOUT = " ".join(
    [
        "__typename id name abandonedCheckoutUrl createdAt updatedAt completedAt note",
        "taxesIncluded discountCodes [read_customers|abandoned_checkouts.customer_id, email: "
        "customer { id defaultEmailAddress { emailAddress } }]",
        *map(
            _money,
            [
                "totalPriceSet",
                "subtotalPriceSet",
                "totalTaxSet",
                "totalDiscountSet",
                "totalLineItemsPriceSet",
            ],
        ),
    ]
)

CUSTOMERS = Root(
    "customers",
    "Customer",
    CUSTOMER,
    (Connection("addressesV2", "MailingAddress", ADDRESS, first=10),),
    scope="read_customers",
)
ORDERS = Root(
    "orders",
    "Order",
    ORDER,
    (
        Connection("lineItems", "LineItem", LINE_ITEM, first=10, follow_first=60),
        Connection("discountApplications", "DiscountApplication", DISCOUNT_APPLICATION, first=5),
        ListOf(
            "refunds",
            REFUND,
            first=2,  # most orders have one refund of a few lines; more are followed up
            item_cost=31,  # 1 + refundLineItems (2 + 4 x 7)
            children=(
                Connection(
                    "refundLineItems", "RefundLineItem", REFUND_LINE_ITEM, first=4, follow_first=125
                ),
            ),
        ),
    ),
    scope="read_orders",
)
PRODUCTS = Root(
    "products",
    "Product",
    PRODUCT,
    (Connection("variants", "ProductVariant", VARIANT, first=20, follow_first=150),),
    scope="read_products",
)
LOCATIONS = Root(
    "locations",
    "Location",
    LOCATION,
    sort_key=None,
    filter_field=None,
    extra_args="includeLegacy: true, includeInactive: true",
    scope="read_locations",
)
ABANDONED_CHECKOUTS = Root(
    "abandonedCheckouts",
    "AbandonedCheckout",
    ABANDONED_CHECKOUT,
    sort_key=None,  # no UPDATED_AT sort key: read unsorted, bookmark set at the end
    scope="read_orders",
)

SCOPES = "query Scopes { currentAppInstallation { accessScopes { handle } } }"
BULK_FIELDS = (
    "id status errorCode objectCount rootObjectCount url partialDataUrl createdAt completedAt query"
)
# groupObjects sent explicitly: its default changed (true before 2026-01, false since); the
# tap reads lines independently and never needs grouping (which Shopify says is slower).
BULK_RUN = (
    "mutation Run($query: String!) { bulkOperationRunQuery(query: $query, groupObjects: false) "
    f"{{ bulkOperation {{ {BULK_FIELDS} }} userErrors {{ code field message }} }} }}"
)
BULK_POLL = (
    f"query Poll($id: ID!) {{ node(id: $id) {{ ... on BulkOperation {{ {BULK_FIELDS} }} }} }}"
)
# The app's bulk queries that may be adopted on resume, through `bulkOperations` filtered by
# status and type (`currentBulkOperation` is deprecated since 2026-01 and sees one job only).
BULK_OPEN = (
    "query Open { "
    + " ".join(
        f'{status}: bulkOperations(first: 10, query: "operation_type:query status:{status}") '
        f"{{ edges {{ node {{ {BULK_FIELDS} }} }} }}"
        for status in ("created", "running", "completed")
    )
    + " }"
)
FOLLOW_POINTS = 950  # a follow-up query's budget (Shopify refuses a query over 1000)
MAX_BATCH = 50  # parents per follow-up query at most


def list_batch(child: ListOf, length: int) -> int:
    """Parents per follow-up query for lists `length` long (one object + the items)."""
    return max(1, min(MAX_BATCH, FOLLOW_POINTS // (1 + length * child.item_cost)))


def search(root: Root, since: str | None, until: str | None) -> str | None:
    """Shopify search syntax for the updated_at window, or None (no filter)."""
    if root.filter_field is None:
        return None
    terms = []
    if since:
        terms.append(f"{root.filter_field}:>='{since}'")
    if until:
        terms.append(f"{root.filter_field}:<='{until}'")
    return " AND ".join(terms) or None


def _bulk_children(children: t.Sequence[Connection | ListOf]) -> str:
    parts = []
    for child in children:
        if isinstance(child, ListOf):  # its own fields only: no connection inside a list
            parts.append(f"{child.field} {{ {child.selection} }}")
        else:
            inner = f"{child.selection} {_bulk_children(child.children)}".strip()
            parts.append(f"{child.field} {{ edges {{ node {{ {inner} }} }} }}")
    return " ".join(parts)


def bulk_query(root: Root, query: str | None) -> str:
    """The inner query of a bulk export: every nested connection becomes its own lines."""
    args = [a for a in (root.extra_args, f"query: {_quote(query)}" if query else "") if a]
    call = f"{root.field}({', '.join(args)})" if args else root.field
    inner = f"{root.selection} {_bulk_children(root.children)}".strip()
    return f"{{ {call} {{ edges {{ node {{ {inner} }} }} }} }}"


def _plain_children(children: t.Sequence[Connection | ListOf], first: int | None) -> str:
    parts = []
    for child in children:
        size = child.first if first is None else min(first, child.first)
        if isinstance(child, ListOf):
            inner = _plain_children(child.children, first)
            parts.append(f"{child.field}(first: {size}) {{ {child.selection} {inner} }}")
        else:
            inner = f"{child.selection} {_plain_children(child.children, first)}".strip()
            parts.append(
                f"{child.field}(first: {size}) {{ pageInfo {{ hasNextPage endCursor }} "
                f"nodes {{ {inner} }} }}"
            )
    return " ".join(parts)


def page_query(root: Root, nested_first: int | None = None) -> str:
    """A plain page of the root connection, nested connections capped (followed up later)."""
    args = ["first: $first", "after: $after"]
    if root.filter_field:
        args.append("query: $query")
    if root.sort_key:
        args.append(f"sortKey: {root.sort_key}")
    if root.extra_args:
        args.append(root.extra_args)
    inner = f"{root.selection} {_plain_children(root.children, nested_first)}".strip()
    variables = "$first: Int!, $after: String" + (", $query: String" if root.filter_field else "")
    return (
        f"query Page({variables}) {{ {root.field}({', '.join(args)}) {{ "
        f"pageInfo {{ hasNextPage endCursor }} nodes {{ {inner} }} }} }}"
    )


def probe_query(root: Root) -> str:
    """Is there at least one object in the window? Checks a bulk job that found none."""
    return (
        f"query Probe($query: String) {{ {root.field}(first: 1, query: $query) "
        "{ nodes { id } } }"
    )


def follow_up_query(parent_type: str, connection: Connection) -> str:
    """The rest of one parent's nested connection, beyond the first page a page query got."""
    inner = f"{connection.selection} {_plain_children(connection.children, None)}".strip()
    return (
        f"query More($id: ID!, $after: String) {{ node(id: $id) {{ ... on {parent_type} {{ "
        f"{connection.field}(first: {connection.follow_first}, after: $after) {{ "
        f"pageInfo {{ hasNextPage endCursor }} nodes {{ {inner} }} }} }} }} }}"
    )


FULL_LIST = 25  # a list read whole: 25 refunds with 4 lines each stay under 1000 points


def full_list_query(parent_type: str, child: ListOf) -> str:
    """A list field (refunds) read again, FULL_LIST long, when a page filled its cap (a
    list has no pages; its items' cut connections are followed up one by one)."""
    inner = _plain_children(child.children, None)
    return (
        f"query List($id: ID!) {{ node(id: $id) {{ ... on {parent_type} {{ "
        f"{child.field}(first: {FULL_LIST}) {{ {child.selection} {inner} }} }} }} }}"
    )


def list_children_query(parent_type: str, child: ListOf) -> str:
    """A list field's connections (a refund's line items) for a batch of parents, read with
    plain queries after a bulk export that could only carry the list's own fields."""
    inner = _plain_children(child.children, None)
    return (
        f"query Lists($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on {parent_type} {{ id "
        f"{child.field}(first: {child.first}) {{ {child.selection} {inner} }} }} }} }}"
    )


_UNTIL = re.compile(r" AND updated_at:<='([^']*)'")


def is_own_job(job_query: str, root: Root, since: str | None) -> bool:
    """Is `job_query` exactly the bulk query this run builds for its window (the window's
    end taken from the job, since it was set from the clock when the job started)?"""
    match = _UNTIL.search(job_query)
    until = match[1] if match else None
    return job_query == bulk_query(root, search(root, since, until))


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def all_queries() -> list[str]:
    """Every query text the tap can send (for the schema validation test)."""
    out = [SCOPES, BULK_RUN, BULK_POLL, BULK_OPEN]
    roots = (CUSTOMERS, ORDERS, PRODUCTS, LOCATIONS, ABANDONED_CHECKOUTS)
    for root in [for_scopes(r, scopes) for r in roots for scopes in (None, ())]:
        out += [page_query(root), page_query(root, 1), probe_query(root)]
        out.append(bulk_query(root, search(root, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")))
        for child in root.children:
            if isinstance(child, ListOf):
                out.append(full_list_query(root.node_type, child))
                out.append(list_children_query(root.node_type, child))
                out += [follow_up_query("Refund", c) for c in child.children]
            else:
                out.append(follow_up_query(root.node_type, child))
    return out


def scoped(selection: str, scopes: t.Collection[str] | None) -> str:
    """The selection with its scope-guarded fields kept or left out (None: keep all)."""

    def keep(match: re.Match[str]) -> str:
        return match[3] if scopes is None or match[1] in scopes else ""

    return " ".join(_SCOPED.sub(keep, selection).split())


def dropped(root: Root, scopes: t.Collection[str]) -> list[tuple[str, str]]:
    """(scope, columns) of every guarded field a query of `root` leaves out."""
    texts = [root.selection]
    pending: list[Connection | ListOf] = list(root.children)
    while pending:
        child = pending.pop()
        texts.append(child.selection)
        pending += child.children
    return [(m[1], m[2]) for text in texts for m in _SCOPED.finditer(text) if m[1] not in scopes]


def for_scopes(root: Root, scopes: t.Collection[str] | None) -> Root:
    """`root` with every selection (its children's too) rendered for `scopes`."""
    children = tuple(_for_scopes(c, scopes) for c in root.children)
    return replace(root, selection=scoped(root.selection, scopes), children=children)


def _for_scopes(node: Connection | ListOf, scopes: t.Collection[str] | None) -> t.Any:
    children = tuple(_for_scopes(c, scopes) for c in node.children)
    return replace(node, selection=scoped(node.selection, scopes), children=children)
