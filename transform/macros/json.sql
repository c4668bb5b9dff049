{#-
    Minimal cross-warehouse JSON access, dispatched per adapter so models port to Snowflake.
    `path` is a dotted key path ('location.country.code'); '' means the value itself.
    The duckdb__ versions run in the DuckDB tests, the snowflake__ ones on the Snowflake emulator
    (tests/test_snowflake_emulated.py).
-#}

{#- Scalar at `path` as text (JSON null -> SQL null). Cast the result for other types. -#}
{% macro json_text(column, path) %}
    {{- return(adapter.dispatch('json_text')(column, path)) -}}
{% endmacro %}

{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, '${{ "." ~ path if path else "" }}')
{%- endmacro %}

{#- target-snowflake stores raw column names upper-case; a column quoted in lower case (a
    reserved word such as "order") would not resolve on Snowflake, so it is upper-cased. -#}
{% macro snowflake__json_column(column) -%}
    {%- if modules.re.fullmatch('"[a-z_][a-z0-9_$]*"', column) -%} {{ column | upper }} {%- else -%} {{ column }} {%- endif -%}
{%- endmacro %}

{% macro snowflake__json_text(column, path) -%}
    {%- set column = snowflake__json_column(column) -%}
    {%- if path -%} get_path({{ column }}, '{{ path }}')::varchar {%- else -%} {{ column }}::varchar {%- endif -%}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    {{ exceptions.raise_compiler_error("json_text is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}


{#- Nested JSON value at `path`, still JSON (e.g. an array to unnest). -#}
{% macro json_get(column, path) %}
    {{- return(adapter.dispatch('json_get')(column, path)) -}}
{% endmacro %}

{% macro duckdb__json_get(column, path) -%}
    json_extract({{ column }}, '$.{{ path }}')
{%- endmacro %}

{% macro snowflake__json_get(column, path) -%}
    get_path({{ snowflake__json_column(column) }}, '{{ path }}')
{%- endmacro %}

{% macro default__json_get(column, path) -%}
    {{ exceptions.raise_compiler_error("json_get is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}


{#- Number of elements of a JSON array (null for SQL null). -#}
{% macro json_array_size(column) %}
    {{- return(adapter.dispatch('json_array_size')(column)) -}}
{% endmacro %}

{% macro duckdb__json_array_size(column) -%}
    json_array_length({{ column }})
{%- endmacro %}

{% macro snowflake__json_array_size(column) -%}
    array_size({{ column }})
{%- endmacro %}

{% macro default__json_array_size(column) -%}
    {{ exceptions.raise_compiler_error("json_array_size is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}


{#-
    A lateral table expression with one row per element of a JSON array, exposing
    `<alias>.index` (0-based) and `<alias>.value` (JSON), like Snowflake's FLATTEN.
    Use after a comma in FROM:  from t, {{ json_array_elements('t.items', 'item') }}
    Null or empty arrays yield no rows.
-#}
{% macro json_array_elements(column, alias) %}
    {{- return(adapter.dispatch('json_array_elements')(column, alias)) -}}
{% endmacro %}

{% macro duckdb__json_array_elements(column, alias) -%}
    {#- DuckDB 1.2 has no json_each / WITH ORDINALITY; subscripts and unnest of the same list line up. -#}
    lateral (
        select
            generate_subscripts(cast({{ column }} as json[]), 1) - 1 as index,
            unnest(cast({{ column }} as json[])) as value
    ) as {{ alias }}
{%- endmacro %}

{% macro snowflake__json_array_elements(column, alias) -%}
    lateral flatten(input => {{ column }}) as {{ alias }}
{%- endmacro %}

{% macro default__json_array_elements(column, alias) -%}
    {{ exceptions.raise_compiler_error("json_array_elements is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}
