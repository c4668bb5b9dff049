"""`collector serve` refuses to start, with one line and a non-zero exit, when misconfigured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from collector.testing import SANDBOX_SECRET, CollectorProcess, free_port, get_json

COLLECTOR = str(Path(sys.executable).with_name("collector"))


def serve(tmp_path: Path, *args: str, secret: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OKENDO_WEBHOOK_SECRET"}
    if secret is not None:
        env["OKENDO_WEBHOOK_SECRET"] = secret
    return subprocess.run(
        [COLLECTOR, "serve", "--port", str(free_port()), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("secret", [None, "", "   "])
def test_refuses_to_start_without_the_secret(tmp_path: Path, secret: str | None) -> None:
    done = serve(tmp_path, secret=secret)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("collector: OKENDO_WEBHOOK_SECRET is not set")
    assert not (tmp_path / "output").exists()  # failed before touching the inbox


def test_refuses_a_malformed_secret(tmp_path: Path) -> None:
    done = serve(tmp_path, secret="whsec_!!!not-base64!!!")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "collector: OKENDO_WEBHOOK_SECRET is not a valid signing secret; expected whsec_<base64>"
    ]


@pytest.mark.parametrize(
    ("inbox", "expected"),
    [
        ("mysql://x/y", "collector: unsupported inbox URL 'mysql://x/y'"),
        (
            "postgresql://svc:hunter2@127.0.0.1:1/inbox",
            "collector: cannot connect to inbox postgresql://svc:***@127.0.0.1:1/inbox",
        ),
    ],
)
def test_bad_inbox_is_one_line_without_password(tmp_path: Path, inbox: str, expected: str) -> None:
    done = serve(tmp_path, "--inbox", inbox, secret=SANDBOX_SECRET)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(expected)
    assert "hunter2" not in done.stderr


def test_default_inbox_is_under_output_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with CollectorProcess("sqlite:///output/inbox.sqlite3") as collector:
        status, health = get_json(f"{collector.url}/health")
    assert status == 200
    assert health == {
        "status": "ok",
        "inbox": "sqlite",
        "events": 0,
        "pending_writes": 0,
    }
    assert (tmp_path / "output" / "inbox.sqlite3").is_file()
