"""JSON schemas of the Recharge 2021-11 objects the tap copies.

Recharge publishes no machine-readable schema; the fields follow its 2021-11 API reference.
Money and other decimal amounts arrive as strings ("19.99", tax rate "0.0725") and stay
strings here, marked with DECIMAL_PATTERN: the tap parses each with Decimal (client.py,
`DecimalFields`) and emits its exact decimal text, because a JSON number becomes a binary
float (DOUBLE) in most Singer targets, and a float cannot hold 19.99. Staging models cast
the text to decimal(18,2). Open-ended values (statuses, types) are strings with the known
values described, not enums: a new status must not break a sync.
"""

from __future__ import annotations

from singer_sdk import typing as th

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def decimal() -> th.StringType:
    """A decimal amount as text, e.g. "19.99" (money) or "0.0725" (a tax rate)."""
    return th.StringType(pattern=DECIMAL_PATTERN)


def _id(description: str) -> th.Property:
    return th.Property("id", th.IntegerType, required=True, description=description)


def _ecommerce(name: str, description: str | None = None) -> th.Property:
    return th.Property(
        name, th.ObjectType(th.Property("ecommerce", th.StringType)), description=description
    )


_CREATED_AT = th.Property("created_at", th.DateTimeType)
_UPDATED_AT = th.Property(
    "updated_at", th.DateTimeType, required=True, description="Last change (the bookmark)"
)
_NAME_VALUE = th.ArrayType(
    th.ObjectType(th.Property("name", th.StringType), th.Property("value", th.StringType))
)
_ANALYTICS = th.Property(
    "analytics_data",
    th.ObjectType(
        th.Property(
            "utm_params",
            th.ArrayType(
                th.ObjectType(
                    *(
                        th.Property(f"utm_{key}", th.StringType)
                        for key in ("campaign", "content", "data_source", "medium", "source")
                    ),
                    th.Property("utm_term", th.StringType),
                    th.Property("utm_time_stamp", th.DateTimeType),
                )
            ),
        )
    ),
)
_ADDRESS_FIELDS = [
    th.Property(name, th.StringType)
    for name in (
        "address1",
        "address2",
        "city",
        "company",
        "country_code",
        "first_name",
        "last_name",
        "phone",
        "province",
        "zip",
    )
]
_POSTAL_ADDRESS = th.ObjectType(*_ADDRESS_FIELDS)
_CLIENT_DETAILS = th.Property(
    "client_details",
    th.ObjectType(
        th.Property("browser_ip", th.StringType), th.Property("user_agent", th.StringType)
    ),
)
_TAX_LINES = th.ArrayType(
    th.ObjectType(
        th.Property("price", decimal()),
        th.Property("rate", decimal(), description="Tax rate as text, e.g. 0.0725"),
        th.Property("title", th.StringType),
    )
)
_IMAGES = th.ObjectType(
    *(th.Property(size, th.URIType) for size in ("large", "medium", "original", "small"))
)
_LINE_ITEMS = th.Property(
    "line_items",
    th.ArrayType(
        th.ObjectType(
            th.Property(
                "purchase_item_id",
                th.IntegerType,
                description="The subscription or onetime this line bills",
            ),
            th.Property("purchase_item_type", th.StringType, description="subscription or onetime"),
            _ecommerce("external_product_id"),
            _ecommerce("external_variant_id"),
            th.Property("grams", th.IntegerType),
            th.Property("handle", th.StringType),
            th.Property("images", _IMAGES),
            th.Property("original_price", decimal()),
            th.Property("properties", _NAME_VALUE),
            th.Property("quantity", th.IntegerType),
            th.Property("sku", th.StringType),
            th.Property("tax_due", decimal()),
            th.Property("tax_lines", _TAX_LINES),
            th.Property("taxable", th.BooleanType),
            th.Property("taxable_amount", decimal()),
            th.Property("title", th.StringType),
            th.Property("total_price", decimal()),
            th.Property("unit_price", decimal()),
            th.Property("unit_price_includes_tax", th.BooleanType),
            th.Property("variant_title", th.StringType),
        )
    ),
)
_CUSTOMER_REF = th.Property(
    "customer",
    th.ObjectType(
        th.Property("id", th.IntegerType, description="The customer billed"),
        th.Property("email", th.EmailType),
        _ecommerce("external_customer_id"),
        th.Property("hash", th.StringType),
    ),
)
_BILLING = [
    th.Property(
        "discounts",
        th.ArrayType(
            th.ObjectType(
                th.Property("id", th.IntegerType),
                th.Property("code", th.StringType),
                th.Property("value", decimal()),
                th.Property("value_type", th.StringType),
            )
        ),
    ),
    _LINE_ITEMS,
    th.Property(
        "shipping_lines",
        th.ArrayType(
            th.ObjectType(
                th.Property("code", th.StringType),
                th.Property("price", decimal()),
                th.Property("source", th.StringType),
                th.Property("tax_lines", _TAX_LINES),
                th.Property("taxable", th.BooleanType),
                th.Property("title", th.StringType),
            )
        ),
    ),
    th.Property("subtotal_price", decimal(), description="Line items less discounts"),
    th.Property("tax_lines", _TAX_LINES),
    th.Property("taxable", th.BooleanType),
    th.Property("total_discounts", decimal()),
    th.Property("total_line_items_price", decimal()),
    th.Property(
        "total_price", decimal(), description="What the customer pays, tax and shipping included"
    ),
    th.Property("total_refunds", decimal()),
    th.Property("total_tax", decimal()),
    th.Property("total_weight_grams", th.IntegerType),
]
_PORTAL = th.ObjectType(
    th.Property("can_apply", th.BooleanType),
    th.Property("can_remove", th.BooleanType),
    th.Property("display", th.BooleanType),
)
_CHANNEL_SETTINGS = th.Property(
    "channel_settings",
    th.ObjectType(
        *(
            th.Property(channel, _PORTAL)
            for channel in ("api", "checkout_page", "customer_portal", "merchant_portal")
        )
    ),
)

CUSTOMER = th.PropertiesList(
    _id("Recharge customer id"),
    _ANALYTICS,
    th.Property("apply_credit_to_next_recurring_charge", th.BooleanType),
    _CREATED_AT,
    th.Property("email", th.EmailType),
    _ecommerce("external_customer_id", "The customer in the store's platform (Shopify)"),
    th.Property("first_charge_processed_at", th.DateTimeType),
    th.Property("first_name", th.StringType),
    th.Property("has_payment_method_in_dunning", th.BooleanType),
    th.Property("has_valid_payment_method", th.BooleanType),
    th.Property("hash", th.StringType),
    th.Property("last_name", th.StringType),
    th.Property("orders_count", th.IntegerType),
    th.Property("phone", th.StringType),
    th.Property("subscriptions_active_count", th.IntegerType),
    th.Property("subscriptions_total_count", th.IntegerType),
    th.Property("tax_exempt", th.BooleanType),
    _UPDATED_AT,
).to_dict()

ADDRESS = th.PropertiesList(
    _id("Recharge address id"),
    th.Property("customer_id", th.IntegerType, description="The customer it belongs to"),
    th.Property("payment_method_id", th.IntegerType),
    *_ADDRESS_FIELDS,
    _CREATED_AT,
    th.Property("discounts", th.ArrayType(th.ObjectType(th.Property("id", th.IntegerType)))),
    th.Property("order_attributes", _NAME_VALUE),
    th.Property("order_note", th.StringType),
    th.Property("presentment_currency", th.StringType),
    th.Property(
        "shipping_lines_conserved",
        th.ArrayType(
            th.ObjectType(
                th.Property("code", th.StringType),
                th.Property("price", decimal()),
                th.Property("title", th.StringType),
            )
        ),
    ),
    th.Property(
        "shipping_lines_override",
        th.ArrayType(
            th.ObjectType(
                th.Property("code", th.StringType),
                th.Property("price", decimal()),
                th.Property("title", th.StringType),
            )
        ),
    ),
    _UPDATED_AT,
).to_dict()

PAYMENT_METHOD = th.PropertiesList(
    _id("Recharge payment method id"),
    th.Property("customer_id", th.IntegerType),
    th.Property("billing_address", _POSTAL_ADDRESS),
    _CREATED_AT,
    th.Property("default", th.BooleanType),
    th.Property(
        "payment_details",
        th.ObjectType(
            th.Property("brand", th.StringType),
            th.Property("exp_month", th.IntegerType),
            th.Property("exp_year", th.IntegerType),
            th.Property("last4", th.StringType),
            th.Property("paypal_email", th.StringType),
            th.Property("wallet_type", th.StringType),
        ),
    ),
    th.Property("payment_type", th.StringType, description="CREDIT_CARD, PAYPAL, APPLE_PAY, ..."),
    th.Property("processor_customer_token", th.StringType),
    th.Property("processor_name", th.StringType),
    th.Property("processor_payment_method_token", th.StringType),
    th.Property("status", th.StringType, description="valid, invalid or empty"),
    th.Property("status_reason", th.StringType),
    th.Property("updated_at", th.DateTimeType),
).to_dict()

SUBSCRIPTION = th.PropertiesList(
    _id("Recharge subscription id"),
    th.Property("address_id", th.IntegerType),
    th.Property("customer_id", th.IntegerType),
    _ANALYTICS,
    th.Property("cancellation_reason", th.StringType),
    th.Property("cancellation_reason_comments", th.StringType),
    th.Property("cancelled_at", th.DateTimeType),
    th.Property("charge_interval_frequency", th.IntegerType),
    _CREATED_AT,
    th.Property("expire_after_specific_number_of_charges", th.IntegerType),
    _ecommerce("external_product_id"),
    _ecommerce("external_variant_id"),
    th.Property("has_queued_charges", th.BooleanType),
    th.Property("is_prepaid", th.BooleanType),
    th.Property("is_skippable", th.BooleanType),
    th.Property("is_swappable", th.BooleanType),
    th.Property("max_retries_reached", th.BooleanType),
    th.Property("next_charge_scheduled_at", th.DateType),
    th.Property("order_day_of_month", th.IntegerType),
    th.Property("order_day_of_week", th.IntegerType),
    th.Property("order_interval_frequency", th.IntegerType),
    th.Property("order_interval_unit", th.StringType, description="day, week or month"),
    th.Property("presentment_currency", th.StringType),
    th.Property("price", decimal(), description="Price per unit, as text"),
    th.Property("product_title", th.StringType),
    th.Property("properties", _NAME_VALUE),
    th.Property("quantity", th.IntegerType),
    th.Property("sku", th.StringType),
    th.Property("sku_override", th.BooleanType),
    th.Property("status", th.StringType, description="active, cancelled or expired"),
    _UPDATED_AT,
    th.Property("variant_title", th.StringType),
).to_dict()

ONETIME = th.PropertiesList(
    _id("Recharge onetime id"),
    th.Property("address_id", th.IntegerType),
    th.Property("customer_id", th.IntegerType),
    _CREATED_AT,
    _ecommerce("external_product_id"),
    _ecommerce("external_variant_id"),
    th.Property("is_cancelled", th.BooleanType),
    th.Property("next_charge_scheduled_at", th.DateType),
    th.Property("price", decimal()),
    th.Property("product_title", th.StringType),
    th.Property("properties", _NAME_VALUE),
    th.Property("quantity", th.IntegerType),
    th.Property("sku", th.StringType),
    th.Property("sku_override", th.BooleanType),
    _UPDATED_AT,
    th.Property("variant_title", th.StringType),
).to_dict()

CHARGE = th.PropertiesList(
    _id("Recharge charge id"),
    th.Property("address_id", th.IntegerType),
    _ANALYTICS,
    th.Property("billing_address", _POSTAL_ADDRESS),
    _CLIENT_DETAILS,
    _CREATED_AT,
    th.Property("currency", th.StringType),
    _CUSTOMER_REF,
    *_BILLING,
    th.Property("error", th.StringType),
    th.Property("error_type", th.StringType),
    _ecommerce("external_order_id"),
    th.Property(
        "external_transaction_id",
        th.ObjectType(th.Property("payment_processor", th.StringType)),
    ),
    th.Property("has_uncommitted_changes", th.BooleanType),
    th.Property("note", th.StringType),
    th.Property("order_attributes", _NAME_VALUE),
    th.Property("orders_count", th.IntegerType),
    th.Property("payment_processor", th.StringType),
    th.Property("processed_at", th.DateTimeType),
    th.Property("retry_date", th.DateTimeType),
    th.Property("scheduled_at", th.DateType),
    th.Property("shipping_address", _POSTAL_ADDRESS),
    th.Property(
        "status",
        th.StringType,
        description="success, queued, error, skipped, refunded, partially_refunded, ...",
    ),
    th.Property("tags", th.StringType),
    th.Property("type", th.StringType, description="checkout or recurring"),
    _UPDATED_AT,
).to_dict()

ORDER = th.PropertiesList(
    _id("Recharge order id"),
    th.Property("address_id", th.IntegerType),
    th.Property("billing_address", _POSTAL_ADDRESS),
    th.Property(
        "charge",
        th.ObjectType(
            th.Property("id", th.IntegerType, description="The charge this order came from"),
            th.Property(
                "external_transaction_id",
                th.ObjectType(th.Property("payment_processor", th.StringType)),
            ),
        ),
    ),
    _CLIENT_DETAILS,
    _CREATED_AT,
    th.Property("currency", th.StringType),
    _CUSTOMER_REF,
    *_BILLING,
    th.Property("error", th.StringType),
    th.Property("external_cart_token", th.StringType),
    _ecommerce("external_order_id"),
    _ecommerce("external_order_name"),
    _ecommerce("external_order_number"),
    th.Property("is_prepaid", th.BooleanType),
    th.Property("note", th.StringType),
    th.Property("order_attributes", _NAME_VALUE),
    th.Property("processed_at", th.DateTimeType),
    th.Property("scheduled_at", th.DateTimeType),
    th.Property("shipping_address", _POSTAL_ADDRESS),
    th.Property("status", th.StringType, description="success, error, queued, cancelled, ..."),
    th.Property("tags", th.StringType),
    th.Property("total_duties", decimal()),
    th.Property("type", th.StringType, description="checkout or recurring"),
    _UPDATED_AT,
).to_dict()

DISCOUNT = th.PropertiesList(
    _id("Recharge discount id"),
    th.Property(
        "applies_to",
        th.ObjectType(
            th.Property("ids", th.ArrayType(th.IntegerType)),
            th.Property("purchase_item_type", th.StringType),
            th.Property("resource", th.StringType),
        ),
    ),
    _CHANNEL_SETTINGS,
    th.Property("code", th.StringType),
    _CREATED_AT,
    th.Property("ends_at", th.DateTimeType),
    _ecommerce("external_discount_id"),
    th.Property("external_discount_source", th.StringType),
    th.Property("prerequisite_subtotal_min", decimal()),
    th.Property("starts_at", th.DateTimeType),
    th.Property("status", th.StringType, description="enabled, disabled or fully_disabled"),
    _UPDATED_AT,
    th.Property(
        "usage_limits",
        th.ObjectType(
            th.Property("first_time_customer_restriction", th.BooleanType),
            th.Property("max_subsequent_redemptions", th.IntegerType),
            th.Property("one_application_per_customer", th.BooleanType),
        ),
    ),
    th.Property("value", decimal(), description="Percent or amount off, by value_type"),
    th.Property("value_type", th.StringType, description="percentage, fixed_amount or shipping"),
).to_dict()

PRODUCT = th.PropertiesList(
    _id("Recharge product id"),
    _CREATED_AT,
    th.Property("external_product_id", th.StringType, description="The product in the store"),
    th.Property("handle", th.StringType),
    th.Property("images", _IMAGES),
    th.Property(
        "options",
        th.ArrayType(
            th.ObjectType(
                th.Property("name", th.StringType),
                th.Property("position", th.IntegerType),
                th.Property("values", th.ArrayType(th.StringType)),
            )
        ),
    ),
    th.Property("published_at", th.DateTimeType),
    th.Property("requires_shipping", th.BooleanType),
    th.Property("title", th.StringType),
    th.Property("updated_at", th.DateTimeType),
    th.Property(
        "variants",
        th.ArrayType(
            th.ObjectType(
                th.Property("external_variant_id", th.StringType),
                th.Property(
                    "option_values",
                    th.ArrayType(th.ObjectType(th.Property("label", th.StringType))),
                ),
                th.Property(
                    "prices",
                    th.ObjectType(
                        th.Property("compare_at_price", decimal()),
                        th.Property("unit_price", decimal()),
                    ),
                ),
                th.Property("requires_shipping", th.BooleanType),
                th.Property("sku", th.StringType),
                th.Property("taxable", th.BooleanType),
                th.Property("title", th.StringType),
                th.Property(
                    "weight",
                    th.ObjectType(
                        th.Property("unit", th.StringType), th.Property("value", th.IntegerType)
                    ),
                ),
            )
        ),
    ),
    th.Property("vendor", th.StringType),
).to_dict()

PLAN = th.PropertiesList(
    _id("Recharge plan id"),
    _CHANNEL_SETTINGS,
    _CREATED_AT,
    th.Property("deleted_at", th.DateTimeType),
    th.Property("discount_amount", decimal()),
    th.Property("discount_type", th.StringType),
    _ecommerce("external_product_id", "The product the plan sells (products.external_product_id)"),
    th.Property("external_variant_ids", th.ArrayType(th.StringType)),
    th.Property("has_variant_restrictions", th.BooleanType),
    th.Property("sort_order", th.IntegerType),
    th.Property(
        "subscription_preferences",
        th.ObjectType(
            th.Property("charge_interval_frequency", th.IntegerType),
            th.Property("cutoff_day_of_month", th.IntegerType),
            th.Property("cutoff_day_of_week", th.IntegerType),
            th.Property("expire_after_specific_number_of_charges", th.IntegerType),
            th.Property("interval_unit", th.StringType),
            th.Property("order_day_of_month", th.IntegerType),
            th.Property("order_day_of_week", th.IntegerType),
            th.Property("order_interval_frequency", th.IntegerType),
        ),
    ),
    th.Property("title", th.StringType),
    th.Property("type", th.StringType, description="subscription, prepaid or onetime"),
    _UPDATED_AT,
).to_dict()

COLLECTION = th.PropertiesList(
    _id("Recharge collection id"),
    _CREATED_AT,
    th.Property("description", th.StringType),
    th.Property("sort_order", th.StringType),
    th.Property("title", th.StringType),
    th.Property("type", th.StringType),
    th.Property("updated_at", th.DateTimeType),
).to_dict()

EVENT = th.PropertiesList(
    _id("Recharge event id"),
    th.Property(
        "created_at", th.DateTimeType, required=True, description="When it happened (the bookmark)"
    ),
    th.Property("customer_id", th.IntegerType),
    th.Property("object_id", th.IntegerType),
    th.Property("object_type", th.StringType, description="customer, subscription, charge, ..."),
    th.Property(
        "source",
        th.ObjectType(
            th.Property("account_id", th.IntegerType),
            th.Property("api_token_id", th.IntegerType),
            th.Property("api_token_name", th.StringType),
            th.Property("origin", th.StringType),
            th.Property("user_type", th.StringType),
        ),
    ),
    th.Property(
        "updated_attributes",
        th.ObjectType(additional_properties=True),
        description="The attributes the event changed, as Recharge reports them (free-form)",
    ),
    th.Property("verb", th.StringType, description="created, updated, cancelled, ..."),
).to_dict()
