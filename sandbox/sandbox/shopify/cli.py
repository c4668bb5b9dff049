"""`sandbox serve shopify ...` and `sandbox truth shopify ...` (not built yet)."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    print("sandbox: the shopify sandbox is not built yet", file=sys.stderr)
    return 2
