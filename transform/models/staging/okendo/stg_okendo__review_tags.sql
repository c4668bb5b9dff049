-- One row per distinct tag of a live review. Tags are labels, so a repeated tag is kept once
-- (that is what makes review_id + tag the grain).
select distinct
    reviews.reviewid as review_id,
    {{ json_text('tags.value', '') }} as tag
from {{ ref('base_okendo__reviews') }} as reviews,
    {{ json_array_elements('reviews.tags', 'tags') }}
where {{ json_text('tags.value', '') }} is not null
