{%- set columns = {
    'id': 'bigint', 'name': 'varchar', 'abandoned_checkout_url': 'varchar',
    'customer_id': 'bigint', 'email': 'varchar', 'created_at': 'timestamp',
    'updated_at': 'timestamp', 'completed_at': 'timestamp', 'note': 'varchar',
    'taxes_included': 'boolean', 'currency': 'varchar', 'discount_codes': 'json',
    'subtotal_price': 'varchar', 'total_discounts': 'varchar',
    'total_line_items_price': 'varchar', 'total_price': 'varchar', 'total_tax': 'varchar',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify abandoned checkout, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'abandoned_checkouts', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as abandoned_checkout_id,
    {{ adapter.dispatch('raw_column')('name') }} as name,
    abandoned_checkout_url,
    cast(customer_id as bigint) as customer_id,
    email,
    created_at,
    updated_at,
    completed_at,
    note,
    taxes_included,
    {{ adapter.dispatch('raw_column')('currency') }} as currency,
    discount_codes,
    cast(subtotal_price as decimal(18, 2)) as subtotal_price,
    cast(total_discounts as decimal(18, 2)) as total_discounts,
    cast(total_line_items_price as decimal(18, 2)) as total_line_items_price,
    cast(total_price as decimal(18, 2)) as total_price,
    cast(total_tax as decimal(18, 2)) as total_tax,
    _sdc_batched_at as loaded_at
from source
