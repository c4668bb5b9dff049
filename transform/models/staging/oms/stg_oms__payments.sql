{%- set raw_columns = {
    'id': 'bigint', 'amount': 'double', 'order_id': 'bigint', 'source_type': 'varchar',
    'source_id': 'bigint', 'payment_method_id': 'bigint', 'state': 'varchar',
    'response_code': 'varchar', 'avs_response': 'varchar', 'number': 'varchar',
    'cvv_response_code': 'varchar', 'cvv_response_message': 'varchar',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per payment attempt (spree_payments), failed and void ones included.
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with payments as (

    select *
    from {{ optional_source('oms', 'spree_payments', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as payment_id,
    cast(amount as decimal(10, 2)) as amount,
    cast(order_id as bigint) as order_id,
    source_type,
    cast(source_id as bigint) as source_id,
    cast(payment_method_id as bigint) as payment_method_id,
    state as payment_state,
    response_code,
    avs_response,
    number as payment_number,
    cvv_response_code,
    cvv_response_message,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from payments
