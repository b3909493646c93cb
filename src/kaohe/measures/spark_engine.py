"""Run measure plans on Spark: the same SQL, transpiled from DuckDB's dialect by sqlglot.

For data beyond one machine. Spark reads the same files (a snapshot's Parquet, or a data
directory's CSV/Parquet) through the typed view each source declares, so the measures mean the
same on both engines; the test suite runs both on the same fixtures and compares every value.
Spark 4 divides strictly (a division by zero is an error, not NULL): the plans add no division
of their own, and the schemes' expressions guard theirs with ``nullif``.

pyspark is an optional extra (``pip install 'kaohe[spark]'``) and needs Java 17 or later.
"""

from __future__ import annotations

import decimal
import os

import numpy as np
import pyarrow as pa
import sqlglot

from ..data.sources import SourceInput, raw_name, view_name
from ..errors import UsageError
from ..i18n import text
from .collect import collect
from .compile import MeasurePlan

_SESSION = None
_PAIRS = pa.schema([("unit", pa.string()), ("ancestor", pa.string())])


def to_spark(sql: str) -> str:
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def spark_session(master: str | None = None, memory: str | None = None):
    """A Spark session (reused within the process: starting one takes seconds): ``local[N]`` on
    this machine's cores, or the cluster ``master`` or ``KAOHE_SPARK_MASTER`` names."""
    global _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(
            text(
                "--engine spark 需要 pyspark：pip install 'kaohe[spark]'（并安装 Java 17 以上）",
                "--engine spark needs pyspark: pip install 'kaohe[spark]' (and Java 17 or later)",
            )
        ) from None
    if _SESSION is not None and _SESSION.sparkContext._jsc is not None:
        return _SESSION
    master = master or os.environ.get("KAOHE_SPARK_MASTER") or f"local[{os.cpu_count() or 1}]"
    builder = (
        SparkSession.builder.master(master)
        .appName("kaohe")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if master.startswith("local"):
        # Local mode: as many shuffle partitions as cores (the default 200 is for clusters). On
        # a cluster (spark://, yarn, k8s://) the cores are the workers', not this machine's: the
        # cluster's own setting (spark-defaults.conf, else 200, coalesced by adaptive execution).
        cores = (
            master.removeprefix("local[").removesuffix("]") if master.startswith("local[") else ""
        )
        partitions = str(os.cpu_count() or 1) if cores in ("", "*") else cores
        builder = builder.config("spark.sql.shuffle.partitions", partitions)
    if memory:
        builder = builder.config("spark.driver.memory", _jvm_memory(memory))
    _SESSION = builder.getOrCreate()
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def _jvm_memory(limit: str) -> str:
    """'4GB' / '4 GiB' / '4g' → '4g' (the JVM's notation)."""
    value = limit.strip().lower().replace(" ", "").removesuffix("ib").removesuffix("b")
    return value if value[-1:] in "kmgt" else f"{value}b"


class SparkEngine:
    name = "spark"

    def __init__(self, spark):
        self.spark = spark

    def register_pairs(self, name: str, pairs: list[tuple[str, str]]) -> None:
        # As Arrow, not a list of tuples: the JVM reads Arrow itself, while a list becomes a
        # Python RDD that every query evaluates again on the executors, which then need the
        # driver's Python and pyspark (on a cluster, each worker's). No Python runs on executors.
        columns = {"unit": [u for u, _ in pairs], "ancestor": [a for _, a in pairs]}
        table = pa.table(columns, schema=_PAIRS)
        frame = self.spark.createDataFrame(table)
        frame.createOrReplaceTempView(name)

    def rows(self, queries: list[tuple[str, list[str]]]) -> list[list[tuple]]:
        answers = []
        for sql, names in queries:
            frame = self.spark.sql(to_spark(sql))
            answers.append([tuple(_plain(row[n]) for n in names) for row in frame.collect()])
        return answers


def _plain(value):
    # Spark returns DECIMAL results as Decimal where DuckDB gives a DOUBLE for the same SQL.
    return float(value) if isinstance(value, decimal.Decimal) else value


def register_sources(spark, inputs: list[SourceInput]) -> None:
    """Each source's file as ``raw_<name>`` and its typed view ``src_<name>``, on Spark."""
    for item in inputs:
        # A file: URI, not a bare path: a bare one means the default file system of the cluster's
        # Hadoop configuration (HDFS on many), and the store is a local or mounted folder.
        path = f"file://{item.read_from.resolve()}"
        if item.format == "parquet":
            frame = spark.read.parquet(path)
        else:
            # Every column as text, as DuckDB reads it; naming them spares Spark a pass to look.
            schema = ", ".join(f"`{c}` string" for c in item.columns)
            frame = spark.read.csv(path, header=True, schema=schema, encoding="UTF-8")
        frame.createOrReplaceTempView(raw_name(item.name))
        spark.sql(to_spark(item.view_sql)).createOrReplaceTempView(view_name(item.name))


def compute_measures_spark(
    spark,
    inputs: list[SourceInput],
    plans: list[MeasurePlan],
    ancestors: list[tuple[str, str]],
    units: list[str],
) -> dict[str, np.ndarray]:
    """``compute_measures`` on Spark over the files the run's sources were registered from."""
    register_sources(spark, inputs)
    return collect(SparkEngine(spark), plans, ancestors, units)
