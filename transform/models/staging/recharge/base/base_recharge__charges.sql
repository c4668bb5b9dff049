{{ config(materialized='ephemeral') }}

{#- Recharge charges, one row per id (the newest version), raw columns untouched; the charge
    and charge line item models read from here. -#}

{%- set columns = {
    'id': 'bigint', 'address_id': 'bigint', 'customer': 'json', 'status': 'varchar',
    'type': 'varchar', 'currency': 'varchar', 'scheduled_at': 'varchar',
    'processed_at': 'timestamp', 'subtotal_price': 'varchar', 'total_discounts': 'varchar',
    'total_line_items_price': 'varchar', 'total_tax': 'varchar', 'total_refunds': 'varchar',
    'total_price': 'varchar', 'shipping_lines': 'json', 'line_items': 'json',
    'total_weight_grams': 'bigint', 'error': 'varchar', 'error_type': 'varchar',
    'external_transaction_id': 'json', 'external_order_id': 'json', 'tags': 'varchar',
    'created_at': 'timestamp', 'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

select *
from {{ optional_source('recharge', 'charges', columns) }}
-- target-duckdb upserts on id, but a target that appends keeps every version: keep the newest.
qualify row_number() over (
    partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
) = 1
