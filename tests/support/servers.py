"""Servers for the tests: a real ``kaohe serve`` in a subprocess, for the tests that kill it
(SIGKILL) mid-request, and the test's own app under uvicorn in a thread, for the browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

KAOHE = str(Path(sys.executable).with_name("kaohe"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``kaohe serve`` on ``url``'s database, returned once it accepts connections."""
    process = subprocess.Popen(
        [KAOHE, "serve", "--url", url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(process.stderr.read().decode())


@contextmanager
def serving(app, **config) -> Iterator[str]:
    """``app`` under uvicorn on a free port in a thread; yields its base URL once it listens
    (``config``: uvicorn's options, e.g. ``lifespan="off"``)."""
    port = free_port()
    instance = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)
