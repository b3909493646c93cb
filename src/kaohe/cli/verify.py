"""``kaohe sample …`` (sampling plans, sample sizes, team assignment) and ``kaohe verify …``
(estimates with intervals and verdicts, reconciliation, eligibility, the verification report)."""

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
from .data import progress_display, pulsing

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

sample_app = typer.Typer(
    help="抽样 Sampling plans drawn by lot: draw, size, assign.", no_args_is_help=True
)
verify_app = typer.Typer(
    help="核查 Verification: estimates, reconcile, eligibility, report.", no_args_is_help=True
)
app.add_typer(sample_app, name="sample")
app.add_typer(verify_app, name="verify")

RulesOption = Annotated[
    Path | None, typer.Option(help="Verification rules YAML (default: the bundled one).")
]
LevelOption = Annotated[
    list[str],
    typer.Option(help="Unit level to report (repeat); default: every level above the checks."),
]


@sample_app.command("draw")
@user_errors
def sample_draw(
    frame: Annotated[Path, typer.Option(help="Sampling frame: CSV or Parquet, one row per item.")],
    out: Annotated[Path, typer.Option(help="Plan CSV to write (plus <name>.json beside it).")],
    seed: Annotated[int, typer.Option(help="Public seed of the lot (recorded in the plan).")],
    design: Annotated[str, typer.Option(help="srs | stratified | systematic | pps")] = "srs",
    id: Annotated[str, typer.Option("--id", help="Column identifying an item.")] = "household_id",
    stratum: Annotated[str | None, typer.Option(help="Stratum column (e.g. unit).")] = None,
    size: Annotated[str | None, typer.Option(help="PPS: measure-of-size column.")] = None,
    order: Annotated[str | None, typer.Option(help="Systematic: list order column.")] = None,
    n: Annotated[
        int | None, typer.Option(help="Sample size (total; per stratum if equal).")
    ] = None,
    margin: Annotated[float | None, typer.Option(help="Or: margin of error for a rate.")] = None,
    confidence: Annotated[float, typer.Option(help="Confidence for --margin.")] = 0.95,
    proportion: Annotated[float, typer.Option(help="Anticipated rate for --margin.")] = 0.5,
    design_effect: Annotated[float, typer.Option(help="Design effect for --margin.")] = 1.0,
    min_share: Annotated[
        float | None, typer.Option(help="At least this share of each stratum (e.g. 0.1).")
    ] = None,
    allocation: Annotated[
        str, typer.Option(help="proportional | equal | required (each stratum by --margin)")
    ] = "proportional",
    keep: Annotated[list[str], typer.Option(help="Frame column to copy into the plan.")] = [],  # noqa: B006
) -> None:
    """Draw a sample by lot; the same seed gives the same sample on any machine."""
    from ..errors import UsageError
    from ..verify.sampling import ALLOCATIONS, Request, draw, write_plan

    if allocation not in ALLOCATIONS:
        raise UsageError(
            text(
                f"不认识的分配方式 {allocation}；可选：{', '.join(ALLOCATIONS)}",
                f"unknown allocation {allocation}; use one of {', '.join(ALLOCATIONS)}",
            )
        )
    request = Request(
        design=design,  # type: ignore[arg-type]
        seed=seed,
        id_column=id,
        stratum_column=stratum,
        size_column=size,
        order_column=order,
        n=n,
        margin=margin,
        confidence=confidence,
        proportion=proportion,
        design_effect=design_effect,
        min_share=min_share,
        allocation=allocation,  # type: ignore[arg-type]
        keep=tuple(keep),
    )
    plan = draw(frame, request)
    sidecar = write_plan(plan, out)
    table = with_columns(
        Table(title=text("抽样方案", "Sampling plan"), title_justify="left"),
        (
            text("层", "stratum"),
            text("总体数", "N"),
            text("样本数", "n"),
            text("依据", "rule"),
        ),
    )
    for s in plan.strata[:30]:
        table.add_row(s.stratum, str(s.population), str(s.sample), s.rule)
    if len(plan.strata) > 30:
        table.caption = text(f"共 {len(plan.strata)} 层", f"{len(plan.strata)} strata in all")
    console.print(table)
    console.print(
        text(
            f"抽中 {plan.n} 个，方案已写入 {out}（说明 {sidecar.name}，种子 {seed}）",
            f"{plan.n} drawn; plan written to {out} (described in {sidecar.name}, seed {seed})",
        )
    )


@sample_app.command("size")
@user_errors
def sample_size_command(
    margin: Annotated[float, typer.Option(help="Margin of error (e.g. 0.02 for ±2 points).")],
    confidence: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    proportion: Annotated[float, typer.Option(help="Anticipated rate (0.5 is safest).")] = 0.5,
    population: Annotated[
        int | None, typer.Option(help="Frame size N (finite-population correction).")
    ] = None,
    design_effect: Annotated[float, typer.Option(help="Design effect.")] = 1.0,
    min_share: Annotated[float | None, typer.Option(help="Minimum share of N (e.g. 0.1).")] = None,
) -> None:
    """How many households (or projects) to check to estimate a rate within ± margin."""
    from ..verify.sample_size import sample_size

    result = sample_size(margin, confidence, proportion, population, design_effect, min_share)
    console.print(
        text(
            f"样本量 n = {result.n}（无限总体 n0 = {result.n0:.2f}；依据：{result.rule}）",
            f"sample size n = {result.n} (infinite population n0 = {result.n0:.2f}; "
            f"decided by: {result.rule})",
        )
    )


@sample_app.command("assign")
@user_errors
def sample_assign(
    plan: Annotated[Path, typer.Option(help="Plan CSV from `kaohe sample draw`.")],
    teams: Annotated[Path, typer.Option(help="teams.csv: team, province (home province code).")],
    data: DataOption,
    seed: Annotated[int, typer.Option(help="Public seed of the lot.")],
    out: Annotated[Path, typer.Option(help="Assignment CSV to write.")],
    by: Annotated[str, typer.Option(help="Plan column whose units are assigned whole.")] = "unit",
) -> None:
    """Assign sampled units to verification teams by lot; no team checks its own province."""
    from ..data.units import load_units
    from ..verify.assignment import (
        assign_teams,
        plan_groups,
        province_of,
        read_teams,
        write_assignments,
    )

    units = load_units(data, {})
    result = assign_teams(plan_groups(plan, by), province_of(units), read_teams(teams), seed)
    write_assignments(out, result, units)
    loads: dict[str, int] = {}
    for a in result:
        loads[a.team] = loads.get(a.team, 0) + a.items
    console.print(
        text(
            f"{len(result)} 个考核对象已分配给 {len(loads)} 个核查组，写入 {out}",
            f"{len(result)} units assigned to {len(loads)} teams; written to {out}",
        )
    )


def _judge(
    data: Path,
    period: str | None,
    rules: Path | None,
    level: list[str],
    memory_limit: str | None = None,
):
    """Load the verification rules and judge the data directory: (rules, judged results)."""
    from ..verify.unit_tables import TABLES, open_for_rules, verify_directory
    from ..verify.verification_rules import load_verification_rules

    loaded = load_verification_rules(rules)
    # pulses while the data are opened, then counts the tables, naming the one computed
    with progress_display() as display:
        task = display.add_task(text("读取数据", "reading the data"), total=None)
        with open_for_rules(data, period, loaded, memory_limit=memory_limit) as inputs:
            return loaded, verify_directory(
                inputs, loaded, level or None, progress=_following(display, task, TABLES)
            )


def _following(display, task, steps: dict[str, tuple[str, str]]):
    """A step counter (``unit_tables.StepProgress``) that moves ``task`` of ``display`` and
    names the step starting (a key of ``steps``)."""

    def step(done: int, total: int, name: str) -> None:
        description = text(*steps[name]) if name else None
        display.update(task, completed=done, total=total, description=description)

    return step


@verify_app.command("estimates")
@user_errors
def verify_estimates(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="Derived source CSV to write (one row per unit).")],
    period: PeriodOption = None,
    rules: RulesOption = None,
    level: LevelOption = [],  # noqa: B006
    memory_limit: MemoryLimitOption = None,
) -> None:
    """Field-check estimates per unit with intervals and verdicts, as a source schemes can read."""
    from ..verify.unit_tables import write_source_file

    loaded, judged = _judge(data, period, rules, level, memory_limit)
    write_source_file(out, judged, loaded)
    print_notes(judged.notes)
    print_verdicts(judged.estimates)
    console.print(text(f"核查估计已写入 {out}", f"estimates written to {out}"))


@verify_app.command("reconcile")
@user_errors
def verify_reconcile(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="CSV to write.")],
    period: PeriodOption = None,
    rules: RulesOption = None,
    level: LevelOption = [],  # noqa: B006
    memory_limit: MemoryLimitOption = None,
) -> None:
    """Claimed against verified figures per unit: discrepancy rate and direction."""
    from ..verify.unit_tables import write_csv

    _, judged = _judge(data, period, rules, level, memory_limit)
    write_csv(out, judged.reconciliation)
    print_notes([n for n in judged.notes if n["outputs"][0].startswith("reconciliation")])
    console.print(text(f"核实对比已写入 {out}", f"reconciliation written to {out}"))


@verify_app.command("eligibility")
@user_errors
def verify_eligibility(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="CSV of counts per unit and rule.")],
    period: PeriodOption = None,
    rules: Annotated[
        Path | None, typer.Option(help="Eligibility rules YAML (default: the bundled one).")
    ] = None,
    flagged: Annotated[
        Path | None, typer.Option(help="Also write the flagged households (Parquet).")
    ] = None,
    level: LevelOption = [],  # noqa: B006
    memory_limit: MemoryLimitOption = None,
) -> None:
    """Evaluate household eligibility rules over the whole registry; count flags per unit."""
    from ..verify.eligibility import evaluate_eligibility
    from ..verify.inputs import data_period, open_inputs
    from ..verify.unit_tables import eligibility_rows, write_csv
    from ..verify.verification_rules import load_eligibility_rules

    loaded = load_eligibility_rules(rules)
    # the rules run as one query over the registry, which does not report its rows: the bar pulses
    with (
        pulsing(text("读取数据", "reading the data")) as step,
        open_inputs(
            data,
            period,
            sources=("households",),
            required=("households",),
            memory_limit=memory_limit,
        ) as inputs,
    ):
        step(text("资格核验", "eligibility rules"))
        levels = level or sorted(set(inputs.units.level.values()))
        items = evaluate_eligibility(inputs, loaded, levels, flagged)
        rows = eligibility_rows(inputs, loaded, items, data_period(inputs, "households"))
    write_csv(out, rows)
    console.print(text(f"资格核验结果已写入 {out}", f"eligibility counts written to {out}"))


@verify_app.command("report")
@user_errors
def verify_report(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="Report directory (replaced atomically).")],
    period: PeriodOption = None,
    rules: RulesOption = None,
    eligibility_rules: Annotated[
        Path | None, typer.Option(help="Eligibility rules YAML (default: bundled).")
    ] = None,
    quality_rules: Annotated[
        Path | None, typer.Option(help="Quality rules YAML (default: bundled).")
    ] = None,
    quality: Annotated[bool, typer.Option(help="Also run the quality detectors.")] = True,
    sources: Annotated[
        bool,
        typer.Option(
            help="Also write verification_estimates.csv and quality_findings.csv into --data."
        ),
    ] = False,
    level: LevelOption = [],  # noqa: B006
    memory_limit: MemoryLimitOption = None,
) -> None:
    """The per-unit verification report: estimates, verdicts, ratios, reconciliation,
    eligibility and quality findings (CSV + JSON) with a manifest."""
    from ..derived.verification import STEPS, run_verification

    # pulses while the rules are read and the data opened, then counts the tables, each quality
    # check and the writing, naming the step under way
    with progress_display() as display:
        task = display.add_task(text("核查报告", "verification report"), total=None)
        result = run_verification(
            data,
            out,
            period=period,
            rules=rules,
            eligibility_rules=eligibility_rules,
            quality_rules=quality_rules,
            quality=quality,
            levels=level or None,
            sources_into=data if sources else None,
            memory_limit=memory_limit,
            progress=_following(display, task, STEPS),
        )
    print_notes(result.judged.notes)
    print_verdicts(result.judged.estimates)
    console.print(text(f"核查报告已写入 {out}", f"verification report written to {out}"))
    if sources:
        console.print(
            text(
                f"派生数据源已写入 {data}（verification_estimates.csv、quality_findings.csv）",
                f"derived sources written to {data} (verification_estimates.csv, "
                "quality_findings.csv)",
            )
        )


def print_notes(notes: list[dict]) -> None:
    """What could not be computed (a missing optional column …), one warning a line."""
    from rich.markup import escape

    for note in notes:
        console.print(f"[yellow]{text('注意', 'Note')}：[/yellow]{escape(note['message'])}")


def print_verdicts(rows: list[dict], limit: int = 30) -> None:
    """Units with a verdict other than 达标 at the top level reported, most serious first."""
    from ..verify.verdicts import FAIL, INCONCLUSIVE, verdict_label

    shown = [r for r in rows if r["verdict"] in (FAIL, INCONCLUSIVE)]
    levels = list(dict.fromkeys(r["level"] for r in rows))
    if len(levels) > 1:
        shown = [r for r in shown if r["level"] == levels[min(1, len(levels) - 1)]]
    shown.sort(key=lambda r: (r["verdict"] != FAIL, r["unit"], r["estimate"]))
    # fmt: off
    table = with_columns(
        Table(
            title=text("未达标或不确定的估计", "Estimates that fail or are inconclusive"),
            title_justify="left",
        ),
        (  # (Chinese, English) pairs
            ("代码", "unit"), ("名称", "name"), ("指标", "estimate"),
            ("估计值", "rate"), ("置信区间", "interval"), ("标准", "threshold"),
            ("结论", "verdict"),
        ),
    )
    # fmt: on
    for r in shown[:limit]:
        interval = "" if r["low"] is None else f"[{r['low']:.2%}, {r['high']:.2%}]"
        rate = "" if r["rate"] is None else f"{r['rate']:.2%}"
        table.add_row(
            r["unit"],
            r["name"],
            r["label"],
            rate,
            interval,
            r["threshold"],
            verdict_label(r["verdict"]),
        )
    if len(shown) > limit:
        table.caption = text(f"另有 {len(shown) - limit} 条", f"{len(shown) - limit} more")
    console.print(table)
