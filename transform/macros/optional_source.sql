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
            cast(null as {{ type }}) as {{ adapter.quote(name) }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{% endmacro %}
