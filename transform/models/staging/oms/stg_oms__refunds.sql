{%- set raw_columns = {
    'id': 'bigint', 'payment_id': 'bigint', 'amount': 'double', 'transaction_id': 'bigint',
    'refund_reason_id': 'bigint', 'reimbursement_id': 'bigint', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per refund (spree_refunds) of a payment.
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with refunds as (

    select *
    from {{ optional_source('oms', 'spree_refunds', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as refund_id,
    cast(payment_id as bigint) as payment_id,
    cast(amount as decimal(10, 2)) as amount,
    cast(transaction_id as bigint) as transaction_id,
    cast(refund_reason_id as bigint) as refund_reason_id,
    cast(reimbursement_id as bigint) as reimbursement_id,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from refunds
