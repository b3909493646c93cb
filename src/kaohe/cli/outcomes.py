"""``kaohe outcomes …``: results application and rectification tracking (结果应用与整改)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import UsageError
from ..i18n import language, text
from ..outcomes.ledger import DEFAULT_LEDGER
from .app import app, console, errors, user_errors
from .data import pulsing

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

outcomes_app = typer.Typer(
    help="结果应用与整改 outcomes and rectifications: open from a run, track, list, export.",
    no_args_is_help=True,
)
app.add_typer(outcomes_app, name="outcomes")

LedgerOption = Annotated[Path, typer.Option("--ledger", help="Ledger directory (events.jsonl).")]
ActorOption = Annotated[str, typer.Option(help="Who records the event.")]


def _day(value: str | None, option: str = "--as-of") -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            text(
                f"{option} {value!r} 不是日期，应写成 YYYY-MM-DD",
                f"{option} {value!r} is not a date; write YYYY-MM-DD",
            )
        ) from None


def _ledger(path: Path, must_exist: bool = False):
    """The ledger at ``path``, after undoing what a killed command left there (with a notice)."""
    from ..outcomes.ledger import Ledger

    if must_exist and not path.is_dir():
        raise UsageError(
            text(
                f"台账目录 {path} 不存在；请用 --ledger 指定台账目录",
                f"the ledger directory {path} does not exist; name it with --ledger",
            )
        )
    book = Ledger(path)
    for notice in book.recover():
        errors.print(f"[yellow]{text('注意', 'notice')}:[/] {escape(notice)}", highlight=False)
    return book


def _item(state, ident: str):
    if ident in state.items:
        return state.items[ident]
    matches = [i for i in state.items if i.startswith(ident)]
    if len(matches) == 1:
        return state.items[matches[0]]
    raise UsageError(
        text(
            f"台账中没有事项 {ident}" + ("（有多个匹配，请写完整编号）" if matches else ""),
            f"no item {ident} in the ledger"
            + (" (several match; give the full id)" if matches else ""),
        )
    )


@outcomes_app.command("open")
@user_errors
def outcomes_open(
    run: Annotated[Path, typer.Option(help="A run directory (explain.json, manifest.json).")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    date: Annotated[
        str | None, typer.Option(help="Opening date; deadlines count from it (YYYY-MM-DD).")
    ] = None,
    days: Annotated[
        int, typer.Option(help="Days to rectify a finding when the scheme sets none.")
    ] = 90,
    actor: ActorOption = "kaohe",
) -> None:
    """Record a run's outcome actions and open its rectifications and findings."""
    from ..outcomes.from_run import open_from_run

    # one library call over the run's units: the bar pulses, with the time elapsed
    with pulsing(text("登记结果应用", "recording the run's outcomes")):
        opened = open_from_run(_ledger(ledger), run, _day(date, "--date"), actor, days)
    console.print(
        text(
            f"已登记 {opened.actions} 项结果应用，新开 {opened.rectifications} 项整改、"
            f"{opened.findings} 项问题（{opened.skipped} 项此前已登记）；台账：{ledger}",
            f"recorded {opened.actions} actions, opened {opened.rectifications} rectifications "
            f"and {opened.findings} findings ({opened.skipped} already recorded); ledger: {ledger}",
        )
    )


@outcomes_app.command("open-audit")
@user_errors
def outcomes_open_audit(
    findings: Annotated[
        Path,
        typer.Argument(
            help="Project audit findings (CSV, .xlsx or Parquet): project_id, unit, kind, "
            "amount_yuan; optional description, owner, deadline, unit_name, project_name, "
            "finding_id."
        ),
    ],
    ledger: LedgerOption = DEFAULT_LEDGER,
    date: Annotated[
        str | None, typer.Option(help="Opening date; deadlines count from it (YYYY-MM-DD).")
    ] = None,
    days: Annotated[
        int, typer.Option(help="Days to rectify a finding whose row gives no deadline.")
    ] = 90,
    scheme: Annotated[
        str, typer.Option(help="Scheme id the findings count for (next year's deductions).")
    ] = "",
    period: Annotated[str, typer.Option(help="The period audited.")] = "",
    actor: ActorOption = "kaohe",
) -> None:
    """Open project-level audit findings (成本未调整, 数据不实, 档案不全 …) as ledger items."""
    from ..outcomes.project_findings import open_audit_findings

    # one library call over the findings' rows: the bar pulses, with the time elapsed
    with pulsing(text("登记审计问题", "opening the audit findings")):
        opened = open_audit_findings(
            _ledger(ledger), findings, _day(date, "--date"), actor, days, scheme, period
        )
    console.print(
        text(
            f"新开 {opened.opened} 项项目审计问题（{opened.skipped} 项此前已登记）；台账：{ledger}",
            f"opened {opened.opened} project audit findings ({opened.skipped} already "
            f"recorded); ledger: {ledger}",
        )
    )


@outcomes_app.command("cadre-export")
@user_errors
def outcomes_cadre_export(
    run: Annotated[Path, typer.Argument(help="A run directory (explain.json, manifest.json).")],
    out: Annotated[Path, typer.Option(help="File to write: .xlsx, or .csv (UTF-8).")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date for overdue (today).")] = None,
) -> None:
    """Per unit, what feeds the evaluation of leading cadres (领导班子和领导干部考核): grade,
    reasons (vetoes, deductions, indicators short of target) and rectification status."""
    from ..outcomes.cadre_export import write_cadre_export

    state = _ledger(ledger, must_exist=True).state()
    count = write_cadre_export(run, state, out, _day(as_of))
    console.print(
        text(
            f"已导出 {count} 个考核对象的结果到 {out}（供领导班子和领导干部考核使用）",
            f"exported the results of {count} units to {out} (for the evaluation of leading "
            "cadres)",
        )
    )


@outcomes_app.command("list")
@user_errors
def outcomes_list(
    ledger: LedgerOption = DEFAULT_LEDGER,
    unit: Annotated[str | None, typer.Option(help="Only this unit (code).")] = None,
    status: Annotated[
        str | None, typer.Option(help="open | submitted | closed | overdue | escalated")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="rectification | finding")] = None,
    scheme: Annotated[str | None, typer.Option(help="Only items of this scheme id.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only items past deadline.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date for overdue (today).")] = None,
    show_actions: Annotated[
        bool, typer.Option("--actions", help="List the issued actions instead.")
    ] = False,
) -> None:
    """List rectifications and findings (or, with --actions, issued actions) by unit and status."""
    from ..outcomes.export import Filters, actions, items
    from ..outcomes.lifecycle import KINDS, STATUSES, status_name
    from ..scheme.actions import describe

    if status is not None and status not in STATUSES:
        raise UsageError(
            text(
                f"--status 可选：{'、'.join(STATUSES)}",
                f"--status takes one of {', '.join(STATUSES)}",
            )
        )
    if kind is not None and kind not in KINDS:
        raise UsageError(
            text(f"--kind 可选：{'、'.join(KINDS)}", f"--kind takes one of {', '.join(KINDS)}")
        )
    day = _day(as_of)
    state = _ledger(ledger).state()
    filters = Filters(unit=unit, status=status, kind=kind, scheme=scheme, overdue_only=overdue)
    if show_actions:
        table = Table(title=text("结果应用", "issued actions"), title_justify="left")
        for header in (text("代码", "unit"), text("名称", "name"), text("办法", "scheme"),
                       text("等次", "grade"), text("结果应用", "action"), text("编号", "id")):  # fmt: skip
            table.add_column(header)
        issued = actions(state, filters)
        for action in issued:
            table.add_row(
                action.unit,
                action.unit_name,
                f"{action.scheme} {action.period}",
                action.grade or "",
                escape(describe(action.action, action.params, language())),
                action.id,
            )
        console.print(table)
        console.print(text(f"共 {len(issued)} 项", f"{len(issued)} actions"))
        return
    table = Table(title=text("问题与整改", "findings and rectifications"), title_justify="left")
    table.add_column(text("编号", "id"), no_wrap=True, min_width=14)
    for header in (text("代码", "unit"), text("名称", "name"), text("类别", "kind")):
        table.add_column(header)
    table.add_column(text("事项", "title"), overflow="fold", ratio=1)
    for header in (
        text("期限", "deadline"),
        text("状态", "status"),
        text("逾期天数", "days overdue"),
    ):
        table.add_column(header, no_wrap=True)
    chosen = items(state, filters, day)
    for item in chosen:
        late = item.days_overdue(day)
        table.add_row(
            item.id,
            item.unit,
            item.unit_name,
            text(*KINDS[item.kind]),
            escape(item.title),
            item.deadline.isoformat(),
            status_name(item.status),
            f"[red]{late}[/]" if late else "",
        )
    console.print(table)
    counts: dict[str, int] = {}
    for item in chosen:
        counts[item.status] = counts.get(item.status, 0) + 1
    summary = "，".join(f"{status_name(s)} {n}" for s, n in sorted(counts.items()))
    console.print(text(f"共 {len(chosen)} 项：{summary}", f"{len(chosen)} items: {summary}"))


@outcomes_app.command("submit")
@user_errors
def outcomes_submit(
    item: Annotated[str, typer.Argument(help="Item id (a unique prefix is enough).")],
    evidence: Annotated[list[str], typer.Option(help="Evidence submitted (file name, link …).")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    note: Annotated[str, typer.Option(help="A note on the event.")] = "",
    actor: ActorOption = "kaohe",
) -> None:
    """Record evidence submitted for an item (open/overdue/escalated → submitted)."""
    book = _ledger(ledger)
    found = _item(book.state(), item)
    book.append(
        [("evidence_submitted", {"item": found.id, "evidence": evidence, "note": note})], actor
    )
    console.print(text(f"{found.id}：已提交佐证", f"{found.id}: evidence submitted"))


@outcomes_app.command("verify")
@user_errors
def outcomes_verify(
    item: Annotated[str, typer.Argument(help="Item id (a unique prefix is enough).")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    reject: Annotated[
        bool, typer.Option("--reject", help="Verification failed: send the item back.")
    ] = False,
    note: Annotated[str, typer.Option(help="A note on the event.")] = "",
    actor: ActorOption = "kaohe",
) -> None:
    """Verify submitted evidence: close the item, or with --reject send it back to open."""
    book = _ledger(ledger)
    found = _item(book.state(), item)
    kind = "verification_failed" if reject else "verified"
    book.append([(kind, {"item": found.id, "note": note})], actor)
    console.print(
        text(
            f"{found.id}：{'验收未通过，退回整改' if reject else '验收通过，已销号'}",
            f"{found.id}: {'verification failed, sent back' if reject else 'verified and closed'}",
        )
    )


@outcomes_app.command("escalate")
@user_errors
def outcomes_escalate(
    item: Annotated[str, typer.Argument(help="Item id (a unique prefix is enough).")],
    to: Annotated[str, typer.Option(help="Escalated to whom or what (e.g. 纪检监察机关).")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    note: Annotated[str, typer.Option(help="A note on the event.")] = "",
    actor: ActorOption = "kaohe",
) -> None:
    """Escalate an overdue item."""
    book = _ledger(ledger)
    found = _item(book.state(), item)
    book.append([("escalated", {"item": found.id, "to": to, "note": note})], actor)
    console.print(text(f"{found.id}：已升级至 {to}", f"{found.id}: escalated to {to}"))


@outcomes_app.command("reassign")
@user_errors
def outcomes_reassign(
    item: Annotated[str, typer.Argument(help="Item id (a unique prefix is enough).")],
    owner: Annotated[str, typer.Option(help="The new owner.")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    actor: ActorOption = "kaohe",
) -> None:
    """Give an item a new owner."""
    book = _ledger(ledger)
    found = _item(book.state(), item)
    book.append([("reassigned", {"item": found.id, "owner": owner})], actor)
    console.print(text(f"{found.id}：责任单位改为 {owner}", f"{found.id}: owner is now {owner}"))


@outcomes_app.command("sweep")
@user_errors
def outcomes_sweep(
    ledger: LedgerOption = DEFAULT_LEDGER,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Today's date (YYYY-MM-DD).")] = None,
    actor: ActorOption = "kaohe",
) -> None:
    """Mark open items past their deadline as overdue."""
    from ..outcomes.lifecycle import due_for_overdue

    day = _day(as_of)
    book = _ledger(ledger)
    late = due_for_overdue(book.state(), day)
    book.append(
        [("marked_overdue", {"item": item.id, "as_of": day.isoformat()}) for item in late], actor
    )
    console.print(
        text(
            f"{len(late)} 项标记为逾期（截至 {day}）",
            f"{len(late)} items marked overdue (as of {day})",
        )
    )


@outcomes_app.command("show")
@user_errors
def outcomes_show(
    item: Annotated[str, typer.Argument(help="Item id (a unique prefix is enough).")],
    ledger: LedgerOption = DEFAULT_LEDGER,
) -> None:
    """An item and its history."""
    from ..outcomes.lifecycle import status_name

    found = _item(_ledger(ledger).state(), item)
    console.print(f"[bold]{found.id}[/] {found.unit} {found.unit_name}: {escape(found.title)}")
    console.print(
        text(
            f"责任单位 {found.owner}；期限 {found.deadline}；状态 {status_name(found.status)}",
            f"owner {found.owner}; deadline {found.deadline}; status {status_name(found.status)}",
        )
    )
    for step in found.history:
        console.print(f"  #{step.seq} {step.at} {step.kind} {step.actor} {escape(step.note)}")
    for evidence in found.evidence:
        console.print(f"  {text('佐证', 'evidence')}: {escape(evidence)}")


@outcomes_app.command("export")
@user_errors
def outcomes_export(
    out: Annotated[Path, typer.Option(help="Excel file to write (.xlsx).")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    unit: Annotated[str | None, typer.Option(help="Only this unit (code).")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    kind: Annotated[str | None, typer.Option(help="rectification | finding")] = None,
    scheme: Annotated[str | None, typer.Option(help="Only this scheme id.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date for overdue (today).")] = None,
) -> None:
    """Export items and actions to Excel (Chinese headers, frozen header row)."""
    from ..outcomes.export import Filters, write_xlsx

    filters = Filters(unit=unit, status=status, kind=kind, scheme=scheme)
    # replaying the ledger and writing the workbook do not report their items: the bar pulses
    with pulsing(text("读取台账", "reading the ledger")) as step:
        state = _ledger(ledger).state()
        step(text("写入 Excel", "writing the workbook"))
        written, issued = write_xlsx(state, out, filters, _day(as_of))
    console.print(
        text(
            f"已导出 {written} 项问题与整改、{issued} 项结果应用到 {out}",
            f"exported {written} items and {issued} actions to {out}",
        )
    )


@outcomes_app.command("export-source")
@user_errors
def outcomes_export_source(
    out: Annotated[Path, typer.Option(help="CSV to write, e.g. DATA_DIR/rectifications.csv.")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date for overdue (today).")] = None,
    period: Annotated[
        str | None, typer.Option(help="Write a period column with this value (next year's run).")
    ] = None,
    include_closed: Annotated[
        bool, typer.Option("--include-closed", help="Also closed items.")
    ] = False,
) -> None:
    """Write unresolved rectifications and findings as a source for next year's run."""
    from ..outcomes.export import write_source

    # replaying the ledger does not report its events: the bar pulses
    with pulsing(text("读取台账", "reading the ledger")):
        rows = write_source(_ledger(ledger).state(), out, _day(as_of), period, include_closed)
    console.print(
        text(
            f"{rows} 项未销号事项已写入 {out}（数据源 rectifications）",
            f"{rows} unresolved items written to {out} (the source rectifications)",
        )
    )


@outcomes_app.command("check")
@user_errors
def outcomes_check(ledger: LedgerOption = DEFAULT_LEDGER) -> None:
    """Verify the ledger: hash chain, sequence and every transition."""
    # the chain is checked in one library call that does not report its events: the bar pulses
    with pulsing(text("核验台账", "verifying the ledger")):
        count = _ledger(ledger, must_exist=True).verify()
    console.print(text(f"台账完好：{count} 个事件", f"the ledger is intact: {count} events"))
