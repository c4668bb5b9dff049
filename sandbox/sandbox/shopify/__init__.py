"""Fake Shopify GraphQL Admin API: a seeded store, cost-based throttling, bulk operations."""

from sandbox.shopify.app import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    DEFAULT_VERSION,
    VERSIONS,
    ShopifySandbox,
    create_app,
)
from sandbox.shopify.data import TABLES, Store
from sandbox.shopify.graph import READ_SCOPES

__all__ = [
    "ACCESS_TOKEN",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "DEFAULT_VERSION",
    "READ_SCOPES",
    "TABLES",
    "VERSIONS",
    "ShopifySandbox",
    "Store",
    "create_app",
]
