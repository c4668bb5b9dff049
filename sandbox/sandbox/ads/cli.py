"""`sandbox serve meta|google-ads|tiktok|pinterest|reddit ...` and `sandbox truth ...`
(not built yet)."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    print("sandbox: the ad-platform sandboxes are not built yet", file=sys.stderr)
    return 2
