{#-
    The staging body of an ad platform's entity list (accounts, campaigns, ad groups, ads,
    creatives), one place for every platform: the last copy of each `id`, renamed to
    `<entity>_id` and `<entity>_name`. `ids` are the other id columns (parents first up the
    tree, then references), cast to text; `attributes` are further text columns after `status`.
    Accounts carry their currency and time zone, those of their reports.
-#}
{% macro ads_entity_staging(source_name, table_name, entity, ids=[], attributes=[]) %}
{%- set columns = {'id': 'varchar', 'name': 'varchar', 'status': 'varchar'} -%}
{%- set account_columns = ['currency', 'time_zone'] if entity == 'account' else [] -%}
{%- for name in account_columns + ids + attributes -%}
    {%- do columns.update({name: 'varchar'}) -%}
{%- endfor -%}
{%- do columns.update({'_sdc_batched_at': 'timestamp'}) -%}

with {{ entity }}s as (

    select *
    from {{ optional_source(source_name, table_name, columns) }}
    -- Full copy each run; the target upserts on id, but one that appends keeps every copy.
    qualify row_number() over (partition by id order by _sdc_batched_at desc nulls last) = 1

)

select
    cast(id as varchar) as {{ entity }}_id,
    {%- for name in ids %}
    cast({{ name }} as varchar) as {{ name }},
    {%- endfor %}
    name as {{ entity }}_name,
    {%- for name in account_columns %}
    {{ name }},
    {%- endfor %}
    status,
    {%- for name in attributes %}
    {{ name }},
    {%- endfor %}
    _sdc_batched_at as loaded_at
from {{ entity }}s
{%- endmacro %}
