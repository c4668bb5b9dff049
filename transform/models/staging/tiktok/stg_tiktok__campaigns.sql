-- One row per TikTok campaign, as last copied.
{{ ads_entity_staging('tiktok', 'tiktok_campaigns', 'campaign', ids=['account_id']) }}
