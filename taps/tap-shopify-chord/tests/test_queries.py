"""Every query the tap can send is valid against the contract's schema; rows map exactly;
the README's stream table lists the schemas' semantic tags."""

from __future__ import annotations

import re
from pathlib import Path

import graphql
import pytest
from tap_shopify_chord import queries, rows, schemas
from tap_shopify_chord.streams import STREAMS

HERE = Path(__file__).resolve().parents[1]
SCHEMA = HERE.parents[1] / "sandbox" / "sandbox" / "shopify" / "schema.graphql"


@pytest.fixture(scope="module")
def schema() -> graphql.GraphQLSchema:
    return graphql.build_schema(SCHEMA.read_text())


def test_every_query_the_tap_builds_validates_against_the_schema(schema):
    texts = queries.all_queries()
    assert len(texts) > 40
    for text in texts:
        errors = graphql.validate(schema, graphql.parse(text))
        assert not errors, f"{text[:120]}...: {errors}"


def test_bulk_queries_stay_within_shopify_limits():
    for root in (queries.ORDERS, queries.CUSTOMERS, queries.PRODUCTS):
        text = queries.bulk_query(root, "updated_at:>='2026-01-01T00:00:00Z'")
        assert text.count("edges {") <= 5  # at most 5 connections, the root included
        assert "first:" not in text  # a bulk export has no pages
        assert "__typename" in text


def test_scope_guarded_fields_are_left_out_without_their_scope():
    kept = queries.bulk_query(queries.for_scopes(queries.ORDERS, None), None)
    dropped = queries.bulk_query(queries.for_scopes(queries.ORDERS, {"read_orders"}), None)
    assert "product { id }" in kept and "product { id }" not in dropped
    assert "[" not in kept and "[" not in dropped
    assert ("read_products", "order_lines.product_id, variant_id, grams") in queries.dropped(
        queries.ORDERS, {"read_orders"}
    )


def test_gids_and_money_map_exactly():
    assert rows.legacy_id("gid://shopify/Order/5610000000001") == 5610000000001
    assert rows.legacy_id("gid://shopify/MailingAddress/12?model_name=CustomerAddress") == 12
    line = {
        "__typename": "LineItem",
        "id": "gid://shopify/LineItem/7",
        "__parentId": "gid://shopify/Order/3",
        "quantity": 2,
        "originalUnitPriceSet": {"shopMoney": {"amount": "19.90"}},
        "discountAllocations": [
            {
                "allocatedAmountSet": {"shopMoney": {"amount": "0.10"}},
                "discountApplication": {"index": 0},
            }
        ],
        "variant": {
            "id": "gid://shopify/ProductVariant/9",
            "inventoryItem": {"measurement": {"weight": {"unit": "KILOGRAMS", "value": 0.25}}},
        },
    }
    (table, line_row), (alloc_table, allocation) = rows.rows_of(line)
    assert (table, line_row["id"], line_row["order_id"], line_row["price"]) == (
        "order_lines",
        7,
        3,
        "19.90",
    )
    assert line_row["grams"] == 250 and line_row["variant_id"] == 9
    assert alloc_table == "discount_allocations"
    assert allocation == {
        "order_line_id": 7,
        "discount_allocation_index": 0,
        "order_id": 3,
        "amount": "0.10",
    }
    with pytest.raises(rows.BadLine, match="expected a Order"):
        rows.rows_of({**line, "__parentId": "gid://shopify/Product/1"})


def test_readme_lists_every_stream_with_its_semantic_tags():
    readme = (HERE / "README.md").read_text()
    table = {
        m[1]: (m[2], m[4])
        for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", readme, re.M)
    }
    assert set(table) == {s.name for s in STREAMS} == set(schemas.TABLES)
    for stream in STREAMS:
        key, tags = table[stream.name]
        assert key.strip() == ", ".join(stream.primary_keys), stream.name
        listed = {
            col.strip(" `"): [t.strip() for t in names.split(",")]
            for col, names in (part.split(":") for part in tags.strip().split(";") if ":" in part)
        }
        assert listed == schemas.semantic_tags(stream.name), stream.name
