"""`sandbox serve PLATFORM --port P [...]` and `sandbox truth PLATFORM --start D --end D [...]`
for PLATFORM in meta, google-ads, tiktok, pinterest, reddit (see CONTRACT.md)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from sandbox.ads import FAULT_DEFAULTS, build, create_app
from sandbox.server import serve_forever

PLATFORM_NAMES = ("meta", "google-ads", "tiktok", "pinterest", "reddit")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("serve", "serve one ad platform's fake API until stopped"),
        ("truth", "print the ground truth for a date range as JSON"),
    ):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("platform", choices=PLATFORM_NAMES)
        sub.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
        sub.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="campaigns per account = 5 x scale (3 ad groups x 3 ads each; default 1)",
        )
        sub.add_argument(
            "--today",
            type=_day,
            metavar="YYYY-MM-DD",
            help="the last day with data, for every account (default: today in each "
            "account's time zone)",
        )
        if name == "truth":
            sub.add_argument("--start", type=_day, required=True, metavar="YYYY-MM-DD")
            sub.add_argument("--end", type=_day, required=True, metavar="YYYY-MM-DD")
            continue
        sub.add_argument("--port", type=int, required=True)
        faults = sub.add_argument_group("fault options")
        faults.add_argument(
            "--rate-limit",
            type=float,
            default=0.0,
            metavar="R",
            help="requests per second before the platform's throttle answer (default 0 = off)",
        )
        faults.add_argument(
            "--throttle-every", type=int, default=0, metavar="N", help="throttle every Nth call"
        )
        faults.add_argument(
            "--error-rate", type=float, default=0.0, metavar="P", help="share of calls answered 5xx"
        )
        faults.add_argument(
            "--token-ttl",
            type=float,
            metavar="S",
            help="access-token lifetime in seconds (default 3600 for OAuth platforms; Meta's "
            "and TikTok's long-lived tokens expire only when this is given)",
        )
        faults.add_argument(
            "--max-job-days",
            type=int,
            metavar="D",
            help="an async job/report over D days fails as too large (Meta Job Failed, "
            "TikTok 40002, Pinterest FAILED)",
        )
        faults.add_argument(
            "--job-polls",
            type=int,
            default=FAULT_DEFAULTS["job_polls"],
            metavar="N",
            help=f"status polls before a job completes (default {FAULT_DEFAULTS['job_polls']})",
        )
        faults.add_argument(
            "--fail-jobs", type=int, default=0, metavar="N", help="the first N async jobs fail"
        )
        faults.add_argument(
            "--gaql-page-size",
            type=int,
            default=FAULT_DEFAULTS["gaql_page_size"],
            metavar="N",
            help="Google Ads rows per search page (default 10000, as Google)",
        )
        faults.add_argument(
            "--cut-downloads",
            type=int,
            default=0,
            metavar="N",
            help="the first N report file downloads (Pinterest) break off halfway",
        )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "truth":
            platform = build(args.platform, seed=args.seed, scale=args.scale, today=args.today)
            if args.start > args.end:
                raise ValueError("--start must not be after --end")
            print(json.dumps(platform.sandbox.data.truth(args.start, args.end), indent=2))
            return 0
        platform = build(
            args.platform,
            seed=args.seed,
            scale=args.scale,
            today=args.today,
            rate_limit=args.rate_limit,
            throttle_every=args.throttle_every,
            error_rate=args.error_rate,
            token_ttl=args.token_ttl,
            max_job_days=args.max_job_days,
            job_polls=args.job_polls,
            fail_jobs=args.fail_jobs,
            gaql_page_size=args.gaql_page_size,
            cut_downloads=args.cut_downloads,
        )
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{args.port}"
    print(json.dumps({platform.name: platform.tap_config(url)}, indent=2), file=sys.stderr)
    print(f"{args.platform} sandbox: api_url={url}{platform.prefix}", file=sys.stderr, flush=True)
    serve_forever(create_app(platform), args.port)
    return 0
