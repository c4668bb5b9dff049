{%- set columns = {
    'id': 'bigint', 'customer_id': 'bigint', 'address_id': 'bigint',
    'product_title': 'varchar', 'variant_title': 'varchar', 'sku': 'varchar',
    'external_product_id': 'json', 'quantity': 'bigint', 'price': 'varchar',
    'next_charge_scheduled_at': 'varchar', 'is_cancelled': 'boolean',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge onetime (a product added once to an upcoming charge), newest version.
with onetimes as (

    select *
    from {{ optional_source('recharge', 'onetimes', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as onetime_id,
    cast(customer_id as bigint) as customer_id,
    cast(address_id as bigint) as address_id,
    product_title,
    variant_title,
    sku,
    {{ json_text('external_product_id', 'ecommerce') }} as external_product_id,
    cast(quantity as integer) as quantity,
    cast(price as decimal(18, 2)) as price,
    cast(next_charge_scheduled_at as date) as next_charge_scheduled_at,
    is_cancelled,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from onetimes
