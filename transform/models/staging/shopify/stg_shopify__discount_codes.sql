{%- set columns = {
    'order_id': 'bigint', 'code': 'varchar', 'discount_application_index': 'bigint',
    'type': 'varchar', 'amount': 'varchar', 'percentage': 'double',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify discount code, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'discount_codes', columns) }}
    qualify row_number() over (
        partition by order_id, code order by _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(order_id as bigint) as order_id,
    code,
    cast(discount_application_index as bigint) as discount_application_index,
    {{ adapter.dispatch('raw_column')('type') }} as type,
    cast(amount as decimal(18, 2)) as amount,
    percentage,
    _sdc_batched_at as loaded_at
from source
