-- One row per TikTok ad group, as last copied.
{% set columns = {
    'id': 'varchar', 'name': 'varchar', 'status': 'varchar', 'account_id': 'varchar',
    'campaign_id': 'varchar', '_sdc_batched_at': 'timestamp'} %}

with ad_groups as (

    select *
    from {{ optional_source('tiktok', 'tiktok_adgroups', columns) }}
    -- Full copy each run; the target upserts on id, but one that appends keeps every copy.
    qualify row_number() over (partition by id order by _sdc_batched_at desc nulls last) = 1

)

select
    cast(id as varchar) as ad_group_id,
    cast(campaign_id as varchar) as campaign_id,
    cast(account_id as varchar) as account_id,
    name as ad_group_name,
    status,
    _sdc_batched_at as loaded_at
from ad_groups
