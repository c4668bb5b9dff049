{#-
    Daily ad performance across every platform, one row per platform, account, ad group, ad and
    day (the account's time zone), amounts in the account's currency (never converted).

    Incremental, per platform: a run takes each platform's staging rows loaded after the newest
    `loaded_at` this table already holds for that platform, and delete+inserts them on the
    grain. The tap re-reads each platform's lookback window every run, so revised rows arrive
    with a new `_sdc_batched_at` and replace their older copies here; nothing is added twice.
    The watermark is per platform so that one platform's load cannot hide another's rows
    loaded (committed) a little earlier by a concurrent job.

    Google Ads: only the ad report is read. Its rows (GAQL FROM ad_group_ad) already cover
    every ad of every campaign type, YouTube (VIDEO) campaigns included; the video report is a
    per-video breakdown of those same numbers and stays in stg_google_ads__video_performance_daily.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'account_id', 'ad_group_id', 'ad_id', 'date'],
    on_schema_change='append_new_columns',
) }}

{%- set platforms = ['meta', 'google_ads', 'tiktok', 'pinterest', 'reddit'] %}

{% for platform in platforms %}
select
    '{{ platform }}' as platform,
    account_id,
    campaign_id,
    ad_group_id,
    ad_id,
    date,
    currency,
    time_zone,
    impressions,
    clicks,
    spend,
    conversions,
    conversion_value,
    loaded_at
from {{ ref('stg_' ~ platform ~ '__ad_performance_daily') }}
{%- if is_incremental() %}
where loaded_at > (
    select coalesce(max(loaded_at), cast('1970-01-01' as timestamp))
    from {{ this }}
    where platform = '{{ platform }}'
)
{%- endif %}
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}
