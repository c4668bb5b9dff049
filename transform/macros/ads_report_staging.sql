{#-
    The staging body of an ad platform's daily performance report, one place for every platform:
    the newest copy of each row (the taps re-read a lookback window on every run, so a row read
    again replaces the older one), ids as text, the date as a date and amounts as exact decimals.
    `grain` is the key besides `date`. `dimensions` (raw column -> type) are read after the ids,
    `metrics` after the common metrics; each is cast to its type.
-#}
{% macro ads_report_staging(
    source_name, table_name, grain=['account_id', 'ad_group_id', 'ad_id'], dimensions={},
    metrics={}) %}
{%- set columns = {
    'account_id': 'varchar', 'campaign_id': 'varchar', 'ad_group_id': 'varchar',
    'ad_id': 'varchar'} -%}
{%- do columns.update(dimensions) -%}
{%- do columns.update({
    'date': 'varchar', 'currency': 'varchar', 'time_zone': 'varchar',
    'impressions': 'bigint', 'clicks': 'bigint', 'spend': 'double', 'conversions': 'double',
    'conversion_value': 'double'}) -%}
{%- do columns.update(metrics) -%}
{%- do columns.update({'_sdc_batched_at': 'timestamp', '_sdc_extracted_at': 'timestamp'}) -%}

with report as (

    select *
    from {{ optional_source(source_name, table_name, columns) }}
    qualify row_number() over (
        partition by {{ (grain + ['date']) | join(', ') }}
        -- the newest load wins; within one load, the copy read last
        order by _sdc_batched_at desc nulls last, _sdc_extracted_at desc nulls last
    ) = 1

)

select
    cast(account_id as varchar) as account_id,
    cast(campaign_id as varchar) as campaign_id,
    cast(ad_group_id as varchar) as ad_group_id,
    cast(ad_id as varchar) as ad_id,
    {%- for name, type in dimensions.items() %}
    cast({{ name }} as {{ type }}) as {{ name }},
    {%- endfor %}
    cast(date as date) as date,
    currency,
    time_zone,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    -- The target stores JSON numbers as double. Amounts carry at most 6 decimals (micros), so
    -- the cast back to decimal(18, 6) restores the exact value and every sum after it is exact.
    cast(spend as decimal(18, 6)) as spend,
    cast(conversions as decimal(18, 6)) as conversions,
    cast(conversion_value as decimal(18, 6)) as conversion_value,
    {%- for name, type in metrics.items() %}
    cast({{ name }} as {{ type }}) as {{ name }},
    {%- endfor %}
    _sdc_batched_at as loaded_at
from report
{%- endmacro %}
