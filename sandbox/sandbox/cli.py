"""`sandbox serve VENDOR --port PORT ...` and `sandbox truth VENDOR ...`."""

from __future__ import annotations

import argparse
import json
import sys

from sandbox.faults import Faults
from sandbox.okendo import DEFAULT_COUNTS, STATUSES, OkendoSandbox, ReviewStore, create_app
from sandbox.server import serve_forever

VENDORS = ("okendo",)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("serve", "serve one vendor's fake API until stopped"),
        ("truth", "print the seeded ground truth as JSON"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("vendor", choices=VENDORS)
        sub.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
        sub.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help=f"multiply the default counts {DEFAULT_COUNTS} (default 1)",
        )
        for status in STATUSES:
            sub.add_argument(
                f"--{status}",
                type=int,
                metavar="N",
                help=f"exact number of {status} reviews (overrides --scale)",
            )
        if name == "serve":
            sub.add_argument("--port", type=int, required=True)
            sub.add_argument(
                "--rate-limit",
                type=float,
                default=2.0,
                help="requests per second before 429 (default 2; 0 = off)",
            )
            sub.add_argument("--burst", type=int, default=2, help="token-bucket size (default 2)")
            sub.add_argument(
                "--storm-every",
                type=int,
                default=0,
                metavar="N",
                help="every Nth request starts a 429 storm",
            )
            sub.add_argument(
                "--storm-length",
                type=int,
                default=3,
                metavar="L",
                help="requests answered 429 in each storm (default 3)",
            )
            sub.add_argument(
                "--error-rate",
                type=float,
                default=0.0,
                metavar="P",
                help="share of requests answered 500/502/503/504",
            )
            sub.add_argument(
                "--slow-rate",
                type=float,
                default=0.0,
                metavar="P",
                help="share of requests delayed by --slow-seconds",
            )
            sub.add_argument("--slow-seconds", type=float, default=5.0)
            sub.add_argument(
                "--fail-after",
                type=int,
                default=0,
                metavar="N",
                help="an outage: every request after the first N is a 5xx",
            )
            sub.add_argument(
                "--truncate-rate",
                type=float,
                default=0.0,
                metavar="P",
                help="share of 200 bodies cut short (invalid JSON)",
            )
    return parser


def _store(args: argparse.Namespace) -> ReviewStore:
    counts = {
        s: getattr(args, s)
        if getattr(args, s) is not None
        else round(DEFAULT_COUNTS[s] * args.scale)
        for s in STATUSES
    }
    return ReviewStore(seed=args.seed, counts=counts)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        store = _store(args)
        if args.command == "truth":
            print(json.dumps(store.truth(), indent=2))
            return 0
        faults = Faults(
            storm_every=args.storm_every,
            storm_length=args.storm_length,
            error_rate=args.error_rate,
            slow_rate=args.slow_rate,
            slow_seconds=args.slow_seconds,
            truncate_rate=args.truncate_rate,
            fail_after=args.fail_after,
            seed=args.seed,
        )
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    sandbox = OkendoSandbox(
        store=store, rate_limit=args.rate_limit, burst=args.burst, faults=faults
    )
    print(
        f"okendo sandbox: api_url=http://127.0.0.1:{args.port}/enterprise "
        f"user_id={sandbox.user_id} (sandbox credentials: see sandbox/README.md)",
        file=sys.stderr,
        flush=True,
    )
    serve_forever(create_app(sandbox), args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
