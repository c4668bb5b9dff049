{#- A model's custom schema (+schema) is used verbatim instead of dbt's default
    `<target schema>_<custom>`, so staging lands in `staging` on every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
