-- One row per Google Ads ad and day (in the account's time zone) of the daily report, its newest
-- copy. The tap re-reads the last `lookback_days` (30) on every run (Google Ads attributes
-- conversions up to 30 days (and more) after the click): a row read again replaces the older one.
{{ ads_report_staging('google_ads', 'google_ads_ad_performance_daily') }}
