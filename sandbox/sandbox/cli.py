"""`sandbox serve VENDOR --port PORT ...`, `sandbox truth VENDOR ...` and
`sandbox webhooks okendo --to URL ...` (send Okendo's survey webhook feed)."""

from __future__ import annotations

import argparse
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
from sandbox.server import serve_forever

VENDORS = ("okendo",)


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
    _webhooks_parser(commands)
    return parser


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
    args = _parser().parse_args(argv)
    try:
        if args.command == "webhooks":
            return _webhooks(args)
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
