-- One row per line of an order (see macros/recharge_line_items.sql).
{{ recharge_line_items('base_recharge__orders', 'order_id') }}
