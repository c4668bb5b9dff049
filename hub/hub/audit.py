"""The audit log: who did what to which source, and when ("Connection created", "Settings
changed", "Run started", ...), for admins to read on /audit.

One JSON line per event, appended to .meltano/hub/audit.log (0600): appends from the web
server and the scheduler never overwrite each other, and nothing in it is a secret (settings
are named, never their values).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.private import open_private
from hub.state import hub_dir

CONNECTION_CREATED = "Connection created"
SETTINGS_CHANGED = "Settings changed"
TESTED = "Connection tested"
SCHEDULE_CHANGED = "Schedule changed"
STREAMS_CHOSEN = "Streams chosen"
PAUSED, RESUMED = "Paused", "Resumed"
RUN_STARTED = "Run started"
DISCONNECTED = "Disconnected"
SIGNED_IN = "Signed in"


@dataclass(frozen=True)
class Event:
    at: datetime
    user: str
    action: str
    source: str
    detail: str


def audit_file(root: Path) -> Path:
    return hub_dir(root) / "audit.log"


def record(root: Path, user: str, action: str, source: str = "", detail: str = "") -> None:
    line = json.dumps(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "user": user,
            "action": action,
            "source": source,
            "detail": detail,
        }
    )
    fd = open_private(audit_file(root), os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "a") as out:
        out.write(line + "\n")  # one write of one line: appends stay whole


def events(root: Path, limit: int = 500) -> list[Event]:
    """The latest events, newest first."""
    try:
        lines = audit_file(root).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in reversed(lines[-limit:]):
        try:
            data = json.loads(line)
            found.append(
                Event(
                    datetime.fromisoformat(data["at"]),
                    str(data["user"]),
                    str(data["action"]),
                    str(data.get("source", "")),
                    str(data.get("detail", "")),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue  # a torn line (a crash mid-write) is skipped, not fatal
    return found
