{%- set columns = {
    'id': 'bigint', 'app_id': 'bigint', 'browser_ip': 'varchar',
    'buyer_accepts_marketing': 'boolean', 'cancel_reason': 'varchar',
    'canceled_at': 'timestamp', 'cart_token': 'varchar', 'checkout_token': 'varchar',
    'closed_at': 'timestamp', 'created_at': 'timestamp', 'currency': 'varchar',
    'current_subtotal_price': 'varchar', 'current_total_discounts': 'varchar',
    'current_total_price': 'varchar', 'current_total_tax': 'varchar',
    'customer_id': 'bigint', 'customer_locale': 'varchar', 'email': 'varchar',
    'estimated_taxes': 'boolean', 'financial_status': 'varchar',
    'fulfillment_status': 'varchar', 'landing_site': 'varchar', 'location_id': 'bigint',
    'name': 'varchar', 'note': 'varchar', 'number': 'bigint', 'order_number': 'bigint',
    'payment_gateway_names': 'json', 'phone': 'varchar', 'presentment_currency': 'varchar',
    'processed_at': 'timestamp', 'processing_method': 'varchar',
    'referring_site': 'varchar', 'source_name': 'varchar', 'source_identifier': 'varchar',
    'source_url': 'varchar', 'subtotal_price': 'varchar', 'tags': 'varchar',
    'taxes_included': 'boolean', 'test': 'boolean', 'token': 'varchar',
    'total_discounts': 'varchar', 'total_line_items_price': 'varchar',
    'total_outstanding': 'varchar', 'total_price': 'varchar', 'total_tax': 'varchar',
    'total_tip_received': 'varchar', 'total_weight': 'bigint', 'updated_at': 'timestamp',
    'user_id': 'bigint', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify order, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'orders', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as order_id,
    cast(app_id as bigint) as app_id,
    browser_ip,
    buyer_accepts_marketing,
    cancel_reason,
    canceled_at,
    cart_token,
    checkout_token,
    closed_at,
    created_at,
    {{ adapter.dispatch('raw_column')('currency') }} as currency,
    cast(current_subtotal_price as decimal(18, 2)) as current_subtotal_price,
    cast(current_total_discounts as decimal(18, 2)) as current_total_discounts,
    cast(current_total_price as decimal(18, 2)) as current_total_price,
    cast(current_total_tax as decimal(18, 2)) as current_total_tax,
    cast(customer_id as bigint) as customer_id,
    customer_locale,
    email,
    estimated_taxes,
    financial_status,
    fulfillment_status,
    landing_site,
    cast(location_id as bigint) as location_id,
    {{ adapter.dispatch('raw_column')('name') }} as name,
    note,
    cast({{ adapter.dispatch('raw_column')('number') }} as bigint) as number,
    cast(order_number as bigint) as order_number,
    payment_gateway_names,
    phone,
    presentment_currency,
    processed_at,
    processing_method,
    referring_site,
    source_name,
    source_identifier,
    source_url,
    cast(subtotal_price as decimal(18, 2)) as subtotal_price,
    tags,
    taxes_included,
    {{ adapter.dispatch('raw_column')('test') }} as test,
    {{ adapter.dispatch('raw_column')('token') }} as token,
    cast(total_discounts as decimal(18, 2)) as total_discounts,
    cast(total_line_items_price as decimal(18, 2)) as total_line_items_price,
    cast(total_outstanding as decimal(18, 2)) as total_outstanding,
    cast(total_price as decimal(18, 2)) as total_price,
    cast(total_tax as decimal(18, 2)) as total_tax,
    cast(total_tip_received as decimal(18, 2)) as total_tip_received,
    cast(total_weight as bigint) as total_weight,
    updated_at,
    cast(user_id as bigint) as user_id,
    _sdc_batched_at as loaded_at
from source
