{%- set columns = {
    'id': 'bigint', 'customer_id': 'bigint', 'address_id': 'bigint', 'status': 'varchar',
    'product_title': 'varchar', 'variant_title': 'varchar', 'sku': 'varchar',
    'external_product_id': 'json', 'external_variant_id': 'json', 'quantity': 'bigint',
    'price': 'varchar', 'presentment_currency': 'varchar', 'order_interval_unit': 'varchar',
    'order_interval_frequency': 'bigint', 'charge_interval_frequency': 'bigint',
    'next_charge_scheduled_at': 'varchar', 'is_prepaid': 'boolean',
    'cancelled_at': 'timestamp', 'cancellation_reason': 'varchar', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge subscription, newest version.
with subscriptions as (

    select *
    from {{ optional_source('recharge', 'subscriptions', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as subscription_id,
    cast(customer_id as bigint) as customer_id,
    cast(address_id as bigint) as address_id,
    status,
    product_title,
    variant_title,
    sku,
    {{ json_text('external_product_id', 'ecommerce') }} as external_product_id,
    {{ json_text('external_variant_id', 'ecommerce') }} as external_variant_id,
    cast(quantity as integer) as quantity,
    cast(price as decimal(18, 2)) as price,
    presentment_currency,
    order_interval_unit,
    cast(order_interval_frequency as integer) as order_interval_frequency,
    cast(charge_interval_frequency as integer) as charge_interval_frequency,
    cast(next_charge_scheduled_at as date) as next_charge_scheduled_at,
    is_prepaid,
    cancelled_at,
    cancellation_reason,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from subscriptions
