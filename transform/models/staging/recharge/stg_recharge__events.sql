{%- set columns = {
    'id': 'bigint', 'object_type': 'varchar', 'object_id': 'bigint', 'verb': 'varchar',
    'customer_id': 'bigint', 'source': 'json', 'updated_attributes': 'json',
    'created_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge event (what happened to which object, by whom). Events never change;
-- a re-read one is the same row.
with events as (

    select *
    from {{ optional_source('recharge', 'events', columns) }}
    qualify row_number() over (partition by id order by _sdc_batched_at desc nulls last) = 1

)

select
    cast(id as bigint) as event_id,
    object_type,
    cast(object_id as bigint) as object_id,
    verb,
    cast(customer_id as bigint) as customer_id,
    {{ json_text('source', 'origin') }} as source_origin,
    {{ json_text('source', 'user_type') }} as source_user_type,
    updated_attributes,
    created_at,
    _sdc_batched_at as loaded_at
from events
