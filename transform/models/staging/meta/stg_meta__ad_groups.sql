-- One row per Meta ad set, as last copied.
{{ ads_entity_staging('meta', 'meta_adsets', 'ad_group', ids=['campaign_id', 'account_id']) }}
