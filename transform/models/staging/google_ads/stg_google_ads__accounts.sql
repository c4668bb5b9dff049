-- One row per Google Ads customer, as last copied: its currency and time zone are those of its
-- reports.
{{ ads_entity_staging('google_ads', 'google_ads_customers', 'account') }}
