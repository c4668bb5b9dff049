"""JSON schemas of the tables, with REST-style snake_case columns and semantic tags.

Columns follow the platform's Shopify table list (Amperity courier names). GraphQL fills
what it still offers; a REST column with no GraphQL source (cart_token, processing_method,
...) stays in the schema and arrives null, so downstream code keeps one shape.

Money is exact decimal text ("19.90", never a float: a JSON number becomes a DOUBLE in
most targets); staging casts it to decimal. Numeric ids are the legacy integer ids.

`x-semantic-tags` carries the seed list's tags (email, given-name, surname, phone,
address, postal, ck customer key, pk primary key, ...) so identity resolution can find
them; the README's stream table lists the same tags (a test checks both agree).
"""

from __future__ import annotations

import typing as t

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"

_TYPES: dict[str, dict[str, t.Any]] = {
    "int": {"type": ["integer", "null"]},
    "str": {"type": ["string", "null"]},
    "bool": {"type": ["boolean", "null"]},
    "datetime": {"type": ["string", "null"], "format": "date-time"},
    "decimal": {"type": ["string", "null"], "pattern": DECIMAL_PATTERN},
    "number": {"type": ["number", "null"]},
    "strings": {"type": ["array", "null"], "items": {"type": "string"}},
}

# (column, type, semantic tags)
Column = tuple[str, str, tuple[str, ...]]


def _c(name: str, kind: str = "str", *tags: str) -> Column:
    return (name, kind, tags)


TABLES: dict[str, list[Column]] = {
    "customers": [
        _c("id", "int", "ck"),
        _c("email", "str", "email"),
        _c("first_name", "str", "given-name"),
        _c("last_name", "str", "surname"),
        _c("phone", "str", "phone"),
        _c("created_at", "datetime"),
        _c("updated_at", "datetime"),
        _c("currency"),
        _c("last_order_id", "int"),
        _c("last_order_name"),
        _c("multipass_identifier"),
        _c("note"),
        _c("orders_count", "int"),
        _c("state"),
        _c("tags"),
        _c("tax_exempt", "bool"),
        _c("total_spent", "decimal"),
        _c("verified_email", "bool"),
        _c("default_address_id", "int"),
    ],
    "customer_addresses": [
        _c("id", "int"),
        _c("customer_id", "int", "ck"),
        _c("address1", "str", "address"),
        _c("address2", "str", "address2"),
        _c("city", "str", "city"),
        _c("company", "str", "company"),
        _c("country", "str", "country"),
        _c("country_code"),
        _c("country_name"),
        _c("first_name", "str", "given-name"),
        _c("last_name", "str", "surname"),
        _c("name"),
        _c("phone", "str", "phone"),
        _c("province", "str", "state"),
        _c("province_code"),
        _c("zip", "str", "postal"),
    ],
    "customer_tags": [_c("customer_id", "int", "ck"), _c("value")],
    "orders": [
        _c("id", "int"),
        _c("app_id", "int"),
        _c("browser_ip"),
        _c("buyer_accepts_marketing", "bool"),
        _c("cancel_reason"),
        _c("canceled_at", "datetime"),
        _c("cart_token"),
        _c("checkout_token"),
        _c("closed_at", "datetime"),
        _c("created_at", "datetime"),
        _c("currency"),
        _c("current_subtotal_price", "decimal"),
        _c("current_total_discounts", "decimal"),
        _c("current_total_price", "decimal"),
        _c("current_total_tax", "decimal"),
        _c("customer_id", "int"),
        _c("customer_locale"),
        _c("email"),
        _c("estimated_taxes", "bool"),
        _c("financial_status"),
        _c("fulfillment_status"),
        _c("landing_site"),
        _c("location_id", "int"),
        _c("name"),
        _c("note"),
        _c("number", "int"),
        _c("order_number", "int"),
        _c("payment_gateway_names", "strings"),
        _c("phone"),
        _c("presentment_currency"),
        _c("processed_at", "datetime"),
        _c("processing_method"),
        _c("referring_site"),
        _c("source_name"),
        _c("source_identifier"),
        _c("source_url"),
        _c("subtotal_price", "decimal"),
        _c("tags"),
        _c("taxes_included", "bool"),
        _c("test", "bool"),
        _c("token"),
        _c("total_discounts", "decimal"),
        _c("total_line_items_price", "decimal"),
        _c("total_outstanding", "decimal"),
        _c("total_price", "decimal"),
        _c("total_tax", "decimal"),
        _c("total_tip_received", "decimal"),
        _c("total_weight", "int"),
        _c("updated_at", "datetime"),
        _c("user_id", "int"),
    ],
    "order_lines": [
        _c("id", "int"),
        _c("order_id", "int"),
        _c("fulfillable_quantity", "int"),
        _c("fulfillment_service"),
        _c("fulfillment_status"),
        _c("gift_card", "bool"),
        _c("grams", "int"),
        _c("name"),
        _c("price", "decimal"),
        _c("product_id", "int"),
        _c("quantity", "int"),
        _c("requires_shipping", "bool"),
        _c("sku"),
        _c("taxable", "bool"),
        _c("title"),
        _c("total_discount", "decimal"),
        _c("variant_id", "int"),
        _c("variant_title"),
        _c("vendor"),
    ],
    "order_tags": [_c("order_id", "int", "ck", "pk"), _c("value")],
    "discount_allocations": [
        _c("order_line_id", "int", "ck", "pk"),
        _c("discount_allocation_index", "int"),
        _c("order_id", "int"),
        _c("amount", "decimal"),
    ],
    "discount_codes": [
        _c("order_id", "int", "ck", "pk"),
        _c("code"),
        _c("discount_application_index", "int"),
        _c("type"),
        _c("amount", "decimal"),
        _c("percentage", "number"),
    ],
    "order_line_refunds": [
        _c("id", "int"),
        _c("order_id", "int"),
        _c("refund_id", "int"),
        _c("line_item_id", "int"),
        _c("location_id", "int"),
        _c("quantity", "int"),
        _c("restock_type"),
        _c("subtotal", "decimal"),
        _c("total_tax", "decimal"),
    ],
    "locations": [
        _c("id", "int"),
        _c("active", "bool"),
        _c("address1", "str", "address"),
        _c("address2", "str", "address2"),
        _c("city"),
        _c("country"),
        _c("country_code"),
        _c("country_name"),
        _c("created_at", "datetime"),
        _c("legacy", "bool"),
        _c("localized_country_name"),
        _c("localized_province_name"),
        _c("name"),
        _c("phone"),
        _c("province"),
        _c("province_code"),
        _c("province_name"),
        _c("updated_at", "datetime"),
        _c("zip"),
    ],
    "products": [
        _c("id", "int", "pc/product-id"),
        _c("body_html"),
        _c("created_at", "datetime"),
        _c("handle"),
        _c("product_type"),
        _c("published_at", "datetime"),
        _c("published_scope"),
        _c("status"),
        _c("tags"),
        _c("template_suffix"),
        _c("title"),
        _c("updated_at", "datetime"),
        _c("vendor"),
    ],
    "product_tags": [_c("product_id", "int", "ck", "pk"), _c("value")],
    "product_variants": [
        _c("id", "int"),
        _c("product_id", "int"),
        _c("barcode"),
        _c("compare_at_price", "decimal"),
        _c("created_at", "datetime"),
        _c("fulfillment_service"),
        _c("grams", "int"),
        _c("inventory_item_id", "int"),
        _c("inventory_management"),
        _c("inventory_policy"),
        _c("inventory_quantity", "int"),
        _c("option1"),
        _c("option2"),
        _c("option3"),
        _c("position", "int"),
        _c("price", "decimal"),
        _c("requires_shipping", "bool"),
        _c("sku"),
        _c("taxable", "bool"),
        _c("title"),
        _c("updated_at", "datetime"),
        _c("weight", "number"),
        _c("weight_unit"),
    ],
    "abandoned_checkouts": [
        _c("id", "int"),
        _c("name"),
        _c("abandoned_checkout_url"),
        _c("customer_id", "int", "ck"),
        _c("email", "str", "email"),
        _c("created_at", "datetime"),
        _c("updated_at", "datetime"),
        _c("completed_at", "datetime"),
        _c("note"),
        _c("taxes_included", "bool"),
        _c("currency"),
        _c("discount_codes", "strings"),
        _c("subtotal_price", "decimal"),
        _c("total_discounts", "decimal"),
        _c("total_line_items_price", "decimal"),
        _c("total_price", "decimal"),
        _c("total_tax", "decimal"),
    ],
}


def schema(table: str, required: t.Sequence[str]) -> dict[str, t.Any]:
    """The JSON schema of one table; `required` (its keys) are non-null."""
    properties: dict[str, t.Any] = {}
    for name, kind, tags in TABLES[table]:
        prop = dict(_TYPES[kind])
        if name in required:
            prop["type"] = [x for x in prop["type"] if x != "null"]
        if tags:
            prop["x-semantic-tags"] = list(tags)
            prop["description"] = f"Semantic tags: {', '.join(tags)}"
        properties[name] = prop
    return {"type": "object", "properties": properties, "required": list(required)}


def annotate(schema_dict: dict[str, t.Any], table: str) -> dict[str, t.Any]:
    """Put the semantic tags back on a schema the SDK rebuilt (its Schema model keeps only
    the JSON Schema keys it knows, so `x-semantic-tags` is dropped on the way)."""
    properties = schema_dict.get("properties") or {}
    for name, tags in semantic_tags(table).items():
        if name in properties:
            properties[name]["x-semantic-tags"] = list(tags)
    return schema_dict


def semantic_tags(table: str) -> dict[str, list[str]]:
    """{column: tags} of one table, for the README check."""
    return {name: list(tags) for name, _, tags in TABLES[table] if tags}
