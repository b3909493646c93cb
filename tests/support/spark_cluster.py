"""A real Spark standalone cluster for the tests: a master and one worker, each its own process
started from the installed pyspark's launch script (``bin/spark-class``), on 127.0.0.1.

``spark_cluster(folder)`` starts both and yields a ``SparkCluster`` at once: their JVMs take
seconds to start, which a test spends on its own preparation; ``cluster.ready()`` then waits until
the worker has registered (the master's JSON status page lists it ALIVE) and gives the master's
``spark://`` URL. Both stop at the end: each runs in its own process group, so the executors a
worker started go with it. Logs, the worker's work directory and Spark's scratch space live in
``folder``; a failure to start shows the logs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import free_port

# The JVMs' first compiler tier only (as tests/measures/test_spark_engine.py): the test's jobs are
# few and small, and the optimizing tier's compiling would be most of their time.
FAST_START = "-XX:TieredStopAtLevel=1"
WORKER_CORES = 2
WORKER_MEMORY = "2g"
STARTUP_SECONDS = 60


def spark_home() -> Path:
    import pyspark  # the optional extra: imported only where a cluster is wanted

    return Path(pyspark.__file__).parent


def cluster_env(folder: Path, fast_start: bool = True) -> dict[str, str]:
    """The environment of the cluster's processes, and of a driver that should join them.
    ``fast_start=False`` (a benchmark) keeps the JVMs' optimizing compiler."""
    options = os.environ.get("JAVA_TOOL_OPTIONS", "")
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(folder / "logs"),
        "SPARK_WORKER_DIR": str(folder / "work"),
        "SPARK_LOCAL_DIRS": str(folder / "scratch"),
        "JAVA_TOOL_OPTIONS": f"{options} {FAST_START}".strip() if fast_start else options,
    }


@dataclass
class SparkCluster:
    master: str  # spark://127.0.0.1:PORT, for KAOHE_SPARK_MASTER
    status_url: str  # the master's status page, as JSON
    processes: list[tuple[subprocess.Popen, Path]]  # with their logs
    starting: threading.Thread | None = None  # starts the worker once the master listens

    def ready(self) -> str:
        """The master's URL, once an ALIVE worker with all its cores has registered."""
        if self.starting is not None:
            self.starting.join()
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            for process, log in self.processes:
                if process.poll() is not None:
                    raise AssertionError(
                        f"{log.name}: exited with {process.returncode}\n{_tail(log)}"
                    )
            if any(
                w.get("state") == "ALIVE" and w.get("cores") == WORKER_CORES
                for w in self.status().get("workers", [])
            ):
                return self.master
            time.sleep(0.2)
        logs = "\n".join(f"{log.name}:\n{_tail(log)}" for _, log in self.processes)
        raise AssertionError(f"no Spark worker registered within {STARTUP_SECONDS} s\n{logs}")

    def status(self) -> dict:
        """The master's status (workers, applications); empty while it is not listening yet."""
        try:
            with urllib.request.urlopen(self.status_url, timeout=1) as response:
                return json.load(response)
        except (OSError, ValueError):
            return {}


@contextlib.contextmanager
def spark_cluster(
    folder: Path, worker_memory: str = WORKER_MEMORY, fast_start: bool = True
) -> Iterator[SparkCluster]:
    """A standalone master and one worker (2 cores, 2 GB unless ``worker_memory`` says), starting;
    see ``SparkCluster.ready``."""
    env = cluster_env(folder, fast_start)
    for name in ("logs", "work", "scratch"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    port, web_port, worker_web_port = free_port(), free_port(), free_port()
    cluster = SparkCluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{web_port}/json/", [])
    spark_class = str(spark_home() / "bin" / "spark-class")
    master = [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1"]
    master += ["--port", str(port), "--webui-port", str(web_port)]
    worker = [spark_class, "org.apache.spark.deploy.worker.Worker", cluster.master]
    worker += ["--host", "127.0.0.1", "--cores", str(WORKER_CORES), "--memory", worker_memory]
    worker += ["--webui-port", str(worker_web_port), "--work-dir", str(folder / "work")]

    def start_worker() -> None:
        # once the master listens: a worker that finds no master retries only after 5 to 15 s
        if _listening(port, cluster.processes[0][0]):
            cluster.processes.append(_start(worker, env, folder / "logs" / "worker.log"))

    starting = threading.Thread(target=start_worker, name="spark-worker-start")
    try:
        # no REST submission server: it listens on a fixed port (6066) that two masters share
        master_env = {**env, "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false"}
        cluster.processes.append(_start(master, master_env, folder / "logs" / "master.log"))
        cluster.starting = starting
        starting.start()
        yield cluster
    finally:
        if starting.is_alive():
            starting.join()
        for process, _ in reversed(cluster.processes):
            _stop(process)


def _listening(port: int, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _start(command: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen, Path]:
    with log.open("wb") as output:  # the child holds its own descriptor
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # a process group of its own: stopped with its children
        )
    return process, log


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (the JVM and any executor it started), SIGKILL if it stays."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # an executor can outlive its worker's JVM by a moment: nothing of the group may stay
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
