"""An import's CSV files on Spark: read as DuckDB reads them, each record numbered as DuckDB
numbers it (``__row``), and registered as the view the import plan's SQL reads."""

from __future__ import annotations

import duckdb
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from ..expr import quote
from . import idnumbers
from .files import csv_layout, csv_sql
from .import_plan import STORE_UNITS, ImportPlan, sql_literal
from .readers import InputFile
from .spark_dialect import to_spark

FILES_VIEW = "__kaohe_import_files"


def register(spark, con: duckdb.DuckDBPyConnection, plan: ImportPlan) -> None:
    """The files as one view of text columns with ``__file`` and ``__row`` (as the plan's union),
    the store's units and the resident-ID regions: what the plan's SQL reads."""
    selects = []
    for index, item in enumerate(plan.files):
        raw = f"__kaohe_raw_{index}"
        _numbered(spark, con, item).createOrReplaceTempView(raw)
        # The file's relation is DuckDB SQL over its scan: the same renames, value maps and
        # 合计 rows left out, read from the Spark view instead of DuckDB's CSV reader.
        scan = f"(SELECT row_number() OVER () AS __row, * FROM {csv_sql(item.readable)})"
        relation = item.relation().replace(scan, f"(SELECT * FROM {raw})")
        names = set(spark.sql(f"SELECT * FROM {to_spark(relation)}").columns)
        columns = ", ".join(
            quote(c) if c in names else f"CAST(NULL AS VARCHAR) AS {quote(c)}" for c in plan.present
        )
        selects.append(f"SELECT {index} AS __file, __row, {columns} FROM {relation} AS f{index}")
    spark.sql(to_spark(" UNION ALL ".join(selects))).createOrReplaceTempView(FILES_VIEW)
    # the plan's layers read the files from its union: on Spark, from the view above
    plan.union = f"SELECT * FROM {FILES_VIEW}"
    if plan.units_snapshot is not None:
        units = spark.read.parquet(f"file://{plan.units_snapshot.path.resolve()}")
        units.selectExpr(
            "unit", "level", "coalesce(kind, 'region') AS kind"
        ).createOrReplaceTempView(STORE_UNITS)
    if plan.resident_ids():
        regions = spark.createDataFrame(idnumbers.regions_table())
        F.broadcast(regions).createOrReplaceTempView(idnumbers.REGIONS_TABLE)


def _numbered(spark, con: duckdb.DuckDBPyConnection, item: InputFile):
    """The CSV as text columns with ``__row``, each record's 1-based number in the file.

    Read as DuckDB reads it (``files.csv_sql``): the delimiter DuckDB's sniffer finds, ``"`` as
    quote and escape, blank lines skipped, empty fields NULL, and a record that does not fit an
    error (FAILFAST). A file whose fields are quoted may hold line breaks in them: Spark then
    reads it whole (multiLine), in one task; other files are split across the cluster.

    The number: Spark has no row_number over a file that does not move it to one partition, so
    each record gets its split's start and a rising id (``monotonically_increasing_id``, rising
    and consecutive within a partition); one small pass counts the records of each split, and
    ``__row`` is the records of the splits before plus the position within its own.
    """
    literal = sql_literal(item.readable)
    delimiter = con.execute(
        f"SELECT Delimiter FROM sniff_csv('{literal}', header = true, all_varchar = true, "
        "quote = '\"', escape = '\"', strict_mode = true)"
    ).fetchall()[0][0]
    schema = StructType([StructField(name, StringType()) for name in item.header])
    frame = spark.read.csv(
        f"file://{item.readable.resolve()}",
        schema=schema,
        header=True,
        sep=delimiter,
        quote='"',
        escape='"',
        multiLine=csv_layout(item.readable).quotes,
        mode="FAILFAST",
        encoding="UTF-8",
    )
    columns = [_column(name) for name in item.header]
    rising = F.monotonically_increasing_id()
    if frame.rdd.getNumPartitions() <= 1:  # one split (a small or multiLine file): ids 0, 1, …
        return frame.select((rising + 1).alias("__row"), *columns)
    marked = frame.select(
        F.input_file_block_start().alias("__block"), rising.alias("__id"), *columns
    )
    splits = sorted(
        (row["__block"], row["first"], row["n"])
        for row in marked.groupBy("__block")
        .agg(F.min("__id").alias("first"), F.count("*").alias("n"))
        .collect()
    )
    bases, before = [], 0
    for block, first, count in splits:
        bases.append((block, before + 1 - first))
        before += count
    base = spark.createDataFrame(bases, "__block long, __base long")
    return marked.join(F.broadcast(base), "__block").select(
        (F.col("__id") + F.col("__base")).alias("__row"), *columns
    )


def spark_name(name: str) -> str:
    """A column's name in Spark SQL (backticks: Spark's quoting; ``expr.quote`` is DuckDB's)."""
    return "`" + name.replace("`", "``") + "`"


def _column(name: str):
    return F.col(spark_name(name))
