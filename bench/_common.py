"""What every benchmark needs: the project's executables, free ports, a sandbox process."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests


def exe(name: str) -> str:
    """A console script of the workspace venv (or on PATH)."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"bench: `{name}` not found; run `uv sync` first")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox_process(vendor: str, *options: str, timeout: float = 30) -> Iterator[str]:
    """`sandbox serve VENDOR` on a free port until the block ends; yields its root URL."""
    port = free_port()
    cmd = [exe("sandbox"), "serve", vendor, "--port", str(port), *options]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + timeout
    try:
        while True:
            try:
                requests.get(f"{url}/_sandbox/stats", timeout=5)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sandbox did not start: {' '.join(cmd)}") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def write_results(
    results_dir: Path, name: str, result: dict, markdown: str, *, quick: bool
) -> None:
    """`<name>.json` and `<name>.md`; a --quick run writes `<name>.quick.*` (git-ignored), so
    it never clobbers the recorded full run."""
    stem = f"{name}.quick" if quick else name
    results_dir.mkdir(exist_ok=True)
    (results_dir / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    (results_dir / f"{stem}.md").write_text(markdown)
