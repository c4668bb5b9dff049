-- One row per Meta campaign, as last copied.
{% set columns = {
    'id': 'varchar', 'name': 'varchar', 'status': 'varchar', 'account_id': 'varchar',
    '_sdc_batched_at': 'timestamp'} %}

with campaigns as (

    select *
    from {{ optional_source('meta', 'meta_campaigns', columns) }}
    -- Full copy each run; the target upserts on id, but one that appends keeps every copy.
    qualify row_number() over (partition by id order by _sdc_batched_at desc nulls last) = 1

)

select
    cast(id as varchar) as campaign_id,
    cast(account_id as varchar) as account_id,
    name as campaign_name,
    status,
    _sdc_batched_at as loaded_at
from campaigns
