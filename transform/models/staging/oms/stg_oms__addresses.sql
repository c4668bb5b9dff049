{%- set raw_columns = {
    'id': 'bigint', 'name': 'varchar', 'address1': 'varchar', 'address2': 'varchar',
    'city': 'varchar', 'zipcode': 'varchar', 'phone': 'varchar', 'state_name': 'varchar',
    'alternative_phone': 'varchar', 'company': 'varchar', 'country_id': 'bigint',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per address (spree_addresses): saved in an account, or a guest order's own.
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with addresses as (

    select *
    from {{ optional_source('oms', 'spree_addresses', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as address_id,
    name,
    address1,
    address2,
    city,
    zipcode,
    phone,
    state_name,
    alternative_phone,
    company,
    cast(country_id as bigint) as country_id,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from addresses
