"""Imports on Spark (``kaohe import … --engine spark``): the same rules, verdicts, rejects and
snapshot as ``importer.import_files``, for a registry beyond one machine.

What stays DuckDB's: the plan (``ImportPlan``: typed layers and rules, written once in DuckDB's
dialect and transpiled by ``spark_dialect``), the files' preparation (hash, encoding, header), the
report, and the last step — the snapshot's Parquet and the rejects file are written by DuckDB from
what Spark computed, sorted into file order, so that their bytes, and the snapshot's name (its
sha256), are those a DuckDB import of the same file gives. What Spark does: read the CSV files,
number their rows, type every value, count every rule's violations, find repeated keys, and
split the rows into accepted and rejected ones, writing both as Parquet into the scratch folder.

CSV only: a workbook is converted on one machine anyway (use the default engine), and a Parquet
input's own types would need casts this module does not test.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException

from ..errors import DataError, UsageError
from ..expr import quote
from ..i18n import text
from . import idnumbers
from .file_kinds import file_format
from .import_plan import STORE_UNITS, ImportPlan, sql_literal
from .import_report import DuplicateKey, ImportResult, Violation
from .importer import _READ_ERRORS, Checks, _bad_rows, _line_sql, _read_error
from .progress import Tracker
from .readers import InputFile
from .spark_dialect import to_spark
from .spark_files import register, spark_name

_ORDER = "(__file * 1099511627776 + __row)"  # as importer._ORDER: file order, then row order


class SparkChecks(Checks):
    """``import_files``'s checks run on ``spark`` (a session: ``spark_session``)."""

    errors = (CapturedException, Py4JJavaError, *_READ_ERRORS)

    def __init__(self, spark):
        self.spark = spark
        self.record = {"engine": "spark", "spark_version": spark.version}

    def refuse(self, paths: list[Path], sheet: str | None) -> None:
        if sheet is not None:
            raise UsageError(
                text(
                    "--sheet 用于 Excel 文件，而 --engine spark 只读取 CSV 文件",
                    "--sheet is for Excel files, and --engine spark reads CSV files only",
                )
            )
        for path in paths:
            if path.is_file() and file_format(path) != "csv":
                raise UsageError(
                    text(
                        f"{path}：--engine spark 只读取 CSV 文件。请用默认引擎（--engine duckdb）"
                        "导入，或先另存为 CSV",
                        f"{path}: --engine spark reads CSV files only. Import it with the default "
                        "engine (--engine duckdb), or save it as CSV first",
                    )
                )

    def check(self, con, plan: ImportPlan, result: ImportResult, tracker: Tracker, quarantine):
        _refuse_untested(plan)
        register(self.spark, con, plan)
        _validate(self.spark, plan, result, tracker)

    def write(self, con, plan, result, scratch, staged, rejects, tracker) -> None:
        _write(self.spark, con, plan, result, scratch, staged, rejects)

    def error(self, error: BaseException, con, files: list[InputFile]) -> BaseException:
        if isinstance(error, _READ_ERRORS):
            return _read_error(error, files)
        return _spark_read_error(con, files) or error

    def close(self) -> None:
        _drop_views(self.spark)


def _refuse_untested(plan: ImportPlan) -> None:
    """What Spark would read otherwise than DuckDB: refused, never judged differently."""
    for name, column in plan.schema.columns.items():
        if name in plan.present and column.type == "date" and column.format:
            # DuckDB's strptime formats have no exact Spark counterpart (Java's patterns parse
            # otherwise): a date would be accepted by one engine and refused by the other
            raise UsageError(
                text(
                    f"列 {name} 的日期格式（format: {column.format}）只有默认引擎能校验；"
                    "请用 --engine duckdb 导入",
                    f"column {name} declares a date format ({column.format}), which only the "
                    "default engine checks; import with --engine duckdb",
                )
            )


def _layers_sql(plan: ImportPlan, checks: bool = True) -> str:
    return f"WITH layers AS (SELECT * FROM {to_spark(plan.layers(checks))})"


def _sql(spark, plan: ImportPlan, body: str, checks: bool = True):
    """``body`` (Spark SQL over ``layers``, with the plan's transpiled expressions in it)."""
    return spark.sql(f"{_layers_sql(plan, checks)} {body}")


# -- the checks --------------------------------------------------------------------------------


def _validate(spark, plan: ImportPlan, result: ImportResult, tracker: Tracker) -> None:
    """As importer._validate: one pass counts every rule's violations, a second (only when some
    rule failed) keeps the first rows of each; then the unique keys."""
    result.ignored_columns = plan.ignored
    conditions = [to_spark(rule.condition) for rule in plan.rules]
    counts = ["count(*)"] + [f"count_if(coalesce({c}, false))" for c in conditions]
    with tracker.step(text("校验", "checking")):
        row = _sql(spark, plan, f"SELECT {', '.join(counts)} FROM layers").collect()[0]
    result.rows_read = int(row[0])
    failed = [(i, int(n)) for i, n in enumerate(row[1:]) if n]
    if failed:
        cases = ", ".join(
            f"CASE WHEN {conditions[i]} THEN named_struct('k', {k}, 'v', "
            f"{to_spark(plan.rules[i].value)}) END AS __c{k}"
            for k, (i, _) in enumerate(failed)
        )
        flags = ", ".join(f"__c{k}" for k in range(len(failed)))
        # every failed rule's rows, numbered in file order per rule; the first few kept. (The
        # cases are a projection first: Spark allows no subquery inside explode's array.)
        body = (
            f"SELECT e.k, __file, __row, e.v FROM (SELECT e, __file, __row, row_number() OVER "
            f"(PARTITION BY e.k ORDER BY {_ORDER}) AS n FROM (SELECT __file, __row, {cases} "
            f"FROM layers) LATERAL VIEW explode(array({flags})) AS e WHERE e IS NOT NULL) "
            f"WHERE n <= {plan.examples}"
        )
        with tracker.step(text("收集不合格的行", "collecting the rows that fail")):
            found = _sql(spark, plan, body).collect()
        by_rule: dict[int, list] = {k: [] for k in range(len(failed))}
        for k, file_index, row_number, value in sorted(found, key=lambda r: (r[0], r[1], r[2])):
            by_rule[k].append((file_index, row_number, value))
        for k, (i, count) in enumerate(failed):
            result.violations.append(Violation(plan.rules[i], count, by_rule[k]))
    for k, key in enumerate(plan.keys):
        with tracker.step(text("检查重复", "checking duplicates")):
            duplicate = _duplicates(spark, plan, key, k)
        if duplicate is not None:
            result.duplicates.append(duplicate)


def _duplicates(spark, plan: ImportPlan, key: list[str], k: int) -> DuplicateKey | None:
    """Keys that appear more than once, as importer._duplicates finds them, as the views
    ``__dup_keys_<k>`` and ``__dup_hashes_<k>`` that importer._bad_rows's SQL reads.

    Grouped on the exact values in one pass: the 64-bit hash that sieves them first is DuckDB's
    remedy for its cost of grouping long strings; Spark hashes the keys for its grouping anyway.
    The hashes of the repeated keys are derived from the groups (Spark's hash, not DuckDB's:
    the plan only compares a row's hash with them, before the exact key)."""
    typed = ", ".join(f"{plan.typed(c)} AS {spark_name(c)}" for c in key)
    present = to_spark(plan.key_present(key))
    groups = _sql(
        spark,
        plan,
        f"SELECT {typed}, count(*) AS n, min({_ORDER}) AS first FROM layers WHERE {present} "
        f"GROUP BY {', '.join(plan.typed(c) for c in key)} HAVING count(*) > 1",
        checks=False,
    ).persist()
    groups.createOrReplaceTempView(f"__dup_keys_{k}")
    columns = ", ".join(quote(c) for c in key)
    hashes = to_spark(f"SELECT DISTINCT hash({columns}) AS h FROM __dup_keys_{k}")
    spark.sql(hashes).createOrReplaceTempView(f"__dup_hashes_{k}")
    total = groups.selectExpr("count(*)", "coalesce(sum(n), 0)").collect()[0]
    if not total[0]:
        return None
    first = groups.orderBy("first").limit(plan.examples)
    first.createOrReplaceTempView(f"__dup_first_{k}")
    joined = " AND ".join(f"l.{plan.typed(c)} = g.{spark_name(c)}" for c in key)
    names = ", ".join(spark_name(c) for c in key)
    rows = _sql(
        spark,
        plan,
        f"SELECT {names}, first, __file, __row FROM (SELECT g.*, l.__file, l.__row, "
        f"row_number() OVER (PARTITION BY g.first ORDER BY {_ORDER}) AS rank "
        f"FROM layers AS l JOIN __dup_first_{k} AS g ON {joined}) WHERE rank <= {plan.examples}",
        checks=False,
    )
    found: dict[int, tuple[tuple, list]] = {}
    for row in rows.collect():
        values, first_order, file_index, row_number = tuple(row[: len(key)]), *row[len(key) :]
        found.setdefault(first_order, (values, []))[1].append((file_index, row_number))
    shown = [(values, sorted(at)) for _, (values, at) in sorted(found.items())]
    return DuplicateKey(list(key), key == plan.unit_key, int(total[0]), int(total[1]), shown)


# -- the snapshot and the rejects ----------------------------------------------------------------


def _write(
    spark,
    con: duckdb.DuckDBPyConnection,
    plan: ImportPlan,
    result: ImportResult,
    scratch: Path,
    staged: Path,
    rejects: Path | None,
) -> None:
    """Spark splits the rows into accepted and rejected ones (Parquet, in the scratch folder);
    DuckDB writes them in file order as importer._write does, with the same options: the same
    bytes, and so the same snapshot name, as a DuckDB import of the same files."""
    keep = ""
    if rejects is not None:
        bad, reasons = (to_spark(sql) for sql in _bad_rows(plan, result))
        if bad != "FALSE":
            originals = ", ".join(spark_name(c) for c in plan.present)
            rejected = scratch / "rejected.spark"
            frame = _sql(
                spark,
                plan,
                f"SELECT {_ORDER} AS __key, __file, __row, {reasons} AS _reason, {originals} "
                f"FROM layers WHERE {bad}",
            )
            _save(frame, rejected)
            # the accepted rows: all but those keys (the rules are not evaluated a second time)
            keep = (
                f" WHERE {_ORDER} NOT IN (SELECT __key FROM parquet.`file://{rejected.resolve()}`)"
            )
    accepted = scratch / "accepted.spark"
    frame = _sql(
        spark,
        plan,
        to_spark(f"SELECT {_ORDER} AS __order, {plan.output_select()} FROM layers") + keep,
        checks=False,
    )
    _save(frame, accepted)
    con.execute(
        f"COPY (SELECT * EXCLUDE (__order) FROM read_parquet('{_parts(accepted)}') "
        f"ORDER BY __order) TO '{sql_literal(staged)}' "
        "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"
    )
    result.rows_accepted = con.execute(
        f"SELECT count(*) FROM read_parquet('{sql_literal(staged)}')"
    ).fetchall()[0][0]
    if rejects is not None and result.rows_accepted < result.rows_read:
        names = ", ".join(f"'{sql_literal(f.path.name)}'" for f in plan.files)
        originals = ", ".join(quote(c) for c in plan.present)
        con.execute(
            f"COPY (SELECT list_extract([{names}], __file + 1) AS _file, "
            f"{_line_sql(con, plan.files)} AS _line, _reason, {originals} "
            f"FROM read_parquet('{_parts(scratch / 'rejected.spark')}') ORDER BY __key) "
            f"TO '{sql_literal(rejects)}' (HEADER, DELIMITER ',')"
        )


def _save(frame, folder: Path) -> None:
    """``frame`` as Parquet parts in ``folder``, without column statistics: from a part's null
    counts DuckDB would prove a column holds no NULL and write it as REQUIRED into the snapshot
    (other bytes, another name), where its own import, reading a CSV, writes every column as
    OPTIONAL."""
    writer = frame.write.option("parquet.column.statistics.enabled", "false")
    writer.parquet(f"file://{folder.resolve()}")


def _parts(folder: Path) -> str:
    return sql_literal(folder / "*.parquet")


# -- errors and cleaning up ------------------------------------------------------------------------


def _spark_read_error(con: duckdb.DuckDBPyConnection, files: list[InputFile]) -> DataError | None:
    """A file Spark could not read: DuckDB's verdict on it, worded as a DuckDB import words it
    (the same message on either engine); None if DuckDB reads it (then Spark's error stands)."""
    for item in files:
        try:
            con.execute(f"SELECT count(*) FROM {item.relation()}").fetchall()
        except _READ_ERRORS as error:
            return _read_error(error, files)
    return None


def _drop_views(spark) -> None:
    """The session outlives the import (it is reused within the process)."""
    for name in spark.catalog.listTables():
        if name.isTemporary and name.name.startswith("__"):
            if spark.catalog.isCached(name.name):
                spark.catalog.uncacheTable(name.name)
            spark.catalog.dropTempView(name.name)
    for name in (STORE_UNITS, idnumbers.REGIONS_TABLE):
        spark.catalog.dropTempView(name)
