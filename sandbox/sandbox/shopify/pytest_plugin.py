"""Pytest fixtures for the shopify sandbox (registered as a pytest11 entry point)."""
