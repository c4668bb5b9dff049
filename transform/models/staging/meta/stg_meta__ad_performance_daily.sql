-- One row per Meta ad and day (in the account's time zone) of the daily report, its newest copy.
-- The tap re-reads the last `lookback_days` (28) on every run (Meta keeps revising attributed
-- conversions for 28 days): a row read again replaces the older one.
{{ ads_report_staging('meta', 'meta_ad_insights_daily') }}
