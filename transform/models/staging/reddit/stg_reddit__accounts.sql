-- One row per Reddit ad account, as last copied: its currency and time zone are those of its
-- reports.
{{ ads_entity_staging('reddit', 'reddit_ad_accounts', 'account') }}
