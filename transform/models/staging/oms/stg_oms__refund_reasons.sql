{%- set raw_columns = {
    'id': 'bigint', 'name': 'varchar', 'active': 'boolean', 'mutable': 'boolean',
    'code': 'varchar', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per refund reason (spree_refund_reasons).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with refund_reasons as (

    select *
    from {{ optional_source('oms', 'spree_refund_reasons', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as refund_reason_id,
    name,
    active,
    mutable,
    code,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from refund_reasons
