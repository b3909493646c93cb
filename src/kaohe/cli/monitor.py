"""``kaohe monitor …``: prevention of return to poverty (防返贫动态监测)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import UsageError
from ..i18n import text
from .app import app, console, user_errors, with_columns

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

monitor_app = typer.Typer(
    help="防返贫动态监测 monitoring of return-to-poverty risk: rules, evaluation.",
    no_args_is_help=True,
)
app.add_typer(monitor_app, name="monitor")


def _date(value: str | None, period: str | None) -> dt.date:
    if value is None:
        if period is None or not period.isdigit():
            raise UsageError(
                text(
                    "请用 --as-of YYYY-MM-DD 给出核查截止日期（或给出 --period 年份，默认取年末）",
                    "give the as-of date with --as-of YYYY-MM-DD (or a --period year: its last day)",
                )
            )
        return dt.date(int(period), 12, 31)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            text(
                f"--as-of {value!r} 不是日期，应写成 YYYY-MM-DD",
                f"--as-of {value!r} is not a date; write YYYY-MM-DD",
            )
        ) from None


@monitor_app.command("check")
@user_errors
def monitor_check(
    rules: Annotated[str, typer.Argument(help="Rules file or bundled rules id.")] = "national-2021",
    year: Annotated[int | None, typer.Option(help="Show the thresholds of this year.")] = None,
) -> None:
    """Check a rules file; with --year, print each province's thresholds for that year."""
    from ..monitoring.monitoring_rules import load_rules

    loaded = load_rules(rules)
    model = loaded.model
    console.print(
        text(
            f"{loaded.file}：有效。{model.title}，{len(model.groups)} 类监测对象，"
            f"{len(model.elimination)} 项风险消除条件",
            f"{loaded.file}: valid. {model.title_en or model.title}, {len(model.groups)} groups, "
            f"{len(model.elimination)} elimination conditions",
        )
    )
    if model.elimination_procedure:
        console.print(
            text("风险消除程序：", "elimination procedure: ")
            + " → ".join(
                text(s.label, s.label_en or s.label) + ("" if s.status == "confirmed" else "*")
                for s in model.elimination_procedure
            )
            + text("（* 政策文本未明确，待确认）", " (* not in the policy texts: open)")
            * any(s.status != "confirmed" for s in model.elimination_procedure)
        )
    if year is None:
        return
    provinces = sorted(
        {str(row["province"]) for row in model.thresholds if str(row["province"]) != "*"}
    )
    values = loaded.thresholds(year, ["*", *provinces])
    table = Table(title=text(f"{year} 年阈值", f"thresholds for {year}"), title_justify="left")
    names = [*model.parameters, "monitoring_line"]
    table.add_column(text("省份", "province"), no_wrap=True, min_width=6)  # a code stays whole
    for name in names:
        table.add_column(name, justify="right")
    for province, row in values.items():
        label = text("其他省份", "other provinces") if province == "*" else province
        table.add_row(label, *(f"{row[name]:g}" for name in names))
    console.print(table)


@monitor_app.command("run")
@user_errors
def monitor_run(
    data: Annotated[
        Path,
        typer.Option(
            help="Data directory: units.csv, monitoring_households, risk_events, income_checks, "
            "monitoring_records, assistance_measures (CSV or Parquet)."
        ),
    ],
    rules: Annotated[str, typer.Option(help="Rules file or bundled rules id.")] = "national-2021",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge as of this date (YYYY-MM-DD).")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(help="Period written to the results (default: the as-of year)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output file (default DATA/monitoring_results.parquet)."),
    ] = None,
) -> None:
    """Judge every household: monitored group, identification, assistance, risk elimination and
    return to poverty; write one row per household for schemes to read as a source."""
    from ..monitoring.evaluate import evaluate_monitoring
    from ..monitoring.monitoring_rules import load_rules

    loaded = load_rules(rules)
    day = _date(as_of, period)
    run = evaluate_monitoring(data, loaded, day, out=out, period=period)
    # fmt: off
    table = with_columns(
        Table(
            title=text(
                f"防返贫动态监测（截至 {run.as_of}，规则 {loaded.id}）",
                f"return-to-poverty monitoring (as of {run.as_of}, rules {loaded.id})",
            ),
            title_justify="left",
        ),
        (  # (Chinese, English) pairs
            ("省份", "province"), ("农户", "households"), ("存在风险", "at risk"),
            ("已纳入监测", "identified"), ("覆盖率", "coverage"), ("平均识别天数", "mean days"),
            ("有帮扶措施", "assisted"), ("风险已消除", "eliminated"), ("消除不实", "wrongly eliminated"),
            ("消除程序不规范", "irregular procedure"), ("返贫", "returned"),
        ),
        justify="right",
    )
    # fmt: on
    for s in run.provinces:
        coverage = s.identified_at_risk / s.at_risk if s.at_risk else None
        table.add_row(
            f"{s.name}",
            str(s.households),
            str(s.at_risk),
            str(s.identified_at_risk),
            "" if coverage is None else f"{coverage:.1%}",
            "" if s.mean_days_to_identification is None else f"{s.mean_days_to_identification:.1f}",
            f"{s.with_assistance}/{s.identified}",
            str(s.eliminated),
            str(s.wrongly_eliminated),
            "" if s.irregular_eliminations is None else str(s.irregular_eliminations),
            f"{s.returned}/{s.left_poverty}",
        )
    console.print(table)
    if run.irregular:
        console.print(
            text(
                "风险消除程序问题（前 10 户；全部见结果的 elimination_step_problems 列）：",
                "problems in the elimination procedure (first 10 households; all in the "
                "results' column elimination_step_problems):",
            )
        )
        for unit, household, problems, problems_en in run.irregular:
            console.print(f"  {unit} {household}: {text(problems, problems_en)}", markup=False)
    console.print(
        text(
            f"{run.rows} 户的监测结果已写入 {run.output}（考核办法可作为数据源 monitoring_results 读取）",
            f"results for {run.rows} households written to {run.output} "
            "(schemes read it as the source monitoring_results)",
        )
    )
