"""Run a sandbox app with uvicorn: in the foreground (CLI) or on a free port in a thread (tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import uvicorn
from starlette.applications import Starlette

Lifespan = Literal["on", "off"]


def _config(app: Starlette, sock_port: int, lifespan: Lifespan = "off") -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host="127.0.0.1",
        port=sock_port,
        log_level="warning",
        access_log=False,
        lifespan=lifespan,
        timeout_keep_alive=30,
    )


def serve_forever(app: Starlette, port: int) -> None:
    uvicorn.Server(_config(app, port)).run()


@contextmanager
def serve_in_thread(app: Starlette, *, lifespan: Lifespan = "off") -> Iterator[str]:
    """Serve `app` on a free loopback port for the duration of the block; yields its URL.

    `lifespan="on"` runs the app's startup/shutdown hooks (apps with background workers)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(_config(app, port, lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("sandbox server did not start within 10 s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
