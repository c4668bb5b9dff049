-- One row per reviewer attribute (reviewer.attributes, e.g. Age) of a live review;
-- position is the 0-based index in Okendo's array.
select
    reviews.reviewid as review_id,
    cast(attributes.index as integer) as position,
    {{ json_text('attributes.value', 'title') }} as title,
    {{ json_text('attributes.value', 'type') }} as attribute_type,
    {{ json_text('attributes.value', 'value') }} as value
from {{ ref('base_okendo__reviews') }} as reviews,
    {{ json_array_elements(json_get('reviews.reviewer', 'attributes'), 'attributes') }}
