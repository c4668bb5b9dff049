"""Pytest fixtures for the ads sandbox (registered as a pytest11 entry point)."""
