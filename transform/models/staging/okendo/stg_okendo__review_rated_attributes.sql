-- attributesWithRating: one row per rated attribute (e.g. Fit 1..5) of a live review;
-- position is the 0-based index in Okendo's array.
select
    reviews.reviewid as review_id,
    cast(attributes.index as integer) as position,
    {{ json_text('attributes.value', 'title') }} as title,
    {{ json_text('attributes.value', 'type') }} as attribute_type,
    -- Explicit scale: a bare `numeric` is scale 0 on Snowflake and would round.
    cast({{ json_text('attributes.value', 'value') }} as decimal(18, 4)) as value,
    {{ json_text('attributes.value', 'minLabel') }} as min_label,
    {{ json_text('attributes.value', 'midLabel') }} as mid_label,
    {{ json_text('attributes.value', 'maxLabel') }} as max_label
from {{ ref('base_okendo__reviews') }} as reviews,
    {{ json_array_elements('reviews.attributeswithrating', 'attributes') }}
