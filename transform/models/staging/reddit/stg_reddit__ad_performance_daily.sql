-- One row per Reddit ad and day (in the account's time zone) of the daily report, its newest copy.
-- The tap re-reads the last `lookback_days` (2) on every run (Reddit's metrics settle within about
-- 6 hours): a row read again replaces the older one.
{{ ads_report_staging('reddit', 'reddit_ad_performance_daily') }}
