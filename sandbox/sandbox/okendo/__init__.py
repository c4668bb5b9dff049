"""Fake Okendo Merchant REST API."""

from sandbox.okendo.app import DEFAULT_API_KEY, DEFAULT_USER_ID, OkendoSandbox, create_app
from sandbox.okendo.data import DEFAULT_COUNTS, STATUSES, ReviewStore

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_COUNTS",
    "DEFAULT_USER_ID",
    "STATUSES",
    "OkendoSandbox",
    "ReviewStore",
    "create_app",
]
