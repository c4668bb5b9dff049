{%- set columns = {
    'id': 'bigint', 'body_html': 'varchar', 'created_at': 'timestamp', 'handle': 'varchar',
    'product_type': 'varchar', 'published_at': 'timestamp', 'published_scope': 'varchar',
    'status': 'varchar', 'tags': 'varchar', 'template_suffix': 'varchar',
    'title': 'varchar', 'updated_at': 'timestamp', 'vendor': 'varchar',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per Shopify product, newest version (the loader upserts on the key; a target
-- that appends keeps every version, so dedupe here too).
with source as (

    select *
    from {{ optional_source('shopify', 'products', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as product_id,
    body_html,
    created_at,
    handle,
    product_type,
    published_at,
    published_scope,
    status,
    tags,
    template_suffix,
    title,
    updated_at,
    vendor,
    _sdc_batched_at as loaded_at
from source
