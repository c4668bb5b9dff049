{%- set raw_columns = {
    'surveyresponseid': 'varchar', 'surveyid': 'varchar', 'subscriberid': 'varchar',
    'channel': 'varchar', 'datecreated': 'timestamp', 'dateupdated': 'timestamp',
    'order': 'json', 'customer': 'json', 'answers': 'json', '_sdc_batched_at': 'timestamp'} -%}

-- Survey responses from the one-time backfill (tap-okendo-survey-backfill), one row per
-- response as last read. The live feed is the webhook inbox; int_okendo__survey_responses
-- merges both.
with responses as (

    select *
    from {{ optional_source('okendo', 'survey_responses', raw_columns) }}
    qualify row_number() over (
        partition by surveyresponseid order by dateupdated desc, _sdc_batched_at desc
    ) = 1

)

select
    surveyresponseid as survey_response_id,
    surveyid as survey_id,
    subscriberid as subscriber_id,
    channel,
    datecreated as created_at,
    dateupdated as updated_at,
    {{ json_text('"order"', 'orderId') }} as order_id,
    {{ json_text('"order"', 'orderNumber') }} as order_number,
    {{ json_text('customer', 'customerId') }} as customer_id,
    {{ json_text('customer', 'email') }} as customer_email,
    answers,
    _sdc_batched_at as loaded_at
from responses
