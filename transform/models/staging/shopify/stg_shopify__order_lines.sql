{%- set columns = {
    'id': 'bigint', 'order_id': 'bigint', 'fulfillable_quantity': 'bigint',
    'fulfillment_service': 'varchar', 'fulfillment_status': 'varchar',
    'gift_card': 'boolean', 'grams': 'bigint', 'name': 'varchar', 'price': 'varchar',
    'product_id': 'bigint', 'quantity': 'bigint', 'requires_shipping': 'boolean',
    'sku': 'varchar', 'taxable': 'boolean', 'title': 'varchar',
    'total_discount': 'varchar', 'variant_id': 'bigint', 'variant_title': 'varchar',
    'vendor': 'varchar', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify order line, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'order_lines', columns) }}
    qualify row_number() over (
        partition by id order by _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as order_line_id,
    cast(order_id as bigint) as order_id,
    cast(fulfillable_quantity as bigint) as fulfillable_quantity,
    fulfillment_service,
    fulfillment_status,
    gift_card,
    cast(grams as bigint) as grams,
    {{ adapter.dispatch('raw_column')('name') }} as name,
    cast(price as decimal(18, 2)) as price,
    cast(product_id as bigint) as product_id,
    cast(quantity as bigint) as quantity,
    requires_shipping,
    sku,
    taxable,
    title,
    cast(total_discount as decimal(18, 2)) as total_discount,
    cast(variant_id as bigint) as variant_id,
    variant_title,
    vendor,
    _sdc_batched_at as loaded_at
from source
