{%- set raw_columns = {
    'id': 'bigint', 'name': 'varchar', 'description': 'varchar', 'available_on': 'timestamp',
    'discontinue_on': 'timestamp', 'deleted_at': 'timestamp', 'slug': 'varchar',
    'meta_description': 'varchar', 'meta_title': 'varchar', 'promotionable': 'boolean',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per product (spree_products); soft-deleted ones keep deleted_at.
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with products as (

    select *
    from {{ optional_source('oms', 'spree_products', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as product_id,
    name,
    description,
    available_on,
    discontinue_on,
    deleted_at,
    slug,
    meta_description,
    meta_title,
    promotionable,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from products
