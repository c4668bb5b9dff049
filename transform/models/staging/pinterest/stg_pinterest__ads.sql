-- One row per Pinterest ad, as last copied.
{{ ads_entity_staging(
    'pinterest', 'pinterest_ads', 'ad', ids=['ad_group_id', 'campaign_id', 'account_id']) }}
