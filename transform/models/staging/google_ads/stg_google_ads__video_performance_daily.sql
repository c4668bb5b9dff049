-- One row per YouTube video, Google Ads ad and day (in the customer's time zone), its newest
-- copy: the `video` report of VIDEO campaigns. It breaks the same ads' numbers down by video, so
-- fct_ad_performance_daily does not add it to stg_google_ads__ad_performance_daily (which
-- already holds every VIDEO campaign ad). The lookback (30 days) re-reads it like the ad report.
{% set columns = {
    'account_id': 'varchar', 'campaign_id': 'varchar', 'ad_group_id': 'varchar',
    'ad_id': 'varchar', 'video_id': 'varchar', 'video_title': 'varchar',
    'video_duration_millis': 'bigint', 'date': 'varchar', 'currency': 'varchar',
    'time_zone': 'varchar', 'impressions': 'bigint', 'clicks': 'bigint', 'spend': 'double',
    'conversions': 'double', 'conversion_value': 'double', 'video_views': 'bigint',
    'video_quartile_p25_rate': 'double', 'video_quartile_p50_rate': 'double',
    'video_quartile_p75_rate': 'double', 'video_quartile_p100_rate': 'double',
    '_sdc_batched_at': 'timestamp',
    '_sdc_extracted_at': 'timestamp'} %}

with report as (

    select *
    from {{ optional_source('google_ads', 'google_ads_video_performance_daily', columns) }}
    qualify row_number() over (
        partition by account_id, ad_group_id, ad_id, video_id, date
        -- the newest load wins; within one load, the copy read last
        order by _sdc_batched_at desc nulls last, _sdc_extracted_at desc nulls last
    ) = 1

)

select
    cast(account_id as varchar) as account_id,
    cast(campaign_id as varchar) as campaign_id,
    cast(ad_group_id as varchar) as ad_group_id,
    cast(ad_id as varchar) as ad_id,
    cast(video_id as varchar) as video_id,
    video_title,
    cast(video_duration_millis as bigint) as video_duration_millis,
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
    cast(video_views as bigint) as video_views,
    -- Share of impressions that watched to 25/50/75/100 % (0..1), as Google reports it.
    cast(video_quartile_p25_rate as double) as video_quartile_p25_rate,
    cast(video_quartile_p50_rate as double) as video_quartile_p50_rate,
    cast(video_quartile_p75_rate as double) as video_quartile_p75_rate,
    cast(video_quartile_p100_rate as double) as video_quartile_p100_rate,
    _sdc_batched_at as loaded_at
from report
