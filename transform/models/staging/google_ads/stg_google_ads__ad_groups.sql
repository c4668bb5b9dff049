-- One row per Google Ads ad group, as last copied.
{{ ads_entity_staging(
    'google_ads', 'google_ads_ad_groups', 'ad_group', ids=['campaign_id', 'account_id']) }}
