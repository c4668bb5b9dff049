"""Webhook intake: signed vendor webhooks into a durable inbox, and a Singer tap over it."""
