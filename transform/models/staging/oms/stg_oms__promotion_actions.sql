{%- set raw_columns = {
    'id': 'bigint', 'promotion_id': 'bigint', 'position': 'bigint', 'type': 'varchar',
    'preferences': 'varchar', 'deleted_at': 'timestamp', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per promotion action (spree_promotion_actions): what a promotion does.
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with promotion_actions as (

    select *
    from {{ optional_source('oms', 'spree_promotion_actions', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as promotion_action_id,
    cast(promotion_id as bigint) as promotion_id,
    cast(position as integer) as position,
    type as action_type,
    preferences,
    deleted_at,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from promotion_actions
