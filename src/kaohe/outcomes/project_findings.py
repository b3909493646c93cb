"""Project-level audit findings (项目审计问题) opened as ledger items, tracked like any other.

An audit of project funds finds problems project by project: cost indicators not adjusted after
the project changed (成本未调整), untrue reported data (数据不实), incomplete files (档案不全) …
The kinds the ledger accepts are data (``audit_kinds.yaml``, Chinese and English labels and the
names a file may use for them), not code. A findings file (CSV, Excel or Parquet, read by Kaohe's
one reader, ``data.readers.prepare``: title rows, Chinese headers, GB18030) has one row per finding: the project,
its unit, the kind and the amount concerned, optionally a description, an owner and a deadline.
Each row opens a ``finding`` item with the project, the kind and the amount on it; from then on
it goes through the one lifecycle (outcomes/lifecycle.py): evidence, verification, overdue.

A row's id is derived from its content (or its ``finding_id``), so opening the same file twice
records nothing new. Every problem of the file is reported at its row and column before
anything is written.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from ..data.casts import cast_sql
from ..data.readers import InputFile, prepare
from ..data.schemas import Column
from ..errors import DataError, Problem, SchemeError
from ..expr import quote
from ..i18n import text
from ..scheme.documents import bundled_file, read_yaml, validate
from ..scheme.model import Identifier, Model
from ..scheme.yaml_lines import line_of
from .from_run import entry_id
from .ledger import Ledger

KINDS_FILE = "audit_kinds"
# column id → the other headers it is known by in audit offices' tables
COLUMNS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号", "项目代码", "project"),
    "unit": ("单位代码", "行政区划代码", "考核对象代码", "county"),
    "kind": ("问题类型", "问题类别", "审计问题类型", "rule"),
    "amount_yuan": ("涉及金额", "涉及金额（元）", "问题金额（元）", "amount"),
    "unit_name": ("单位名称", "考核对象"),
    "project_name": ("项目名称",),
    "description": ("问题描述", "具体问题", "detail"),
    "owner": ("责任单位", "整改责任单位"),
    "deadline": ("整改期限", "整改时限"),
    "finding_id": ("问题编号",),
}
REQUIRED = ("project_id", "unit", "kind", "amount_yuan")
MAX_PROBLEMS = 10  # a file with more is wrong throughout: the first ones say what to fix


class AuditKind(Model):
    label: str
    label_en: str
    description: str | None = None
    aliases: list[str] = []


class AuditKindsModel(Model):
    kinds: dict[Identifier, AuditKind]


@dataclass(frozen=True)
class AuditKinds:
    """The kinds of project audit findings, and every name a file may give them."""

    file: str
    kinds: dict[str, AuditKind]
    names: dict[str, str]  # a name (id, label, English label, alias; casefolded) → kind id

    def resolve(self, name: str) -> str | None:
        return self.names.get(name.strip().casefold())

    def label(self, kind: str) -> str:
        found = self.kinds[kind]
        return text(found.label, found.label_en)

    def listed(self) -> str:
        return text(
            "、".join(f"{k.label}（{i}）" for i, k in self.kinds.items()),
            ", ".join(f"{k.label_en} ({i})" for i, k in self.kinds.items()),
        )


def load_kinds(path: Path | None = None) -> AuditKinds:
    """The kinds file (the bundled one by default); ``SchemeError`` at the line of a problem,
    e.g. one name given to two kinds."""
    return _load(str(path or bundled_file("outcomes", KINDS_FILE)))


@cache  # the bundled file is read once a process
def _load(path: str) -> AuditKinds:
    doc, file, _ = read_yaml(Path(path), ("须为映射", "should be a mapping"))
    model = validate(AuditKindsModel, doc, file)
    names: dict[str, str] = {}
    problems = []
    for kind, found in model.kinds.items():
        for name in (kind, found.label, found.label_en, *found.aliases):
            key = name.strip().casefold()
            if names.get(key, kind) != kind:
                problems.append(
                    Problem(
                        file,
                        line_of(doc, ("kinds", kind)),
                        text(
                            f"名称“{name}”同时属于 {names[key]} 和 {kind}",
                            f"the name {name!r} belongs to both {names[key]} and {kind}",
                        ),
                    )
                )
            names[key] = kind
    if problems:
        raise SchemeError(problems)
    return AuditKinds(file, dict(model.kinds), names)


@dataclass(frozen=True)
class AuditOpened:
    opened: int
    skipped: int  # already in the ledger (or a repeated row)


@dataclass(frozen=True)
class _Row:
    """One data row: the texts (trimmed, None when empty), the amount and deadline as the strict
    casts read them, and where it is (asked only for a problem: finding a CSV line reads the
    file)."""

    found: InputFile
    row: int
    texts: dict[str, str | None]
    amount: float | None
    deadline: dt.date | None

    def text(self, column: str) -> str:
        return self.texts.get(column) or ""

    def cell(self, column: str) -> str:
        where = self.found.position(self.row)
        return text(f"{where}，列 {column}", f"{where}, column {column}")


def read_findings(path: Path, scratch: Path) -> list[_Row]:
    """The rows of a findings file (blank rows left out); a missing required column is a
    ``DataError`` naming the file and the columns it has. ``scratch`` holds the reader's copy
    (GB18030, Excel) while rows are asked where they are."""
    declared = {name: Column(aliases=list(aliases)) for name, aliases in COLUMNS.items()}
    found = prepare(Path(path), Path(scratch), columns=declared)
    with duckdb.connect() as con:
        relation = con.sql(f"SELECT * FROM {found.relation()}")
        present = [c for c in relation.columns if c != "__row"]
        _check_columns(found, present)
        columns = [c for c in COLUMNS if c in present]
        texts = ", ".join(
            f"nullif(trim(CAST({quote(c)} AS VARCHAR)), '') AS {quote(c)}" for c in columns
        )
        deadline = cast_sql("deadline", "date") if "deadline" in present else "NULL"
        records = con.execute(
            f"SELECT __row, {cast_sql('amount_yuan', 'number')}, {deadline}, {texts} "
            f"FROM {found.relation()} ORDER BY __row"
        ).fetchall()
    rows = []
    for row, amount, day, *values in records:
        if all(v is None for v in values):
            continue
        rows.append(_Row(found, row, dict(zip(columns, values, strict=True)), amount, day))
    return rows


def _check_columns(found: InputFile, present: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in present]
    if missing:
        wanted = "; ".join(f"{c}（{'/'.join(COLUMNS[c])}）" for c in missing)
        has = "、".join(found.header)
        raise DataError(
            text(
                f"{found.path.name}：缺少列 {wanted}；现有列：{has}",
                f"{found.path.name}: missing columns {wanted}; the file has {has}",
            )
        )


def _amount(row: _Row, problems: list[str]) -> float | None:
    if not row.text("amount_yuan"):
        return None  # not stated: the audit did not put a figure on it
    if row.amount is None or row.amount < 0:
        problems.append(
            text(
                f"{row.cell('amount_yuan')}：涉及金额“{row.text('amount_yuan')}”不是非负数（元）",
                f"{row.cell('amount_yuan')}: the amount {row.text('amount_yuan')!r} is not a "
                "non-negative number (yuan)",
            )
        )
    return row.amount


def _deadline(row: _Row, opened: dt.date, days: int, problems: list[str]) -> dt.date:
    if not row.text("deadline"):
        return opened + dt.timedelta(days=days)
    if row.deadline is None:
        problems.append(
            text(
                f"{row.cell('deadline')}：整改期限“{row.text('deadline')}”不是日期（YYYY-MM-DD）",
                f"{row.cell('deadline')}: the deadline {row.text('deadline')!r} is not a date "
                "(YYYY-MM-DD)",
            )
        )
        return opened
    return row.deadline


def audit_entries(
    path: Path,
    opened: dt.date,
    days: int = 90,
    scheme: str = "",
    period: str = "",
    kinds: AuditKinds | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The ``item_opened`` events of the findings file ``path``, in file order; ``DataError``
    listing the rows and columns to correct."""
    kinds = kinds or load_kinds()
    with tempfile.TemporaryDirectory(prefix="kaohe-audit-") as scratch:
        rows = read_findings(Path(path), Path(scratch))
        return _entries(rows, kinds, opened=opened, days=days, scheme=scheme, period=period)


def _entries(
    rows: list[_Row], kinds: AuditKinds, *, opened: dt.date, days: int, scheme: str, period: str
) -> list[tuple[str, dict[str, Any]]]:
    """The events of ``rows`` (the problems are found inside the reader's scratch: see
    ``_Row``)."""
    problems: list[str] = []
    entries = []
    for row in rows:
        before = len(problems)
        for column in ("project_id", "unit"):
            if not row.text(column):
                problems.append(
                    text(f"{row.cell(column)}：不能为空", f"{row.cell(column)}: may not be empty")
                )
        kind = kinds.resolve(row.text("kind"))
        if kind is None:
            problems.append(
                text(
                    f"{row.cell('kind')}：问题类型“{row.text('kind')}”不在允许的类型中；"
                    f"可用：{kinds.listed()}（{kinds.file}）",
                    f"{row.cell('kind')}: {row.text('kind')!r} is not a kind of audit finding; "
                    f"use one of {kinds.listed()} ({kinds.file})",
                )
            )
        amount = _amount(row, problems)
        due = _deadline(row, opened, days, problems)
        if len(problems) > before or kind is None:
            continue
        project, unit = row.text("project_id"), row.text("unit")
        name = row.text("unit_name") or unit
        description = row.text("description")
        found = kinds.kinds[kind]
        project_name = f"（{row.text('project_name')}）" if row.text("project_name") else ""
        title = f"项目 {project}{project_name}：{found.label}"
        title += f"——{description}" if description else ""
        title += f"（涉及金额 {amount:,.0f} 元）" if amount else ""
        ident = row.text("finding_id") or "\x1e".join(
            (unit, project, kind, description, f"{amount}")
        )
        entries.append(
            (
                "item_opened",
                {
                    "id": entry_id("p", ident),
                    "kind": "finding",
                    "unit": unit,
                    "unit_name": name,
                    "title": title,
                    "basis": f"audit:{kind}",
                    "scheme": scheme,
                    "period": period,
                    "owner": row.text("owner") or name,
                    "deadline": due.isoformat(),
                    "project": project,
                    "problem": kind,
                    "amount_yuan": amount,
                },
            )
        )
    if problems:
        more = len(problems) - MAX_PROBLEMS
        lines = problems[:MAX_PROBLEMS]
        if more > 0:
            lines.append(text(f"……另有 {more} 处问题", f"… and {more} more problems"))
        raise DataError("\n".join(lines))
    return entries


def open_audit_findings(
    ledger: Ledger,
    path: Path,
    opened: dt.date,
    actor: str,
    days: int = 90,
    scheme: str = "",
    period: str = "",
    at: str | None = None,
) -> AuditOpened:
    """Open an item for each finding of ``path`` not yet in the ledger."""
    entries = audit_entries(path, opened, days, scheme, period)
    known = set(ledger.state().items)
    new = []
    for kind, data in entries:
        if data["id"] not in known:
            known.add(data["id"])
            new.append((kind, data))
    ledger.append(new, actor=actor, at=at)
    return AuditOpened(opened=len(new), skipped=len(entries) - len(new))
