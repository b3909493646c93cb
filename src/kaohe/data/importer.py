"""Validated imports (数据导入): files → checked against the source's schema → a snapshot.

The checks stream through DuckDB and never hold a file in Python. One aggregate pass counts the
violations of every per-row rule and keeps the first few of each (row, column, value, rule);
unique keys are checked on a 64-bit hash of the key first — grouping near-unique 18-character
IDs is the dominant cost at 10^8 rows — and only the few colliding hashes are compared exactly.
When every rule passes (and no quarantine needs the repeated rows), the hashes are grouped on the
snapshot once written, whose typed columns are cheaper to read back than the file.

Nothing is written unless every row passes, and nothing when the files hold no row (unless the
schema has ``allow_empty``) or far fewer rows than the source's latest snapshot (unless the user
confirms with ``allow_shrink``). With ``quarantine`` the good rows become the
snapshot and the others go to a rejects file, each with its reasons.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import psutil

from .. import __version__
from ..disk_space import write_error
from ..errors import DataError, UsageError
from ..expr import quote
from ..faults import fault_point
from ..i18n import text
from .files import csv_line_shifts, sha256_of
from .import_plan import ImportPlan, sql_literal
from .import_report import DuplicateKey, ImportRejected, ImportResult, Violation, report
from .mappings import Mapping
from .progress import Tracker
from .readers import InputFile, prepare
from .schemas import UNITS_SOURCE, LoadedSchema
from .snapshots import Snapshot, Store, now

_ORDER = "(__file * 1099511627776 + __row)"  # file order, then row order, as one BIGINT
# What a bad file makes DuckDB raise while reading; anything else is a bug in the SQL.
_READ_ERRORS = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)

# What an import holds in memory unless ``memory_limit`` says otherwise; beyond it DuckDB's hash
# tables and the sort of a quarantine spill to the scratch folder. DuckDB's own default is 80 %
# of RAM, which the sort took at national scale (8 GiB at 10^8 persons); with 3 GiB the process
# stays within 4 GiB (docs/benchmarks.md, "Import memory and floor").
DEFAULT_MEMORY_LIMIT = 3 * 2**30


class Checks:
    """Where an import's rows are read, checked and split into accepted and rejected ones:
    DuckDB in this process (this class, the default) or Spark (``spark_import.SparkChecks``).
    Everything around them is ``import_files``'s for both — the files prepared and hashed, the
    same inputs found again, an empty or refused import, the snapshot written by DuckDB and its
    record — so that both give the same verdicts, rejects and snapshot."""

    # what the snapshot's record says of the engine, beside DuckDB's version
    record: dict = {}
    # the exceptions ``error`` words for a user
    errors: tuple[type[BaseException], ...] = _READ_ERRORS

    def refuse(self, paths: list[Path], sheet: str | None) -> None:
        """Refuse, before anything is read, what this engine does not read."""

    def check(
        self,
        con: duckdb.DuckDBPyConnection,
        plan: ImportPlan,
        result: ImportResult,
        tracker: Tracker,
        quarantine: bool,
    ) -> None:
        """Every rule's violations with their first rows, and the repeated keys, into
        ``result`` (the keys may wait for ``write`` when every rule passed)."""
        _validate(con, plan, result, tracker, keys=quarantine)

    def write(
        self,
        con: duckdb.DuckDBPyConnection,
        plan: ImportPlan,
        result: ImportResult,
        scratch: Path,
        staged: Path,
        rejects: Path | None,
        tracker: Tracker,
    ) -> None:
        """The accepted rows to ``staged`` (Parquet, file order), the rejected ones with their
        reasons to ``rejects`` (with quarantine); refuses the import if keys repeat."""
        _write(con, plan, result, staged, rejects, tracker)
        if rejects is None:  # every rule passed: the keys are read back from the snapshot
            _check_keys(con, plan, result, tracker, staged)
            if result.failed:
                result.rows_accepted = 0
                raise ImportRejected(report(result, advice=True), result)

    def error(
        self, error: BaseException, con: duckdb.DuckDBPyConnection, files: list[InputFile]
    ) -> BaseException:
        """One of ``errors`` as the user's error: the file it could not read."""
        return _read_error(error, files)

    def close(self) -> None:
        """What the engine keeps for one import, let go (also when it failed)."""


def import_files(
    store: Store,
    schema: LoadedSchema,
    paths: list[Path],
    *,
    quarantine: bool = False,
    encoding: str = "auto",
    memory_limit: str | None = None,
    examples: int = 5,
    tracker: Tracker | None = None,
    min_rows_share: float = 0.5,
    allow_shrink: bool = False,
    mapping: Mapping | None = None,
    sheet: str | None = None,
    checks: Checks | None = None,
) -> ImportResult:
    """Check ``paths`` (one source's files, read as one table) and add them to ``store``;
    ``checks``: where the rows are checked (default: DuckDB, here).

    A file with no rows is refused unless the schema has ``allow_empty``; a snapshot with fewer
    than ``min_rows_share`` of the rows of the source's latest snapshot is refused unless
    ``allow_shrink``. Nothing is written when an import is refused.
    """
    tracker = tracker or Tracker()
    checks = checks or Checks()
    if not paths:
        raise UsageError(text("请至少给出一个文件", "give at least one file"))
    checks.refuse(list(map(Path, paths)), sheet)
    if not 0 <= min_rows_share <= 1:
        raise UsageError(
            text(
                "--min-rows-share 须在 0 与 1 之间（例如 0.5 表示至少上一快照行数的一半）",
                "--min-rows-share must be between 0 and 1 (0.5: at least half the rows of "
                "the previous snapshot)",
            )
        )
    source = schema.source
    with store.scratch() as scratch:
        files = []
        for path in map(Path, paths):
            # CSV conversion advances by bytes; an Excel sheet's row count is unknown up front
            size = path.stat().st_size if path.is_file() and path.suffix != ".xlsx" else None
            with tracker.step(text(f"读取 {path.name}", f"reading {path.name}"), size) as advance:
                files.append(
                    prepare(
                        path,
                        scratch,
                        encoding,
                        advance,
                        columns=schema.model.columns,
                        source=source,
                        mapping=mapping,
                        sheet=sheet,
                    )
                )
        result = ImportResult(source, files)
        key = {
            "schema_sha256": schema.sha256,
            "files": [f.sha256 for f in files],
            "quarantine": quarantine,
        }
        if mapping is not None:  # the same file read through another mapping is another import
            key["mapping"] = mapping.model_dump(mode="json")
        if sheet is not None:
            key["sheet"] = sheet
        if existing := store.same_inputs(source, key):
            result.snapshot, result.created = existing, False
            result.rows_read = result.rows_accepted = existing.rows
            result.rejects = _rejects_path(existing)
            return result
        with duckdb.connect() as con:
            con.execute(f"SET temp_directory = '{sql_literal(scratch / 'spill')}'")
            con.execute("SET preserve_insertion_order = true")
            limit = memory_limit or _default_memory_limit()
            if limit:
                con.execute(f"SET memory_limit = '{sql_literal(limit)}'")
            try:
                plan = ImportPlan(con, schema, files, store, examples)
                checks.check(con, plan, result, tracker, quarantine)
                if result.rows_read == 0 and not schema.model.allow_empty:
                    raise DataError(_empty_message(schema, files))
                if result.failed and not quarantine:
                    raise ImportRejected(report(result, advice=True), result)
                staged, rejects = scratch / "snapshot.parquet", scratch / "rejects.csv"
                checks.write(
                    con, plan, result, scratch, staged, rejects if quarantine else None, tracker
                )
                if source == UNITS_SOURCE:
                    _check_hierarchy(con, plan, staged)
                facts = _facts(con, plan, staged)
            except checks.errors as error:
                # DuckDB says IO Error for what it cannot write (the snapshot, its spill) too
                raise write_error(error, store.root) or checks.error(error, con, files) from None
            finally:
                checks.close()
        if result.rows_accepted == 0 and result.rows_read > 0:
            raise ImportRejected(
                text(
                    f"{source}：没有一行通过校验，未写入任何数据。\n",
                    f"{source}: no row passed the checks; nothing was written.\n",
                )
                + report(result),
                result,
            )
        fault_point("import.scratch-written")
        previous = store.latest(source)
        if previous is not None and not allow_shrink:
            _refuse_shrink(source, previous, result.rows_accepted, min_rows_share)
        with tracker.step(text("写入快照", "writing the snapshot")):
            digest = sha256_of(staged)
            sidecar = {
                "source": source,
                "sha256": digest,
                "schema": {
                    "source": source,
                    "version": schema.model.version,
                    "file": Path(schema.file).name,
                    "sha256": schema.sha256,
                },
                "rows": result.rows_accepted,
                "rows_read": result.rows_read,
                "rejected": result.rejected,
                "created": now(),
                "kaohe_version": __version__,
                "duckdb_version": duckdb.__version__,
                **checks.record,
                "files": [f.record() for f in files],
                "import_key": key,
                "columns": plan.output_types(),
                # a run need not check again what the import refused
                "one_row_per_unit": schema.model.one_row_per_unit,
                **facts,
            }
            if plan.units_snapshot is not None:
                sidecar["units_snapshot"] = plan.units_snapshot.sha256
            has_rejects = quarantine and result.rejected > 0
            result.snapshot, result.created = store.add(
                source, digest, staged, sidecar, rejects if has_rejects else None
            )
            result.rejects = _rejects_path(result.snapshot)
    return result


def _default_memory_limit() -> str | None:
    """``DEFAULT_MEMORY_LIMIT``, unless DuckDB's own default (80 % of RAM) is smaller."""
    if 0.8 * psutil.virtual_memory().total > DEFAULT_MEMORY_LIMIT:
        return f"{DEFAULT_MEMORY_LIMIT // 2**20}MiB"
    return None


def _empty_message(schema: LoadedSchema, files: list[InputFile]) -> str:
    names = "、".join(f.path.name for f in files)
    names_en = ", ".join(f.path.name for f in files)
    return text(
        f"{names}：只有列名，没有数据行；数据源 {schema.source} 不能为空，未写入任何数据。"
        "请检查导出是否完整；若该数据源确实可以为空，请在其格式定义中写 allow_empty: true",
        f"{names_en}: a header and no rows; source {schema.source} may not be empty, so "
        "nothing was written. Check that the export is complete; if the source may really "
        "be empty, its schema must say allow_empty: true",
    )


def _refuse_shrink(source: str, previous: Snapshot, rows: int, share: float) -> None:
    """A new snapshot far smaller than the last one is more often a partial export than news."""
    if previous.rows == 0 or rows >= share * previous.rows:
        return
    raise DataError(
        text(
            f"{source}：新数据只有 {rows} 行，而上一快照 {previous.short}（{previous.created[:19]}）"
            f"有 {previous.rows} 行，不足其 {share:.0%}；未写入任何数据。请检查导出是否完整；"
            "若行数确实减少，请加 --allow-shrink 确认（阈值可用 --min-rows-share 调整）",
            f"{source}: the new data have {rows} rows, the previous snapshot {previous.short} "
            f"({previous.created[:19]}) has {previous.rows}: less than {share:.0%} of it, so "
            "nothing was written. Check that the export is complete; if the rows really are "
            "fewer, confirm with --allow-shrink (the threshold is --min-rows-share)",
        )
    )


def _rejects_path(snapshot: Snapshot) -> Path | None:
    path = snapshot.path.with_name(f"{snapshot.sha256}.rejects.csv")
    return path if path.is_file() else None


def _validate(
    con: duckdb.DuckDBPyConnection,
    plan: ImportPlan,
    result: ImportResult,
    tracker: Tracker,
    keys: bool,
) -> None:
    """Count every rule's violations, with the first rows of those that fail; the unique keys
    too when ``keys`` or some rule fails (else ``_check_keys`` reads them from the snapshot)."""
    result.ignored_columns = plan.ignored
    # One pass counts every rule's violations; the examples are fetched in a second pass, only
    # for the rules that failed (none, when a file is good): keeping the first rows of each rule
    # on every row would cost as much as the checks themselves.
    counts = ["count(*)"] + [f"count(*) FILTER (WHERE {r.condition})" for r in plan.rules]
    row = tracker.query(
        con,
        plan.with_layers(f"SELECT {', '.join(counts)} FROM layers"),
        text("校验", "checking"),
    )[0]
    result.rows_read = int(row[0])
    failed = [(rule, int(n)) for rule, n in zip(plan.rules, row[1:], strict=True) if n]
    if failed:
        samples = [
            f"arg_min(struct_pack(f := __file, r := __row, v := {rule.value}), {_ORDER}, "
            f"{plan.examples}) FILTER (WHERE {rule.condition})"
            for rule, _ in failed
        ]
        found = tracker.query(
            con,
            plan.with_layers(f"SELECT {', '.join(samples)} FROM layers"),
            text("收集不合格的行", "collecting the rows that fail"),
        )[0]
        for (rule, count), sample in zip(failed, found, strict=True):
            examples = [(s["f"], s["r"], s["v"]) for s in sample or []]
            result.violations.append(Violation(rule, count, examples))
    if keys or failed:
        _check_keys(con, plan, result, tracker)


def _check_keys(
    con: duckdb.DuckDBPyConnection,
    plan: ImportPlan,
    result: ImportResult,
    tracker: Tracker,
    staged: Path | None = None,
) -> None:
    """Repeated unique keys, into ``result.duplicates``.

    With ``staged`` (the snapshot of a file whose rows all passed, before it is linked into the
    store) a key's typed columns are first grouped there: two columns of Parquet are read in a
    third of the time the file takes to read and cast again, and only where some hash repeats
    is the file read for the rows that hold it."""
    for k, key in enumerate(plan.keys):
        if staged is not None and not _repeats(con, key, staged, tracker):
            continue
        duplicate = _duplicates(con, plan, key, k, tracker)
        if duplicate is not None:
            result.duplicates.append(duplicate)


def _repeats(
    con: duckdb.DuckDBPyConnection, key: list[str], staged: Path, tracker: Tracker
) -> bool:
    """Whether some 64-bit hash of ``key`` repeats in the snapshot ``staged``. A GROUP BY: it
    spills beyond the memory limit, where count(DISTINCT …) does not, and SELECT DISTINCT ran
    out of memory at a limit (200 MB, 10^7 rows) the GROUP BY keeps."""
    columns = ", ".join(quote(c) for c in key)
    present = " AND ".join(f"{quote(c)} IS NOT NULL" for c in key)
    ((repeated,),) = tracker.query(
        con,
        f"SELECT count(*) FROM (SELECT hash({columns}) AS h "
        f"FROM read_parquet('{sql_literal(staged)}') WHERE {present} "
        "GROUP BY h HAVING count(*) > 1)",
        text("检查重复", "checking duplicates"),
    )
    return repeated > 0


def _duplicates(
    con: duckdb.DuckDBPyConnection, plan: ImportPlan, key: list[str], k: int, tracker: Tracker
) -> DuplicateKey | None:
    """Keys that appear more than once: 64-bit hashes first, exact values on the collisions."""
    hashes = f"__dup_hashes_{k}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {hashes} AS "
        + plan.with_layers(
            f"SELECT {plan.key_hash(key)} AS h "
            f"FROM layers WHERE {plan.key_present(key)} GROUP BY h HAVING count(*) > 1",
            checks=False,
        )
    )
    if not con.execute(f"SELECT count(*) FROM {hashes}").fetchall()[0][0]:
        return None
    columns = ", ".join(f"{plan.typed(c)} AS {quote(c)}" for c in key)
    groups = f"__dup_keys_{k}"
    tracker.query(
        con,
        f"CREATE OR REPLACE TEMP TABLE {groups} AS "
        + plan.with_layers(
            f"SELECT {columns}, count(*) AS n, "
            f"min({_ORDER}) AS first, "
            f"arg_min(struct_pack(f := __file, r := __row), {_ORDER}, {plan.examples}) AS rows "
            f"FROM layers WHERE {plan.key_hash(key)} IN (SELECT h FROM {hashes}) "
            f"GROUP BY ALL HAVING count(*) > 1",
            checks=False,
        ),
        text("检查重复", "checking duplicates"),
    )
    total = con.execute(f"SELECT count(*), coalesce(sum(n), 0) FROM {groups}").fetchall()[0]
    if not total[0]:
        return None  # only hash collisions between different keys
    key_sql = ", ".join(quote(c) for c in key)
    examples = con.execute(
        f"SELECT {key_sql}, rows FROM {groups} ORDER BY first LIMIT {plan.examples}"
    ).fetchall()
    return DuplicateKey(
        list(key),
        key == plan.unit_key,
        int(total[0]),
        int(total[1]),
        [(tuple(e[:-1]), [(r["f"], r["r"]) for r in e[-1]]) for e in examples],
    )


def _bad_rows(plan: ImportPlan, result: ImportResult) -> tuple[str, str]:
    """SQL true on a rejected row, and SQL of its reasons (only rules that failed somewhere)."""
    conditions, reasons = [], []
    for violation in result.violations:
        rule = violation.rule
        conditions.append(f"coalesce({rule.condition}, false)")
        reasons.append(f"CASE WHEN {rule.condition} THEN '{sql_literal(rule.label)}' END")
    for k, duplicate in enumerate(plan.keys):
        if not any(d.columns == duplicate for d in result.duplicates):
            continue
        key_struct = (
            f"struct_pack({', '.join(f'{quote(c)} := {plan.typed(c)}' for c in duplicate)})"
        )
        exact = f"struct_pack({', '.join(f'{quote(c)} := {quote(c)}' for c in duplicate)})"
        condition = (
            f"coalesce({plan.key_hash(duplicate)} IN (SELECT h FROM __dup_hashes_{k}) AND "
            f"{key_struct} IN (SELECT {exact} FROM __dup_keys_{k}), false)"
        )
        label = text(
            f"{'+'.join(duplicate)} 重复（同一键值出现多次，均未导入）",
            f"{'+'.join(duplicate)} repeated (every row with that key was set aside)",
        )
        conditions.append(condition)
        reasons.append(f"CASE WHEN {condition} THEN '{sql_literal(label)}' END")
    if not conditions:
        return "false", "NULL"
    return "(" + " OR ".join(conditions) + ")", f"concat_ws('；', {', '.join(reasons)})"


def _write(
    con: duckdb.DuckDBPyConnection,
    plan: ImportPlan,
    result: ImportResult,
    staged: Path,
    rejects: Path | None,
    tracker: Tracker,
) -> None:
    keep = ""
    if rejects is not None:
        bad, reasons = _bad_rows(plan, result)
        # The rejected rows are set apart first (few, as a rule). Leaving them out is a join,
        # and a join does not keep the file's order: the accepted rows are sorted back into it
        # so that a snapshot's bytes, and so its name, depend on its content alone. (A sort of
        # the whole table: the price of quarantine, paid only when some row failed; it spills
        # beyond the memory limit. A filter that keeps the order instead would save the sort
        # but not the bytes: the Parquet writer cuts row groups at whole chunks, which only
        # the sort hands over full, so every quarantined snapshot would change its name.)
        names = ", ".join(f"'{sql_literal(f.path.name)}'" for f in plan.files)
        line = _line_sql(con, plan.files)
        originals = ", ".join(quote(c) for c in plan.present)
        tracker.query(
            con,
            "CREATE OR REPLACE TEMP TABLE __rejected AS "
            + plan.with_layers(
                f"SELECT {_ORDER} AS __key, list_extract([{names}], __file + 1) AS _file, "
                f"{line} AS _line, {reasons} AS _reason, {originals} FROM layers WHERE {bad}"
            ),
            text("找出不合格的行", "setting aside the rows that fail"),
        )
        if con.execute("SELECT count(*) FROM __rejected").fetchall()[0][0]:
            keep = f" WHERE {_ORDER} NOT IN (SELECT __key FROM __rejected) ORDER BY {_ORDER}"
    tracker.query(
        con,
        "COPY ("
        + plan.with_layers(f"SELECT {plan.output_select()} FROM layers{keep}", checks=False)
        + f") TO '{sql_literal(staged)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)",
        text("写入合格数据", "writing the accepted rows"),
    )
    result.rows_accepted = con.execute(
        f"SELECT count(*) FROM read_parquet('{sql_literal(staged)}')"
    ).fetchall()[0][0]
    if rejects is not None and result.rows_accepted < result.rows_read:
        con.execute(
            f"COPY (SELECT * EXCLUDE (__key) FROM __rejected ORDER BY __key) "
            f"TO '{sql_literal(rejects)}' (HEADER, DELIMITER ',')"
        )


def _line_sql(con: duckdb.DuckDBPyConnection, files: list[InputFile]) -> str:
    """SQL of the number users see for ``__row``: CSV line (quoted newlines and blank lines
    counted) and spreadsheet row count the header, Parquet does not."""
    shifts = [
        (i, record, shift)
        for i, f in enumerate(files)
        if f.format == "csv"
        for record, shift in csv_line_shifts(f.readable)
    ]
    con.execute("CREATE OR REPLACE TEMP TABLE __line_shifts (f INTEGER, r BIGINT, s BIGINT)")
    if shifts:
        con.executemany("INSERT INTO __line_shifts VALUES (?, ?, ?)", shifts)
    shift = (
        "coalesce((SELECT arg_max(s, r) FROM __line_shifts "
        "WHERE __line_shifts.f = __file AND __line_shifts.r <= __row), 0)"
    )
    cases = " ".join(
        f"WHEN {i} THEN __row"
        + {"csv": f" + 1 + {shift}" if shifts else " + 1", "xlsx": " + 1"}.get(f.format, "")
        for i, f in enumerate(files)
    )
    return f"CASE __file {cases} END"


def _check_hierarchy(con: duckdb.DuckDBPyConnection, plan: ImportPlan, staged: Path) -> None:
    """Units only: the parent chains must end at a top unit, never loop."""
    rows = con.execute(
        f"SELECT unit, parent FROM read_parquet('{sql_literal(staged)}')"
        if "parent" in plan.present
        else "SELECT 1 WHERE false"
    ).fetchall()
    parent = dict(rows)
    settled: set[str] = set()
    for code in parent:
        chain: list[str] = []
        current = code
        while current is not None and current not in settled:
            if current in chain:
                loop = " → ".join([*chain[chain.index(current) :], current])
                raise DataError(
                    text(
                        f"units：上下级关系成环：{loop}。请修正 parent 列",
                        f"units: the parent chain loops: {loop}. Correct the parent column",
                    )
                )
            chain.append(current)
            current = parent.get(current)
        settled.update(chain)


def _facts(con: duckdb.DuckDBPyConnection, plan: ImportPlan, staged: Path) -> dict:
    """What a run needs to know without reading the data again: periods and units present."""
    literal = sql_literal(staged)
    facts: dict = {}
    if "period" in plan.schema.columns:
        facts["periods"] = {
            str(p): int(n)
            for p, n in con.execute(
                f"SELECT period, count(*) FROM read_parquet('{literal}') GROUP BY ALL ORDER BY 1"
            ).fetchall()
        }
    if plan.schema.unit is not None:
        facts["units"] = [
            u
            for (u,) in con.execute(
                f"SELECT DISTINCT {quote(plan.schema.unit.column)} FROM read_parquet('{literal}') "
                "ORDER BY 1"
            ).fetchall()
        ]
    return facts


def _read_error(error: duckdb.Error, files: list[InputFile]) -> DataError:
    names = ", ".join(str(f.path) for f in files)
    lines = [line.strip() for line in str(error).splitlines()]
    # DuckDB: "CSV Error on Line: N", "Original Line: …", then what is wrong with it
    reason = next((x for x in lines[1:4] if x and not x.startswith("Original Line")), "")
    message = f"{lines[0]} {reason}".strip() if lines[0].startswith("Invalid Input") else lines[0]
    if "invalid unicode" in str(error).lower():
        return DataError(
            text(
                f"{names}：文件不是有效的 UTF-8 编码（{message}）。请用 --encoding gb18030，"
                "或在 Excel/WPS 中另存为 UTF-8 CSV",
                f"{names}: the file is not valid UTF-8 ({message}). Use --encoding gb18030, "
                "or save it as UTF-8 CSV",
            )
        )
    return DataError(
        text(
            f"{names}：无法读取（{message}）。CSV 须有列名行、各行列数一致",
            f"{names}: cannot be read ({message}). A CSV needs a header row and the same "
            "number of fields on every line",
        )
    )
