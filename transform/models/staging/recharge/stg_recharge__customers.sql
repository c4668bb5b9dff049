{%- set columns = {
    'id': 'bigint', 'email': 'varchar', 'first_name': 'varchar', 'last_name': 'varchar',
    'phone': 'varchar', 'external_customer_id': 'json', 'hash': 'varchar',
    'orders_count': 'bigint', 'subscriptions_active_count': 'bigint',
    'subscriptions_total_count': 'bigint', 'has_valid_payment_method': 'boolean',
    'has_payment_method_in_dunning': 'boolean', 'tax_exempt': 'boolean',
    'first_charge_processed_at': 'timestamp', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge customer, newest version.
with customers as (

    select *
    from {{ optional_source('recharge', 'customers', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as customer_id,
    email,
    first_name,
    last_name,
    phone,
    {{ json_text('external_customer_id', 'ecommerce') }} as external_customer_id,
    hash as customer_hash,
    cast(orders_count as integer) as orders_count,
    cast(subscriptions_active_count as integer) as subscriptions_active_count,
    cast(subscriptions_total_count as integer) as subscriptions_total_count,
    has_valid_payment_method,
    has_payment_method_in_dunning,
    tax_exempt,
    first_charge_processed_at,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from customers
