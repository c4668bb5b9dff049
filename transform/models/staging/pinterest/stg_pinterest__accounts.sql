-- One row per Pinterest ad account, as last copied: its currency and time zone are those of its
-- reports.
{{ ads_entity_staging('pinterest', 'pinterest_ad_accounts', 'account') }}
