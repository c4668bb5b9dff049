"""Helpers for tests and benchmarks: sign deliveries, run the collector, scratch databases."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# The sandbox's public default secret (see the Issue 3 contract); never a real one.
SANDBOX_SECRET = "whsec_c2FuZGJveC1va2VuZG8td2ViaG9vay1zZWNyZXQ="
PG_TEST_URL = os.environ.get("COLLECTOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def signed_headers(
    body: str, msg_id: str, *, secret: str = SANDBOX_SECRET, at: datetime | None = None
) -> dict[str, str]:
    """Svix headers for `body`, signed at `at` (default now), as Okendo would send them."""
    from svix.webhooks import Webhook  # imported here: svix takes ~1 s to import

    at = at or datetime.now(UTC)
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(int(at.timestamp())),
        "svix-signature": Webhook(secret).sign(msg_id, at, body),
        "content-type": "application/json",
    }


def survey_event(sequence: int, topic: str = "survey_response.create") -> str:
    """A survey_response webhook envelope (contract shape) as JSON text."""
    created = datetime(2024, 3, 1, tzinfo=UTC) + timedelta(minutes=sequence)
    stamp = created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    response_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"survey-response-{sequence}"))
    return json.dumps(
        {
            "resource": {
                "surveyResponseId": response_id,
                "surveyId": "nps-post-purchase",
                "subscriberId": "5c4b8a1e-2f0d-4c3b-9a8e-7d6f5e4c3b2a",
                "channel": "email",
                "dateCreated": stamp,
                "dateUpdated": stamp,
                "order": {"orderId": f"shopify-{sequence}", "orderNumber": f"#{1000 + sequence}"},
                "customer": None,
                "answers": [
                    {
                        "questionId": "nps",
                        "questionText": "How likely are you to recommend us?",
                        "questionType": "nps",
                        "value": str(sequence % 11),
                        "otherValue": None,
                    }
                ],
            },
            "resourceType": "survey_response",
            "sequenceNumber": sequence,
            "topic": topic,
            "version": "2025-02-01",
        }
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    """GET a JSON document; (status, body), also for error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def _executable(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@dataclass
class CollectorProcess:
    """`collector serve` as a child process (output to `log_path`, else inherited)."""

    inbox_url: str
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    secret: str = SANDBOX_SECRET
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> CollectorProcess:
        env = {**os.environ, "OKENDO_WEBHOOK_SECRET": self.secret}
        cmd = [_executable("collector"), "serve", "--port", str(self.port)]
        cmd += ["--inbox", self.inbox_url, "--log-level", "warning"]
        if self.log_path:
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
        else:  # inherit: pytest captures it and shows it on failure
            self.proc = subprocess.Popen(cmd, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"collector exited with {self.proc.returncode}")
            try:
                if get_json(f"{self.url}/health", timeout=1)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"collector did not become healthy within {timeout} s")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def __enter__(self) -> CollectorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def scratch_pg_database(admin_url: str = PG_TEST_URL) -> Iterator[str]:
    """A throwaway database `collector_test_<random>` on the server; yields its URL."""
    import psycopg

    name = f"collector_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_pg_schema(database_url: str) -> Iterator[str]:
    """A throwaway schema; yields a URL whose search_path puts it first."""
    import psycopg

    name = f"collector_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    parts = urlsplit(database_url)
    query = "&".join(q for q in (parts.query, f"options=-csearch_path%3D{name}") if q)
    try:
        yield urlunsplit(parts._replace(query=query))
    finally:
        with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
