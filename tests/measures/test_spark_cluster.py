"""``kaohe assess --engine spark`` on a real Spark standalone cluster (a master and one worker,
separate processes) gives the same results.csv and explain.json as DuckDB, byte for byte, on the
session's demo data set imported into a store; and ``kaohe import --engine spark`` on the same
cluster gives the snapshot a DuckDB import gives.

The command runs as a user runs it, in a process of its own (the Spark driver), joining the
cluster through ``KAOHE_SPARK_MASTER`` and configured as docs/data.md tells an office to: the
executor's memory and the shuffle partitions in ``spark-defaults.conf`` under ``SPARK_CONF_DIR``.
The executors run no Python (PYSPARK_PYTHON names no interpreter): a worker needs Java only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.cli import Kaohe
from tests.support.engine import kaohe_subprocess
from tests.support.spark_cluster import WORKER_CORES, cluster_env, spark_cluster

from kaohe.data.snapshots import Store

pytest.importorskip("pyspark")

SCHEME = "provincial-effectiveness-2016"
# the units and every source the scheme reads but persons (imported with --quarantine)
SOURCES = (
    "units",
    "monitoring_survey",
    "field_checks",
    "verification_estimates",
    "quality_findings",
    "fund_evaluation",
    "policy_implementation",
    "fund_integration",
    "findings",
)
EXECUTOR_MEMORY = "768m"  # not Spark's default (1g): the executor's -Xmx shows the file was read


def import_demo(demo: Path, store: Path) -> None:
    kaohe = Kaohe()
    for source in SOURCES:
        (path,) = [p for p in demo.iterdir() if p.stem == source]
        run = kaohe("import", source, path, "--store", store)
        assert run.exit_code == 0, (source, run.stderr)
    run = kaohe("import", "persons", demo / "persons.parquet", "--store", store, "--quarantine")
    assert run.exit_code == 0, run.stderr


def test_assess_on_a_spark_cluster_equals_duckdb(demo_data, tmp_path):
    conf = tmp_path / "spark-conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(
        f"spark.executor.memory {EXECUTOR_MEMORY}\nspark.sql.shuffle.partitions {WORKER_CORES}\n",
        encoding="utf-8",
    )
    folder, store = tmp_path / "cluster", tmp_path / "store"
    with spark_cluster(folder) as cluster:
        # the cluster's JVMs start meanwhile
        import_demo(demo_data, store)
        on_duckdb = Kaohe()(
            "assess", "--scheme", SCHEME, "--store", store, "--out", tmp_path / "duckdb"
        )
        assert on_duckdb.exit_code == 0, on_duckdb.stderr

        env = {
            **cluster_env(folder),
            "KAOHE_SPARK_MASTER": cluster.ready(),
            "SPARK_CONF_DIR": str(conf),
            "PYSPARK_PYTHON": str(tmp_path / "no-python-here"),
            "KAOHE_LANG": "en",
        }
        on_spark = kaohe_subprocess(
            "assess", "--scheme", SCHEME, "--store", store, "--out", tmp_path / "spark",
            "--engine", "spark", "--memory-limit", "1GB", env=env,
        )  # fmt: skip
        assert on_spark.returncode == 0, on_spark.stderr

        # the measures ran on the cluster: the master knows the application by name
        applications = cluster.status()
        (run,) = applications["activeapps"] + applications["completedapps"]
        assert run["name"] == "kaohe"

        # an import on the cluster (issue 17, part 2): the field checks, read and checked by the
        # executor, give the snapshot (the same name) the DuckDB import gave
        on_cluster = tmp_path / "store-cluster"
        assert (
            Kaohe()("import", "units", demo_data / "units.csv", "--store", on_cluster).exit_code
            == 0
        )
        imported = kaohe_subprocess(
            "import", "field_checks", demo_data / "field_checks.csv", "--store", on_cluster,
            "--engine", "spark", env=env,
        )  # fmt: skip
        assert imported.returncode == 0, imported.stderr
        assert len(cluster.status()["completedapps"]) == 2
        assert (
            Store(on_cluster).latest("field_checks").sha256
            == Store(store).latest("field_checks").sha256
        )

    # on the worker's executor, started with the memory spark-defaults.conf sets
    (executor,) = (folder / "work" / run["id"]).glob("*/stderr")
    assert f'"-Xmx{EXECUTOR_MEMORY.upper()}"' in executor.read_text(encoding="utf-8")
    for name in ("results.csv", "explain.json"):
        on_spark_bytes = (tmp_path / "spark" / name).read_bytes()
        assert on_spark_bytes == (tmp_path / "duckdb" / name).read_bytes(), name
