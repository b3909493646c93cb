"""Run a benchmark step in its own process and measure it: wall time and peak RSS.

Peak RSS is the largest sum of resident memory over the process and all its descendants (Spark
runs a JVM beside Python), sampled every 20 ms — short spikes between samples can be missed.
CPU time (all threads, user + system) is steadier than wall-clock time on a shared machine.
A step that measures its own work prints one JSON object as its last line of output; it is
returned with the outside measurements.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
_SAMPLE_SECONDS = 0.02


@dataclass
class Measured:
    wall: float  # seconds, the process's whole life (interpreter start, imports, work)
    peak_rss: int  # bytes
    cpu: float = 0.0  # CPU seconds of the process and the children it waited for (user + system)
    report: dict = field(default_factory=dict)  # what the step printed about itself


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 7200) -> Measured:
    """Run ``args``; raise if it fails, with its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # Output goes to files, not pipes: a child that writes more than a pipe holds would block
    # while the parent only samples its memory.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            args,
            stdout=out,
            stderr=err,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        )
        watched = psutil.Process(child.pid)
        peak = 0
        while child.poll() is None:
            peak = max(peak, _tree_rss(watched))
            if time.perf_counter() - started > timeout:
                child.kill()
                raise TimeoutError(f"{args} took more than {timeout} s")
            time.sleep(_SAMPLE_SECONDS)
        wall = time.perf_counter() - started
        child.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # the kernel's own record of the largest child (a floor for the sampled peak of the tree)
    peak = max(peak, after.ru_maxrss * 1024 if after.ru_maxrss > before.ru_maxrss else 0)
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({child.returncode}):\n{stdout}\n{stderr}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    report = json.loads(lines[-1]) if lines else {}
    return Measured(wall, peak, cpu, report)


def python(module: str, *args: str, env: dict[str, str] | None = None) -> Measured:
    """``python -m module args…`` with this interpreter."""
    return run([sys.executable, "-m", module, *args], env=env)


DOC = ROOT / "docs" / "benchmarks.md"


def write_section(heading: str, body: str) -> None:
    """Replace (or append) one benchmark's own section (``## …``) of docs/benchmarks.md."""
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    section = f"{heading}\n{body.rstrip()}\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _m: section + "\n", current, count=1)
    else:
        updated = current.rstrip() + "\n\n" + section
    DOC.write_text(updated.rstrip() + "\n", encoding="utf-8")
