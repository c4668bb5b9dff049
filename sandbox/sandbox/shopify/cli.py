"""`sandbox serve shopify --port P [...]` and `sandbox truth shopify [...]`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from sandbox.server import serve_forever
from sandbox.shopify.app import DEFAULT_VERSION, ShopifySandbox, create_app
from sandbox.shopify.data import Store, iso, parse_iso
from sandbox.shopify.graph import READ_SCOPES

# `serve`'s knobs: flag, type, metavar, help. Each is the ShopifySandbox field of its flag's
# name (--restore-rate -> restore_rate), whose default it takes.
SERVE_OPTIONS: tuple[tuple[str, type, str | None, str], ...] = (
    ("--restore-rate", float, None,
     "cost points restored per second (default 100, Standard plan; 0 = throttling off)"),
    ("--bucket", int, None, "cost bucket size (default 2000)"),
    ("--throttle-storm-every", int, "N",
     "every Nth API call finds the bucket drained and is THROTTLED"),
    ("--error-rate", float, "P", "share of API calls answered 500/502/503/504"),
    ("--bulk-polls", int, "N", "status polls before a bulk operation completes (default 2)"),
    ("--bulk-seconds", float, "S", "a bulk operation also runs at least S seconds (default 0)"),
    ("--bulk-fail", int, "N",
     "the first N bulk operations FAIL with a partialDataUrl (half the lines)"),
    ("--token-ttl", float, "S", "lifetime of client-credentials tokens (default 86399 s)"),
)  # fmt: skip
DEFAULTS = {f.name: f.default for f in dataclasses.fields(ShopifySandbox)}


def _dest(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


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
        "--per-second",
        type=int,
        default=5,
        metavar="N",
        help="rows per second in the newest seconds of every table (default 5)",
    )
    sub.add_argument(
        "--burst",
        type=int,
        metavar="N",
        help="rows sharing one second just before the newest (a batch job; default 200 x scale, "
        "at least 10)",
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
    for flag, kind, metavar, help_text in SERVE_OPTIONS:
        default = DEFAULTS[_dest(flag)]
        serve.add_argument(flag, type=kind, default=default, metavar=metavar, help=help_text)
    truth = commands.add_parser("truth", help="print the seeded ground truth as JSON")
    _data_options(truth)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        now = parse_iso(args.now) if args.now else None
        store = Store(
            seed=args.seed,
            scale=args.scale,
            orders_count=args.orders,
            now=now,
            per_second=args.per_second,
            burst=args.burst,
        )
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
            **{_dest(flag): getattr(args, _dest(flag)) for flag, *_ in SERVE_OPTIONS},
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
