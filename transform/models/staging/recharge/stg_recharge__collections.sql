{%- set columns = {
    'id': 'bigint', 'title': 'varchar', 'description': 'varchar', 'sort_order': 'varchar',
    'type': 'varchar', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge collection, as last copied (a full copy each run).
with collections as (

    select *
    from {{ optional_source('recharge', 'collections', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as collection_id,
    title,
    description,
    sort_order,
    type as collection_type,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from collections
