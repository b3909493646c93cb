"""``kaohe import`` and ``kaohe snapshots``: validated imports into the snapshot store."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..i18n import text
from ..scheme.documents import bundled_files
from .app import MemoryLimitOption, app, console, errors, user_errors, with_columns

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

snapshots_app = typer.Typer(
    help="数据快照 snapshots: list what the store holds.", no_args_is_help=True
)
app.add_typer(snapshots_app, name="snapshots")


def _bundled_sources() -> list[str]:
    # listed from the schema folder itself (the rules-document loader's lookup), so the help never
    # falls behind it
    return sorted(bundled_files("data/schemas"))


def progress_display() -> Progress:
    """A rich progress display on stderr; silent when stderr is not a terminal (CI, pipes)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )


@contextlib.contextmanager
def pulsing(description: str) -> Iterator[Callable[[str], None]]:
    """A pulsing bar with the time elapsed, for a step whose library call does not report its
    progress; the caller renames it as its steps go (``step("…")``)."""
    with progress_display() as display:
        task = display.add_task(description, total=None)
        yield lambda step: display.update(task, description=step)


@app.command("import")
@user_errors
def import_command(
    source: Annotated[
        str,
        typer.Argument(help=f"Source: {', '.join(_bundled_sources())} — or a schema file (.yaml)."),
    ],
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CSV (UTF-8, GB18030 or UTF-16), Excel (.xlsx, .xls) or Parquet; read as one "
            "table. Headers may be the columns' ids, labels or aliases."
        ),
    ],
    store: Annotated[Path, typer.Option(help="Snapshot store directory (created if missing).")],
    quarantine: Annotated[
        bool,
        typer.Option(
            help="Keep the rows that pass; write the others with their reasons to a rejects file."
        ),
    ] = False,
    encoding: Annotated[
        str, typer.Option(help="CSV encoding: auto, utf-8, gb18030 or utf-16.")
    ] = "auto",
    mapping: Annotated[
        Path | None,
        typer.Option(help="Mapping file (kaohe data map): the files' headers and values."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Excel: the worksheet to read (default: the source's).")
    ] = None,
    memory_limit: MemoryLimitOption = None,
    examples: Annotated[int, typer.Option(help="Rows shown per broken rule.", min=1)] = 5,
    min_rows_share: Annotated[
        float,
        typer.Option(
            help="Refuse a snapshot with fewer rows than this share of the source's latest "
            "snapshot (0-1).",
            min=0.0,
            max=1.0,
        ),
    ] = 0.5,
    allow_shrink: Annotated[
        bool,
        typer.Option(
            help="Confirm that the source really has far fewer rows than its latest snapshot."
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            help="Where the checks run: duckdb (in-process) or spark (pyspark; CSV files only). "
            "Both give the same verdicts, rejects and snapshot."
        ),
    ] = "duckdb",
) -> None:
    """Check files against the source's schema and add them to the store as a snapshot."""
    from ..data.importer import import_files, report
    from ..data.mappings import load_mapping
    from ..data.progress import Tracker
    from ..data.schemas import load_schema
    from ..data.snapshots import Store
    from ..errors import UsageError

    if engine not in ("duckdb", "spark"):
        raise UsageError(
            text(
                f"未知的计算引擎 {engine}；可选：duckdb、spark",
                f"unknown engine {engine}; use one of duckdb, spark",
            )
        )
    schema = load_schema(source)
    chosen = load_mapping(mapping, schema) if mapping is not None else None
    repository = Store(store)
    with progress_display() as progress:
        checks = None
        if engine == "spark":
            # pyspark is an optional extra (kaohe[spark]) and takes seconds to import
            from ..data.spark_import import SparkChecks
            from ..measures.spark_engine import spark_session

            checks = SparkChecks(spark_session(memory=memory_limit))
        result = import_files(
            repository,
            schema,
            files,
            quarantine=quarantine,
            encoding=encoding,
            memory_limit=memory_limit,
            examples=examples,
            tracker=Tracker(progress),
            min_rows_share=min_rows_share,
            allow_shrink=allow_shrink,
            mapping=chosen,
            sheet=sheet,
            checks=checks,
        )
    snapshot = result.snapshot
    name = schema.model.source
    for item in result.files:
        for notice in item.notices():
            console.print(notice, highlight=False, markup=False)
    if result.failed:
        errors.print(report(result), highlight=False, markup=False)
    if not result.created:
        latest = repository.latest(name)
        console.print(
            text(
                f"{name}：内容与已有快照 {snapshot.short}（{snapshot.created}）相同，未写入任何数据。",
                f"{name}: the content equals snapshot {snapshot.short} ({snapshot.created}); "
                "nothing was written.",
            ),
            highlight=False,
        )
        if latest is not None and latest.sha256 != snapshot.sha256:
            console.print(
                text(
                    f"注意：它不是最新的快照；运行时用 --snapshot {name}={snapshot.short} 选用它。",
                    f"Note: it is not the latest snapshot; pick it in a run with "
                    f"--snapshot {name}={snapshot.short}.",
                ),
                highlight=False,
            )
        return
    console.print(
        text(
            f"{name}：已导入 {result.rows_accepted} 行 → 快照 {snapshot.short}（{snapshot.path}）",
            f"{name}: imported {result.rows_accepted} rows → snapshot {snapshot.short} "
            f"({snapshot.path})",
        ),
        highlight=False,
    )
    if result.rejected:
        console.print(
            text(
                f"拒收 {result.rejected} 行，每行的原因见 {result.rejects}",
                f"{result.rejected} rows set aside; the reason for each is in {result.rejects}",
            ),
            highlight=False,
        )
    if result.ignored_columns:
        console.print(
            text(
                f"未声明的列没有导入：{', '.join(result.ignored_columns)}",
                f"undeclared columns were not imported: {', '.join(result.ignored_columns)}",
            ),
            highlight=False,
        )


@snapshots_app.command("list")
@user_errors
def list_snapshots(
    store: Annotated[Path, typer.Option(help="Snapshot store directory.")],
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
) -> None:
    """The snapshots in the store, oldest first; the latest of each source is marked."""
    from ..data.snapshots import Store

    repository = Store(store)
    found = repository.snapshots(source)
    if not found:
        console.print(text(f"{store} 中没有快照", f"no snapshots in {store}"))
        return
    latest = {s.source: s.sha256 for s in found}  # sorted oldest first: the last one wins
    # fmt: off
    table = with_columns(
        Table(title_justify="left"),
        (  # (Chinese, English) pairs
            ("数据源", "source"), ("快照", "snapshot"), ("行数", "rows"),
            ("拒收", "rejected"), ("导入时间", "created"), ("原始文件", "files"),
            ("最新", "latest"),
        ),
    )
    # fmt: on
    for snapshot in found:
        table.add_row(
            snapshot.source,
            snapshot.short,
            str(snapshot.rows),
            str(snapshot.sidecar.get("rejected", 0)),
            snapshot.created[:19].replace("T", " "),
            ", ".join(f["name"] for f in snapshot.sidecar.get("files", [])),
            "✓" if latest[snapshot.source] == snapshot.sha256 else "",
        )
    console.print(table)
