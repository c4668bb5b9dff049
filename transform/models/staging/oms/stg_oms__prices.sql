{%- set raw_columns = {
    'id': 'bigint', 'variant_id': 'bigint', 'amount': 'double', 'currency': 'varchar',
    'country_iso': 'varchar', 'deleted_at': 'timestamp', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per variant price (spree_prices).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with prices as (

    select *
    from {{ optional_source('oms', 'spree_prices', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as price_id,
    cast(variant_id as bigint) as variant_id,
    cast(amount as decimal(10, 2)) as amount,
    currency,
    country_iso,
    deleted_at,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from prices
