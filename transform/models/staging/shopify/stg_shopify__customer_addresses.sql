{%- set columns = {
    'id': 'bigint', 'customer_id': 'bigint', 'address1': 'varchar', 'address2': 'varchar',
    'city': 'varchar', 'company': 'varchar', 'country': 'varchar',
    'country_code': 'varchar', 'country_name': 'varchar', 'first_name': 'varchar',
    'last_name': 'varchar', 'name': 'varchar', 'phone': 'varchar', 'province': 'varchar',
    'province_code': 'varchar', 'zip': 'varchar', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify customer address, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too). `is_default` (REST's `default`) comes
-- from the customer's default_address_id: a bulk export's address lines do not know it.
with source as (

    select *
    from {{ optional_source('shopify', 'customer_addresses', columns) }}
    qualify row_number() over (
        partition by id order by _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(source.id as bigint) as customer_address_id,
    cast(source.customer_id as bigint) as customer_id,
    coalesce(customers.default_address_id = cast(source.id as bigint), false) as is_default,
    source.address1,
    source.address2,
    source.city,
    source.company,
    source.country,
    source.country_code,
    source.country_name,
    source.first_name,
    source.last_name,
    source.{{ adapter.dispatch('raw_column')('name') }} as name,
    source.phone,
    source.province,
    source.province_code,
    source.zip,
    source._sdc_batched_at as loaded_at
from source
left join {{ ref('stg_shopify__customers') }} as customers
    on customers.customer_id = source.customer_id
