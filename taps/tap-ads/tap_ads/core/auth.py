"""Credentials per platform: static tokens, and OAuth2 refresh-token flows that renew the
access token before it expires and again when the API says it expired (mid-run).

Tokens travel in headers only, are registered as secrets (scrubbed from every message) and
never reach the state or the logs.
"""

from __future__ import annotations

import contextlib
import threading
import time
import typing as t
from dataclasses import dataclass, field

import requests

from tap_ads.core.errors import fail, register_secret

EXPIRY_MARGIN = 60.0  # renew this many seconds before the platform's expires_in runs out


class Auth:
    """Puts credentials on a request. `renew()` is for answers that say the token expired."""

    can_renew = False

    def apply(self, headers: dict[str, str]) -> None:
        raise NotImplementedError

    def renew(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:  # never show a token, even in a traceback or a debugger
        return f"{type(self).__name__}(<hidden>)"


@dataclass(repr=False)
class StaticToken(Auth):
    """A long-lived token in a header (Meta: Authorization Bearer, TikTok: Access-Token)."""

    token: str
    header: str = "Authorization"
    prefix: str = "Bearer "

    def __post_init__(self) -> None:
        register_secret(self.token)

    def apply(self, headers: dict[str, str]) -> None:
        headers[self.header] = f"{self.prefix}{self.token}"


@dataclass(repr=False)
class RefreshTokenFlow(Auth):
    """OAuth2 `refresh_token` grant. `client_auth="basic"` sends the client id and secret as
    HTTP Basic (Pinterest, Reddit), `"form"` in the body (Google)."""

    platform: str  # for messages, e.g. "Google Ads"
    setting_prefix: str  # e.g. "google_ads"
    token_url: str
    client_id: str
    client_secret: str
    refresh_token: str
    client_auth: t.Literal["basic", "form"] = "form"
    extra_headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    session: requests.Session = field(default_factory=requests.Session)
    can_renew = True
    grants: int = 0
    _token: str | None = field(default=None, init=False)
    _expires_at: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        for secret in (self.client_secret, self.refresh_token):
            register_secret(secret)

    def apply(self, headers: dict[str, str]) -> None:
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                self._grant()
            headers["Authorization"] = f"Bearer {self._token}"

    def renew(self) -> None:
        with self._lock:
            self._grant()

    def _grant(self) -> None:
        form = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        auth: tuple[str, str] | None = None
        if self.client_auth == "basic":
            auth = (self.client_id, self.client_secret)
        else:
            form |= {"client_id": self.client_id, "client_secret": self.client_secret}
        hint = (
            f"check `{self.setting_prefix}.client_id`, `{self.setting_prefix}.client_secret` "
            f"and `{self.setting_prefix}.refresh_token` (create a new refresh token if it was "
            "revoked)"
        )
        for attempt in range(1, 6):
            try:
                response = self.session.post(
                    self.token_url,
                    data=form,
                    auth=auth,
                    headers={"Accept": "application/json", **self.extra_headers},
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                reason = type(exc).__name__
            else:
                if response.status_code < 500 and response.status_code != 429:
                    break
                reason = f"HTTP {response.status_code}"
            if attempt == 5:
                fail(
                    f"{self.platform} token endpoint kept failing ({reason}) after 5 attempts; "
                    "try again later."
                )
            time.sleep(min(30.0, 0.5 * 2**attempt))
        body: dict[str, t.Any] = {}
        with contextlib.suppress(ValueError):  # an HTML error page: judged by its status
            body = response.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not token:
            error = body.get("error") if isinstance(body, dict) else None
            detail = body.get("error_description") or body.get("message") if body else None
            what = ", ".join(str(x) for x in (error, detail) if x) or f"HTTP {response.status_code}"
            fail(
                f"{self.platform} rejected the OAuth credentials (HTTP {response.status_code}: "
                f"{str(what)[:120]}): {hint}."
            )
        register_secret(token)
        self._token = str(token)
        ttl = float(body.get("expires_in") or 3600)
        self._expires_at = time.monotonic() + max(ttl - min(EXPIRY_MARGIN, ttl / 10), 0.0)
        self.grants += 1
