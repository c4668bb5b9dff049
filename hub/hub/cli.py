"""`hub serve`, `hub scheduler` and `hub users add`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _project(value: str) -> Path:
    path = Path(value).resolve()
    if not (path / "meltano.yml").is_file():
        raise argparse.ArgumentTypeError(
            f"{path} is not a Meltano project (no meltano.yml): pass the project folder."
        )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hub", description="The Hub: the Data Sources web app over a Meltano project."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the web app until stopped")
    serve.add_argument("--project", type=_project, default=".", help="Meltano project folder")
    serve.add_argument("--port", type=int, default=8300)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--ssl-keyfile", help="... and this private key (PEM)")

    scheduler = commands.add_parser("scheduler", help="start due runs until stopped")
    scheduler.add_argument("--project", type=_project, default=".", help="Meltano project folder")

    users = commands.add_parser("users", help="manage who may sign in")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    add = user_commands.add_parser(
        "add", help="add a user or replace their role and password (password read from stdin)"
    )
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["admin", "read-only"])
    add.add_argument("--project", type=_project, default=".", help="Meltano project folder")

    args = parser.parse_args(argv)
    if args.command in {"serve", "scheduler"}:
        import os

        from hub.private import UMASK

        os.umask(UMASK)  # state, logs, locks and what runs write: owner-only (hub/private.py)
    if args.command == "serve":
        import uvicorn

        from hub.app import create_app

        if args.host not in {"127.0.0.1", "localhost", "::1"} and not args.ssl_certfile:
            print(
                "warning: the session cookie is Secure, so browsers send it over HTTPS only: "
                "serve behind a TLS proxy or pass --ssl-certfile/--ssl-keyfile.",
                file=sys.stderr,
            )
        uvicorn.run(
            create_app(args.project),
            host=args.host,
            port=args.port,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
            log_level="info",
        )
        return 0
    if args.command == "scheduler":
        from hub.scheduler import serve as serve_scheduler

        serve_scheduler(args.project)
        return 0
    from hub.auth import UserError, add_user

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"Password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = add_user(args.project, args.name, args.role, password)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{user.name} can now sign in as {'an admin' if user.is_admin else 'read-only'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
