"""Verification by Excel (核查表): a verifier downloads a sheet of its team's assigned households,
prefilled with what is already recorded, with drop-downs for the verdict and the yes/no answers;
the uploaded sheet is checked cell by cell (errors by row and column, as for submissions), kept
whole as the next version of its scope, and — only when every row is clean — its rows become the
households' verification results.

Each row carries the version of its assignment as the sheet showed it: a household recorded in
the meantime (the phone form, another upload) is an error on that row, never silently overwritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..data.cell_safety import append_row
from ..i18n import text
from ..store.models import (
    Cycle,
    Unit,
    VerificationAssignment,
    VerificationResult,
    VerificationUpload,
)
from .collection import FALSE, TRUE, CellError, read_table
from .cycles import get_cycle
from .errors import Forbidden, NotFound
from .roles import Actor, require
from .states import require_open
from .uploads import DATA_FILES, check_file
from .verification import VERDICTS, assignments, result_of


@dataclass(frozen=True)
class SheetColumn:
    id: str
    zh: str
    en: str
    editable: bool = False

    @property
    def header(self) -> str:
        return self.zh


COLUMNS = (
    SheetColumn("assignment", "任务编号", "Assignment"),
    SheetColumn("unit", "单位代码", "Unit code"),
    SheetColumn("unit_name", "单位名称", "Unit name"),
    SheetColumn("household_id", "农户编号", "Household"),
    SheetColumn("registered", "建档立卡", "Registered"),
    SheetColumn("exited", "系统记录已脱贫", "Registry says exited"),
    SheetColumn("verdict", "核查结论", "Verdict", True),
    SheetColumn("recognizes", "农户认可识别/退出结果", "Household recognizes the result", True),
    SheetColumn("satisfied_team", "对驻村工作队满意", "Satisfied with the village team", True),
    SheetColumn("satisfied_cadre", "对帮扶干部满意", "Satisfied with the paired cadre", True),
    SheetColumn("income_verified", "核实人均纯收入（元）", "Verified income per person", True),
    SheetColumn("note", "备注", "Note", True),
    SheetColumn("version", "版本（请勿修改）", "Version (do not edit)"),
)
BY_ID = {c.id: c for c in COLUMNS}
ANSWERS = ("verdict", "recognizes", "satisfied_team", "satisfied_cadre", "income_verified", "note")


def _scope(actor: Actor) -> tuple[str, int | None]:
    """Uploads are numbered per team (a verifier) or for the whole cycle (the national office)."""
    if actor.role == "verifier":
        return f"team:{actor.team_id}", actor.team_id
    return "all", None


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("是" if value else "否")


def sheet(session: Session, actor: Actor, cycle_id: int) -> bytes:
    """The workbook of ``actor``'s assigned households, prefilled with recorded results."""
    require(actor, "verification.record")
    get_cycle(session, cycle_id)
    items = assignments(session, actor, cycle_id)
    names = dict(
        session.execute(
            select(Unit.code, Unit.name).where(Unit.code.in_({i.unit_code for i in items}))
        ).all()
    )
    recorded = {
        r.assignment_id: r
        for r in session.scalars(
            select(VerificationResult).where(
                VerificationResult.assignment_id.in_([i.id for i in items])
            )
        )
    }
    book = Workbook()
    data = book.active
    data.title = "核查"
    append_row(data, [c.header for c in COLUMNS])
    for cell in data[1]:
        cell.font = Font(bold=True)
    for item in items:
        result = recorded.get(item.id)
        # household ids and notes are typed by people: written inert (kaohe.data.cell_safety)
        append_row(
            data,
            [
                item.id,
                item.unit_code,
                names.get(item.unit_code, ""),
                item.household_id,
                _yes_no(item.registered),
                _yes_no(item.exited),
                result.verdict if result else None,
                _yes_no(result.recognizes) if result else None,
                _yes_no(result.satisfied_team) if result else None,
                _yes_no(result.satisfied_cadre) if result else None,
                result.income_verified if result else None,
                (result.note or None) if result else None,
                item.version,
            ],
        )
    last = max(len(items), 1) + 1
    letters = {c.id: chr(ord("A") + i) for i, c in enumerate(COLUMNS)}
    verdicts = DataValidation(type="list", formula1=f'"{",".join(VERDICTS)}"', allow_blank=True)
    verdicts.error = text(f"请选择：{'、'.join(VERDICTS)}", f"pick one of {', '.join(VERDICTS)}")
    verdicts.showErrorMessage = True
    data.add_data_validation(verdicts)
    verdicts.add(f"{letters['verdict']}2:{letters['verdict']}{last}")
    answers = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    answers.showErrorMessage = True
    data.add_data_validation(answers)
    for column in ("recognizes", "satisfied_team", "satisfied_cadre"):
        answers.add(f"{letters[column]}2:{letters[column]}{last}")
    income = DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True
    )
    income.showErrorMessage = True
    data.add_data_validation(income)
    income.add(f"{letters['income_verified']}2:{letters['income_verified']}{last}")
    for column in COLUMNS:
        data.column_dimensions[letters[column.id]].width = max(10, len(column.header) * 2)
    data.column_dimensions[letters["version"]].hidden = True
    data.freeze_panes = "E2"
    notes = book.create_sheet("说明")
    notes.append(
        [
            "只填写“核查结论”及其后的列；未核查的农户留空",
            "Fill only the verdict and the "
            "columns after it; leave households not yet visited blank",
        ]
    )
    notes.append(
        [
            "上传后每次生成新版本；有错误的版本不生效",
            "Each upload is a new version; a version with errors changes nothing",
        ]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- reading an uploaded sheet ----------------------------------------------------------------


def _header_positions(header: list[Any]) -> tuple[dict[int, str], list[str]]:
    names = {}
    for column in COLUMNS:
        for alias in (column.zh, column.en, column.id):
            names[alias.strip().lower()] = column.id
    positions = {}
    for index, cell in enumerate(header):
        key = str(cell).strip().lower() if cell is not None else ""
        if key in names:
            positions[index] = names[key]
    found = set(positions.values())
    needed = ("assignment", "household_id", *ANSWERS, "version")
    return positions, [BY_ID[c].header for c in needed if c not in found]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _yes(raw: Any) -> tuple[bool | None, str | None]:
    if isinstance(raw, bool):
        return raw, None
    key = str(raw).strip().lower()
    if key in TRUE:
        return True, None
    if key in FALSE:
        return False, None
    return None, text(f"应填“是”或“否”，而不是 {raw!r}", f"must be 是 or 否 (yes/no), not {raw!r}")


def _integer(raw: Any) -> int | None:
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None
    return int(number) if number == int(number) else None


@dataclass(frozen=True)
class SheetRow:
    assignment: VerificationAssignment
    verdict: str
    recognizes: bool
    satisfied_team: bool
    satisfied_cadre: bool
    income_verified: float | None
    note: str


def check_sheet(
    session: Session, actor: Actor, cycle_id: int, table: list[list[Any]]
) -> tuple[list[SheetRow], list[CellError], int]:
    """Every cell checked; returns (rows to record, errors, data rows seen)."""
    if not table:
        return [], [CellError(1, "", text("文件是空的", "the file is empty"))], 0
    positions, missing = _header_positions(table[0])
    if missing:
        return (
            [],
            [
                CellError(
                    1,
                    name,
                    text(
                        f"缺少列“{name}”；请使用下载的核查表",
                        f"missing column {name!r}; use the downloaded sheet",
                    ),
                )
                for name in missing
            ],
            0,
        )
    headers = {column: str(table[0][index]) for index, column in positions.items()}
    mine = {item.id: item for item in assignments(session, actor, cycle_id)}
    recorded = {
        r.assignment_id: r
        for r in session.scalars(
            select(VerificationResult).where(VerificationResult.cycle_id == cycle_id)
        )
    }
    rows: list[SheetRow] = []
    errors: list[CellError] = []
    seen: dict[int, int] = {}
    count = 0
    for number, cells in enumerate(table[1:], start=2):
        values = {
            column: cells[index] if index < len(cells) else None
            for index, column in positions.items()
        }
        if all(_blank(v) for v in values.values()):
            continue
        count += 1
        row_errors: list[CellError] = []

        def problem(column: str, message: str, row: int = number, out=row_errors) -> None:
            out.append(CellError(row, headers.get(column, BY_ID[column].header), message))

        assignment_id = _integer(values["assignment"])
        item = mine.get(assignment_id) if assignment_id is not None else None
        if item is None:
            problem(
                "assignment",
                text(
                    f"任务编号 {values['assignment']!r} 不存在或未分配给您的评估组",
                    f"assignment {values['assignment']!r} does not exist or is not assigned to "
                    "your team",
                ),
            )
            errors.extend(row_errors)
            continue
        if item.id in seen:
            problem(
                "assignment",
                text(
                    f"任务 {item.id} 重复（第 {seen[item.id]} 行已填写）",
                    f"assignment {item.id} appears twice (already on row {seen[item.id]})",
                ),
            )
        seen.setdefault(item.id, number)
        if str(values["household_id"] or "").strip() != item.household_id:
            problem(
                "household_id",
                text(
                    f"任务 {item.id} 的农户编号是 {item.household_id}，不是 "
                    f"{values['household_id']!r}；请勿修改前几列",
                    f"assignment {item.id} is household {item.household_id}, not "
                    f"{values['household_id']!r}; do not edit the first columns",
                ),
            )
        if all(_blank(values[c]) for c in ANSWERS):
            errors.extend(row_errors)
            continue  # not visited yet
        verdict = str(values["verdict"] or "").strip()
        if verdict not in VERDICTS:
            problem(
                "verdict",
                text(
                    f"核查结论应为 {'、'.join(VERDICTS)} 之一，而不是 {values['verdict']!r}",
                    f"the verdict must be one of {', '.join(VERDICTS)}, not {values['verdict']!r}",
                ),
            )
        answers = {}
        for column in ("recognizes", "satisfied_team", "satisfied_cadre"):
            if _blank(values[column]):
                problem(column, text("不能为空", "must not be empty"))
                continue
            answers[column], message = _yes(values[column])
            if message:
                problem(column, message)
        income = None
        if not _blank(values["income_verified"]):
            try:
                income = float(str(values["income_verified"]).replace(",", "").strip())
                if not math.isfinite(income):  # inf, 1e309, nan: no income, and not JSON
                    raise ValueError(income)
            except ValueError:
                income = None
                problem(
                    "income_verified",
                    text(
                        f"应为数字，而不是 {values['income_verified']!r}",
                        f"must be a number, not {values['income_verified']!r}",
                    ),
                )
            else:
                if income < 0:
                    problem("income_verified", text("不能为负数", "cannot be negative"))
        row = None
        if not row_errors:
            row = SheetRow(
                item,
                verdict,
                answers["recognizes"],
                answers["satisfied_team"],
                answers["satisfied_cadre"],
                income,
                "" if _blank(values["note"]) else str(values["note"]).strip(),
            )
        # A row that would change a household recorded since the sheet was downloaded is stale:
        # refused, so that nobody's record is overwritten unseen. An unchanged row is harmless.
        shown = _integer(values["version"])
        if row is None or not _unchanged(recorded.get(item.id), row):
            if shown is None:
                problem("version", text("版本列被改动或清空", "the version column was edited"))
            elif shown != item.version:
                problem(
                    "version",
                    text(
                        f"农户 {item.household_id} 在您下载核查表后已被他人记录（现为第 "
                        f"{item.version} 版）；请重新下载核查表",
                        f"household {item.household_id} was recorded by somebody else after you "
                        f"downloaded the sheet (now version {item.version}); download it again",
                    ),
                )
        errors.extend(row_errors)
        if not row_errors:
            rows.append(row)
    if not count and not errors:
        errors.append(CellError(2, "", text("文件中没有数据行", "the file has no data rows")))
    return rows, errors, count


def _unchanged(result: VerificationResult | None, row: SheetRow) -> bool:
    return result is not None and (
        result.verdict,
        result.recognizes,
        result.satisfied_team,
        result.satisfied_cadre,
        result.income_verified,
        result.note or "",
    ) == (
        row.verdict,
        row.recognizes,
        row.satisfied_team,
        row.satisfied_cadre,
        row.income_verified,
        row.note,
    )


def upload(
    session: Session,
    actor: Actor,
    cycle_id: int,
    filename: str,
    content: bytes,
    today: dt.date | None = None,
) -> VerificationUpload:
    """Keep the sheet as the next version of the actor's scope; record its rows if all are
    clean (rows that change nothing are left alone)."""
    require(actor, "verification.record")
    cycle = get_cycle(session, cycle_id)
    require_open(cycle.state, "verification", cycle.deadlines, today or dt.date.today())
    checked = check_file(filename, content, DATA_FILES)
    rows, errors, count = check_sheet(
        session, actor, cycle.id, read_table(checked.filename, checked.content)
    )
    scope, team_id = _scope(actor)
    # Number under a lock on the cycle row (PostgreSQL; SQLite writers queue anyway), so two
    # uploads at the same moment get distinct numbers.
    session.execute(select(Cycle.id).where(Cycle.id == cycle.id).with_for_update())
    previous = session.scalar(
        select(func.max(VerificationUpload.number)).where(
            VerificationUpload.cycle_id == cycle.id, VerificationUpload.scope == scope
        )
    )
    number = (previous or 0) + 1
    upload = VerificationUpload(
        cycle_id=cycle.id,
        scope=scope,
        team_id=team_id,
        number=number,
        filename=checked.filename,
        content=checked.content,
        sha256=hashlib.sha256(checked.content).hexdigest(),
        size=len(checked.content),
        rows=count,
        applied=0,
        errors=[e.as_dict() for e in errors],
        accepted=not errors,
        created_by=actor.username,
    )
    session.add(upload)
    session.flush()
    if errors:
        return upload
    origin = f"upload {upload.id} v{number}"
    for row in rows:
        result = result_of(session, row.assignment.id)
        if _unchanged(result, row):
            continue
        if result is None:
            result = VerificationResult(
                assignment_id=row.assignment.id, cycle_id=cycle.id, recorded_by=actor.username
            )
            session.add(result)
        result.verdict = row.verdict
        result.recognizes = row.recognizes
        result.satisfied_team = row.satisfied_team
        result.satisfied_cadre = row.satisfied_cadre
        result.income_verified = row.income_verified
        result.note = row.note
        result.recorded_by = actor.username
        result.recorded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        result.origin = origin
        row.assignment.done = True
        flag_modified(row.assignment, "done")  # bumps its version: older sheets are refused
        upload.applied += 1
    session.flush()
    return upload


def uploads(session: Session, actor: Actor, cycle_id: int) -> list[VerificationUpload]:
    """The uploaded sheets ``actor`` may see: its team's, or all for the office."""
    require(actor, "verification.view")
    query = select(VerificationUpload).where(VerificationUpload.cycle_id == cycle_id)
    if actor.role == "verifier":
        query = query.where(VerificationUpload.scope == f"team:{actor.team_id}")
    return list(session.scalars(query.order_by(VerificationUpload.id.desc())))


def get_upload(session: Session, actor: Actor, upload_id: int) -> VerificationUpload:
    require(actor, "verification.view")
    item = session.get(VerificationUpload, upload_id)
    if item is None:
        raise NotFound(
            text(f"没有核查表上传记录 {upload_id}", f"no verification upload {upload_id}")
        )
    if actor.role == "verifier" and item.scope != f"team:{actor.team_id}":
        raise Forbidden(
            text("该核查表不是您的评估组上传的", "this sheet was not uploaded by your team")
        )
    return item
