"""GraphQL nodes -> REST-style table rows.

A "line" is one node as a bulk export writes it: the node's own fields, nested connections
left out, plus `__parentId` (the GID of the node owning the connection) for nested nodes.
Plain pages are flattened into the same lines (client side), so both read modes share
this one mapping. Each function returns (table, row) pairs; a line never needs another line.
"""

from __future__ import annotations

import re
import typing as t
from decimal import Decimal

Row = dict[str, t.Any]
Rows = list[tuple[str, Row]]

_GID = re.compile(r"^gid://shopify/([A-Za-z]+)/(\d+)(?:\?.*)?$")
_GRAMS_PER = {
    "GRAMS": Decimal(1),
    "KILOGRAMS": Decimal(1000),
    "OUNCES": Decimal("28.349523125"),
    "POUNDS": Decimal("453.59237"),
}
_WEIGHT_UNIT = {"GRAMS": "g", "KILOGRAMS": "kg", "OUNCES": "oz", "POUNDS": "lb"}


NULL_ID_SLOTS = 1000  # positions per refund for line items Shopify sends without an id


class BadLine(ValueError):
    """A line the tap cannot map (an unexpected shape from the API)."""


def gid_type(gid: str | None) -> str | None:
    match = _GID.match(gid or "")
    return match[1] if match else None


def legacy_id(gid: str | None) -> int | None:
    """gid://shopify/Order/123 (or .../MailingAddress/9?model_name=...) -> 123."""
    if gid is None:
        return None
    match = _GID.match(gid)
    if not match:
        raise BadLine(f"not a Shopify GID: {gid[:80]!r}")
    return int(match[2])


def _id_of(obj: dict | None) -> int | None:
    return legacy_id(obj.get("id")) if obj else None


def _get(obj: t.Any, *path: str) -> t.Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _money(obj: dict, name: str) -> str | None:
    amount = _get(obj, name, "shopMoney", "amount")
    return None if amount is None else _decimal_text(amount)


def _decimal_text(value: t.Any) -> str:
    # Shopify sends Decimal scalars as JSON strings ("19.90"); floats were parsed as Decimal.
    number = (
        value
        if isinstance(value, Decimal)
        else Decimal(value if isinstance(value, str) else str(value))
    )
    return format(number, "f")


def _int(value: t.Any) -> int | None:
    return None if value is None else int(value)


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else None


def _tags(tags: list[str] | None) -> str:
    return ", ".join(tags or [])


def _grams(weight: dict | None) -> int | None:
    if not weight or weight.get("value") is None:
        return None
    factor = _GRAMS_PER.get(weight.get("unit") or "GRAMS", Decimal(1))
    return int((Decimal(str(weight["value"])) * factor).to_integral_value())


def customer(line: dict) -> Rows:
    cid = legacy_id(line["id"])
    rows: Rows = [
        (
            "customers",
            {
                "id": cid,
                "email": _get(line, "defaultEmailAddress", "emailAddress"),
                "first_name": line.get("firstName"),
                "last_name": line.get("lastName"),
                "phone": _get(line, "defaultPhoneNumber", "phoneNumber"),
                "created_at": line.get("createdAt"),
                "updated_at": line.get("updatedAt"),
                "currency": _get(line, "amountSpent", "currencyCode"),
                "last_order_id": _id_of(line.get("lastOrder")),
                "last_order_name": _get(line, "lastOrder", "name"),
                "multipass_identifier": line.get("multipassIdentifier"),
                "note": line.get("note"),
                "orders_count": _int(line.get("numberOfOrders")),
                "state": _lower(line.get("state")),
                "tags": _tags(line.get("tags")),
                "tax_exempt": line.get("taxExempt"),
                "total_spent": _money({"m": {"shopMoney": line.get("amountSpent")}}, "m"),
                "verified_email": line.get("verifiedEmail"),
                "default_address_id": _id_of(line.get("defaultAddress")),
            },
        )
    ]
    rows += [
        ("customer_tags", {"customer_id": cid, "value": tag}) for tag in line.get("tags") or []
    ]
    return rows


def address(line: dict) -> Rows:
    return [
        (
            "customer_addresses",
            {
                "id": legacy_id(line["id"]),
                "customer_id": _parent(line, "Customer"),
                "address1": line.get("address1"),
                "address2": line.get("address2"),
                "city": line.get("city"),
                "company": line.get("company"),
                "country": line.get("country"),
                "country_code": line.get("countryCodeV2"),
                "country_name": line.get("country"),
                "first_name": line.get("firstName"),
                "last_name": line.get("lastName"),
                "name": line.get("name"),
                "phone": line.get("phone"),
                "province": line.get("province"),
                "province_code": line.get("provinceCode"),
                "zip": line.get("zip"),
            },
        )
    ]


def order(line: dict) -> Rows:
    oid = legacy_id(line["id"])
    visit = _get(line, "customerJourneySummary", "firstVisit") or {}
    row = {
        "id": oid,
        "app_id": _id_of(line.get("app")),
        "browser_ip": line.get("clientIp"),
        "buyer_accepts_marketing": line.get("customerAcceptsMarketing"),
        "cancel_reason": _lower(line.get("cancelReason")),
        "canceled_at": line.get("cancelledAt"),
        "cart_token": None,
        "checkout_token": None,
        "closed_at": line.get("closedAt"),
        "created_at": line.get("createdAt"),
        "currency": line.get("currencyCode"),
        "current_subtotal_price": _money(line, "currentSubtotalPriceSet"),
        "current_total_discounts": _money(line, "currentTotalDiscountsSet"),
        "current_total_price": _money(line, "currentTotalPriceSet"),
        "current_total_tax": _money(line, "currentTotalTaxSet"),
        "customer_id": _id_of(line.get("customer")),
        "customer_locale": line.get("customerLocale"),
        "email": line.get("email"),
        "estimated_taxes": line.get("estimatedTaxes"),
        "financial_status": _lower(line.get("displayFinancialStatus")),
        "fulfillment_status": _lower(line.get("displayFulfillmentStatus")),
        "landing_site": visit.get("landingPage"),
        "location_id": _id_of(line.get("retailLocation")),
        "name": line.get("name"),
        "note": line.get("note"),
        "number": line.get("number"),
        "order_number": line.get("number"),
        "payment_gateway_names": line.get("paymentGatewayNames"),
        "phone": line.get("phone"),
        "presentment_currency": line.get("presentmentCurrencyCode"),
        "processed_at": line.get("processedAt"),
        "processing_method": None,
        "referring_site": visit.get("referrerUrl"),
        "source_name": line.get("sourceName"),
        "source_identifier": line.get("sourceIdentifier"),
        "source_url": None,
        "subtotal_price": _money(line, "subtotalPriceSet"),
        "tags": _tags(line.get("tags")),
        "taxes_included": line.get("taxesIncluded"),
        "test": line.get("test"),
        "token": None,
        "total_discounts": _money(line, "totalDiscountsSet"),
        "total_line_items_price": None,
        "total_outstanding": _money(line, "totalOutstandingSet"),
        "total_price": _money(line, "totalPriceSet"),
        "total_tax": _money(line, "totalTaxSet"),
        "total_tip_received": _money(line, "totalTipReceivedSet"),
        "total_weight": _int(line.get("totalWeight")),
        "updated_at": line.get("updatedAt"),
        "user_id": None,
    }
    rows: Rows = [("orders", row)]
    rows += [("order_tags", {"order_id": oid, "value": tag}) for tag in line.get("tags") or []]
    return rows


def line_item(line: dict) -> Rows:
    lid = legacy_id(line["id"])
    oid = _parent(line, "Order")
    variant = line.get("variant") or {}
    rows: Rows = [
        (
            "order_lines",
            {
                "id": lid,
                "order_id": oid,
                "fulfillable_quantity": line.get("unfulfilledQuantity"),
                "fulfillment_service": None,
                "fulfillment_status": None,
                "gift_card": line.get("isGiftCard"),
                "grams": _grams(_get(variant, "inventoryItem", "measurement", "weight")),
                "name": line.get("name"),
                "price": _money(line, "originalUnitPriceSet"),
                "product_id": _id_of(line.get("product")),
                "quantity": line.get("quantity"),
                "requires_shipping": line.get("requiresShipping"),
                "sku": line.get("sku"),
                "taxable": line.get("taxable"),
                "title": line.get("title"),
                "total_discount": _money(line, "totalDiscountSet"),
                "variant_id": _id_of(variant),
                "variant_title": line.get("variantTitle"),
                "vendor": line.get("vendor"),
            },
        )
    ]
    for allocation in line.get("discountAllocations") or []:
        rows.append(
            (
                "discount_allocations",
                {
                    "order_line_id": lid,
                    "discount_allocation_index": _get(allocation, "discountApplication", "index"),
                    "order_id": oid,
                    "amount": _money(allocation, "allocatedAmountSet"),
                },
            )
        )
    return rows


def discount_application(line: dict) -> Rows:
    if line.get("__typename") != "DiscountCodeApplication":
        return []  # automatic and manual discounts have no code: not a discount_codes row
    value = line.get("value") or {}
    percentage = value.get("percentage")
    if line.get("targetType") == "SHIPPING_LINE":
        kind = "shipping"
    else:
        kind = "percentage" if percentage is not None else "fixed_amount"
    return [
        (
            "discount_codes",
            {
                "order_id": _parent(line, "Order"),
                "code": line.get("code"),
                "discount_application_index": line.get("index"),
                "type": kind,
                "amount": None if value.get("amount") is None else _decimal_text(value["amount"]),
                "percentage": percentage,
            },
        )
    ]


def refund_line_item(line: dict) -> Rows:
    refund_id = _parent(line, "Refund")
    order_gid = line.get("__listOwnerId")  # set by the reader: the refund's order
    if gid_type(order_gid) != "Order":
        raise BadLine(f"RefundLineItem without its order (got {order_gid!r})")
    rid = legacy_id(line.get("id"))
    if rid is None:  # RefundLineItem.id is nullable in Shopify's schema: keyed by its place
        rid = -(int(refund_id or 0) * NULL_ID_SLOTS + int(line["__position"]))
    return [
        (
            "order_line_refunds",
            {
                "id": rid,
                "order_id": legacy_id(order_gid),
                "refund_id": refund_id,
                "line_item_id": _id_of(line.get("lineItem")),
                "location_id": _id_of(line.get("location")),
                "quantity": line.get("quantity"),
                "restock_type": _lower(line.get("restockType")),
                "subtotal": _money(line, "subtotalSet"),
                "total_tax": _money(line, "totalTaxSet"),
            },
        )
    ]


def product(line: dict) -> Rows:
    pid = legacy_id(line["id"])
    rows: Rows = [
        (
            "products",
            {
                "id": pid,
                "body_html": line.get("descriptionHtml"),
                "created_at": line.get("createdAt"),
                "handle": line.get("handle"),
                "product_type": line.get("productType"),
                "published_at": line.get("publishedAt"),
                "published_scope": None,
                "status": _lower(line.get("status")),
                "tags": _tags(line.get("tags")),
                "template_suffix": line.get("templateSuffix"),
                "title": line.get("title"),
                "updated_at": line.get("updatedAt"),
                "vendor": line.get("vendor"),
            },
        )
    ]
    rows += [("product_tags", {"product_id": pid, "value": tag}) for tag in line.get("tags") or []]
    return rows


def variant(line: dict) -> Rows:
    item = line.get("inventoryItem") or {}
    weight = _get(item, "measurement", "weight")
    options = [o.get("value") for o in line.get("selectedOptions") or []] + [None] * 3
    product_id = _id_of(line.get("product"))
    if "__parentId" in line:
        product_id = _parent(line, "Product")
    return [
        (
            "product_variants",
            {
                "id": legacy_id(line["id"]),
                "product_id": product_id,
                "barcode": line.get("barcode"),
                "compare_at_price": None
                if line.get("compareAtPrice") is None
                else _decimal_text(line["compareAtPrice"]),
                "created_at": line.get("createdAt"),
                "fulfillment_service": None,
                "grams": _grams(weight),
                "inventory_item_id": _id_of(item),
                "inventory_management": "shopify" if item.get("tracked") else None,
                "inventory_policy": _lower(line.get("inventoryPolicy")),
                "inventory_quantity": line.get("inventoryQuantity"),
                "option1": options[0],
                "option2": options[1],
                "option3": options[2],
                "position": line.get("position"),
                "price": None if line.get("price") is None else _decimal_text(line["price"]),
                "requires_shipping": item.get("requiresShipping"),
                "sku": line.get("sku"),
                "taxable": line.get("taxable"),
                "title": line.get("title"),
                "updated_at": line.get("updatedAt"),
                "weight": None if not weight else weight.get("value"),
                "weight_unit": None if not weight else _WEIGHT_UNIT.get(weight.get("unit") or ""),
            },
        )
    ]


def location(line: dict) -> Rows:
    addr = line.get("address") or {}
    return [
        (
            "locations",
            {
                "id": legacy_id(line["id"]),
                "active": line.get("isActive"),
                "address1": addr.get("address1"),
                "address2": addr.get("address2"),
                "city": addr.get("city"),
                "country": addr.get("country"),
                "country_code": addr.get("countryCode"),
                "country_name": addr.get("country"),
                "created_at": line.get("createdAt"),
                "legacy": line.get("isFulfillmentService"),
                "localized_country_name": addr.get("country"),
                "localized_province_name": addr.get("province"),
                "name": line.get("name"),
                "phone": addr.get("phone"),
                "province": addr.get("province"),
                "province_code": addr.get("provinceCode"),
                "province_name": addr.get("province"),
                "updated_at": line.get("updatedAt"),
                "zip": addr.get("zip"),
            },
        )
    ]


def abandoned_checkout(line: dict) -> Rows:
    return [
        (
            "abandoned_checkouts",
            {
                "id": legacy_id(line["id"]),
                "name": line.get("name"),
                "abandoned_checkout_url": line.get("abandonedCheckoutUrl"),
                "customer_id": _id_of(line.get("customer")),
                "email": _get(line, "customer", "defaultEmailAddress", "emailAddress"),
                "created_at": line.get("createdAt"),
                "updated_at": line.get("updatedAt"),
                "completed_at": line.get("completedAt"),
                "note": line.get("note"),
                "taxes_included": line.get("taxesIncluded"),
                "currency": _get(line, "totalPriceSet", "shopMoney", "currencyCode"),
                "discount_codes": line.get("discountCodes"),
                "subtotal_price": _money(line, "subtotalPriceSet"),
                "total_discounts": _money(line, "totalDiscountSet"),
                "total_line_items_price": _money(line, "totalLineItemsPriceSet"),
                "total_price": _money(line, "totalPriceSet"),
                "total_tax": _money(line, "totalTaxSet"),
            },
        )
    ]


MAPPERS: dict[str, t.Callable[[dict], Rows]] = {
    "Customer": customer,
    "MailingAddress": address,
    "Order": order,
    "LineItem": line_item,
    "DiscountCodeApplication": discount_application,
    "AutomaticDiscountApplication": discount_application,
    "ManualDiscountApplication": discount_application,
    "ScriptDiscountApplication": discount_application,
    "Refund": lambda line: [],  # its line items carry what order_line_refunds needs
    "RefundLineItem": refund_line_item,
    "Product": product,
    "ProductVariant": variant,
    "Location": location,
    "AbandonedCheckout": abandoned_checkout,
}


def rows_of(line: dict) -> Rows:
    """The table rows one line feeds."""
    typename = line.get("__typename")
    mapper = MAPPERS.get(typename or "")
    if mapper is None:
        raise BadLine(f"unexpected object type {typename!r}")
    try:
        return mapper(line)
    except (KeyError, TypeError, ArithmeticError) as exc:
        raise BadLine(f"{typename} {line.get('id', '')}: {type(exc).__name__} {exc}") from exc


def _parent(line: dict, expected: str) -> int | None:
    parent = line.get("__parentId")
    if gid_type(parent) != expected:
        raise BadLine(f"{line.get('__typename')} with __parentId {parent!r}, expected a {expected}")
    return legacy_id(parent)
