"""The distributed path on a real cluster: the provincial scheme's measures at 10^7 persons on a
Spark standalone cluster (a master and one worker with 2 cores, separate processes started from
pyspark's own launch scripts), side by side with Spark's local mode and DuckDB, in one run.

Each contender runs in its own process on the store of ``bench.bench_measures`` (generated and
imported once, under ``bench/data``); its per-province figures must agree with DuckDB's before
any time is reported. The cluster's start and the Spark session's start are reported apart from
the measures: a national deployment starts its cluster once and keeps it.

    python -m bench.bench_spark_cluster [--persons 10000000] [--repeat 3] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_measures import (
    SCHEME,
    _agree,
    _gib,
    _kaohe_provinces,
    _machine,
    ensure_demo,
    ensure_store,
)
from bench.process import ROOT, python, write_section

HEADING = "## Spark standalone, local mode and DuckDB"
# The worker's executor: as much memory as the local mode's driver (which is its executor there).
EXECUTOR_MEMORY = "4g"
WORKER_MEMORY = "6g"


def step_cluster(store: Path) -> dict:
    """Start the cluster, join it, assess on it; each start timed apart."""
    # The cluster launcher the tests use (tests/support/spark_cluster.py): benchmarks run from
    # the repository, where the tests' support code is importable.
    from tests.support.spark_cluster import cluster_env, spark_cluster

    from kaohe.measures.spark_engine import spark_session
    from kaohe.run.assess import assess

    with tempfile.TemporaryDirectory(prefix="kaohe-bench-cluster-") as scratch:
        folder = Path(scratch)
        conf = folder / "conf"
        conf.mkdir()
        # executor settings go where a deployment puts them: spark-defaults.conf in SPARK_CONF_DIR
        (conf / "spark-defaults.conf").write_text(f"spark.executor.memory {EXECUTOR_MEMORY}\n")
        started = time.perf_counter()
        with spark_cluster(folder, worker_memory=WORKER_MEMORY, fast_start=False) as cluster:
            master = cluster.ready()
            cluster_seconds = time.perf_counter() - started
            os.environ.update(cluster_env(folder, fast_start=False))
            os.environ["SPARK_CONF_DIR"] = str(conf)
            os.environ["KAOHE_SPARK_MASTER"] = master
            started = time.perf_counter()
            spark_session(master, memory=EXECUTOR_MEMORY)
            session_seconds = time.perf_counter() - started
            started = time.perf_counter()
            result = assess(SCHEME, None, None, store=store, engine="spark", memory_limit="4g")
            total = time.perf_counter() - started
            apps = cluster.status().get("activeapps") or cluster.status().get("completedapps")
    if not apps:
        raise RuntimeError("the assessment ran, but not as an application of the cluster")
    return {
        "seconds": result.timings["sources"] + result.timings["measures"],
        "total": total,
        "cluster_seconds": cluster_seconds,
        "session_seconds": session_seconds,
        "provinces": dict(sorted(_kaohe_provinces(result).items())),
    }


# (label, module that runs the step, step name)
CONTENDERS = {
    "duckdb": ("kaohe measures on DuckDB (the default engine)", "bench.bench_measures", "kaohe"),
    "local": ("Spark local[2]", "bench.bench_measures", "spark"),
    "cluster": (
        "Spark standalone, one worker with 2 cores",
        "bench.bench_spark_cluster",
        "cluster",
    ),
}


def measure(store: Path, repeat: int) -> dict:
    found: dict[str, dict] = {}
    reference = None
    for name, (_label, module, step) in CONTENDERS.items():
        runs = []
        for _ in range(repeat):
            measured = python(module, "--step", step, "--store", str(store))
            provinces = measured.report.pop("provinces")
            reference = reference or provinces
            _agree(name, provinces, reference)
            runs.append(measured)
            print(f"   {name:<8} {measured.report['seconds']:8.2f} s  {_gib(measured.peak_rss)}")
        found[name] = {
            key: [m.report.get(key, 0.0) for m in runs]
            for key in ("seconds", "total", "session_seconds", "cluster_seconds")
        }
        found[name]["peak_rss"] = max(m.peak_rss for m in runs)
    return found


def section(found: dict, machine: dict, persons: int, repeat: int) -> str:
    median = statistics.median
    duckdb = median(found["duckdb"]["seconds"])
    lines = [
        "`.venv/bin/python -m bench.bench_spark_cluster "
        f"--persons {persons} --repeat {repeat}` — issue 17: the provincial scheme "
        f"({SCHEME}) at {persons:,} persons on the store of *Measures at scale*, three engines in "
        "one run, each in its own process, their per-province figures checked equal to DuckDB's "
        "first. The standalone cluster is a master and one worker (2 cores, "
        f"{WORKER_MEMORY}; executor {EXECUTOR_MEMORY}) started by the benchmark from pyspark's "
        "launch scripts, as `tests/support/spark_cluster.py` does for the tests; the driver "
        f"joins it through `KAOHE_SPARK_MASTER`. Times: median of {repeat} runs; the measures "
        "stage (sources + measures) as in *Measures at scale*; starts reported apart. Peak RSS: "
        "the process tree (driver, JVMs, and for the cluster its master, worker and executor).",
        "",
        f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['memory']} RAM; Python "
        f"{machine['python']}, DuckDB {machine['duckdb']}, pyspark {machine['pyspark']} "
        f"({machine['java']}). Measured {machine['date']} (load average at the end: "
        f"{machine['load']}).",
        "",
        "| engine | measures, median s | runs (s) | × DuckDB | `assess()` in all, s | "
        "session start, s | cluster start, s | peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, (label, _module, _step) in CONTENDERS.items():
        item = found[name]
        seconds = median(item["seconds"])
        runs = ", ".join(f"{s:.2f}" for s in item["seconds"])
        session = f"{median(item['session_seconds']):.1f}" if name != "duckdb" else "—"
        cluster = f"{median(item['cluster_seconds']):.1f}" if name == "cluster" else "—"
        lines.append(
            f"| {label} | {seconds:.2f} | {runs} | {seconds / duckdb:.1f}× | "
            f"{median(item['total']):.2f} | {session} | {cluster} | {_gib(item['peak_rss'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--step", choices=["cluster"], help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    if args.step:  # a child process: the cluster contender
        print(json.dumps(step_cluster(args.store)))
        return
    args.data.mkdir(parents=True, exist_ok=True)
    demo, _ = ensure_demo(args.data, args.persons)
    store, _ = ensure_store(args.data, demo, args.persons)
    found = measure(store, args.repeat)
    write_section(HEADING, section(found, _machine(), args.persons, args.repeat))


if __name__ == "__main__":
    main(sys.argv[1:])
