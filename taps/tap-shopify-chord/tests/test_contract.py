"""Every query the tap can send is checked against Shopify's own published Admin API schema
of every version the tap supports (introspection JSON from @shopify/dev-mcp 1.16.0, fetched
by `make contracts`), and every bulk inner query against Shopify's bulk-operation rules as
the sandbox enforces them with Shopify's error texts."""

from __future__ import annotations

from dataclasses import replace

import graphql
import pytest
from sandbox.shopify import bulk, contract
from tap_shopify_chord import queries
from tap_shopify_chord.client import SUPPORTED_VERSIONS


def real(version: str) -> graphql.GraphQLSchema:
    try:
        return contract.load(version)
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)


def bulk_inner_queries() -> list[str]:
    return [text for text in queries.all_queries() if text.startswith("{")]


@pytest.mark.parametrize("version", [*SUPPORTED_VERSIONS, "unstable"])
def test_every_query_validates_against_shopifys_schema(version):
    schema = real(version)
    texts = queries.all_queries()
    assert len(bulk_inner_queries()) >= 10  # bulk inner queries are in the list too
    failures = []
    for text in texts:
        for error in graphql.validate(schema, graphql.parse(text)):
            failures.append(f"{error.message} in: {text[:90]}")
    assert not failures, "\n".join(failures[:5])


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_bulk_query_keeps_shopifys_bulk_rules(version):
    schema = real(version)
    for text in bulk_inner_queries():
        problems = bulk.bulk_rule_errors(text, schema)
        assert not problems, f"{problems} in: {text[:200]}"


def test_no_deprecated_field_is_selected():
    """Deprecations come from Shopify's schema: the tap selects none of them."""
    schema = real(max(SUPPORTED_VERSIONS))
    rule = graphql.validation.NoDeprecatedCustomRule
    for text in queries.all_queries():
        errors = graphql.validate(schema, graphql.parse(text), [rule])
        assert not errors, f"{errors[0].message} in: {text[:90]}"


def test_follow_up_queries_fit_shopifys_cost_limit():
    """The follow-up queries (refund lines after a bulk export, whole lists, cut
    connections) cost at most 1000 points each, priced by the sandbox's model of Shopify's
    calculated query cost (page queries shrink their page on MAX_COST_EXCEEDED instead)."""
    from sandbox.shopify import graph

    root = queries.for_scopes(queries.ORDERS, None)
    refunds = next(c for c in root.children if isinstance(c, queries.ListOf))
    ids = [f"gid://shopify/Order/{n}" for n in range(queries.MAX_BATCH)]
    priced = [
        (
            queries.list_children_query("Order", replace(refunds, first=length)),
            {"ids": ids[: queries.list_batch(refunds, length)]},
        )
        for length in range(1, queries.FULL_LIST + 1)
    ]
    priced.append((queries.full_list_query("Order", refunds), {"id": ids[0]}))
    priced += [(text, {"id": ids[0]}) for text in queries.all_queries() if "query More" in text]
    assert len(priced) > 6
    for text, variables in priced:
        prepared = graph.prepare(text, variables, None)
        assert not prepared.errors, text[:80]
        assert 0 < prepared.requested <= 1000, (prepared.requested, text[:120])
