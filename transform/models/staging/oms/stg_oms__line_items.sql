{%- set raw_columns = {
    'id': 'bigint', 'variant_id': 'bigint', 'order_id': 'bigint', 'quantity': 'bigint',
    'price': 'double', 'cost_price': 'double', 'currency': 'varchar',
    'adjustment_total': 'double', 'additional_tax_total': 'double', 'promo_total': 'double',
    'included_tax_total': 'double', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per order line (spree_line_items).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with line_items as (

    select *
    from {{ optional_source('oms', 'spree_line_items', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as line_item_id,
    cast(variant_id as bigint) as variant_id,
    cast(order_id as bigint) as order_id,
    cast(quantity as integer) as quantity,
    cast(price as decimal(10, 2)) as price,
    cast(cost_price as decimal(10, 2)) as cost_price,
    currency,
    cast(adjustment_total as decimal(10, 2)) as adjustment_total,
    cast(additional_tax_total as decimal(10, 2)) as additional_tax_total,
    cast(promo_total as decimal(10, 2)) as promo_total,
    cast(included_tax_total as decimal(10, 2)) as included_tax_total,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from line_items
