"""``kaohe scheme show|diff|compare``: effective schemes, versions and the effect of a change.

Kept apart from ``cli/scheme.py`` so the two areas can change without touching each other; the
commands register on the same ``scheme`` group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..i18n import text
from .app import PeriodOption, console, scheme_app, user_errors, with_columns

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

SECTION_NAMES = {
    "scheme": ("办法", "scheme"),
    "indicators": ("指标", "indicators"),
    "tree": ("指标树（分值）", "tree (points)"),
    "grading": ("等次", "grading"),
    "vetoes": ("一票否决", "vetoes"),
    "adjustments": ("加减分", "adjustments"),
    "outcomes": ("结果应用", "outcomes"),
    "parameters": ("参数", "parameters"),
    "flags": ("标记", "flags"),
    "measures": ("基础数据", "measures"),
    "sources": ("数据源", "sources"),
}
CHANGE_NAMES = {
    "added": ("新增", "added"),
    "removed": ("删除", "removed"),
    "changed": ("修改", "changed"),
}
MOVEMENT_NAMES = {
    "up": ("↑ 上升", "↑ up"),
    "down": ("↓ 下降", "↓ down"),
    "same": ("= 不变", "= same"),
    "only_old": ("仅旧办法", "old only"),
    "only_new": ("仅新办法", "new only"),
    "ungraded": ("未定等次", "ungraded"),
}


def _pick(names: dict[str, tuple[str, str]], key: str) -> str:
    zh, en = names.get(key, (key, key))
    return text(zh, en)


def _short(value: Any, width: int = 60) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        shown = f"{value:.6g}"
    elif isinstance(value, str):
        shown = value
    else:
        shown = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


@scheme_app.command("show")
@user_errors
def scheme_show(
    file: Annotated[str, typer.Argument(help="Scheme file or bundled scheme name.")],
) -> None:
    """Print the effective scheme: a local scheme merged onto what it extends, as YAML."""
    from ..scheme import load_scheme
    from ..scheme.load import show_scheme

    load_scheme(file)  # only a valid scheme is shown; problems are reported at their lines
    typer.echo(show_scheme(file), nl=False)


@scheme_app.command("diff")
@user_errors
def scheme_diff(
    old: Annotated[str, typer.Argument(help="The older scheme (file or bundled name).")],
    new: Annotated[str, typer.Argument(help="The newer scheme (file or bundled name).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON.")] = False,
) -> None:
    """Indicators added and removed, points, weights, bands, vetoes and parameters changed."""
    from ..scheme import load_scheme
    from ..scheme.diff import diff_schemes

    a, b = load_scheme(old), load_scheme(new)
    changes = diff_schemes(a, b)
    if as_json:
        payload = {
            "old": {"id": a.id, "version": a.model.version, "file": a.file},
            "new": {"id": b.id, "version": b.model.version, "file": b.file},
            "changes": [change.as_dict() for change in changes],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    title = text(
        f"{a.id} {a.model.version} → {b.id} {b.model.version}：{len(changes)} 处变化",
        f"{a.id} {a.model.version} → {b.id} {b.model.version}: {len(changes)} changes",
    )
    if not changes:
        console.print(text("两个办法没有差别。", "the two schemes are the same."))
        return
    # fmt: off
    table = with_columns(
        Table(title=title, title_justify="left"),
        (  # (Chinese, English) pairs
            ("部分", "section"), ("项目", "item"), ("变化", "change"),
            ("字段", "field"), ("旧", "old"), ("新", "new"),
        ),
        overflow="fold",
    )
    # fmt: on
    for change in changes:
        item = change.item if not change.label else f"{change.item}（{change.label}）"
        table.add_row(
            _pick(SECTION_NAMES, change.section),
            escape(item),
            _pick(CHANGE_NAMES, change.change),
            change.field or "",
            escape(_short(change.old)),
            escape(_short(change.new)),
        )
    console.print(table)


@scheme_app.command("compare")
@user_errors
def scheme_compare(
    old: Annotated[str, typer.Option("--old", help="The older scheme (file or bundled name).")],
    new: Annotated[str, typer.Option("--new", help="The newer scheme (file or bundled name).")],
    data: Annotated[Path, typer.Option(help="Data directory (units.csv and the sources).")],
    period: PeriodOption = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write both runs (OUT/old, OUT/new) and OUT/compare.csv."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to print (all are in compare.csv).")] = 60,
) -> None:
    """Grade the same data by an old and a new scheme and show how each unit would move."""
    from ..run.compare import compare_schemes

    comparison = compare_schemes(old, new, data, period=period, out=out)
    a, b = comparison.old.scheme, comparison.new.scheme
    title = text(
        f"办法调整的影响：{a.id} → {b.id}（同一数据{f'，{period} 年度' if period else ''}）",
        f"effect of the change: {a.id} → {b.id} (same data{f', period {period}' if period else ''})",
    )
    # fmt: off
    table = with_columns(
        Table(title=title, title_justify="left"),
        (  # (Chinese, English) pairs
            ("代码", "unit"), ("名称", "name"), ("旧得分", "old score"),
            ("旧等次", "old grade"), ("旧名次", "old rank"), ("新得分", "new score"),
            ("新等次", "new grade"), ("新名次", "new rank"), ("名次变化", "rank change"),
            ("等次变化", "movement"),
        ),
    )
    # fmt: on
    for unit in comparison.units[:limit]:
        table.add_row(
            unit.unit,
            unit.name,
            "" if unit.old_score is None else f"{unit.old_score:.2f}",
            unit.old_grade or "",
            "" if unit.old_rank is None else str(unit.old_rank),
            "" if unit.new_score is None else f"{unit.new_score:.2f}",
            unit.new_grade or "",
            "" if unit.new_rank is None else str(unit.new_rank),
            "" if unit.rank_change is None else f"{unit.rank_change:+d}",
            _pick(MOVEMENT_NAMES, unit.movement),
        )
    if len(comparison.units) > limit:
        table.caption = text(
            f"另有 {len(comparison.units) - limit} 个考核对象，见 compare.csv",
            f"{len(comparison.units) - limit} more units in compare.csv",
        )
    console.print(table)
    counts = comparison.counts()
    console.print(
        text(
            "等次变化：" + "，".join(f"{_pick(MOVEMENT_NAMES, m)} {n}" for m, n in counts.items()),
            "movement: " + ", ".join(f"{_pick(MOVEMENT_NAMES, m)} {n}" for m, n in counts.items()),
        )
    )
    matrix = Table(
        title=text("等次转移（行：旧；列：新）", "grade transitions (rows old, columns new)")
    )
    matrix.add_column("")
    for grade in b.model.grading.grades:
        matrix.add_column(grade, justify="right")
    for old_grade in a.model.grading.grades:
        matrix.add_row(
            old_grade,
            *(str(comparison.transitions.get((old_grade, g), 0)) for g in b.model.grading.grades),
        )
    console.print(matrix)
    if out is not None:
        console.print(
            text(
                f"对照表已写入 {out / 'compare.csv'}；两次考核结果在 {out / 'old'}、{out / 'new'}",
                f"comparison written to {out / 'compare.csv'}; both runs in {out / 'old'}, {out / 'new'}",
            )
        )
