{%- set columns = {
    'id': 'bigint', 'order_id': 'bigint', 'refund_id': 'bigint', 'line_item_id': 'bigint',
    'location_id': 'bigint', 'quantity': 'bigint', 'restock_type': 'varchar',
    'subtotal': 'varchar', 'total_tax': 'varchar', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify refunded order line, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'order_line_refunds', columns) }}
    qualify row_number() over (
        partition by id order by _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as order_line_refund_id,
    cast(order_id as bigint) as order_id,
    cast(refund_id as bigint) as refund_id,
    cast(line_item_id as bigint) as line_item_id,
    cast(location_id as bigint) as location_id,
    cast(quantity as bigint) as quantity,
    restock_type,
    cast(subtotal as decimal(18, 2)) as subtotal,
    cast(total_tax as decimal(18, 2)) as total_tax,
    _sdc_batched_at as loaded_at
from source
