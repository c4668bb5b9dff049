{%- set columns = {
    'order_id': 'bigint', 'value': 'varchar', '_sdc_batched_at': 'timestamp'} -%}

-- One row per tag of a Shopify order, as the order carries it now: a tag row the
-- order no longer lists (removed since it was loaded) is left out.
with tags as (

    select *
    from {{ optional_source('shopify', 'order_tags', columns) }}
    qualify row_number() over (
        partition by order_id, {{ adapter.dispatch('raw_column')('value') }} order by _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(tags.order_id as bigint) as order_id,
    tags.{{ adapter.dispatch('raw_column')('value') }} as tag,
    tags._sdc_batched_at as loaded_at
from tags
inner join {{ ref('stg_shopify__orders') }} as parents
    on parents.order_id = tags.order_id
where position(', ' || tags.{{ adapter.dispatch('raw_column')('value') }} || ', ' in ', ' || parents.tags || ', ') > 0
