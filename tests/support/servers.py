"""A real ``kaohe serve`` in a subprocess, for the tests that kill it (SIGKILL) mid-request."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

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
