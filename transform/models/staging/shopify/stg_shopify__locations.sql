{%- set columns = {
    'id': 'bigint', 'active': 'boolean', 'address1': 'varchar', 'address2': 'varchar',
    'city': 'varchar', 'country': 'varchar', 'country_code': 'varchar',
    'country_name': 'varchar', 'created_at': 'timestamp', 'legacy': 'boolean',
    'localized_country_name': 'varchar', 'localized_province_name': 'varchar',
    'name': 'varchar', 'phone': 'varchar', 'province': 'varchar',
    'province_code': 'varchar', 'province_name': 'varchar', 'updated_at': 'timestamp',
    'zip': 'varchar', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify location, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'locations', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as location_id,
    active,
    address1,
    address2,
    city,
    country,
    country_code,
    country_name,
    created_at,
    legacy,
    localized_country_name,
    localized_province_name,
    {{ adapter.dispatch('raw_column')('name') }} as name,
    phone,
    province,
    province_code,
    province_name,
    updated_at,
    zip,
    _sdc_batched_at as loaded_at
from source
