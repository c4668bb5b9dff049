-- One row per Pinterest campaign, as last copied.
{{ ads_entity_staging('pinterest', 'pinterest_campaigns', 'campaign', ids=['account_id']) }}
