"""The Hub's own small files, under the project's .meltano/hub/ (next to Meltano's system
database, and git-ignored with it): users, the session key, connection test results."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from hub.private import private_dir


def hub_dir(root: Path) -> Path:
    """.meltano/hub/, made owner-only (see hub/private.py)."""
    (root / ".meltano").mkdir(parents=True, exist_ok=True)
    return private_dir(root / ".meltano" / "hub")


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace the file atomically, readable by its owner only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2, sort_keys=True)
    tmp.replace(path)


def secret_key(root: Path) -> bytes:
    """The key that signs session cookies and fingerprints settings, made on first use."""
    path = hub_dir(root) / "secret_key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_hex(32).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only
        except FileExistsError:  # another process made it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as out:
            out.write(key)
        return key
