-- One row per line of a charge (see macros/recharge_line_items.sql).
{{ recharge_line_items('base_recharge__charges', 'charge_id') }}
