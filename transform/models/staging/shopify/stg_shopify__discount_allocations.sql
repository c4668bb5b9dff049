{%- set columns = {
    'order_line_id': 'bigint', 'discount_allocation_index': 'bigint', 'order_id': 'bigint',
    'amount': 'varchar', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify discount allocation, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'discount_allocations', columns) }}
    qualify row_number() over (
        partition by order_line_id, discount_allocation_index order by _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(order_line_id as bigint) as order_line_id,
    cast(discount_allocation_index as bigint) as discount_allocation_index,
    cast(order_id as bigint) as order_id,
    cast(amount as decimal(18, 2)) as amount,
    _sdc_batched_at as loaded_at
from source
