"""GraphQL execution over the seeded store: schema.graphql + resolvers, paging, search
filters, access scopes and Shopify's query cost.

Paging is keyset paging, as Shopify's: a cursor is opaque base64 of
`{"last_id": ..., "last_value": ...}` (the sort value and id of the edge), so a row whose
updated_at moves while a client pages is seen again later or not at all, never twice on one
page. Plain (non-bulk) connections need `first` or `last`, at most 250. Inside a bulk
operation the same resolvers return every row (Shopify ignores paging arguments there);
the root connection is read in windows so an export never sits in memory whole.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.utilities import value_from_ast

from sandbox.shopify.data import (
    LOCATION_BASE,
    LOCATIONS,
    MAX_REFUNDS,
    REFUND_BASE,
    Row,
    Store,
    Table,
    gid,
    legacy,
    parse_iso,
)

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
MAX_PAGE = 250
MAX_QUERY_COST = 1000
MUTATION_COST = 10
READ_SCOPES = (
    "read_customers",
    "read_orders",
    "read_all_orders",
    "read_products",
    "read_locations",
    "read_inventory",
    "read_discounts",
)
# The scope each object type needs, wherever it appears in a query (Shopify answers
# ACCESS_DENIED for the field that reaches it).
TYPE_SCOPES = {
    "Customer": "read_customers",
    "CustomerConnection": "read_customers",
    "Order": "read_orders",
    "OrderConnection": "read_orders",
    "Refund": "read_orders",
    "AbandonedCheckout": "read_orders",
    "AbandonedCheckoutConnection": "read_orders",
    "Product": "read_products",
    "ProductConnection": "read_products",
    "ProductVariant": "read_products",
    "ProductVariantConnection": "read_products",
    "Location": "read_locations",
    "LocationConnection": "read_locations",
}
_DOCS = "https://shopify.dev/api/usage/access-scopes"


@dataclass
class Context:
    """Per-request execution context (graphql `context_value`)."""

    store: Store
    scopes: frozenset[str]
    cutoff: int | None  # orders created before this are invisible (no read_all_orders)
    bulk: BulkWindow | None = None
    jobs: Any = None  # bulk.BulkJobs, for the bulk fields
    base_url: str = ""
    version: str = ""


@dataclass
class BulkWindow:
    """Inside a bulk job: the root connection reads `size` rows after `after`, and reports
    where it stopped."""

    size: int = 250
    after: str | None = None
    end_cursor: str | None = None
    has_next: bool = False
    root_field: str | None = None
    rows: int = field(default=0)


def access_denied(field_name: str, scope: str, path: Any = None) -> GraphQLError:
    return GraphQLError(
        f"Access denied for {field_name} field. Required access: `{scope}` access scope.",
        extensions={
            "code": "ACCESS_DENIED",
            "documentation": _DOCS,
            "requiredAccess": f"`{scope}` access scope.",
        },
    )


# -- cursors and paging ---------------------------------------------------------------------
def encode_cursor(last_id: int, last_value: Any) -> str:
    raw = json.dumps({"last_id": last_id, "last_value": last_value}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return body["last_value"], int(body["last_id"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}") from exc


def _page_size(args: dict[str, Any]) -> tuple[int, bool]:
    """(size, backwards) from first/last; Shopify requires exactly one of them."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    if first is not None and last is not None:
        raise GraphQLError("providing both first and last is not supported")
    size: int = first if first is not None else last  # type: ignore[assignment]
    if size < 0 or size > MAX_PAGE:
        arg = "first" if first is not None else "last"
        raise GraphQLError(f"The `{arg}` argument must be between 0 and {MAX_PAGE} (got {size}).")
    return size, last is not None


def _edges(items: list[tuple[Any, dict[str, Any]]], has_next: bool, has_prev: bool) -> dict:
    """items: (cursor, node) -> the Connection object."""
    nodes = [node for _, node in items]
    return {
        "edges": [{"cursor": cursor, "node": node} for cursor, node in items],
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "startCursor": items[0][0] if items else None,
            "endCursor": items[-1][0] if items else None,
        },
    }


def list_connection(
    info: Any, items: list[dict[str, Any]], args: dict[str, Any], key: Callable[[dict], int]
) -> dict[str, Any]:
    """A nested connection over a short list (line items, addresses, variants, ...);
    cursors carry the item's position key."""
    keyed = [(key(item), item) for item in items]
    if args.get("reverse"):
        keyed.reverse()
    if info.context.bulk is not None:
        return _edges([(encode_cursor(k, k), item) for k, item in keyed], False, False)
    size, backwards = _page_size(args)
    positions = {k: n for n, (k, _) in enumerate(keyed)}
    start, stop = 0, len(keyed)
    try:
        if args.get("after"):
            start = positions[decode_cursor(args["after"])[1]] + 1
        if args.get("before"):
            stop = positions[decode_cursor(args["before"])[1]]
    except KeyError as exc:
        raise GraphQLError("Invalid cursor: it does not point into this connection.") from exc
    window = keyed[start:stop]
    chosen = window[-size:] if backwards and size else window[:size] if not backwards else []
    has_next = (not backwards and len(window) > size) or stop < len(keyed)
    has_prev = (backwards and len(window) > size) or start > 0
    return _edges([(encode_cursor(k, k), item) for k, item in chosen], has_next, has_prev)


def _position_key(global_id: str) -> int:
    return legacy(global_id)[1]


# -- search syntax ----------------------------------------------------------------------------
_TERM = re.compile(
    r"""^(?P<field>[a-z_]+):(?P<op>>=|<=|>|<|=)?(?P<quote>['"]?)(?P<value>[^'"]*)(?P=quote)$"""
)
_FIELDS = {"updated_at": "updated", "created_at": "created", "processed_at": "created", "id": "id"}


def parse_search(query: str | None) -> Callable[[Row], bool]:
    """Shopify search syntax, the subset the sandbox supports: `updated_at`, `created_at`,
    `processed_at` and `id` with >, >=, <, <=, = (or none), joined by AND or spaces.
    Shopify ignores terms it cannot parse and says so in `extensions.search`; the sandbox
    refuses them instead (stricter), so a client never silently reads the whole table."""
    if not query or not query.strip():
        return lambda row: True
    tests: list[Callable[[Row], bool]] = []
    tokens = [t for t in re.split(r"\s+", query.strip()) if t.upper() != "AND"]
    for token in tokens:
        match = _TERM.match(token)
        if not match or match["field"] not in _FIELDS:
            raise GraphQLError(
                f"Unsupported search term {token!r}: the sandbox filters on "
                "updated_at, created_at, processed_at and id "
                "(e.g. updated_at:>='2025-01-01T00:00:00Z')"
            )
        attr, op = _FIELDS[match["field"]], match["op"] or "="
        try:
            bound = int(match["value"]) if attr == "id" else parse_iso(match["value"])
        except ValueError as exc:
            raise GraphQLError(f"Invalid value in search term {token!r}: {exc}") from exc
        tests.append(_comparison(attr, op, bound))
    return lambda row: all(test(row) for test in tests)


def _comparison(attr: str, op: str, bound: int) -> Callable[[Row], bool]:
    def test(row: Row) -> bool:
        value = getattr(row, attr)
        return {
            ">": value > bound,
            ">=": value >= bound,
            "<": value < bound,
            "<=": value <= bound,
            "=": value == bound,
        }[op]

    return test


# -- root connections -------------------------------------------------------------------------
@dataclass
class Ordering:
    """A sorted sequence of keys plus how to get (sort value, id) and the Row for each."""

    seq: Sequence[Any]
    key: Callable[[Any], tuple[Any, int]]
    row: Callable[[Any], Row]
    value: Callable[[Row], Any]  # a row's sort value, for its cursor


def _ordering(table: Table, sort_key: str, render: Callable[[int], dict]) -> Ordering:
    by_id = table.by_id
    if sort_key == "UPDATED_AT":
        return Ordering(table.by_updated, _same, lambda t: by_id[t[1]], lambda r: r.updated)
    if sort_key in ("CREATED_AT", "PROCESSED_AT"):  # ids increase with created_at
        return Ordering(table.rows, lambda r: (r.created, r.id), _same, lambda r: r.created)
    if sort_key in ("ID", "ORDER_NUMBER", "RELEVANCE", "CHECKOUT_ID"):
        return Ordering(table.rows, lambda r: (r.id, r.id), _same, lambda r: r.id)
    attr = {"NAME": "displayName", "TITLE": "title", "VENDOR": "vendor"}.get(
        sort_key, "productType"
    )
    keyed = sorted((render(r.index)[attr], r.id) for r in table.rows)
    return Ordering(keyed, _same, lambda t: by_id[t[1]], lambda r: render(r.index)[attr])


def _same(item: Any) -> Any:
    return item


def _scan(
    ordering: Ordering,
    keep: Callable[[Row], bool],
    after: str | None,
    size: int,
    reverse: bool,
) -> tuple[list[Row], bool]:
    """Up to `size` kept rows after the cursor, and whether another kept row follows."""
    seq = ordering.seq
    if after:
        value, last_id = decode_cursor(after)
        mark = (value, last_id)
        try:
            start = (
                bisect.bisect_left(seq, mark, key=ordering.key) - 1
                if reverse
                else bisect.bisect_right(seq, mark, key=ordering.key)
            )
        except TypeError as exc:  # a cursor made for another sort key
            raise GraphQLError(f"Invalid cursor for current pagination sort: {after!r}") from exc
    else:
        start = len(seq) - 1 if reverse else 0
    indexes: Iterator[int] = iter(range(start, -1, -1)) if reverse else iter(range(start, len(seq)))
    rows: list[Row] = []
    for i in indexes:
        row = ordering.row(seq[i])
        if not keep(row):
            continue
        if len(rows) == size:
            return rows, True
        rows.append(row)
    return rows, False


def root_connection(kind: str) -> Callable[..., dict[str, Any]]:
    def resolve(_root: Any, info: Any, **args: Any) -> dict[str, Any]:
        ctx: Context = info.context
        store = ctx.store
        render = store.renderer(kind)
        search = parse_search(args.get("query"))
        cutoff = ctx.cutoff if kind == "Order" else None

        def keep(row: Row) -> bool:
            return (cutoff is None or row.created >= cutoff) and search(row)

        with store.lock:
            ordering = _ordering(store.table(kind), args.get("sortKey") or "ID", render)
            reverse = bool(args.get("reverse"))
            if ctx.bulk is not None:
                window = ctx.bulk
                rows, has_next = _scan(ordering, keep, window.after, window.size, reverse)
                backwards = False
            else:
                size, backwards = _page_size(args)
                if backwards:  # last/before: the same scan, walking the other way
                    rows, has_next = _scan(ordering, keep, args.get("before"), size, not reverse)
                    rows.reverse()
                else:
                    rows, has_next = _scan(ordering, keep, args.get("after"), size, reverse)
            items = []
            for row in rows:
                value = ordering.value(row)
                items.append((encode_cursor(row.id, value), render(row.index)))
        if ctx.bulk is not None:
            ctx.bulk.end_cursor = items[-1][0] if items else None
            ctx.bulk.has_next = has_next
            ctx.bulk.rows += len(items)
        if backwards:  # walking back: more rows lie before, the cursor's rows after
            return _edges(items, bool(args.get("before")), has_next)
        return _edges(items, has_next, bool(args.get("after")))

    return resolve


def _locations(_root: Any, info: Any, **args: Any) -> dict[str, Any]:
    ctx: Context = info.context
    kept = [
        ctx.store.location(i)
        for i, spec in enumerate(LOCATIONS)
        if (spec["active"] or args.get("includeInactive"))
        and (not spec["service"] or args.get("includeLegacy"))
    ]
    sort_key = args.get("sortKey") or "NAME"
    kept.sort(key=(lambda loc: loc["name"]) if sort_key == "NAME" else _legacy_of)
    return list_connection(info, kept, {**args, "sortKey": None}, _legacy_of)


def _product_variants(_root: Any, info: Any, **args: Any) -> dict[str, Any]:
    store: Store = info.context.store
    search = parse_search(args.get("query"))
    variants = [
        variant
        for product in store.products.rows
        if search(product)
        for variant in store.product(product.index)["_variants"]()
    ]
    return list_connection(info, variants, args, _legacy_of)


def _legacy_of(item: dict[str, Any]) -> int:
    return _position_key(item["id"])


# -- single objects ---------------------------------------------------------------------------
def lookup(ctx: Context, global_id: str) -> dict[str, Any] | None:
    """node(id:) and friends: the object behind a global id, None if there is none (or the
    order is outside the token's 60-day window)."""
    try:
        kind, number = legacy(global_id)
    except ValueError as exc:
        raise GraphQLError(f"Invalid global id '{global_id}'") from exc
    store = ctx.store
    if kind == "BulkOperation":
        return ctx.jobs.render(global_id, ctx) if ctx.jobs else None
    if kind == "Location":
        index = number - LOCATION_BASE - 1
        return store.location(index) if 0 <= index < len(LOCATIONS) else None
    if kind == "Refund":  # its order's index is in its id (data.REFUND_BASE)
        index = (number - REFUND_BASE) // MAX_REFUNDS
        if not 0 <= index < len(store.orders):
            return None
        order = lookup(ctx, gid("Order", store.orders.rows[index].id))
        found = [r for r in (order or {}).get("_refunds", []) if r["id"] == global_id]
        return found[0] if found else None
    if kind == "ProductVariant":
        for product in store.products.rows:
            for variant in store.product(product.index)["_variants"]():
                if variant["_legacy"] == number:
                    return variant
        return None
    try:
        table = store.table(kind)
    except KeyError:
        return None
    row = table.by_id.get(number)
    if row is None:
        return None
    if kind == "Order" and ctx.cutoff is not None and row.created < ctx.cutoff:
        return None
    return store.renderer(kind)(row.index)


def _scoped_lookup(kind: str) -> Callable[..., Any]:
    def resolve(_root: Any, info: Any, id: str) -> Any:
        found = lookup(info.context, id)
        return found if found is None or found["__typename"] == kind else None

    return resolve


def _node(_root: Any, info: Any, id: str) -> Any:
    found = lookup(info.context, id)
    if found is not None:
        scope = TYPE_SCOPES.get(found["__typename"])
        if scope and scope not in info.context.scopes:
            raise access_denied("node", scope)
    return found


# -- the schema -----------------------------------------------------------------------------
def default_resolver(source: Any, info: Any, **args: Any) -> Any:
    """Dict lookup by field name; a callable value is called with (info, **args)."""
    value = source.get(info.field_name) if isinstance(source, dict) else None
    return value(info, **args) if callable(value) else value


def _scoped(resolver: Callable[..., Any] | None, scope: str) -> Callable[..., Any]:
    inner = resolver or default_resolver

    def resolve(source: Any, info: Any, **args: Any) -> Any:
        if scope not in info.context.scopes:
            raise access_denied(info.field_name, scope)
        return inner(source, info, **args)

    return resolve


def _typename(value: Any, _info: Any, _type: Any) -> str:
    return value["__typename"]


def _children(key: str, position: Callable[[dict], int] = _legacy_of) -> Callable[..., Any]:
    def resolve(source: dict[str, Any], info: Any, **args: Any) -> dict[str, Any]:
        items = source[key]
        return list_connection(info, items() if callable(items) else items, args, position)

    return resolve


def _refunds(source: dict[str, Any], info: Any, first: int | None = None) -> list[dict]:
    refunds = source["_refunds"]
    return refunds if first is None or info.context.bulk is not None else refunds[:first]


def build() -> GraphQLSchema:
    schema = build_schema(SCHEMA_PATH.read_text())
    resolvers: dict[tuple[str, str], Callable[..., Any]] = {
        ("QueryRoot", "customers"): root_connection("Customer"),
        ("QueryRoot", "orders"): root_connection("Order"),
        ("QueryRoot", "products"): root_connection("Product"),
        ("QueryRoot", "abandonedCheckouts"): root_connection("AbandonedCheckout"),
        ("QueryRoot", "productVariants"): _product_variants,
        ("QueryRoot", "locations"): _locations,
        ("QueryRoot", "customer"): _scoped_lookup("Customer"),
        ("QueryRoot", "order"): _scoped_lookup("Order"),
        ("QueryRoot", "product"): _scoped_lookup("Product"),
        ("QueryRoot", "node"): _node,
        ("QueryRoot", "shop"): lambda _r, info: SHOP,
        ("QueryRoot", "currentAppInstallation"): _installation,
        ("QueryRoot", "currentBulkOperation"): _current_bulk,
        ("QueryRoot", "bulkOperations"): _bulk_operations,
        ("QueryRoot", "nodes"): _nodes,
        ("Mutation", "bulkOperationRunQuery"): _bulk_run,
        ("Mutation", "bulkOperationCancel"): _bulk_cancel,
        ("Order", "lineItems"): _children("_lines"),
        ("Order", "discountApplications"): _children("_applications", lambda a: a["index"]),
        ("Order", "refunds"): _refunds,
        ("Refund", "refundLineItems"): _children("_items"),
        ("Customer", "addressesV2"): _children("_addresses"),
        ("Product", "variants"): _children("_variants"),
    }
    for (type_name, field_name), resolver in resolvers.items():
        schema_type = schema.get_type(type_name)
        assert isinstance(schema_type, GraphQLObjectType)
        schema_type.fields[field_name].resolve = resolver
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for fld in type_.fields.values():
                scope = TYPE_SCOPES.get(get_named_type(fld.type).name)
                if scope:
                    fld.resolve = _scoped(fld.resolve, scope)
    for name in ("Node", "DiscountApplication", "PricingValue"):
        schema.get_type(name).resolve_type = _typename  # type: ignore[union-attr]
    return schema


SHOP = {
    "__typename": "Shop",
    "id": "gid://shopify/Shop/68000000001",
    "name": "Chord Sandbox Shop",
    "myshopifyDomain": "chord-sandbox.myshopify.com",
    "currencyCode": "USD",
    "ianaTimezone": "UTC",
    "plan": {"displayName": "Basic", "shopifyPlus": False},
}


def _installation(_root: Any, info: Any) -> dict[str, Any]:
    return {
        "id": "gid://shopify/AppInstallation/4110000001",
        "accessScopes": [
            {"handle": scope, "description": scope.replace("_", " ").capitalize()}
            for scope in sorted(info.context.scopes)
        ],
    }


def _current_bulk(_root: Any, info: Any, type: str = "QUERY") -> Any:
    ctx: Context = info.context
    return ctx.jobs.current(ctx) if ctx.jobs and type == "QUERY" else None


def _bulk_run(_root: Any, info: Any, query: str, groupObjects: bool | None = None) -> Any:
    ctx: Context = info.context
    if "groupObjects" not in _given_arguments(info):  # Shopify's default: true before 2026-01
        groupObjects = ctx.version != "unstable" and ctx.version < "2026-01"
    return ctx.jobs.run(query, ctx, grouped=bool(groupObjects))


def _given_arguments(info: Any) -> set[str]:
    return {argument.name.value for argument in info.field_nodes[0].arguments}


_BULK_TERM = re.compile(r"^(operation_type|status):(\w+)$")


def _bulk_operations(_root: Any, info: Any, **args: Any) -> dict[str, Any]:
    """The app's bulk operations, newest first, filtered by `status:` and `operation_type:`
    terms (the sandbox refuses other terms, stricter than Shopify, which ignores them)."""
    ctx: Context = info.context
    wanted: dict[str, str] = {}
    for token in (args.get("query") or "").split():
        match = _BULK_TERM.match(token)
        if token.upper() == "AND":
            continue
        if not match:
            raise GraphQLError(
                f"Unsupported search term {token!r}: the sandbox filters bulk operations on "
                "status and operation_type (e.g. status:running operation_type:query)"
            )
        wanted[match[1]] = match[2].upper()
    items = ctx.jobs.listing(ctx, wanted.get("status"), wanted.get("operation_type"))
    if args.get("reverse"):
        items.reverse()
    return list_connection(info, items, {**args, "reverse": False}, _legacy_of)


def _nodes(_root: Any, info: Any, ids: list[str]) -> list[Any]:
    if len(ids) > MAX_PAGE:
        raise GraphQLError(f"The `ids` argument must hold at most {MAX_PAGE} ids.")
    return [_node(_root, info, one) for one in ids]


def _bulk_cancel(_root: Any, info: Any, id: str) -> Any:
    ctx: Context = info.context
    return ctx.jobs.cancel(id, ctx)


SCHEMA = build()


# -- requests ---------------------------------------------------------------------------------
@dataclass
class Prepared:
    document: DocumentNode | None
    operation: OperationDefinitionNode | None
    errors: list[GraphQLError]
    requested: int = 0


def prepare(
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    contract: GraphQLSchema | None = None,
) -> Prepared:
    """Parse and validate (against `contract`, Shopify's real schema of the request's
    version, first: what Shopify refuses is refused as Shopify does; then against the
    sandbox's own schema, which it executes), then price the query as Shopify does."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return Prepared(None, None, [exc])
    if contract is not None:
        errors = validate(contract, document)
        if errors:
            return Prepared(document, None, list(errors))
    errors = validate(SCHEMA, document)
    if errors:
        if contract is not None:  # valid for Shopify, not implemented here
            errors = [GraphQLError(f"The sandbox does not serve this yet: {errors[0].message}")]
        return Prepared(document, None, list(errors))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        message = (
            f"Unknown operation named '{operation_name}'."
            if operation_name
            else "Must provide operation name if query contains multiple operations."
        )
        return Prepared(document, None, [GraphQLError(message)])
    operation = operations[0]
    return Prepared(document, operation, [], Cost(document, variables).requested(operation))


def run(prepared: Prepared, ctx: Context, variables: dict[str, Any] | None) -> ExecutionResult:
    assert prepared.document is not None and prepared.operation is not None
    name = prepared.operation.name.value if prepared.operation.name else None
    result = execute(
        SCHEMA,
        prepared.document,
        context_value=ctx,
        variable_values=variables,
        operation_name=name,
        field_resolver=default_resolver,
        is_awaitable=_never,  # every resolver is synchronous: skip graphql-core's checks
    )
    assert isinstance(result, ExecutionResult)
    return result


def _never(_value: Any) -> bool:
    return False


class Cost:
    """Shopify's calculated query cost: scalars and enums 0, objects 1, connections
    2 + (first or last) x the cost of one node, mutations 10. `requested` prices the query
    before it runs; `actual` walks the returned data, counting the nodes really sent."""

    def __init__(self, document: DocumentNode, variables: dict[str, Any] | None) -> None:
        self.variables = variables or {}
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def requested(self, operation: OperationDefinitionNode) -> int:
        if operation.operation.value == "mutation":
            return MUTATION_COST * len(operation.selection_set.selections)
        return self._selection(operation.selection_set, SCHEMA.query_type, None, False)

    def actual(self, operation: OperationDefinitionNode, data: dict[str, Any] | None) -> int:
        if operation.operation.value == "mutation":
            return MUTATION_COST * len(operation.selection_set.selections)
        if data is None:
            return 0
        return self._selection(operation.selection_set, SCHEMA.query_type, data, True)

    def _fields(self, selection_set: SelectionSetNode) -> Iterator[FieldNode]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self._fields(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    yield from self._fields(fragment.selection_set)

    def _field_type(self, parent: Any, name: str) -> Any:
        fields = getattr(parent, "fields", None)
        if fields and name in fields:
            return fields[name].type
        for type_ in SCHEMA.type_map.values():  # a field of a fragment on an implementation
            if (
                isinstance(type_, GraphQLObjectType)
                and name in type_.fields
                and (parent is None or SCHEMA.is_sub_type(parent, type_))
            ):
                return type_.fields[name].type
        return None

    def _selection(
        self, selection_set: SelectionSetNode, parent: Any, data: Any, actual: bool
    ) -> int:
        total = 0
        for node in self._fields(selection_set):
            name = node.name.value
            if name.startswith("__"):
                continue
            type_ = self._field_type(parent, name)
            if type_ is None:
                continue
            value = data.get((node.alias or node.name).value) if actual and data else None
            if actual and value is None:
                continue
            total += self._field(node, type_, value, actual)
        return total

    def _ids(self, node: FieldNode) -> int:
        """`nodes(ids:)` costs one object per id."""
        for argument in node.arguments:
            if argument.name.value == "ids":
                ids = value_from_ast(argument.value, GraphQLList(GraphQLID), self.variables)
                return len(ids) if isinstance(ids, list) else 0
        return 0

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments:
            if argument.name.value == name:
                return value_from_ast(argument.value, GraphQLInt, self.variables)
        return None

    def _field(self, node: FieldNode, type_: Any, value: Any, actual: bool) -> int:
        named = get_named_type(type_)
        if is_leaf_type(named) or node.selection_set is None:
            return 0
        if named.name.endswith("Connection"):
            return 2 + self._connection(node, named, value, actual)
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLList):
            if actual:
                return sum(
                    1 + self._selection(node.selection_set, named, v, True) for v in value if v
                )
            count = self._argument(node, "first") or self._ids(node) or 1
            return count * (1 + self._selection(node.selection_set, named, None, False))
        return 1 + self._selection(node.selection_set, named, value, actual)

    def _connection(self, node: FieldNode, connection: Any, value: Any, actual: bool) -> int:
        assert node.selection_set is not None
        item_type = get_named_type(connection.fields["nodes"].type)
        parts = list(self._fields(node.selection_set))
        if not actual:
            count = self._argument(node, "first") or self._argument(node, "last") or 1
            per_item = 0
            for part in parts:
                per_item += self._item_part(part, item_type, None, False)
            return count * per_item
        total = 0
        for part in parts:
            if part.name.value in ("edges", "nodes"):
                for item in value.get((part.alias or part.name).value) or []:
                    total += self._item_part(part, item_type, item, True)
        return total

    def _item_part(self, part: FieldNode, item_type: Any, item: Any, actual: bool) -> int:
        """The cost of one edge or node inside a connection (pageInfo and cursors are free)."""
        if part.selection_set is None or part.name.value == "pageInfo":
            return 0
        if part.name.value == "nodes":
            return 1 + self._selection(part.selection_set, item_type, item, actual)
        total = 0
        for inner in self._fields(part.selection_set):  # edges { cursor node { ... } }
            if inner.name.value == "node" and inner.selection_set is not None:
                node_value = item.get((inner.alias or inner.name).value) if actual else None
                total += 1 + self._selection(inner.selection_set, item_type, node_value, actual)
        return total
