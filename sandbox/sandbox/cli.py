"""`sandbox serve VENDOR --port PORT ...`, `sandbox truth VENDOR ...`,
`sandbox webhooks okendo --to URL ...` (send Okendo's survey webhook feed) and
`sandbox oms seed|touch|truth --dsn URL ...` (the Solidus OMS database in PostgreSQL)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

import requests

from sandbox.faults import Faults
from sandbox.okendo import (
    DEFAULT_COUNTS,
    DEFAULT_SURVEYS,
    OKENDO_WEBHOOK_SECRET,
    STATUSES,
    OkendoSandbox,
    ReviewStore,
    SurveyStore,
    WebhookScript,
    apply_script,
    create_app,
    deliver_events,
)
from sandbox.okendo.webhooks import RESPONSE_DEADLINE_SECONDS, script_remote
from sandbox.recharge import BUCKET_SIZE, SCOPES, RechargeSandbox, RechargeStore
from sandbox.recharge import create_app as create_recharge_app
from sandbox.server import serve_forever

# Vendors whose command line lives with their own sandbox package: `sandbox serve shopify ...`
# and `sandbox truth shopify ...` are handed whole to that module's `main(argv)`.
DELEGATED = {
    "shopify": "sandbox.shopify.cli",
    **{ad: "sandbox.ads.cli" for ad in ("meta", "google-ads", "tiktok", "pinterest", "reddit")},
}
VENDORS = ("okendo", "recharge", *DELEGATED)


def _survey_counts(spec: str) -> dict[str, int]:
    """`nps-post-purchase=150,onsite-feedback=80` -> {survey id: responses}."""
    counts: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        survey_id, sep, count = item.partition("=")
        if not sep or not count.strip().isdigit():
            raise argparse.ArgumentTypeError(f"expected SURVEY_ID=COUNT, got {item!r}")
        counts[survey_id.strip()] = int(count)
    return counts


def _data_options(sub: argparse.ArgumentParser, *, reviews: bool) -> None:
    sub.add_argument("vendor", choices=VENDORS)
    sub.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
    sub.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help=f"multiply the default counts {DEFAULT_COUNTS} and surveys {DEFAULT_SURVEYS} "
        "(default 1)",
    )
    if reviews:
        for status in STATUSES:
            sub.add_argument(
                f"--{status}",
                type=int,
                metavar="N",
                help=f"exact number of {status} reviews (overrides --scale)",
            )
    sub.add_argument(
        "--surveys",
        type=_survey_counts,
        metavar="ID=N,...",
        help="surveys and their seeded responses, e.g. nps-post-purchase=150,onsite-feedback=80 "
        "(overrides --scale)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("serve", "serve one vendor's fake API until stopped"),
        ("truth", "print the seeded ground truth as JSON"),
    ):
        sub = commands.add_parser(name, help=help_text)
        _data_options(sub, reviews=True)
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
            _recharge_options(sub)
    _webhooks_parser(commands)
    _oms_parser(commands)
    return parser


def _oms_parser(commands: argparse._SubParsersAction) -> None:
    oms = commands.add_parser(
        "oms",
        help="the OMS: a Solidus (Spree) database in PostgreSQL (seed, change, ground truth)",
        description="The OMS sandbox is a real PostgreSQL database, not a server: seed it once, "
        "point tap-postgres at it, change it with `touch`, compare with `truth`.",
    )
    actions = oms.add_subparsers(dest="oms_command", required=True)
    default_dsn = os.environ.get("OMS_DATABASE_URL")
    for name, help_text in (
        ("seed", "create the spree_* tables in `public` and fill them deterministically"),
        ("touch", "update rows of every table and place new orders; prints the ids as JSON"),
        ("truth", "print rows per table, newest updated_at, totals (and changed ids) as JSON"),
    ):
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--dsn",
            default=default_dsn,
            required=default_dsn is None,
            metavar="URL",
            help="postgresql://user@host:5432/dbname (default: $OMS_DATABASE_URL)",
        )
        if name == "seed":
            sub.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
            sub.add_argument(
                "--scale",
                type=float,
                default=1.0,
                # Spelled out: importing sandbox.oms needs psycopg, the other vendors don't.
                help="multiply the default 200 users, 30 products, 500 orders (default 1)",
            )
            sub.add_argument(
                "--replace", action="store_true", help="drop existing spree_* tables first"
            )
        elif name == "touch":
            sub.add_argument("--seed", type=int, default=1, help="which rows to pick (default 1)")
            sub.add_argument(
                "--updates", type=int, default=3, metavar="N", help="rows updated per table"
            )
            sub.add_argument("--new-orders", type=int, default=2, metavar="N")
            sub.add_argument("--new-users", type=int, default=1, metavar="N")
        else:
            sub.add_argument(
                "--since",
                metavar="TIMESTAMP",
                help="also list the ids per table with updated_at >= TIMESTAMP (ISO 8601)",
            )


def _oms(args: argparse.Namespace) -> int:
    import psycopg

    from sandbox.oms import store
    from sandbox.oms.testing import redact

    try:
        with psycopg.connect(args.dsn, connect_timeout=10) as conn:
            if args.oms_command == "seed":
                result: object = store.seed(
                    conn, seed=args.seed, scale=args.scale, replace=args.replace
                )
            elif args.oms_command == "touch":
                result = store.touch(
                    conn,
                    seed=args.seed,
                    updates=args.updates,
                    new_orders=args.new_orders,
                    new_users=args.new_users,
                ).as_dict()
            else:
                result = store.truth(conn, args.since)
    except (psycopg.Error, store.OmsError, ValueError) as exc:
        reason = " ".join(str(exc).split()).replace(args.dsn, redact(args.dsn))
        print(f"sandbox: OMS at {redact(args.dsn)}: {reason}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


def _recharge_options(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group(
        "recharge only",
        "--rate-limit is the bucket's drain per second (default 2); --scale multiplies about "
        "10,000 objects; --truncate-rate alternates cut JSON bodies and bodies shorter than "
        "their Content-Length",
    )
    group.add_argument(
        "--bucket-size",
        type=int,
        default=BUCKET_SIZE,
        help=f"leaky bucket size (default {BUCKET_SIZE})",
    )
    group.add_argument(
        "--missing-scopes",
        default="read_payment_methods",
        metavar="SCOPE,...",
        help="scopes the sandbox token lacks, answered 403 (default read_payment_methods; "
        f"'' for none; scopes: {', '.join(sorted(set(SCOPES.values())))})",
    )
    group.add_argument(
        "--retry-after", action="store_true", help="send Retry-After on 429s (Recharge sends none)"
    )
    group.add_argument(
        "--inclusive-bounds",
        action="store_true",
        help="*_min/*_max filters include the given second (default: strictly after/before)",
    )
    group.add_argument(
        "--html-errors", action="store_true", help="5xx and 429-storm bodies as HTML pages"
    )


def _recharge(args: argparse.Namespace) -> int:
    try:
        store = RechargeStore(seed=args.seed, scale=args.scale)
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    if args.command == "truth":
        print(json.dumps(store.truth(), indent=2))
        return 0
    try:
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
        sandbox = RechargeSandbox(
            store=store,
            missing_scopes=tuple(s for s in args.missing_scopes.split(",") if s.strip()),
            rate_limit=args.rate_limit,
            bucket_size=args.bucket_size,
            retry_after=args.retry_after,
            inclusive_bounds=args.inclusive_bounds,
            html_errors=args.html_errors,
            faults=faults,
        )
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    print(
        f"recharge sandbox: api_url=http://127.0.0.1:{args.port} "
        f"objects={sum(len(t) for t in store.tables.values())} "
        f"missing scopes={','.join(sandbox.missing_scopes) or 'none'} "
        "(its public access token: DEFAULT_TOKEN in sandbox/sandbox/recharge/app.py)",
        file=sys.stderr,
        flush=True,
    )
    serve_forever(create_recharge_app(sandbox), args.port)
    return 0


def _webhooks_parser(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "webhooks",
        help="change survey responses and deliver the webhook events (Okendo/Svix style)",
        description="Applies a seeded script of survey-response changes, then POSTs each "
        "event, Svix-signed, out of order, some twice, retrying non-2xx answers. Prints a "
        "JSON report; exits 1 if an event was never answered 2xx. --seed seeds both the "
        "data (of the local store) and the script.",
    )
    _data_options(sub, reviews=False)
    default = WebhookScript()
    sub.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="receiver, e.g. http://127.0.0.1:8400/webhooks/okendo",
    )
    sub.add_argument(
        "--sandbox",
        metavar="URL",
        help="change a running `sandbox serve okendo` (e.g. http://127.0.0.1:8321) so its "
        "API and truth match the feed; without it, a local store from --seed/--surveys",
    )
    sub.add_argument(
        "--secret",
        default=os.environ.get("OKENDO_WEBHOOK_SECRET", OKENDO_WEBHOOK_SECRET),
        help="whsec_... signing secret (default: $OKENDO_WEBHOOK_SECRET, else the sandbox's)",
    )
    for option, help_text in (
        ("replay_history", "create events re-sent for the newest historical responses"),
        ("creates", "new responses"),
        ("updates", "changed answers (NPS included)"),
        ("deletes", "deleted responses"),
    ):
        sub.add_argument(
            f"--{option.replace('_', '-')}",
            type=int,
            default=getattr(default, option),
            metavar="N",
            help=f"{help_text} (default {getattr(default, option)})",
        )
    sub.add_argument(
        "--duplicate-rate",
        type=float,
        default=0.1,
        metavar="P",
        help="share of events delivered twice, same svix-id (default 0.1)",
    )
    sub.add_argument(
        "--shuffle",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="deliver in random order (default; --no-shuffle: sequenceNumber order)",
    )
    sub.add_argument("--concurrency", type=int, default=4, help="parallel senders (default 4)")
    sub.add_argument(
        "--timeout",
        type=float,
        default=RESPONSE_DEADLINE_SECONDS,
        help=f"seconds to wait for a 2xx (default {RESPONSE_DEADLINE_SECONDS:g}, as Okendo)",
    )
    sub.add_argument("--max-attempts", type=int, default=5, help="tries per delivery (default 5)")
    sub.add_argument(
        "--retry-backoff",
        type=float,
        default=1.0,
        metavar="S",
        help="first wait between tries, doubling (default 1 s)",
    )


def _review_store(args: argparse.Namespace) -> ReviewStore:
    counts = {
        s: getattr(args, s)
        if getattr(args, s) is not None
        else round(DEFAULT_COUNTS[s] * args.scale)
        for s in STATUSES
    }
    return ReviewStore(seed=args.seed, counts=counts)


def _survey_store(args: argparse.Namespace) -> SurveyStore:
    surveys = args.surveys
    if surveys is None:
        surveys = {s: round(n * args.scale) for s, n in DEFAULT_SURVEYS.items()}
    return SurveyStore(seed=args.seed, surveys=surveys)


def _webhooks(args: argparse.Namespace) -> int:
    script = WebhookScript(
        seed=args.seed,
        replay_history=args.replay_history,
        creates=args.creates,
        updates=args.updates,
        deletes=args.deletes,
    )
    if args.sandbox:
        try:
            events = script_remote(args.sandbox, script)
        except requests.RequestException as exc:
            raise ValueError(f"could not change the sandbox at {args.sandbox}: {exc}") from exc
    else:
        events = apply_script(_survey_store(args), script)
    report = deliver_events(
        events,
        args.to,
        secret=args.secret,
        seed=args.seed,
        duplicate_rate=args.duplicate_rate,
        shuffle=args.shuffle,
        concurrency=args.concurrency,
        timeout=args.timeout,
        max_attempts=args.max_attempts,
        retry_backoff=args.retry_backoff,
    )
    print(json.dumps(report.as_dict(), indent=2))
    return 1 if report.gave_up else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 2 and argv[0] in ("serve", "truth") and argv[1] in DELEGATED:
        return int(importlib.import_module(DELEGATED[argv[1]]).main(argv))
    args = _parser().parse_args(argv)
    if getattr(args, "vendor", None) == "recharge":
        if args.command == "webhooks":
            print("sandbox: webhooks are implemented for okendo only", file=sys.stderr)
            return 2
        return _recharge(args)
    try:
        if args.command == "webhooks":
            return _webhooks(args)
        if args.command == "oms":
            return _oms(args)
        store, surveys = _review_store(args), _survey_store(args)
        if args.command == "truth":
            print(json.dumps({**store.truth(), "survey_responses": surveys.truth()}, indent=2))
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
        store=store, surveys=surveys, rate_limit=args.rate_limit, burst=args.burst, faults=faults
    )
    print(
        f"okendo sandbox: api_url=http://127.0.0.1:{args.port}/enterprise "
        f"user_id={sandbox.user_id} surveys={','.join(surveys.surveys)} "
        "(sandbox credentials: see sandbox/README.md)",
        file=sys.stderr,
        flush=True,
    )
    serve_forever(create_app(sandbox), args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
