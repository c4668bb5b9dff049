-- One row per Reddit ad and day (in the account's time zone) of the daily report, its newest copy.
-- The tap re-reads the last `lookback_days` (2) on every run (Reddit's metrics settle within about
-- 6 hours): a row read again replaces the older one.
{% set columns = {
    'account_id': 'varchar', 'campaign_id': 'varchar', 'ad_group_id': 'varchar',
    'ad_id': 'varchar', 'date': 'varchar', 'currency': 'varchar', 'time_zone': 'varchar',
    'impressions': 'bigint', 'clicks': 'bigint', 'spend': 'double', 'conversions': 'double',
    'conversion_value': 'double', '_sdc_batched_at': 'timestamp',
    '_sdc_extracted_at': 'timestamp'} %}

with report as (

    select *
    from {{ optional_source('reddit', 'reddit_ad_performance_daily', columns) }}
    qualify row_number() over (
        partition by account_id, ad_group_id, ad_id, date
        -- the newest load wins; within one load, the copy read last
        order by _sdc_batched_at desc nulls last, _sdc_extracted_at desc nulls last
    ) = 1

)

select
    cast(account_id as varchar) as account_id,
    cast(campaign_id as varchar) as campaign_id,
    cast(ad_group_id as varchar) as ad_group_id,
    cast(ad_id as varchar) as ad_id,
    cast(date as date) as date,
    currency,
    time_zone,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    -- The target stores JSON numbers as double. Amounts carry at most 6 decimals (micros), so
    -- the cast back to decimal(18, 6) restores the exact value and every sum after it is exact.
    cast(spend as decimal(18, 6)) as spend,
    cast(conversions as decimal(18, 6)) as conversions,
    cast(conversion_value as decimal(18, 6)) as conversion_value,
    _sdc_batched_at as loaded_at
from report
