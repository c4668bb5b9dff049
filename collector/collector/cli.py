"""`collector serve --port PORT [--inbox URL] [--host HOST]`: run the webhook receiver."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from collector.inbox import DEFAULT_INBOX_URL, InboxError, open_inbox

SECRET_ENV = "OKENDO_WEBHOOK_SECRET"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collector",
        description="Receive signed vendor webhooks into a durable inbox.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="receive Okendo webhooks at POST /webhooks/okendo until stopped",
        description=f"The signing secret (whsec_...) is read from ${SECRET_ENV}.",
    )
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--inbox",
        default=DEFAULT_INBOX_URL,
        metavar="URL",
        help=f"sqlite:///path or postgresql://... (default {DEFAULT_INBOX_URL}, relative to "
        "the working directory)",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument("--access-log", action="store_true", help="log every request")
    return parser


def fail(message: str) -> int:
    print(f"collector: {message}", file=sys.stderr)
    return 1


def serve(args: argparse.Namespace) -> int:
    secret = os.environ.get(SECRET_ENV, "").strip()
    if not secret:
        return fail(
            f"{SECRET_ENV} is not set; export the webhook signing secret (whsec_...) "
            "returned when the Okendo webhook subscription was created"
        )

    # Imported after the checks so that a misconfiguration fails fast.
    import uvicorn
    from svix.webhooks import Webhook

    from collector.app import create_app

    try:
        Webhook(secret)
    except Exception:
        return fail(f"{SECRET_ENV} is not a valid signing secret; expected whsec_<base64>")
    try:
        inbox = open_inbox(args.inbox)
        inbox.create()
    except InboxError as exc:
        return fail(str(exc))

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    uvicorn.run(
        create_app(inbox, secret),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.access_log,
        lifespan="on",
        # Bound how long a stop waits for in-flight requests; queued writes still commit.
        timeout_graceful_shutdown=20,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2  # unreachable: argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
