-- One row per Google Ads campaign, as last copied. advertising_channel_type: SEARCH, DISPLAY,
-- SHOPPING, VIDEO (YouTube), PERFORMANCE_MAX, ...
{{ ads_entity_staging(
    'google_ads', 'google_ads_campaigns', 'campaign', ids=['account_id'],
    attributes=['advertising_channel_type']) }}
