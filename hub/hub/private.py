"""What the Hub and its runs write is for the owner's eyes only: folders 0700, files 0600.

The Hub's state (users, sessions, test results), run logs (they hold what the taps print),
locks, Meltano's system database (state, run payloads) and the DuckDB warehouse (customer
data). The web server and the scheduler run with umask 077 (hub/cli.py), so whatever they
and their runs create starts private; `tighten` fixes files made before, by other tools
(`meltano install` makes meltano.db 0644).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600
UMASK = 0o077


def private_dir(path: Path) -> Path:
    """`path` made if missing, readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _chmod(path, DIR_MODE)
    return path


def open_private(path: Path, flags: int) -> int:
    """os.open with O_CREAT, a new file 0600 whatever the umask."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    with contextlib.suppress(OSError):
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, FILE_MODE)
    return fd


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):  # not ours (a shared folder): leave it, do not fail
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != mode:
            path.chmod(mode)


def data_files(root: Path) -> list[Path]:
    """Meltano's system database (when SQLite) and the DuckDB warehouse, with their journals."""
    found: list[Path] = []
    uri = os.environ.get("MELTANO_DATABASE_URI") or f"sqlite:///{root / '.meltano' / 'meltano.db'}"
    if uri.startswith("sqlite:///"):
        found.append(Path(uri.removeprefix("sqlite:///")))
    for variable in ("TARGET_DUCKDB_FILEPATH", "DBT_DUCKDB_PATH"):
        if value := os.environ.get(variable):
            found.append(Path(value) if Path(value).is_absolute() else root / value)
    found.append(root / "output" / "warehouse.duckdb")
    journals = [f.with_name(f.name + suffix) for f in found for suffix in ("-wal", "-shm", ".wal")]
    return [*found, *journals]


def tighten(root: Path) -> None:
    """Make the Hub's folder tree, Meltano's database and the warehouse owner-only."""
    hub = root / ".meltano" / "hub"
    if hub.is_dir():
        _chmod(hub, DIR_MODE)
        for path in hub.rglob("*"):
            _chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)
    for path in [*data_files(root), root / ".env"]:
        if path.is_file():
            _chmod(path, FILE_MODE)


# Absolute paths under the usual filesystem roots ("/tmp/x/y.json", "/home/u/.venv/..."); a
# URL's path ("https://host/v1/reviews", "GET /v1/reviews") is left alone.
_SERVER_PATH = re.compile(
    r"(?<![\w:/.~-])/(?:tmp|home|root|usr|opt|var|srv|mnt|work|private|Users|app|data|etc)"
    r"(?:/[\w.@+-]+)+"
)


def without_paths(text: str, root: Path) -> str:
    """An error line without the server's absolute paths: the project's files as relative
    paths, the Python environment's and any other's as their file name only."""
    for prefix in (str(root), sys.prefix, os.path.realpath(root)):
        text = text.replace(prefix.rstrip("/") + "/", "")
    return _SERVER_PATH.sub(lambda m: m[0].rsplit("/", 1)[-1], text)
