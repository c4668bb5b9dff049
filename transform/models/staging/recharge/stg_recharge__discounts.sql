{%- set columns = {
    'id': 'bigint', 'code': 'varchar', 'status': 'varchar', 'value_type': 'varchar',
    'value': 'varchar', 'prerequisite_subtotal_min': 'varchar', 'starts_at': 'timestamp',
    'ends_at': 'timestamp', 'created_at': 'timestamp', 'updated_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge discount code, newest version.
with discounts as (

    select *
    from {{ optional_source('recharge', 'discounts', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as discount_id,
    code,
    status,
    value_type,
    -- percent off for value_type 'percentage', an amount otherwise
    cast(value as decimal(18, 2)) as discount_value,
    cast(prerequisite_subtotal_min as decimal(18, 2)) as prerequisite_subtotal_min,
    starts_at,
    ends_at,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from discounts
