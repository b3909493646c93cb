"""Load test of the web platform on loopback: 50 concurrent users on the results and score-card
pages for 60 s. Bounded: a fixed number of users, each a loop that stops at the deadline; only
127.0.0.1. Writes p50/p95/p99 latency and the error count to docs/benchmarks.md (## Web load).

    .venv/bin/python -m bench.bench_load [--users 50] [--seconds 60] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
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
from pathlib import Path

import httpx

from bench.process import write_section

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Web load"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(directory: Path) -> tuple[str, str, str, int, list[str]]:
    """A demo database; returns (url, username, password, cycle id, unit codes with results)."""
    from sqlalchemy import select

    from kaohe.demo.platform import PROVINCIAL, load_demo
    from kaohe.store import Database, migrate
    from kaohe.store.models import Cycle, Result

    url = f"sqlite:///{directory / 'kaohe.db'}"
    db = Database.connect(url)
    migrate.upgrade(db.write_engine)
    accounts = load_demo(db, directory / "demo")
    account = next(a for a in accounts if a.role == "province")
    with db.read() as session:
        cycle = session.scalar(
            select(Cycle).where(Cycle.scheme == PROVINCIAL, Cycle.period == "2018")
        )
        units = list(session.scalars(select(Result.unit_code).where(Result.cycle_id == cycle.id)))
    db.dispose()
    return url, account.username, account.password, cycle.id, units


async def _login(client: httpx.AsyncClient, username: str, password: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code}")


async def _user(
    client: httpx.AsyncClient,
    paths: list[str],
    deadline: float,
    latencies: list[float],
    errors: list[str],
    offset: int,
    think: float,
) -> None:
    index = offset
    while time.monotonic() < deadline:  # bounded by the deadline
        path = paths[index % len(paths)]
        index += 1
        started = time.perf_counter()
        try:
            response = await client.get(path)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {path}")
        except httpx.HTTPError as error:
            errors.append(f"{type(error).__name__} {path}")
        latencies.append(time.perf_counter() - started)
        if think:
            await asyncio.sleep(think)  # a person reads the page before the next click


async def _run(base, username, password, paths, users, seconds, think):
    latencies: list[float] = []
    errors: list[str] = []
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(users)]
    try:
        for client in clients:  # log in first, one by one: logging in is not what is measured
            await _login(client, username, password)
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(
                _user(client, paths, deadline, latencies, errors, i * 7, think)
                for i, client in enumerate(clients)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    return latencies, errors


def _wait_until_serving(port: int, workers: int) -> None:
    """Until the port answers HTTP and, with several workers, each has had time to start."""
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    if workers > 1:
        time.sleep(3)  # the first worker answers before the others have imported the app


def _percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--think",
        type=float,
        nargs="+",
        default=[1.0, 0.0],
        help="seconds each user waits between pages; one run per value "
        "(default: 1 s, as people read pages, then 0: back-to-back)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="uvicorn worker processes (kaohe serve --workers); one server per value",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    measured = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url, username, password, cycle_id, units = _prepare(directory)
        kaohe = str(Path(sys.executable).with_name("kaohe"))
        for workers in args.workers:
            port = _free_port()
            server = subprocess.Popen(
                [kaohe, "serve", "--url", url, "--port", str(port), "--workers", str(workers)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                _wait_until_serving(port, workers)
                base = f"http://127.0.0.1:{port}"
                paths = [f"/cycles/{cycle_id}/results"] + [
                    f"/cycles/{cycle_id}/results/{u}" for u in units
                ]
                for think in args.think:
                    load = os.getloadavg()[0]
                    latencies, errors = asyncio.run(
                        _run(base, username, password, paths, args.users, args.seconds, think)
                    )
                    measured.append((workers, think, latencies, errors, load))
            finally:
                server.terminate()
                server.wait(timeout=20)
    body = (
        f"`.venv/bin/python -m bench.bench_load` — {args.users} concurrent logged-in users "
        f"(provincial officer) for {args.seconds:g} s per row on loopback, cycling through the "
        f"ranking page and the {len(units)} score cards of the 2018 demo cycle; "
        "`kaohe serve --workers N` with SQLite (WAL); the load generator (httpx, asyncio) runs on the same "
        f'machine ({os.cpu_count()} cores, Python {platform.python_version()}); "load before" '
        "is the 1-minute load average when the row started (other work on the machine). "
        f"Measured {dt.date.today().isoformat()}.\n\n"
        "| workers | think time | requests | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| load before |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    notes = []
    for workers, think, latencies, errors, load in measured:
        p50, p95, p99 = (_percentile(latencies, s) * 1000 for s in (0.50, 0.95, 0.99))
        body += (
            f"| {workers} | {think:g} s | {len(latencies)} | {len(latencies) / args.seconds:.0f} | "
            f"{p50:.0f} | {p95:.0f} | {p99:.0f} | {len(errors)} | {load:.1f} |\n"
        )
        if errors:
            notes.append(
                f"{workers} workers, think {think:g} s: {', '.join(sorted(set(errors))[:3])}"
            )
    if notes:
        body += "\nErrors: " + "; ".join(notes) + "\n"
    print(body)
    if not args.no_write:
        write_section(HEADING, body)


if __name__ == "__main__":
    main()
