{%- set raw_columns = {
    'id': 'bigint', 'source_type': 'varchar', 'source_id': 'bigint',
    'adjustable_type': 'varchar', 'adjustable_id': 'bigint', 'amount': 'double',
    'label': 'varchar', 'eligible': 'boolean', 'order_id': 'bigint', 'included': 'boolean',
    'promotion_code_id': 'bigint', 'finalized': 'boolean', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per promotion adjustment (spree_adjustments) of an order, line item or shipment.
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with adjustments as (

    select *
    from {{ optional_source('oms', 'spree_adjustments', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as adjustment_id,
    source_type,
    cast(source_id as bigint) as source_id,
    adjustable_type,
    cast(adjustable_id as bigint) as adjustable_id,
    cast(amount as decimal(10, 2)) as amount,
    label,
    eligible,
    cast(order_id as bigint) as order_id,
    included,
    cast(promotion_code_id as bigint) as promotion_code_id,
    finalized,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from adjustments
