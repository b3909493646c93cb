"""``kaohe funds …``: project fund performance management (扶贫项目资金绩效管理).

admit (target gate) → adjust (target changes) → monitor / answer / flags (execution monitoring) →
sample (spot-check draw) → evaluate (year-end evaluation) → allocate (next year's budget) → audit
(findings and rectification items). See docs/funds.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import UsageError
from ..i18n import text
from .app import app, console, errors, parse_params, user_errors, with_columns
from .data import progress_display, pulsing

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

funds_app = typer.Typer(
    help="项目资金绩效管理 project fund performance: admit, monitor, evaluate, allocate, audit.",
    no_args_is_help=True,
)
app.add_typer(funds_app, name="funds")

LibraryOption = Annotated[
    Path, typer.Option("--library", help="Project library directory (events.jsonl).")
]
ParamOption = Annotated[
    list[str], typer.Option("--param", help="Override a rules parameter: name=value.")
]


@funds_app.command("admit")
@user_errors
def admit(
    projects: Annotated[
        Path, typer.Argument(help="Projects: .xlsx (sheets projects+targets) or .csv.")
    ],
    targets: Annotated[
        Path | None, typer.Argument(help="Targets CSV (default: targets.csv beside projects).")
    ] = None,
    library: LibraryOption = Path("project-library"),
    rules: Annotated[str, typer.Option(help="Gate rules file or bundled name.")] = "gate",
    units: Annotated[
        Path | None, typer.Option(help="units.csv: also check that each county exists.")
    ] = None,
    param: ParamOption = [],  # noqa: B006
) -> None:
    """Check projects against the target gate; admit them to the library or list every reason."""
    from ..funds.gate import check_submission, load_gate_rules, read_submission
    from ..funds.library import Library
    from ..funds.library import admit as record

    loaded = load_gate_rules(rules, parse_params(param))
    project_table, target_table = read_submission(projects, targets)
    known = _unit_levels(units) if units else None
    submission = check_submission(project_table, target_table, loaded.model, known)
    result = record(Library.open(library, create=True), submission)
    console.print(
        text(
            f"入库 {len(result.admitted)} 个项目，已在库且未变 {len(result.unchanged)} 个，"
            f"不得入库 {len(result.rejected)} 个。项目库：{library}",
            f"admitted {len(result.admitted)} projects, {len(result.unchanged)} already in the "
            f"library unchanged, {len(result.rejected)} rejected. library: {library}",
        ),
        highlight=False,
        soft_wrap=True,
    )
    if result.rejected or result.orphans:
        errors.print(f"[bold red]{text('不得入库', 'not admitted')}:[/]")
        for pid, reasons in result.rejected.items():
            errors.print(f"[bold]{escape(pid)}[/]", highlight=False, soft_wrap=True)
            for reason in reasons:
                errors.print(f"  - {escape(reason)}", highlight=False, soft_wrap=True)
        for orphan in result.orphans:
            errors.print(f"- {escape(orphan)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2)


def _unit_levels(path: Path) -> dict[str, str]:
    from ..data.units import load_units

    units = load_units(path.parent if path.name.startswith("units.") else path, {})
    return dict(units.level)


@funds_app.command("adjust")
@user_errors
def adjust(
    file: Annotated[
        Path, typer.Argument(help="Adjustments: project_id, indicator_id, target, reason.")
    ],
    library: LibraryOption = Path("project-library"),
) -> None:
    """Record approved target adjustments (调整绩效目标); all rows or none."""
    from ..funds.library import ADJUST_COLUMNS, ADJUST_REQUIRED, Library
    from ..funds.library import adjust as record
    from ..funds.tables import read_table

    table = read_table(file, ADJUST_COLUMNS, ADJUST_REQUIRED)
    done = record(Library.open(library), table)
    console.print(
        text(f"已记录 {len(done)} 项目标调整", f"recorded {len(done)} target adjustments")
    )


@funds_app.command("monitor")
@user_errors
def monitor(
    report: Annotated[
        Path, typer.Argument(help="Progress report: project_id, as_of, item, value.")
    ],
    library: LibraryOption = Path("project-library"),
    rules: Annotated[
        str, typer.Option(help="Monitoring rules file or bundled name.")
    ] = "monitoring",
    param: ParamOption = [],  # noqa: B006
) -> None:
    """Record progress reports and raise a flag for each deviation beyond the thresholds."""
    from ..funds.library import Library
    from ..funds.monitoring import (
        REPORT_COLUMNS,
        REPORT_SHEETS,
        load_monitoring_rules,
    )
    from ..funds.monitoring import monitor as record
    from ..funds.tables import read_table

    loaded = load_monitoring_rules(rules, parse_params(param))
    # reading, checking and appending the reports is one library call: the bar pulses
    with pulsing(text("读取进度报告", "reading the reports")) as step:
        table = read_table(report, REPORT_COLUMNS, list(REPORT_COLUMNS), REPORT_SHEETS)
        step(text("记录并检查进度", "recording and checking progress"))
        opened = Library.open(library)
        result = record(opened, table, loaded.model)
    console.print(
        text(
            f"记录进度报告 {len(result.recorded)} 份，更正 {len(result.revised)} 份（原报告保留在日志中），"
            f"未变 {len(result.unchanged)} 份；新预警 {len(result.raised)} 条",
            f"recorded {len(result.recorded)} reports, {len(result.revised)} revised (the earlier "
            f"versions stay in the log), {len(result.unchanged)} unchanged; "
            f"{len(result.raised)} new flags",
        ),
        highlight=False,
        soft_wrap=True,
    )
    _print_flags(result.raised)
    still_open = [f for f in opened.state().flags.values() if f.status == "open"]
    console.print(
        text(
            f"待答复预警共 {len(still_open)} 条（kaohe funds flags 查看，kaohe funds answer 答复）",
            f"{len(still_open)} flags await an answer (list: kaohe funds flags; "
            "answer: kaohe funds answer)",
        )
    )


def _print_flags(flags, limit: int = 30) -> None:
    from ..funds.monitoring import flag_message

    if not flags:
        return
    table = with_columns(
        Table(show_lines=False),
        (
            text("预警编号", "flag"),
            text("状态", "status"),
            text("说明", "detail"),
        ),
        overflow="fold",
    )
    for flag in flags[:limit]:
        status = text("待答复", "open") if flag.status == "open" else text("已答复", "answered")
        table.add_row(flag.flag_id, status, flag_message(flag))
    if len(flags) > limit:
        table.caption = text(f"另有 {len(flags) - limit} 条", f"{len(flags) - limit} more")
    console.print(table)


@funds_app.command("answer")
@user_errors
def answer(
    flag_id: Annotated[str, typer.Argument(help="The flag's id (from kaohe funds flags).")],
    by: Annotated[str, typer.Option(help="Who answers (project unit, person).")],
    note: Annotated[str, typer.Option(help="The correction: cause and measures.")],
    library: LibraryOption = Path("project-library"),
) -> None:
    """Answer a monitoring flag with the correction (纠偏措施)."""
    from ..funds.library import Library
    from ..funds.monitoring import answer as record

    (flag,) = record(Library.open(library), [(flag_id, by, note)])
    console.print(text(f"预警 {flag.flag_id} 已答复", f"flag {flag.flag_id} answered"))


@funds_app.command("flags")
@user_errors
def flags(
    library: LibraryOption = Path("project-library"),
    all_flags: Annotated[bool, typer.Option("--all", help="Answered flags too.")] = False,
) -> None:
    """List the monitoring flags awaiting an answer (or all with --all)."""
    from ..funds.library import Library

    state = Library.open(library).state()
    shown = [f for f in state.flags.values() if all_flags or f.status == "open"]
    console.print(
        text(
            f"预警 {len(state.flags)} 条，其中待答复 "
            f"{sum(1 for f in state.flags.values() if f.status == 'open')} 条",
            f"{len(state.flags)} flags, "
            f"{sum(1 for f in state.flags.values() if f.status == 'open')} awaiting an answer",
        )
    )
    _print_flags(shown, limit=200)


@funds_app.command("sample")
@user_errors
def sample(
    library: LibraryOption = Path("project-library"),
    seed: Annotated[
        int, typer.Option(help="Public seed of the draw (announce it beforehand).")
    ] = 0,
    rate: Annotated[float, typer.Option(help="Share of projects to check (at least).")] = 0.10,
    stratum: Annotated[
        str, typer.Option(help="Draw within each: unit (county), project_type, or none.")
    ] = "unit",
    out: Annotated[
        Path | None, typer.Option(help="Write the sampled projects to this CSV.")
    ] = None,
) -> None:
    """Draw the finance department's spot-check sample (at least 10% of projects) and record it."""
    from ..funds.library import Library
    from ..funds.outputs import write_csv
    from ..funds.spot_checks import draw_sample

    opened = Library.open(library)
    drawn = draw_sample(opened, rate, seed, None if stratum == "none" else stratum)
    console.print(
        text(
            f"抽取 {len(drawn.projects)}/{drawn.population} 个项目（{len(drawn.projects) / drawn.population:.1%}），"
            f"种子 {seed}，已记入项目库",
            f"drew {len(drawn.projects)} of {drawn.population} projects "
            f"({len(drawn.projects) / drawn.population:.1%}), seed {seed}; recorded in the library",
        )
    )
    if out is not None:
        state = opened.state()
        rows = [
            {
                "project_id": pid,
                "unit": state.projects[pid].unit,
                "name": state.projects[pid].name,
                "project_type": state.projects[pid].project_type,
                "owner": state.projects[pid].owner,
            }
            for pid in drawn.projects
        ]
        out.parent.mkdir(parents=True, exist_ok=True)
        write_csv(out, ["project_id", "unit", "name", "project_type", "owner"], rows)
        console.print(text(f"样本清单：{out}", f"sample list: {out}"))


def _values(path: Path | None, state, sheets, what):
    from ..funds.evaluation import VALUE_COLUMNS, read_values
    from ..funds.tables import read_table

    if path is None:
        return {}
    table = read_table(path, VALUE_COLUMNS, list(VALUE_COLUMNS), sheets)
    return read_values(table, state, what)


@funds_app.command("evaluate")
@user_errors
def evaluate(
    self_evaluation: Annotated[
        Path, typer.Option("--self", help="Self-evaluation: project_id, item, value (year end).")
    ],
    out: Annotated[Path, typer.Option(help="Output directory.")],
    library: LibraryOption = Path("project-library"),
    checks: Annotated[
        Path | None, typer.Option(help="Spot checks: project_id, item, value (verified).")
    ] = None,
    rules: Annotated[
        str, typer.Option(help="Evaluation rules file or bundled name.")
    ] = "evaluation",
    param: ParamOption = [],  # noqa: B006
    preliminary: Annotated[
        bool, typer.Option(help="Allow spot checks short of the sample (a preliminary result).")
    ] = False,
) -> None:
    """Year-end evaluation: self scores, verified scores where checked, and their difference."""
    from ..funds import evaluation as ev
    from ..funds.library import Library
    from ..funds.outputs import result_directory, write_csv, write_json

    loaded = ev.load_evaluation_rules(rules, parse_params(param))
    with progress_display() as display:
        # pulses while the library and the tables are read, then counts the projects
        task = display.add_task(text("读取项目库", "reading the library"), total=None)
        state = Library.open(library).state()
        own = _values(self_evaluation, state, ev.SELF_SHEETS, ("自评表", "self-evaluation"))
        verified = _values(checks, state, ev.CHECK_SHEETS, ("抽查表", "spot checks"))
        display.update(task, description=text("评价项目", "evaluating projects"))
        result = ev.evaluate(
            state,
            own,
            verified,
            loaded,
            preliminary,
            progress=lambda done, total: display.update(task, completed=done, total=total),
        )
        rows = ev.project_rows(result)
        read = {"self_evaluation": self_evaluation, "checks": checks}
        display.update(task, description=text("写入结果", "writing the results"))
        with result_directory(out, "funds evaluate", loaded, read) as folder:
            write_csv(folder / "project_scores.csv", ev.PROJECT_SCORE_COLUMNS, rows)
            write_csv(folder / "unit_scores.csv", ev.UNIT_SCORE_COLUMNS, ev.unit_rows(result))
            write_json(folder / "evaluation.json", ev.detail(result))
    checked = [r for r in result.projects if r.checked]
    differences = [r.difference for r in checked if r.difference is not None]
    mean = sum(differences) / len(differences) if differences else 0.0
    console.print(
        text(
            f"评价 {len(result.projects)} 个项目（未自评 {len(result.not_evaluated)} 个），抽查 "
            f"{len(checked)} 个（{result.coverage['share']:.1%}）；核查得分与自评得分平均相差 "
            f"{mean:+.2f} 分，抽查项目以核查得分为准。结果：{out}",
            f"evaluated {len(result.projects)} projects ({len(result.not_evaluated)} without a "
            f"self-evaluation), {len(checked)} spot-checked ({result.coverage['share']:.1%}); "
            f"verified minus self score {mean:+.2f} on average, and the verified score prevails "
            f"where checked. results: {out}",
        ),
        highlight=False,
        soft_wrap=True,
    )
    # fmt: off
    table = with_columns(
        Table(title=text("抽查项目：自评与核查", "checked projects: self vs verified")),
        (  # (Chinese, English) pairs
            ("项目", "project"), ("县", "county"), ("自评", "self"),
            ("核查", "verified"), ("差异", "difference"), ("等级", "grade"),
        ),
    )
    # fmt: on
    for r in sorted(checked, key=lambda r: r.difference or 0.0)[:15]:
        table.add_row(
            r.project.project_id,
            r.project.unit,
            f"{r.self_score.total:.1f}" if r.self_score else "",
            f"{r.verified_score.total:.1f}",
            f"{r.difference:+.1f}" if r.difference is not None else "",
            r.grade or "",
        )
    console.print(table)


@funds_app.command("allocate")
@user_errors
def allocate(
    data: Annotated[Path, typer.Option(help="Data directory: units.csv and the factor sources.")],
    out: Annotated[Path, typer.Option(help="Output directory.")],
    scores: Annotated[
        Path | None, typer.Option(help="unit_scores.csv of kaohe funds evaluate (performance).")
    ] = None,
    formula: Annotated[
        str, typer.Option(help="Allocation formula file or bundled name.")
    ] = "allocation",
    total: Annotated[float | None, typer.Option(help="Amount to allocate (万元).")] = None,
    period: Annotated[str | None, typer.Option(help="Period to select in the sources.")] = None,
    param: ParamOption = [],  # noqa: B006
) -> None:
    """Next year's allocation per county by the factor method, with and without performance."""
    from ..funds.allocation import allocate as compute
    from ..funds.allocation import load_allocation_rules
    from ..funds.outputs import result_directory, write_csv, write_json
    from ..funds.tables import read_table

    loaded = load_allocation_rules(formula, parse_params(param))
    if scores is None and loaded.model.performance is not None:
        raise UsageError(
            text(
                "公式含绩效因素：请用 --scores 给出 kaohe funds evaluate 的 unit_scores.csv",
                "the formula has a performance factor: give --scores (unit_scores.csv of "
                "kaohe funds evaluate)",
            )
        )
    column = loaded.model.performance.column if loaded.model.performance else "final_score"
    score_table = (
        read_table(scores, {"unit": ("县", "区划代码")}, ["unit", column]) if scores else None
    )
    # the factors are read and weighed in one library call: the bar pulses
    with pulsing(text("计算分配", "computing the allocation")):
        result = compute(data, loaded, score_table, period, total)
    rows = result.rows()
    read = {"data": data, "scores": scores}
    with result_directory(out, "funds allocate", loaded, read) as folder:
        write_csv(folder / "allocation.csv", list(rows[0].keys()) if rows else ["unit"], rows)
        write_json(
            folder / "allocation.json",
            {
                "formula": loaded.describe(),
                "total": result.total,
                "weights": result.weights,
                "weights_without_performance": result.weights_without,
                "units": rows,
            },
        )
    moved = sum(abs(r["performance_effect"]) for r in rows) / 2
    console.print(
        text(
            f"分配 {result.total:,.2f} 万元到 {len(rows)} 个县；绩效因素使 {moved:,.2f} 万元"
            f"（{moved / result.total:.1%}）在县之间重新分配。结果：{out}",
            f"allocated {result.total:,.2f} (10k yuan) to {len(rows)} counties; the performance "
            f"factor moved {moved:,.2f} ({moved / result.total:.1%}) between counties. "
            f"results: {out}",
        ),
        highlight=False,
        soft_wrap=True,
    )
    table = with_columns(
        Table(title=text("绩效因素影响最大的县", "counties most affected by performance")),
        (
            text("县", "county"),
            text("绩效得分", "score"),
            text("含绩效", "with"),
            text("不含绩效", "without"),
            text("影响", "effect"),
        ),
    )
    for row in sorted(rows, key=lambda r: -abs(r["performance_effect"]))[:12]:
        score = row["performance_score"]
        table.add_row(
            f"{row['unit']} {row['name']}",
            "" if score is None else f"{score:.1f}",
            f"{row['allocation']:,.2f}",
            f"{row['allocation_without_performance']:,.2f}",
            f"{row['performance_effect']:+,.2f}",
        )
    console.print(table)


@funds_app.command("audit")
@user_errors
def audit(
    self_evaluation: Annotated[
        Path, typer.Option("--self", help="Self-evaluation: project_id, item, value (reported).")
    ],
    out: Annotated[Path, typer.Option(help="Output directory (rectifications.csv/.json).")],
    library: LibraryOption = Path("project-library"),
    checks: Annotated[Path | None, typer.Option(help="Spot checks (verified values).")] = None,
    files: Annotated[
        Path | None, typer.Option(help="Project files held: project_id, document.")
    ] = None,
    rules: Annotated[str, typer.Option(help="Audit rules file or bundled name.")] = "audit",
    on: Annotated[
        str | None, typer.Option(help="Date the findings are opened (default today), YYYY-MM-DD.")
    ] = None,
    param: ParamOption = [],  # noqa: B006
) -> None:
    """Audit findings (问题导向), each opening a rectification item: owner, deadline, evidence."""
    from ..funds import audit_checks as au
    from ..funds.evaluation import CHECK_SHEETS, SELF_SHEETS
    from ..funds.library import Library
    from ..funds.outputs import result_directory, write_csv, write_json
    from ..funds.tables import read_table

    loaded = au.load_audit_rules(rules, parse_params(param))
    opened_on = _day(on) if on else dt.date.today()
    # reading the library and the tables, then the audit rules: library calls that do not
    # report their projects, so the bar pulses
    with pulsing(text("读取项目库", "reading the library")) as step:
        state = Library.open(library).state()
        inputs = au.AuditInputs(
            _values(self_evaluation, state, SELF_SHEETS, ("自评表", "self-evaluation")),
            _values(checks, state, CHECK_SHEETS, ("抽查表", "spot checks")),
            au.read_files(read_table(files, au.FILE_COLUMNS, list(au.FILE_COLUMNS)), state)
            if files
            else None,
        )
        step(text("审核项目", "auditing the projects"))
        findings = au.audit(state, inputs, loaded, opened_on)
    read = {"self_evaluation": self_evaluation, "checks": checks, "files": files}
    with result_directory(out, "funds audit", loaded, read) as folder:
        write_csv(folder / "rectifications.csv", au.FINDING_COLUMNS, [f.row() for f in findings])
        write_json(
            folder / "rectifications.json",
            {"rules": loaded.describe(), "findings": [f.to_json() for f in findings]},
        )
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.label] = counts.get(finding.label, 0) + 1
    console.print(
        text(
            f"发现问题 {len(findings)} 个，均已生成整改事项（责任单位、整改期限、整改证明材料）：{out}",
            f"{len(findings)} findings, each with a rectification item (owner, deadline, "
            f"evidence): {out}",
        ),
        highlight=False,
        soft_wrap=True,
    )
    for label, count in counts.items():
        console.print(f"  {label}: {count}", highlight=False)
    if files is None:
        console.print(
            text(
                "（未给出 --files，未检查项目档案完整性）",
                "(no --files given: project files were not checked)",
            )
        )


def _day(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise UsageError(
            text(f"--on {raw!r} 不是日期（YYYY-MM-DD）", f"--on {raw!r} is not a date (YYYY-MM-DD)")
        ) from None
