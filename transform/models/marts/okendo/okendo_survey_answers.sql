-- One row per answered question of each live survey response (its newest version).
select
    responses.survey_response_id,
    responses.survey_id,
    cast(answer.index as integer) as position,
    {{ json_text('answer.value', 'questionId') }} as question_id,
    {{ json_text('answer.value', 'questionText') }} as question_text,
    {{ json_text('answer.value', 'questionType') }} as question_type,
    {{ json_text('answer.value', 'value') }} as answer_value,
    {{ json_text('answer.value', 'otherValue') }} as other_value
from {{ ref('int_okendo__survey_responses') }} as responses,
    {{ json_array_elements('responses.answers', 'answer') }}
where not responses.is_deleted
