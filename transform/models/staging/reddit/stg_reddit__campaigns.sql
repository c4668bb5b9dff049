-- One row per Reddit campaign, as last copied.
{{ ads_entity_staging('reddit', 'reddit_campaigns', 'campaign', ids=['account_id']) }}
