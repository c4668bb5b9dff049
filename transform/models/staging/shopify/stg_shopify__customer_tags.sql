{%- set columns = {
    'customer_id': 'bigint', 'value': 'varchar', '_sdc_batched_at': 'timestamp'} -%}

-- One row per tag of a Shopify customer, as the customer carries it now: a tag row the
-- customer no longer lists (removed since it was loaded) is left out.
with tags as (

    select *
    from {{ optional_source('shopify', 'customer_tags', columns) }}
    qualify row_number() over (
        partition by customer_id, {{ adapter.dispatch('raw_column')('value') }} order by _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(tags.customer_id as bigint) as customer_id,
    tags.{{ adapter.dispatch('raw_column')('value') }} as tag,
    tags._sdc_batched_at as loaded_at
from tags
inner join {{ ref('stg_shopify__customers') }} as parents
    on parents.customer_id = tags.customer_id
where position(', ' || tags.{{ adapter.dispatch('raw_column')('value') }} || ', ' in ', ' || parents.tags || ', ') > 0
