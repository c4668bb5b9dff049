"""Placeholder; replaced by the tap implementation."""
