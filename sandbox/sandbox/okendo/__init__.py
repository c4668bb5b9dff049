"""Fake Okendo Merchant REST API: reviews, survey responses, and the survey webhook feed."""

from sandbox.okendo.app import DEFAULT_API_KEY, DEFAULT_USER_ID, OkendoSandbox, create_app
from sandbox.okendo.data import DEFAULT_COUNTS, STATUSES, ReviewStore
from sandbox.okendo.surveys import DEFAULT_SURVEYS, SurveyEvent, SurveyStore
from sandbox.okendo.webhooks import (
    OKENDO_WEBHOOK_SECRET,
    DeliveryReport,
    WebhookScript,
    apply_script,
    deliver_events,
    deliver_okendo_webhooks,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_COUNTS",
    "DEFAULT_SURVEYS",
    "DEFAULT_USER_ID",
    "OKENDO_WEBHOOK_SECRET",
    "STATUSES",
    "DeliveryReport",
    "OkendoSandbox",
    "ReviewStore",
    "SurveyEvent",
    "SurveyStore",
    "WebhookScript",
    "apply_script",
    "create_app",
    "deliver_events",
    "deliver_okendo_webhooks",
]
