-- One row per YouTube video, Google Ads ad and day (in the customer's time zone), its newest
-- copy: the `video` report of VIDEO campaigns. It breaks the same ads' numbers down by video, so
-- fct_ad_performance_daily does not add it to stg_google_ads__ad_performance_daily (which
-- already holds every VIDEO campaign ad). The lookback (30 days) re-reads it like the ad report.
-- The quartile rates are the share of impressions that watched to 25/50/75/100 % (0..1), as
-- Google reports them.
{{ ads_report_staging(
    'google_ads', 'google_ads_video_performance_daily',
    grain=['account_id', 'ad_group_id', 'ad_id', 'video_id'],
    dimensions={
        'video_id': 'varchar', 'video_title': 'varchar', 'video_duration_millis': 'bigint'},
    metrics={
        'video_views': 'bigint', 'video_quartile_p25_rate': 'double',
        'video_quartile_p50_rate': 'double', 'video_quartile_p75_rate': 'double',
        'video_quartile_p100_rate': 'double'}) }}
