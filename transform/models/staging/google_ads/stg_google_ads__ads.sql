-- One row per Google Ads ad, as last copied.
{{ ads_entity_staging(
    'google_ads', 'google_ads_ads', 'ad', ids=['ad_group_id', 'campaign_id', 'account_id']) }}
