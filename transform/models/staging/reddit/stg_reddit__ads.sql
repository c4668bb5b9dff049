-- One row per Reddit ad, as last copied.
{{ ads_entity_staging(
    'reddit', 'reddit_ads', 'ad', ids=['ad_group_id', 'campaign_id', 'account_id']) }}
