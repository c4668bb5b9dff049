{%- set raw_columns = {
    'inbox_sequence': 'bigint', 'delivery_id': 'varchar', 'received_at': 'timestamp',
    'topic': 'varchar', 'resource_type': 'varchar', 'sequence_number': 'bigint',
    'payload': 'json', '_sdc_batched_at': 'timestamp'} -%}

-- One row per webhook delivery. The collector already stores each svix-id once; dedupe here
-- too, so a reloaded inbox or an appending target cannot double count.
with events as (

    select *
    from {{ optional_source('collector', 'okendo_events', raw_columns) }}
    qualify row_number() over (partition by delivery_id order by inbox_sequence) = 1

)

select
    delivery_id,
    cast(inbox_sequence as bigint) as inbox_sequence,
    cast(sequence_number as bigint) as sequence_number,
    topic,
    resource_type,
    received_at,
    {{ json_get('payload', 'resource') }} as resource,
    _sdc_batched_at as loaded_at
from events
