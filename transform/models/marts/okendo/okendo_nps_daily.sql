-- Net Promoter Score per day the responses were created (UTC): % promoters - % detractors,
-- over the live responses that answered the NPS question.
with counts as (

    select
        response_date,
        count(*) as nps_responses,
        -- sum(case ...) rather than FILTER (WHERE ...), which Snowflake lacks
        sum(case when nps_category = 'promoter' then 1 else 0 end) as promoters,
        sum(case when nps_category = 'passive' then 1 else 0 end) as passives,
        sum(case when nps_category = 'detractor' then 1 else 0 end) as detractors
    from {{ ref('okendo_survey_responses') }}
    where nps_score is not null
    group by response_date

)

select
    response_date,
    nps_responses,
    promoters,
    passives,
    detractors,
    round(100.0 * (promoters - detractors) / nps_responses, 2) as nps
from counts
