-- One row per TikTok ad, as last copied.
{{ ads_entity_staging(
    'tiktok', 'tiktok_ads', 'ad', ids=['ad_group_id', 'campaign_id', 'account_id']) }}
