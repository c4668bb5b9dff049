-- One row per Google Ads campaign, as last copied.
{% set columns = {
    'id': 'varchar', 'name': 'varchar', 'status': 'varchar', 'account_id': 'varchar',
    'advertising_channel_type': 'varchar', '_sdc_batched_at': 'timestamp'} %}

with campaigns as (

    select *
    from {{ optional_source('google_ads', 'google_ads_campaigns', columns) }}
    -- Full copy each run; the target upserts on id, but one that appends keeps every copy.
    qualify row_number() over (partition by id order by _sdc_batched_at desc nulls last) = 1

)

select
    cast(id as varchar) as campaign_id,
    cast(account_id as varchar) as account_id,
    name as campaign_name,
    status,
    -- SEARCH, DISPLAY, SHOPPING, VIDEO (YouTube), PERFORMANCE_MAX, ...
    advertising_channel_type,
    _sdc_batched_at as loaded_at
from campaigns
