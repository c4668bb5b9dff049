-- One row per Reddit ad group, as last copied.
{{ ads_entity_staging(
    'reddit', 'reddit_ad_groups', 'ad_group', ids=['campaign_id', 'account_id']) }}
