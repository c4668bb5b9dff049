{%- set raw_columns = {
    'id': 'bigint', 'sku': 'varchar', 'weight': 'double', 'height': 'double',
    'width': 'double', 'depth': 'double', 'deleted_at': 'timestamp', 'is_master': 'boolean',
    'product_id': 'bigint', 'cost_price': 'double', 'cost_currency': 'varchar',
    'position': 'bigint', 'track_inventory': 'boolean', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per variant (spree_variants); each product has one master variant.
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with variants as (

    select *
    from {{ optional_source('oms', 'spree_variants', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as variant_id,
    sku,
    cast(weight as decimal(8, 2)) as weight,
    cast(height as decimal(8, 2)) as height,
    cast(width as decimal(8, 2)) as width,
    cast(depth as decimal(8, 2)) as depth,
    deleted_at,
    is_master,
    cast(product_id as bigint) as product_id,
    cast(cost_price as decimal(10, 2)) as cost_price,
    cost_currency,
    cast(position as integer) as position,
    track_inventory,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from variants
