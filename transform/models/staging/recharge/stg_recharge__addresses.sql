{%- set columns = {
    'id': 'bigint', 'customer_id': 'bigint', 'payment_method_id': 'bigint',
    'address1': 'varchar', 'address2': 'varchar', 'city': 'varchar', 'province': 'varchar',
    'zip': 'varchar', 'country_code': 'varchar', 'company': 'varchar', 'first_name': 'varchar',
    'last_name': 'varchar', 'phone': 'varchar', 'presentment_currency': 'varchar',
    'order_note': 'varchar', 'created_at': 'timestamp',
    'updated_at': 'timestamp', '_sdc_batched_at': 'timestamp'} -%}

-- One row per Recharge address (a customer's ship-to, which subscriptions and charges hang
-- off), newest version.
with addresses as (

    select *
    from {{ optional_source('recharge', 'addresses', columns) }}
    qualify row_number() over (
        partition by id order by updated_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

)

select
    cast(id as bigint) as address_id,
    cast(customer_id as bigint) as customer_id,
    cast(payment_method_id as bigint) as payment_method_id,
    address1,
    address2,
    city,
    province,
    zip,
    country_code,
    company,
    first_name,
    last_name,
    phone,
    presentment_currency,
    order_note,
    created_at,
    updated_at,
    _sdc_batched_at as loaded_at
from addresses
