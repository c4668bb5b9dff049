{%- set raw_columns = {
    'id': 'bigint', 'promotion_id': 'bigint', 'value': 'varchar', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per promotion code (spree_promotion_codes).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with promotion_codes as (

    select *
    from {{ optional_source('oms', 'spree_promotion_codes', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as promotion_code_id,
    cast(promotion_id as bigint) as promotion_id,
    value as code,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from promotion_codes
