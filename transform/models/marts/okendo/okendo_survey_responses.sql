-- Live survey responses, one per survey_response_id across the backfill and the webhook
-- feed, with the NPS score and category derived from the response's own NPS answer.
with nps as (

    select
        survey_response_id,
        -- one NPS question per survey; take the first if a survey ever had two
        min_by(cast(answer_value as integer), position) as nps_score
    from {{ ref('okendo_survey_answers') }}
    where question_type = 'nps'
    group by survey_response_id

)

select
    responses.survey_response_id,
    responses.survey_id,
    responses.subscriber_id,
    responses.channel,
    responses.created_at,
    responses.updated_at,
    cast(responses.created_at as date) as response_date,
    responses.order_id,
    responses.order_number,
    responses.customer_id,
    responses.customer_email,
    nps.nps_score,
    case
        when nps.nps_score between 0 and 6 then 'detractor'
        when nps.nps_score between 7 and 8 then 'passive'
        when nps.nps_score between 9 and 10 then 'promoter'
    end as nps_category,
    responses.winning_feed,
    responses.last_loaded_at
from {{ ref('int_okendo__survey_responses') }} as responses
left join nps using (survey_response_id)
where not responses.is_deleted
