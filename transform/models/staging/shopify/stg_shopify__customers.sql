{%- set columns = {
    'id': 'bigint', 'email': 'varchar', 'first_name': 'varchar', 'last_name': 'varchar',
    'phone': 'varchar', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    'currency': 'varchar', 'last_order_id': 'bigint', 'last_order_name': 'varchar',
    'multipass_identifier': 'varchar', 'note': 'varchar', 'orders_count': 'bigint',
    'state': 'varchar', 'tags': 'varchar', 'tax_exempt': 'boolean',
    'total_spent': 'varchar', 'verified_email': 'boolean', 'default_address_id': 'bigint',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify customer, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'customers', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as customer_id,
    email,
    first_name,
    last_name,
    phone,
    created_at,
    updated_at,
    {{ adapter.dispatch('raw_column')('currency') }} as currency,
    cast(last_order_id as bigint) as last_order_id,
    last_order_name,
    multipass_identifier,
    note,
    cast(orders_count as bigint) as orders_count,
    {{ adapter.dispatch('raw_column')('state') }} as state,
    tags,
    tax_exempt,
    cast(total_spent as decimal(18, 2)) as total_spent,
    verified_email,
    cast(default_address_id as bigint) as default_address_id,
    _sdc_batched_at as loaded_at
from source
