{{ config(materialized='ephemeral') }}

{#- Recharge orders, one row per id (the newest version), raw columns untouched; the order
    and order line item models read from here. -#}

{%- set columns = {
    'id': 'bigint', 'address_id': 'bigint', 'charge': 'json', 'customer': 'json',
    'status': 'varchar', 'type': 'varchar', 'currency': 'varchar', 'is_prepaid': 'boolean',
    'external_order_id': 'json', 'external_order_name': 'json', 'external_order_number': 'json',
    'processed_at': 'timestamp', 'scheduled_at': 'timestamp', 'subtotal_price': 'varchar',
    'total_discounts': 'varchar', 'total_duties': 'varchar', 'total_line_items_price': 'varchar',
    'total_tax': 'varchar', 'total_refunds': 'varchar', 'total_price': 'varchar',
    'shipping_lines': 'json', 'line_items': 'json', 'total_weight_grams': 'bigint',
    'tags': 'varchar', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}

select *
from {{ optional_source('recharge', 'orders', columns) }}
qualify row_number() over (
    partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
) = 1
