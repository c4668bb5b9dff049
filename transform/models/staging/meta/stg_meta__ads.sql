-- One row per Meta ad, as last copied.
{{ ads_entity_staging(
    'meta', 'meta_ads', 'ad', ids=['ad_group_id', 'campaign_id', 'account_id', 'creative_id']) }}
