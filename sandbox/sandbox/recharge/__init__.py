"""Fake Recharge API (version 2021-11): twelve resources, cursor paging, a leaky bucket."""

from sandbox.recharge.app import (
    API_VERSION,
    BUCKET_SIZE,
    DEFAULT_TOKEN,
    DRAIN_PER_SECOND,
    RechargeSandbox,
    create_app,
)
from sandbox.recharge.data import HISTORY_END, REPLICATION_KEY, RESOURCES, SCOPES, RechargeStore

__all__ = [
    "API_VERSION",
    "BUCKET_SIZE",
    "DEFAULT_TOKEN",
    "DRAIN_PER_SECOND",
    "HISTORY_END",
    "REPLICATION_KEY",
    "RESOURCES",
    "SCOPES",
    "RechargeSandbox",
    "RechargeStore",
    "create_app",
]
