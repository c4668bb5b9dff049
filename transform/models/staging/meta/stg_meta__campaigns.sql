-- One row per Meta campaign, as last copied.
{{ ads_entity_staging('meta', 'meta_campaigns', 'campaign', ids=['account_id']) }}
