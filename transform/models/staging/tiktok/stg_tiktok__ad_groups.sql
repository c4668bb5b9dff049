-- One row per TikTok ad group, as last copied.
{{ ads_entity_staging('tiktok', 'tiktok_adgroups', 'ad_group', ids=['campaign_id', 'account_id']) }}
