-- One row per Pinterest ad group, as last copied.
{{ ads_entity_staging(
    'pinterest', 'pinterest_ad_groups', 'ad_group', ids=['campaign_id', 'account_id']) }}
