-- One row per media item of a live review; position is the 0-based index in Okendo's array.
select
    reviews.reviewid as review_id,
    cast(media.index as integer) as position,
    {{ json_text('media.value', 'streamId') }} as stream_id,
    {{ json_text('media.value', 'type') }} as media_type,
    {{ json_text('media.value', 'fullSizeUrl') }} as full_size_url,
    {{ json_text('media.value', 'largeUrl') }} as large_url,
    {{ json_text('media.value', 'thumbnailUrl') }} as thumbnail_url,
    cast({{ json_text('media.value', 'isHidden') }} as boolean) as is_hidden
from {{ ref('base_okendo__reviews') }} as reviews,
    {{ json_array_elements('reviews.media', 'media') }}
