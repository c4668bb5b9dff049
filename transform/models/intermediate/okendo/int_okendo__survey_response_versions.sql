-- Every version of every survey response that reached us, from both feeds:
--   backfill: the response as the one-time backfill read it (no sequence number);
--   webhook:  each create / update / delete event, with Okendo's sequenceNumber.
-- int_okendo__survey_responses picks the newest version per response.
with backfill as (

    select
        survey_response_id,
        'backfill' as feed,
        cast(null as bigint) as sequence_number,
        false as is_delete,
        survey_id,
        subscriber_id,
        channel,
        created_at,
        updated_at,
        order_id,
        order_number,
        customer_id,
        customer_email,
        answers,
        loaded_at
    from {{ ref('stg_okendo__survey_responses') }}

),

webhook as (

    select
        {{ json_text('resource', 'surveyResponseId') }} as survey_response_id,
        'webhook' as feed,
        sequence_number,
        topic = 'survey_response.delete' as is_delete,
        {{ json_text('resource', 'surveyId') }} as survey_id,
        {{ json_text('resource', 'subscriberId') }} as subscriber_id,
        {{ json_text('resource', 'channel') }} as channel,
        cast({{ json_text('resource', 'dateCreated') }} as timestamp) as created_at,
        cast({{ json_text('resource', 'dateUpdated') }} as timestamp) as updated_at,
        {{ json_text('resource', 'order.orderId') }} as order_id,
        {{ json_text('resource', 'order.orderNumber') }} as order_number,
        {{ json_text('resource', 'customer.customerId') }} as customer_id,
        {{ json_text('resource', 'customer.email') }} as customer_email,
        {{ json_get('resource', 'answers') }} as answers,
        loaded_at
    from {{ ref('stg_collector__okendo_events') }}
    where resource_type = 'survey_response'
      and topic in ('survey_response.create', 'survey_response.update', 'survey_response.delete')

)

select * from backfill
union all
select * from webhook
