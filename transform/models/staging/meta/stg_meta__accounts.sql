-- One row per Meta ad account, as last copied: its currency and time zone are those of its
-- reports.
{% set columns = {
    'id': 'varchar', 'name': 'varchar', 'status': 'varchar', 'currency': 'varchar',
    'time_zone': 'varchar', '_sdc_batched_at': 'timestamp'} %}

with accounts as (

    select *
    from {{ optional_source('meta', 'meta_ad_accounts', columns) }}
    -- Full copy each run; the target upserts on id, but one that appends keeps every copy.
    qualify row_number() over (partition by id order by _sdc_batched_at desc nulls last) = 1

)

select
    cast(id as varchar) as account_id,
    name as account_name,
    currency,
    time_zone,
    status,
    _sdc_batched_at as loaded_at
from accounts
