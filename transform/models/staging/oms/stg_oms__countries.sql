{%- set raw_columns = {
    'id': 'bigint', 'iso_name': 'varchar', 'iso': 'varchar', 'iso3': 'varchar',
    'name': 'varchar', 'numcode': 'bigint', 'states_required': 'boolean',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per country the store knows (spree_countries).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with countries as (

    select *
    from {{ optional_source('oms', 'spree_countries', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as country_id,
    iso_name,
    iso as iso_code,
    iso3 as iso3_code,
    name,
    cast(numcode as integer) as numcode,
    states_required,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from countries
