-- One row per Meta ad account, as last copied: its currency and time zone are those of its
-- reports.
{{ ads_entity_staging('meta', 'meta_ad_accounts', 'account') }}
