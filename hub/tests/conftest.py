"""Fixtures for the Hub's web tests: a throwaway project with two users, a real `hub serve`
process over it, and an HTTP client that signs in and keeps the session cookie."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from hub.auth import add_user
from hub.testing import REPO, project_copy, project_env

ADMIN = ("alice", "correct horse battery")
READ_ONLY = ("bob", "read only please")
HUB = str(Path(sys.executable).with_name("hub"))
SCREENSHOTS = REPO / "output" / "hub-screenshots"


@dataclass
class HubServer:
    url: str
    project: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_hub(project: Path, log: Path, extra_env: dict[str, str] | None = None) -> HubServer:
    """`hub serve` on a free port over `project`, waiting until it answers."""
    port = _free_port()
    env = {**os.environ, **project_env(project), **(extra_env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [HUB, "serve", "--project", str(project), "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"hub serve exited: {log.read_text()}")
        try:
            httpx.get(f"{url}/login", timeout=1)
            return HubServer(url, project, env, process, log)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"hub serve did not answer within 30 s: {log.read_text()}")


def stop_hub(server: HubServer) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def make_project(tmp: Path) -> Path:
    root = project_copy(tmp)
    add_user(root, ADMIN[0], "admin", ADMIN[1])
    add_user(root, READ_ONLY[0], "read-only", READ_ONLY[1])
    return root


@pytest.fixture(scope="module")
def hub_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One throwaway project per test module (starting `hub serve` costs seconds)."""
    return make_project(tmp_path_factory.mktemp("hub"))


@pytest.fixture(scope="module")
def hub_server(hub_project: Path, request: pytest.FixtureRequest) -> Iterator[HubServer]:
    """`hub serve` over the module's project; a module's `HUB_ENV` dict adds to its env."""
    extra = getattr(request.module, "HUB_ENV", None)
    server = start_hub(hub_project, hub_project.parent / "hub.log", extra)
    yield server
    stop_hub(server)


@dataclass
class HubClient:
    """HTTP client with the session cookie kept by hand: the cookie is Secure, which httpx
    (rightly) never sends over plain http, while browsers do for loopback addresses."""

    base: str
    cookie: str | None = None
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base, follow_redirects=False, timeout=120)

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        headers = {"cookie": f"hub_session={self.cookie}"} if self.cookie else {}
        response = self.http.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]
        for value in response.headers.get_list("set-cookie"):
            if value.startswith("hub_session="):
                self.cookie = value.split(";")[0].split("=", 1)[1] or None
        return response

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        return self.request("POST", url, data=data or {})

    def csrf(self, url: str = "/login") -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.get(url).text)
        assert found, f"no CSRF token on {url}"
        return found.group(1)

    def sign_in(self, user: tuple[str, str]) -> httpx.Response:
        token = self.csrf("/login")
        return self.post(
            "/login",
            {"csrf_token": token, "username": user[0], "password": user[1], "next": "/"},
        )

    def close(self) -> None:
        self.http.close()


def save_screenshot(path: Path) -> None:
    """Keep a copy of a test's screenshot under output/hub-screenshots/ too."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, SCREENSHOTS / path.name)


@pytest.fixture
def credentials() -> dict[str, tuple[str, str]]:
    """User name and password of the project's two users, by role."""
    return {"admin": ADMIN, "read-only": READ_ONLY}


@pytest.fixture
def hub_client(hub_server: HubServer) -> Iterator[Callable[[], HubClient]]:
    """Factory of clients for `hub_server` (one per user), all closed afterwards."""
    made: list[HubClient] = []

    def make() -> HubClient:
        client = HubClient(hub_server.url)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def keep_screenshot() -> Callable[[Path], None]:
    return save_screenshot
