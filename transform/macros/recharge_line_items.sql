{#-
    One row per element of a Recharge object's `line_items` array (charges and orders carry
    the same line shape): what it bills (a subscription or a onetime), at what price.
    `position` is the 0-based index in Recharge's array.
-#}
{% macro recharge_line_items(parent_model, parent_key) %}
with lines as (

    select
        cast(parents.id as bigint) as {{ parent_key }},
        cast(item.index as integer) as position,
        cast({{ json_text('item.value', 'purchase_item_id') }} as bigint) as purchase_item_id,
        {{ json_text('item.value', 'purchase_item_type') }} as purchase_item_type,
        {{ json_text('item.value', 'external_product_id.ecommerce') }} as external_product_id,
        {{ json_text('item.value', 'external_variant_id.ecommerce') }} as external_variant_id,
        {{ json_text('item.value', 'sku') }} as sku,
        {{ json_text('item.value', 'title') }} as title,
        {{ json_text('item.value', 'variant_title') }} as variant_title,
        cast({{ json_text('item.value', 'quantity') }} as integer) as quantity,
        cast({{ json_text('item.value', 'unit_price') }} as decimal(18, 2)) as unit_price,
        cast({{ json_text('item.value', 'total_price') }} as decimal(18, 2)) as total_price,
        cast({{ json_text('item.value', 'tax_due') }} as decimal(18, 2)) as tax_due
    from {{ ref(parent_model) }} as parents,
        {{ json_array_elements('parents.line_items', 'item') }}

)

select
    *,
    case when purchase_item_type = 'subscription' then purchase_item_id end as subscription_id,
    case when purchase_item_type = 'onetime' then purchase_item_id end as onetime_id
from lines
{% endmacro %}
