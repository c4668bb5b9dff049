{%- set raw_columns = {
    'id': 'bigint', 'name': 'varchar', 'code': 'varchar', 'default': 'boolean',
    'address1': 'varchar', 'city': 'varchar', 'zipcode': 'varchar', 'country_id': 'bigint',
    'active': 'boolean', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per warehouse shipments leave from (spree_stock_locations).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with stock_locations as (

    select *
    from {{ optional_source('oms', 'spree_stock_locations', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as stock_location_id,
    name,
    code,
    {{ adapter.quote('default') }} as is_default,
    address1,
    city,
    zipcode,
    cast(country_id as bigint) as country_id,
    active,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from stock_locations
