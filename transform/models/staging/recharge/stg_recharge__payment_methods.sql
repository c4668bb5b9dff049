{%- set columns = {
    'id': 'bigint', 'customer_id': 'bigint', 'default': 'boolean', 'payment_type': 'varchar',
    'processor_name': 'varchar', 'status': 'varchar', 'status_reason': 'varchar',
    'payment_details': 'json', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge payment method, as last copied (a full copy each run: Recharge has no
-- updated-since filter for them). Processor tokens stay in the raw table.
with payment_methods as (

    select *
    from {{ optional_source('recharge', 'payment_methods', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as payment_method_id,
    cast(customer_id as bigint) as customer_id,
    "default" as is_default,
    payment_type,
    processor_name,
    status,
    status_reason,
    {{ json_text('payment_details', 'brand') }} as card_brand,
    {{ json_text('payment_details', 'last4') }} as card_last4,
    cast({{ json_text('payment_details', 'exp_month') }} as integer) as card_exp_month,
    cast({{ json_text('payment_details', 'exp_year') }} as integer) as card_exp_year,
    {{ json_text('payment_details', 'wallet_type') }} as wallet_type,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from payment_methods
