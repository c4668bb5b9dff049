{%- set columns = {
    'id': 'bigint', 'external_product_id': 'json', 'title': 'varchar', 'type': 'varchar',
    'discount_amount': 'varchar', 'discount_type': 'varchar',
    'subscription_preferences': 'json', 'sort_order': 'bigint', 'deleted_at': 'timestamp',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge plan (a way a product can be bought: subscription, prepaid, onetime).
with plans as (

    select *
    from {{ optional_source('recharge', 'plans', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as plan_id,
    {{ json_text('external_product_id', 'ecommerce') }} as external_product_id,
    title,
    type as plan_type,
    cast(discount_amount as decimal(18, 2)) as discount_amount,
    discount_type,
    {{ json_text('subscription_preferences', 'interval_unit') }} as interval_unit,
    cast({{ json_text('subscription_preferences', 'order_interval_frequency') }} as integer)
        as order_interval_frequency,
    cast({{ json_text('subscription_preferences', 'charge_interval_frequency') }} as integer)
        as charge_interval_frequency,
    cast(sort_order as integer) as sort_order,
    deleted_at,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from plans
