{%- set columns = {
    'id': 'bigint', 'product_id': 'bigint', 'barcode': 'varchar',
    'compare_at_price': 'varchar', 'created_at': 'timestamp',
    'fulfillment_service': 'varchar', 'grams': 'bigint', 'inventory_item_id': 'bigint',
    'inventory_management': 'varchar', 'inventory_policy': 'varchar',
    'inventory_quantity': 'bigint', 'option1': 'varchar', 'option2': 'varchar',
    'option3': 'varchar', 'position': 'bigint', 'price': 'varchar',
    'requires_shipping': 'boolean', 'sku': 'varchar', 'taxable': 'boolean',
    'title': 'varchar', 'updated_at': 'timestamp', 'weight': 'double',
    'weight_unit': 'varchar', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify product variant, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'product_variants', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as product_variant_id,
    cast(product_id as bigint) as product_id,
    barcode,
    cast(compare_at_price as decimal(18, 2)) as compare_at_price,
    created_at,
    fulfillment_service,
    cast(grams as bigint) as grams,
    cast(inventory_item_id as bigint) as inventory_item_id,
    inventory_management,
    inventory_policy,
    cast(inventory_quantity as bigint) as inventory_quantity,
    option1,
    option2,
    option3,
    cast({{ adapter.dispatch('raw_column')('position') }} as bigint) as position,
    cast(price as decimal(18, 2)) as price,
    requires_shipping,
    sku,
    taxable,
    title,
    updated_at,
    weight,
    weight_unit,
    _sdc_batched_at as loaded_at
from source
