{%- set columns = {
    'product_id': 'bigint', 'value': 'varchar', '_sdc_batched_at': 'timestamp'} -%}

-- One row per tag of a Shopify product, as the product carries it now: a tag row the
-- product no longer lists (removed since it was loaded) is left out.
with tags as (

    select *
    from {{ optional_source('shopify', 'product_tags', columns) }}
    qualify row_number() over (
        partition by product_id, {{ adapter.dispatch('raw_column')('value') }} order by _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(tags.product_id as bigint) as product_id,
    tags.{{ adapter.dispatch('raw_column')('value') }} as tag,
    tags._sdc_batched_at as loaded_at
from tags
inner join {{ ref('stg_shopify__products') }} as parents
    on parents.product_id = tags.product_id
where position(', ' || tags.{{ adapter.dispatch('raw_column')('value') }} || ', ' in ', ' || parents.tags || ', ') > 0
