with reviews as (

    select * from {{ ref('base_okendo__reviews') }}

)

select
    reviewid as review_id,
    subscriberid as subscriber_id,
    productid as product_id,
    productname as product_name,
    variantid as variant_id,
    variantname as variant_name,
    -- The target types JSON integers as HUGEINT, which most tools can't read.
    cast(rating as integer) as rating,
    title,
    body,
    sentiment,
    status,
    datecreated as created_at,
    cast(helpfulcount as integer) as helpful_count,
    cast(unhelpfulcount as integer) as unhelpful_count,
    isrecommended as is_recommended,
    isincentivized as is_incentivized,
    containsprofanity as contains_profanity,

    {{ json_text('reviewer', 'name') }} as reviewer_name,
    {{ json_text('reviewer', 'displayName') }} as reviewer_display_name,
    {{ json_text('reviewer', 'email') }} as reviewer_email,
    {{ json_text('reviewer', 'avatarUrl') }} as reviewer_avatar_url,
    cast({{ json_text('reviewer', 'isVerified') }} as boolean) as reviewer_is_verified,
    {{ json_text('reviewer', 'verifiedStatus') }} as reviewer_verified_status,
    {{ json_text('reviewer', 'location.country.code') }} as reviewer_country_code,
    {{ json_text('reviewer', 'location.country.name') }} as reviewer_country_name,
    {{ json_text('reviewer', 'location.zoneCode') }} as reviewer_zone_code,
    {{ json_text('reviewer', 'socialConnection') }} as reviewer_social_connection,

    -- "order" is a reserved word, hence the quoting.
    {{ json_text(adapter.quote('order'), 'orderId') }} as order_id,
    {{ json_text(adapter.quote('order'), 'orderNumber') }} as order_number,

    {{ json_text('reply', 'body') }} as reply_body,
    -- ISO 8601 with 'Z'; the cast normalises to a UTC timestamp like created_at.
    cast({{ json_text('reply', 'dateCreated') }} as timestamp) as reply_created_at,
    cast({{ json_text('reply', 'isPrivate') }} as boolean) as reply_is_private,

    {{ json_text('reward', 'type') }} as reward_type,
    cast({{ json_text('reward', 'value') }} as decimal(18, 2)) as reward_value,
    {{ json_text('reward', 'description') }} as reward_description,

    cast(coalesce({{ json_array_size('media') }}, 0) as integer) as media_count,
    _sync_started_at as last_synced_at

from reviews
