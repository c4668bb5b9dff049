-- Net Promoter Score per day the responses were created (UTC): % promoters - % detractors,
-- over the live responses that answered the NPS question.
select
    response_date,
    count(*) as nps_responses,
    count(*) filter (where nps_category = 'promoter') as promoters,
    count(*) filter (where nps_category = 'passive') as passives,
    count(*) filter (where nps_category = 'detractor') as detractors,
    round(
        100.0 * (count(*) filter (where nps_category = 'promoter')
                 - count(*) filter (where nps_category = 'detractor')) / count(*),
        2
    ) as nps
from {{ ref('okendo_survey_responses') }}
where nps_score is not null
group by response_date
