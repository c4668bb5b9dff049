{%- set columns = {
    'id': 'bigint', 'external_product_id': 'varchar', 'title': 'varchar', 'handle': 'varchar',
    'vendor': 'varchar', 'requires_shipping': 'boolean', 'published_at': 'timestamp',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge product, as last copied (a full copy each run).
with products as (

    select *
    from {{ optional_source('recharge', 'products', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as product_id,
    external_product_id,
    title,
    handle,
    vendor,
    requires_shipping,
    published_at,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from products
