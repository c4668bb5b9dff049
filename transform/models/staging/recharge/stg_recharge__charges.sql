-- One row per Recharge charge (a billing attempt), its newest version. Amounts arrive as
-- decimal text ("19.99") and are cast here, never through a float.
select
    cast(id as bigint) as charge_id,
    cast({{ json_text('customer', 'id') }} as bigint) as customer_id,
    {{ json_text('customer', 'email') }} as customer_email,
    cast(address_id as bigint) as address_id,
    status,
    type as charge_type,
    currency,
    cast(scheduled_at as date) as scheduled_at,
    processed_at,
    cast(subtotal_price as decimal(18, 2)) as subtotal_price,
    cast(total_discounts as decimal(18, 2)) as total_discounts,
    cast(total_line_items_price as decimal(18, 2)) as total_line_items_price,
    cast(total_tax as decimal(18, 2)) as total_tax,
    cast(total_refunds as decimal(18, 2)) as total_refunds,
    cast(total_price as decimal(18, 2)) as total_price,
    cast(total_weight_grams as bigint) as total_weight_grams,
    error,
    error_type,
    {{ json_text('external_transaction_id', 'payment_processor') }} as external_transaction_id,
    {{ json_text('external_order_id', 'ecommerce') }} as external_order_id,
    tags,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from {{ ref('base_recharge__charges') }}
