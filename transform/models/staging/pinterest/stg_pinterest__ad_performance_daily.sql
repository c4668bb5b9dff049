-- One row per Pinterest ad and day (in the account's time zone) of the daily report, its newest
-- copy. The tap re-reads the last `lookback_days` (7) on every run (Pinterest revises conversions
-- for about a week): a row read again replaces the older one.
{{ ads_report_staging('pinterest', 'pinterest_ad_performance_daily') }}
