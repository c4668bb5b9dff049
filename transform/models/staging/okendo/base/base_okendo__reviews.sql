{{ config(materialized='ephemeral') }}

{#-
    The live Okendo reviews, one row per reviewid, raw columns untouched. Every Okendo staging
    model reads from here, so a review deleted in Okendo leaves the parent and all children together.
-#}

{%- set review_columns = {
    'reviewid': 'varchar', 'subscriberid': 'varchar', 'productid': 'varchar',
    'productname': 'varchar', 'variantid': 'varchar', 'variantname': 'varchar',
    'rating': 'integer', 'title': 'varchar', 'body': 'varchar', 'sentiment': 'varchar',
    'status': 'varchar', 'tags': 'json', 'datecreated': 'timestamp', 'helpfulcount': 'integer',
    'unhelpfulcount': 'integer', 'isrecommended': 'boolean', 'isincentivized': 'boolean',
    'containsprofanity': 'boolean', 'reviewer': 'json', 'order': 'json', 'reply': 'json',
    'reward': 'json', 'media': 'json', 'attributeswithrating': 'json',
    'productattributes': 'json', '_sync_started_at': 'timestamp',
    '_sdc_batched_at': 'timestamp'} -%}
{%- set sync_run_columns = {'stream': 'varchar', 'sync_started_at': 'timestamp'} -%}
{%- set beginning_of_time = "cast('1900-01-01' as timestamp)" %}

with reviews as (

    select *
    from {{ optional_source('okendo', 'reviews', review_columns) }}
    -- target-duckdb upserts on reviewid, but a target that appends would keep every copy: keep the newest.
    qualify row_number() over (
        partition by reviewid
        order by _sync_started_at desc nulls last, _sdc_batched_at desc nulls last
    ) = 1

),

last_complete_sync as (

    -- Only a completed full copy writes a sync_runs row, so a run that died halfway never
    -- moves this forward. No row yet (first run never finished): everything loaded is live.
    select coalesce(max(sync_started_at), {{ beginning_of_time }}) as sync_started_at
    from {{ optional_source('okendo', 'sync_runs', sync_run_columns) }}
    where stream = 'reviews'

)

select reviews.*
from reviews
cross join last_complete_sync
-- Okendo has no deletion feed and every run re-reads all reviews, so a review the latest
-- complete run did not see (older _sync_started_at) was deleted in Okendo.
where coalesce(reviews._sync_started_at, {{ beginning_of_time }}) >= last_complete_sync.sync_started_at
