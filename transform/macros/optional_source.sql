{#-
    A source that may not exist yet: the survey backfill and the webhook inbox are loaded by
    pipelines a project may not have run (or need). Until the raw table exists, read an empty
    relation with the given typed columns, so `dbt build` works for every source on its own.
    `columns` maps raw column name -> SQL type.
-#}
{% macro optional_source(source_name, table_name, columns) %}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        (select
        {%- for name, type in columns.items() %}
            cast(null as {{ adapter.dispatch('raw_type')(type) }}) as {{ adapter.dispatch('raw_column')(name) }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{% endmacro %}

{#- A raw column as the loader names it: target-duckdb keeps the lower-case name,
    target-snowflake stores it upper-case (so a quoted lower-case name would not match). -#}
{% macro default__raw_column(name) -%}
    {{ adapter.quote(name) }}
{%- endmacro %}

{% macro snowflake__raw_column(name) -%}
    {{ adapter.quote(name | upper) }}
{%- endmacro %}

{#- A type name of the `columns` map, in the adapter's dialect: Snowflake has no JSON type. -#}
{% macro default__raw_type(type) -%}
    {{ type }}
{%- endmacro %}

{% macro snowflake__raw_type(type) -%}
    {{ {'json': 'variant'}.get(type | lower, type) }}
{%- endmacro %}
