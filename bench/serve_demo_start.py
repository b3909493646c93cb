"""How soon ``kaohe serve --demo`` answers: seconds from the process's start to the first answer
on ``/login`` (a 200, or a 503 that shows the load's progress), and to the demo loaded (``/login``
answers 200). Each start is a new process on a new demo directory (a first start: the data is
generated, assessed and imported), then once more on the same directory (a second start: the
demo is there, only new passwords).

``--before SRC`` measures another copy of the code the same way (``PYTHONPATH=SRC``), e.g. the
last commit's: ``git archive HEAD src | tar -x -C /tmp/before``, then ``--before /tmp/before/src``.

    python -m bench.serve_demo_start [--repeat 3] [--before SRC] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.process import ROOT, write_section

HEADING = "## Platform demo start"
KAOHE = str(Path(sys.executable).with_name("kaohe"))
POLL_SECONDS = 0.1
PROGRESS = re.compile(r"(\d+)%")


@dataclass
class Start:
    first: float  # seconds to the first answer on /login
    first_status: int
    first_percent: int | None  # the percentage the 503 page showed
    loaded: float  # seconds to /login answering 200
    load: float  # the machine's 1-minute load average when the start began


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(demo_dir: Path, source: str | None = None, timeout: float = 600) -> Start:
    """One ``kaohe serve --demo`` on ``demo_dir``, polled until /login answers 200."""
    port = _free_port()
    env = {**os.environ, "KAOHE_LANG": "zh"}
    env.pop("KAOHE_DATABASE_URL", None)
    if source:
        env["PYTHONPATH"] = source
    args = [KAOHE, "serve", "--demo", "--demo-dir", str(demo_dir), "--port", str(port)]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    server = subprocess.Popen(
        args, env=env, cwd=demo_dir.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    first = first_status = first_percent = None
    try:
        with httpx.Client(timeout=30) as client:
            while time.perf_counter() - started < timeout:
                if server.poll() is not None:
                    raise RuntimeError(f"{args} ended with {server.returncode}")
                try:
                    answer = client.get(f"http://127.0.0.1:{port}/login")
                except httpx.TransportError:
                    time.sleep(POLL_SECONDS)
                    continue
                now = time.perf_counter() - started
                if first is None:
                    first, first_status = now, answer.status_code
                    found = PROGRESS.search(answer.text) if answer.status_code == 503 else None
                    first_percent = int(found.group(1)) if found else None
                if answer.status_code == 200:
                    return Start(first, first_status, first_percent, now, load)
                time.sleep(POLL_SECONDS)
        raise TimeoutError(f"{args}: /login did not answer 200 within {timeout} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(repeat: int, before: str | None) -> dict[str, list[Start]]:
    """Each repeat: the code before (if given), then this code; a first and a second start of
    each. Interleaved, so that both see the same other work on the machine."""
    starts: dict[str, list[Start]] = {}
    versions = [("before, ", before)] if before else []
    for _ in range(repeat):
        for prefix, source in [*versions, ("", None)]:
            with tempfile.TemporaryDirectory(prefix="kaohe-demo-start-") as scratch:
                demo_dir = Path(scratch) / "kaohe-demo"
                starts.setdefault(f"{prefix}first start", []).append(start(demo_dir, source))
                starts.setdefault(f"{prefix}second start", []).append(start(demo_dir, source))
    return starts


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}"


def _row(name: str, starts: list[Start]) -> str:
    statuses = ", ".join(
        f"{s.first_status}" + (f" ({s.first_percent}%)" if s.first_percent is not None else "")
        for s in starts
    )
    return (
        f"| {name} | {_median([s.first for s in starts])} "
        f"({', '.join(f'{s.first:.1f}' for s in starts)}) | {statuses} | "
        f"{_median([s.loaded for s in starts])} ({', '.join(f'{s.loaded:.1f}' for s in starts)}) | "
        f"{', '.join(f'{s.load:.1f}' for s in starts)} |"
    )


def _versions() -> str:
    import fastapi
    import uvicorn

    from kaohe import __version__

    return (
        f"kaohe {__version__}, Python {platform.python_version()}, FastAPI {fastapi.__version__}, "
        f"uvicorn {uvicorn.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", help="another copy of src/ to measure the same way")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md's section")
    options = parser.parse_args()
    rows = [_row(name, starts) for name, starts in measure(options.repeat, options.before).items()]
    table = "\n".join(
        [
            "| start | first answer on /login, s: median (each) | its status | "
            "/login 200, s: median (each) | load average before |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    print(table)
    body = (
        f"`.venv/bin/python -m bench.serve_demo_start --repeat {options.repeat}"
        f"{' --before SRC' if options.before else ''}` — "
        "seconds from starting `kaohe serve --demo` on a new demo directory to the first answer "
        "on `/login` and to `/login` answering 200 (the demo loaded); then a second start on the "
        f"same directory; with `--before`, the last commit's code the same way, interleaved. "
        f"{os.cpu_count()} cores (the load average is the machine's other work), {_versions()}; "
        f"measured {dt.date.today().isoformat()}.\n\n{table}\n\n"
        "On a new database the platform now answers at once — a 503 page with the load's "
        "progress (`kaohe.web.demo_loading`) — and loads the demo in a background thread "
        "(`load_demo(progress=…)`); the demo generator (statsmodels, about 3.5 s of imports) is "
        "imported by the load, not before the server starts. The demo itself loads as slowly as "
        "before. A second start issues new passwords (ten Argon2 hashes) before it answers; "
        "`--workers N` loads first, then starts, as before.\n"
    )
    if options.write:
        write_section(HEADING, body)


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    main()
