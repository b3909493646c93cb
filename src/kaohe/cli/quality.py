"""``kaohe quality …``: data authenticity and quality detectors that write findings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..i18n import text
from .app import (
    DataOption,
    MemoryLimitOption,
    PeriodOption,
    app,
    console,
    user_errors,
    with_columns,
)
from .data import progress_display

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

quality_app = typer.Typer(
    help="数据质量 Data authenticity checks: check, detectors.", no_args_is_help=True
)
app.add_typer(quality_app, name="quality")


@quality_app.command("check")
@user_errors
def quality_check(
    data: DataOption,
    out: Annotated[
        Path, typer.Option(help="Findings CSV to write (a .json twin is written beside it).")
    ],
    period: PeriodOption = None,
    rules: Annotated[
        Path | None, typer.Option(help="Quality rules YAML (default: the bundled one).")
    ] = None,
    eligibility_rules: Annotated[
        Path | None, typer.Option(help="Eligibility rules YAML (poverty line; default: bundled).")
    ] = None,
    only: Annotated[list[str], typer.Option(help="Run only this detector (repeat).")] = [],  # noqa: B006
    memory_limit: MemoryLimitOption = None,
) -> None:
    """Run the detectors and write findings (unit, rule, severity, evidence, count)."""
    from ..quality.findings import finding_rows, write_findings
    from ..quality.quality_rules import load_quality_rules
    from ..quality.registry import run_detectors
    from ..verify.inputs import open_inputs
    from ..verify.verification_rules import load_eligibility_rules

    loaded = load_quality_rules(rules)
    eligibility = load_eligibility_rules(eligibility_rules)
    with progress_display() as display:
        # pulses while the data are opened, then counts the detectors, naming the one running
        task = display.add_task(text("读取数据", "reading the data"), total=None)

        def detecting(done: int, total: int, name: str) -> None:
            display.update(
                task,
                completed=done,
                total=total,
                description=text(f"检查 {name}", f"detector {name}") if name else None,
            )

        with open_inputs(data, period, memory_limit=memory_limit) as inputs:
            result = run_detectors(inputs, loaded, eligibility, only or None, progress=detecting)
            rows = finding_rows(result.findings, inputs)
    write_findings(out, rows)
    print_summary(rows)
    for note in result.notes:
        console.print(f"[dim]{note.rule}: {note.message}[/]", highlight=False)
    console.print(text(f"{len(rows)} 条问题已写入 {out}", f"{len(rows)} findings written to {out}"))


@quality_app.command("detectors")
def quality_detectors() -> None:
    """List the detectors in the order they run."""
    from ..quality.quality_rules import load_quality_rules
    from ..quality.registry import DETECTORS

    model = load_quality_rules().model
    for name, _ in DETECTORS:
        console.print(f"{name}  {getattr(model, name).label}")


def print_summary(rows: list[dict]) -> None:
    """Findings counted by rule and severity."""
    counts: dict[tuple[str, str, str], list[int]] = {}
    for row in rows:
        key = (row["rule"], row["label"], row["severity"])
        entry = counts.setdefault(key, [0, 0])
        entry[0] += 1
        entry[1] += row["count"]
    table = with_columns(
        Table(title=text("问题汇总", "Findings by rule"), title_justify="left"),
        (
            text("规则", "rule"),
            text("说明", "label"),
            text("严重程度", "severity"),
            text("考核对象数", "units"),
            text("涉及记录", "records"),
        ),
    )
    order = {"严重": 0, "一般": 1, "提示": 2}
    for (rule, label, severity), (units, records) in sorted(
        counts.items(), key=lambda item: (order.get(item[0][2], 9), item[0][0])
    ):
        table.add_row(rule, label, severity, str(units), str(records))
    console.print(table)
