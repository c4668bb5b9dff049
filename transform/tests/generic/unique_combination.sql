{#- Fails with one row per combination of `combination_of_columns` that occurs more than once
    (the compound-grain counterpart of `unique`). -#}
{% test unique_combination(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_records
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
