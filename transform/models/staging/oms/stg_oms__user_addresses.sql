{%- set raw_columns = {
    'id': 'bigint', 'user_id': 'bigint', 'address_id': 'bigint', 'default': 'boolean',
    'archived': 'boolean', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per address saved in an account (spree_user_addresses, the join table).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with user_addresses as (

    select *
    from {{ optional_source('oms', 'spree_user_addresses', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as user_address_id,
    cast(user_id as bigint) as user_id,
    cast(address_id as bigint) as address_id,
    {{ adapter.quote('default') }} as is_default,
    archived,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from user_addresses
