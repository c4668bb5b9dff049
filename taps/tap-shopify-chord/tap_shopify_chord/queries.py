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


@dataclass(frozen=True)
class ListOf:
    """A plain list field (not a connection) that holds connections, e.g. Order.refunds."""

    field: str
    selection: str
    first: int
    children: tuple[Connection, ...] = ()


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
        Connection("lineItems", "LineItem", LINE_ITEM, first=10),
        Connection("discountApplications", "DiscountApplication", DISCOUNT_APPLICATION, first=5),
        ListOf(
            "refunds",
            REFUND,
            first=3,
            children=(Connection("refundLineItems", "RefundLineItem", REFUND_LINE_ITEM, first=5),),
        ),
    ),
    scope="read_orders",
)
PRODUCTS = Root(
    "products",
    "Product",
    PRODUCT,
    (Connection("variants", "ProductVariant", VARIANT, first=20),),
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
BULK_RUN = (
    "mutation Run($query: String!) { bulkOperationRunQuery(query: $query) { "
    f"bulkOperation {{ {BULK_FIELDS} }} userErrors {{ code field message }} }} }}"
)
BULK_POLL = (
    f"query Poll($id: ID!) {{ node(id: $id) {{ ... on BulkOperation {{ {BULK_FIELDS} }} }} }}"
)
BULK_CURRENT = f"query Current {{ currentBulkOperation(type: QUERY) {{ {BULK_FIELDS} }} }}"


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
        if isinstance(child, ListOf):
            parts.append(f"{child.field} {{ {child.selection} {_bulk_children(child.children)} }}")
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
        f"{connection.field}(first: {MAX_FIRST}, after: $after) {{ "
        f"pageInfo {{ hasNextPage endCursor }} nodes {{ {inner} }} }} }} }} }}"
    )


def full_list_query(parent_type: str, child: ListOf) -> str:
    """A list field (refunds) read again at its largest size when a page filled its cap."""
    inner = _plain_children(child.children, None)
    return (
        f"query List($id: ID!) {{ node(id: $id) {{ ... on {parent_type} {{ "
        f"{child.field}(first: {MAX_FIRST}) {{ {child.selection} {inner} }} }} }} }}"
    )


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def all_queries() -> list[str]:
    """Every query text the tap can send (for the schema validation test)."""
    out = [SCOPES, BULK_RUN, BULK_POLL, BULK_CURRENT]
    roots = (CUSTOMERS, ORDERS, PRODUCTS, LOCATIONS, ABANDONED_CHECKOUTS)
    for root in [for_scopes(r, scopes) for r in roots for scopes in (None, ())]:
        out += [page_query(root), page_query(root, 1), probe_query(root)]
        out.append(bulk_query(root, search(root, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")))
        for child in root.children:
            if isinstance(child, ListOf):
                out.append(full_list_query(root.node_type, child))
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
