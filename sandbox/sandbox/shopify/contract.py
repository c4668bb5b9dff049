"""Shopify's own Admin API schemas: the contract the sandbox serves and the tap is tested on.

Shopify publishes the GraphQL Admin API schema of every version as introspection JSON in the
npm package `@shopify/dev-mcp` (`package/dist/data/admin_<version>.json.gz`); `make contracts`
fetches version 1.16.0 (hash-pinned) into `.cache/contracts/shopify-admin-1.16.0/`. These are
loaded here with graphql-core's `build_client_schema`, once per version.

The sandbox validates every request against the real schema of the requested version (so a
field a version lacks, or a wrong argument, is refused as Shopify refuses it) and then
executes it on its own smaller engine (schema.graphql + resolvers). When the cached schemas
are missing (a checkout without `make contracts`), `real_schema()` returns None and the
sandbox logs once that it validates against its own schema only.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import os
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema

PACKAGE = "shopify-admin-1.16.0"
# The versions @shopify/dev-mcp 1.16.0 ships, oldest first (`unstable` last).
VERSIONS = ("2025-10", "2026-01", "2026-04", "2026-07", "2026-10", "unstable")
MISSING = "Shopify's Admin API schemas are missing ({path}): run `make contracts`."
_log = logging.getLogger("sandbox.shopify")


def contracts_dir() -> Path:
    """`$SHOPIFY_CONTRACTS` or `.cache/contracts/shopify-admin-1.16.0` at the repo root (the
    first parent of this file holding `.cache/contracts`)."""
    override = os.environ.get("SHOPIFY_CONTRACTS")
    if override:
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / ".cache" / "contracts").is_dir():
            return parent / ".cache" / "contracts" / PACKAGE
    return here.parents[3] / ".cache" / "contracts" / PACKAGE


def schema_path(version: str) -> Path:
    return contracts_dir() / f"admin_{version}.json.gz"


@functools.cache
def load(version: str) -> GraphQLSchema:
    """The real schema of `version`; FileNotFoundError (one line: run make contracts)."""
    path = schema_path(version)
    if not path.exists():
        raise FileNotFoundError(MISSING.format(path=path))
    with gzip.open(path) as raw:
        body = json.load(raw)
    return build_client_schema(body.get("data", body))


@functools.cache
def real_schema(version: str) -> GraphQLSchema | None:
    """The real schema of `version`, or None when the cache is absent (logged once)."""
    try:
        return load(version)
    except FileNotFoundError as exc:
        _log.warning("%s The sandbox validates against its own schema.graphql only.", exc)
        return None
