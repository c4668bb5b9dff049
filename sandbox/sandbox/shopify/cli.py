"""`sandbox serve shopify --port P [...]` and `sandbox truth shopify [...]`."""

from __future__ import annotations

import argparse
import json
import sys

from sandbox.server import serve_forever
from sandbox.shopify.app import DEFAULT_VERSION, ShopifySandbox, create_app
from sandbox.shopify.data import Store, iso, parse_iso
from sandbox.shopify.graph import READ_SCOPES


def _data_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("vendor", choices=["shopify"])
    sub.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
    sub.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="1 = about 200 customers, 500 orders (~1,500 lines), 60 products, 80 abandoned "
        "checkouts (default 1)",
    )
    sub.add_argument(
        "--orders", type=int, metavar="N", help="exact number of orders (overrides --scale)"
    )
    sub.add_argument(
        "--now",
        metavar="ISO",
        help="the sandbox's clock at start (default: real time; data ends at the start of "
        "today, UTC)",
    )
    sub.add_argument(
        "--missing-scopes",
        default="",
        metavar="SCOPE,...",
        help=f"scopes the token lacks (default none; known: {', '.join(READ_SCOPES)})",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the fake Shopify Admin API until stopped")
    _data_options(serve)
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument(
        "--restore-rate",
        type=float,
        default=100.0,
        help="cost points restored per second (default 100, Standard plan; 0 = throttling off)",
    )
    serve.add_argument("--bucket", type=int, default=2000, help="cost bucket size (default 2000)")
    serve.add_argument(
        "--throttle-storm-every",
        type=int,
        default=0,
        metavar="N",
        help="every Nth API call finds the bucket drained and is THROTTLED",
    )
    serve.add_argument(
        "--error-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="share of API calls answered 500/502/503/504",
    )
    serve.add_argument(
        "--bulk-polls",
        type=int,
        default=2,
        metavar="N",
        help="status polls before a bulk operation completes (default 2)",
    )
    serve.add_argument(
        "--bulk-seconds",
        type=float,
        default=0.0,
        metavar="S",
        help="a bulk operation also runs at least S seconds (default 0)",
    )
    serve.add_argument(
        "--bulk-fail",
        type=int,
        default=0,
        metavar="N",
        help="the first N bulk operations FAIL with a partialDataUrl (half the lines)",
    )
    serve.add_argument(
        "--token-ttl",
        type=float,
        default=86399,
        metavar="S",
        help="lifetime of client-credentials tokens (default 86399 s)",
    )
    truth = commands.add_parser("truth", help="print the seeded ground truth as JSON")
    _data_options(truth)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        now = parse_iso(args.now) if args.now else None
        store = Store(seed=args.seed, scale=args.scale, orders_count=args.orders, now=now)
        missing = {s.strip() for s in args.missing_scopes.split(",") if s.strip()}
        unknown = missing - set(READ_SCOPES)
        if unknown:
            raise ValueError(
                f"unknown scope(s) in --missing-scopes: {', '.join(sorted(unknown))} "
                f"(known: {', '.join(READ_SCOPES)})"
            )
        scopes = tuple(s for s in READ_SCOPES if s not in missing)
        if args.command == "truth":
            sandbox = ShopifySandbox(store=store, scopes=scopes)
            print(json.dumps(store.truth(sandbox.cutoff(scopes)), indent=2))
            sandbox.close()
            return 0
        sandbox = ShopifySandbox(
            store=store,
            scopes=scopes,
            restore_rate=args.restore_rate,
            bucket=args.bucket,
            throttle_storm_every=args.throttle_storm_every,
            error_rate=args.error_rate,
            bulk_polls=args.bulk_polls,
            bulk_seconds=args.bulk_seconds,
            bulk_fail=args.bulk_fail,
            token_ttl=args.token_ttl,
        )
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    settings = {
        "api_url": f"http://127.0.0.1:{args.port}",
        "api_version": DEFAULT_VERSION,
        "access_token": sandbox.access_token,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    print(
        f"shopify sandbox: orders={len(store.orders)} customers={len(store.customers)} "
        f"products={len(store.products)} clock={iso(int(sandbox.clock()))} "
        f"missing scopes={','.join(sorted(missing)) or 'none'}\n"
        f"tap settings (public sandbox credentials): {json.dumps(settings)}",
        file=sys.stderr,
        flush=True,
    )
    try:
        serve_forever(create_app(sandbox), args.port)
    finally:
        sandbox.close()
    return 0


if __name__ == "__main__":  # `python -m sandbox.shopify.cli serve shopify ...`, what
    # `sandbox serve shopify ...` runs, without importing the other vendors' sandboxes
    sys.exit(main(sys.argv[1:]))
