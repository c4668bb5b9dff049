{%- set raw_columns = {
    'id': 'bigint', 'description': 'varchar', 'expires_at': 'timestamp',
    'starts_at': 'timestamp', 'name': 'varchar', 'type': 'varchar', 'usage_limit': 'bigint',
    'match_policy': 'varchar', 'advertise': 'boolean', 'path': 'varchar',
    'per_code_usage_limit': 'bigint', 'apply_automatically': 'boolean',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per promotion (spree_promotions).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with promotions as (

    select *
    from {{ optional_source('oms', 'spree_promotions', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as promotion_id,
    description,
    expires_at,
    starts_at,
    name,
    type as promotion_type,
    cast(usage_limit as integer) as usage_limit,
    match_policy,
    advertise,
    path,
    cast(per_code_usage_limit as integer) as per_code_usage_limit,
    apply_automatically,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from promotions
