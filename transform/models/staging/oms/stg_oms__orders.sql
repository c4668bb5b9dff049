{%- set raw_columns = {
    'id': 'bigint', 'number': 'varchar', 'item_total': 'double', 'total': 'double',
    'state': 'varchar', 'adjustment_total': 'double', 'user_id': 'bigint',
    'completed_at': 'timestamp', 'bill_address_id': 'bigint', 'ship_address_id': 'bigint',
    'payment_total': 'double', 'shipment_state': 'varchar', 'payment_state': 'varchar',
    'email': 'varchar', 'special_instructions': 'varchar', 'currency': 'varchar',
    'last_ip_address': 'varchar', 'shipment_total': 'double', 'additional_tax_total': 'double',
    'promo_total': 'double', 'channel': 'varchar', 'included_tax_total': 'double',
    'item_count': 'bigint', 'approved_at': 'timestamp', 'confirmation_delivered': 'boolean',
    'canceled_at': 'timestamp', 'frontend_viewable': 'boolean', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per order (spree_orders), carts and checkouts included (completed_at is null).
-- Newest version per id: the loader upserts on id, but an appending one would keep them all.
with orders as (

    select *
    from {{ optional_source('oms', 'spree_orders', raw_columns) }}
    qualify row_number() over (partition by id order by updated_at desc, _sdc_batched_at desc) = 1

)

select
    cast(id as bigint) as order_id,
    number as order_number,
    cast(item_total as decimal(10, 2)) as item_total,
    cast(total as decimal(10, 2)) as total,
    state as order_state,
    cast(adjustment_total as decimal(10, 2)) as adjustment_total,
    cast(user_id as bigint) as user_id,
    completed_at,
    cast(bill_address_id as bigint) as bill_address_id,
    cast(ship_address_id as bigint) as ship_address_id,
    cast(payment_total as decimal(10, 2)) as payment_total,
    shipment_state,
    payment_state,
    email,
    special_instructions,
    currency,
    last_ip_address,
    cast(shipment_total as decimal(10, 2)) as shipment_total,
    cast(additional_tax_total as decimal(10, 2)) as additional_tax_total,
    cast(promo_total as decimal(10, 2)) as promo_total,
    channel,
    cast(included_tax_total as decimal(10, 2)) as included_tax_total,
    cast(item_count as integer) as item_count,
    approved_at,
    confirmation_delivered,
    canceled_at,
    frontend_viewable,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from orders
