{%- set raw_columns = {
    'id': 'bigint', 'type': 'varchar', 'name': 'varchar', 'description': 'varchar',
    'active': 'boolean', 'auto_capture': 'boolean', 'preference_source': 'varchar',
    'position': 'bigint', 'available_to_users': 'boolean', 'available_to_admin': 'boolean',
    'deleted_at': 'timestamp', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per payment method (spree_payment_methods).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with payment_methods as (

    select *
    from {{ optional_source('oms', 'spree_payment_methods', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as payment_method_id,
    type as payment_method_type,
    name,
    description,
    active,
    auto_capture,
    preference_source,
    cast(position as integer) as position,
    available_to_users,
    available_to_admin,
    deleted_at,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from payment_methods
