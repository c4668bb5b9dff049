{%- set raw_columns = {
    'id': 'bigint', 'email': 'varchar', 'login': 'varchar', 'sign_in_count': 'bigint',
    'failed_attempts': 'bigint', 'last_sign_in_at': 'timestamp',
    'current_sign_in_at': 'timestamp', 'deleted_at': 'timestamp', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per storefront account (spree_users).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with users as (

    select *
    from {{ optional_source('oms', 'spree_users', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as user_id,
    email,
    login,
    cast(sign_in_count as integer) as sign_in_count,
    cast(failed_attempts as integer) as failed_attempts,
    last_sign_in_at,
    current_sign_in_at,
    deleted_at,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from users
