{%- set raw_columns = {
    'id': 'bigint', 'tracking': 'varchar', 'number': 'varchar', 'cost': 'double',
    'shipped_at': 'timestamp', 'order_id': 'bigint', 'state': 'varchar',
    'stock_location_id': 'bigint', 'adjustment_total': 'double',
    'additional_tax_total': 'double', 'promo_total': 'double', 'included_tax_total': 'double',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per shipment (spree_shipments).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with shipments as (

    select *
    from {{ optional_source('oms', 'spree_shipments', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as shipment_id,
    tracking as tracking_number,
    number as shipment_number,
    cast(cost as decimal(10, 2)) as cost,
    shipped_at,
    cast(order_id as bigint) as order_id,
    state as shipment_state,
    cast(stock_location_id as bigint) as stock_location_id,
    cast(adjustment_total as decimal(10, 2)) as adjustment_total,
    cast(additional_tax_total as decimal(10, 2)) as additional_tax_total,
    cast(promo_total as decimal(10, 2)) as promo_total,
    cast(included_tax_total as decimal(10, 2)) as included_tax_total,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from shipments
