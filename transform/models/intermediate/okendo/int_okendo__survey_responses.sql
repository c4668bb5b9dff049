{{ config(
    materialized='incremental',
    unique_key='survey_response_id',
    incremental_strategy='delete+insert',
) }}

-- One row per survey response ever seen: its newest version across both feeds, with
-- is_deleted set when Okendo deleted it. Incremental: each run recomputes only responses
-- that got a new version since the last run, but over ALL their versions, so a late or
-- out-of-order delivery can never make an older version win.
with versions as (

    select * from {{ ref('int_okendo__survey_response_versions') }}
    where survey_response_id is not null

),

{% if is_incremental() %}
touched as (

    select distinct survey_response_id
    from versions
    -- >=: a load that shares the watermark's timestamp is re-read, never skipped.
    where loaded_at >= (select coalesce(max(last_loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})

),

in_scope as (

    select versions.*
    from versions
    inner join touched using (survey_response_id)

),
{% else %}
in_scope as (

    select * from versions

),
{% endif %}

-- Within the webhook feed Okendo's sequenceNumber orders versions, never arrival.
latest_webhook as (

    select * from in_scope
    where feed = 'webhook'
    qualify row_number() over (partition by survey_response_id order by sequence_number desc) = 1

),

latest_backfill as (

    select * from in_scope
    where feed = 'backfill'
    qualify row_number() over (
        partition by survey_response_id order by updated_at desc, loaded_at desc
    ) = 1

),

-- Across feeds: a delete is final (ids are never reused, and a deleted response is no longer
-- listed, so no backfill row can postdate it); otherwise the later dateUpdated wins, and on
-- a tie the webhook version (they are the same version).
newest as (

    select * from (
        select * from latest_webhook
        union all
        select * from latest_backfill
    ) as candidates
    qualify row_number() over (
        partition by survey_response_id
        order by is_delete desc, updated_at desc nulls last, feed = 'webhook' desc
    ) = 1

),

loaded as (

    select survey_response_id, max(loaded_at) as last_loaded_at
    from in_scope
    group by survey_response_id

)

select
    newest.survey_response_id,
    newest.is_delete as is_deleted,
    newest.feed as winning_feed,
    newest.sequence_number as winning_sequence_number,
    newest.survey_id,
    newest.subscriber_id,
    newest.channel,
    newest.created_at,
    newest.updated_at,
    newest.order_id,
    newest.order_number,
    newest.customer_id,
    newest.customer_email,
    newest.answers,
    loaded.last_loaded_at
from newest
inner join loaded using (survey_response_id)
