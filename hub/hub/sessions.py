"""Server-side sessions: the cookie holds only a random id; the session itself (user name,
the user's password epoch, CSRF token, flash messages) is kept in .meltano/hub/sessions.json
(mode 0600) under the SHA-256 of that id, so a copied sessions file opens no session.

- Sign-in starts a new session (a new id: no fixation); sign-out deletes it, so a cookie
  kept from before no longer works; `hub users add` with a new password deletes the user's
  sessions (and the epoch check in app.py refuses any it missed).
- Every session ends 8 hours after it started, however busy (an absolute lifetime); one that
  never signed in (the sign-in page's CSRF token) ends after 1 hour, and only the newest
  1,000 of those are kept.
- The cookie is sent when a session starts or ends, not with every response.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.state import hub_dir, read_json, write_json

COOKIE = "hub_session"
LIFETIME_SECONDS = 8 * 3600
ANONYMOUS_LIFETIME_SECONDS = 3600
MAX_ANONYMOUS = 1000
_LOCK = threading.Lock()


def sessions_file(root: Path) -> Path:
    return hub_dir(root) / "sessions.json"


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _alive(entry: Any, now: float) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("data"), dict):
        return False
    signed_in = bool(entry["data"].get("user"))
    lifetime = LIFETIME_SECONDS if signed_in else ANONYMOUS_LIFETIME_SECONDS
    return bool(now - float(entry.get("created", 0)) < lifetime)


def load(root: Path, token: str) -> tuple[str, dict[str, Any]] | None:
    """(key, session data) for a cookie's id, or None if unknown, ended or expired."""
    key = _key(token)
    entry = read_json(sessions_file(root)).get(key)
    if not _alive(entry, time.time()) or not isinstance(entry, dict):
        return None
    return key, dict(entry["data"])


def _write(root: Path, change: Any) -> None:
    with _LOCK:
        entries = read_json(sessions_file(root))
        now = time.time()
        entries = {k: v for k, v in entries.items() if _alive(v, now)}
        change(entries)
        anonymous = sorted(
            (v["created"], k) for k, v in entries.items() if not v["data"].get("user")
        )
        for _, k in anonymous[:-MAX_ANONYMOUS]:
            del entries[k]
        write_json(sessions_file(root), entries)


def start(root: Path, data: dict[str, Any]) -> str:
    """A new session holding `data`; returns the cookie's id."""
    token = secrets.token_urlsafe(32)

    def change(entries: dict[str, Any]) -> None:
        entries[_key(token)] = {"created": time.time(), "data": data}

    _write(root, change)
    return token


def save(root: Path, key: str, data: dict[str, Any]) -> None:
    def change(entries: dict[str, Any]) -> None:
        if key in entries:  # ended meanwhile (signed out in another tab): stays ended
            entries[key]["data"] = data

    _write(root, change)


def end(root: Path, key: str) -> None:
    _write(root, lambda entries: entries.pop(key, None))


def end_user(root: Path, user: str) -> None:
    """End every session of `user` (a new password, a removed user)."""

    def change(entries: dict[str, Any]) -> None:
        for key in [k for k, v in entries.items() if v["data"].get("user") == user]:
            del entries[key]

    _write(root, change)


def _cookie(token: str, max_age: int) -> str:
    return f"{COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"


class ServerSessions:
    """ASGI middleware: `request.session` is the server-side session of the cookie's id.

    What the handler leaves in `request.session` is stored when the response starts; a
    change of user (sign-in, sign-out) ends the old session and starts a new one.
    """

    def __init__(self, app: ASGIApp, root: Path) -> None:
        self.app = app
        self.root = root

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = HTTPConnection(scope).cookies.get(COOKIE)
        found = load(self.root, token) if token else None
        key, loaded = found if found else (None, {})
        scope["session"] = dict(loaded)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = self._commit(key, loaded, scope["session"], had_cookie=bool(token))
                if cookie:
                    MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _commit(
        self, key: str | None, before: dict[str, Any], after: dict[str, Any], *, had_cookie: bool
    ) -> str | None:
        """Store the session's new state; the Set-Cookie value to send, if any."""
        if after.get("user") != before.get("user") or (key and not after):
            if key:
                end(self.root, key)
            if after:
                return _cookie(start(self.root, after), LIFETIME_SECONDS)
            return _cookie("", 0) if had_cookie else None
        if after == before:
            return _cookie("", 0) if had_cookie and key is None else None
        if key:
            save(self.root, key, after)
            return None
        return _cookie(start(self.root, after), ANONYMOUS_LIFETIME_SECONDS)
