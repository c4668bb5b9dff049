-- One row per TikTok ad and day (in the account's time zone) of the daily report, its newest copy.
-- The tap re-reads the last `lookback_days` (3) on every run (TikTok's numbers settle within about
-- a day): a row read again replaces the older one.
{{ ads_report_staging('tiktok', 'tiktok_ad_performance_daily') }}
