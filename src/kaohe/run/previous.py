"""Last period's result beside this one (上年考核结果): ``kaohe assess --previous RUN``.

The previous period's run directory is opened like every run (``opened.open_run``) and matched
to this run's results by unit code. Each row gains last year's grade, score and rank, the score's
change and the grade's movement; the grade's movement is ``run.compare``'s (tiers by the scheme's
grade order), so a run and a scheme comparison never disagree on what "up" means. Runs of two
schemes are not comparable: a previous run of another scheme is refused, naming both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data.files import sha256_of
from ..errors import UsageError
from ..i18n import text
from ..scheme import LoadedScheme
from .compare import grade_movement
from .opened import open_run
from .record import MANIFEST
from .results_table import Column, clean

COLUMNS = (
    Column("previous_grade", "上年等次", "last year's grade", "text"),
    Column("previous_score", "上年总分", "last year's score", "number"),
    Column("previous_rank", "上年排名", "last year's rank", "integer"),
    Column("score_change", "总分变化", "score change", "number"),
    Column("grade_change", "等次变化", "grade change", "text"),
)
# compare's movements as results name them: a unit absent last year is "new"; "ungraded" when
# either year has no grade (withheld or failed), which is neither up nor down.
GRADE_CHANGES = {"up": "up", "down": "down", "same": "same", "only_new": "new"}


def _number(raw: str | None) -> float | None:
    return None if raw in (None, "") else float(raw)


@dataclass(frozen=True)
class PreviousRun:
    """The previous period's run, opened, and the scheme of the run it is set beside."""

    path: Path
    manifest_sha256: str
    period: str | None
    scheme: LoadedScheme  # the previous run's own (as it kept it): its grade order
    current: LoadedScheme  # this run's scheme
    rows: dict[str, dict[str, Any]]  # unit → grade, score, rank (typed)

    def columns(self) -> list[Column]:
        return list(COLUMNS)

    def extend(self, rows: list[dict[str, Any]]) -> None:
        """Add the previous-period columns to each of this run's result rows, in place."""
        for row in rows:
            before = self.rows.get(row["unit"])
            _, _, movement = grade_movement(before, row, self.scheme, self.current)
            old = before["score"] if before else None
            row["previous_grade"] = before["grade"] if before else None
            row["previous_score"] = old
            row["previous_rank"] = before["rank"] if before else None
            row["score_change"] = (
                None if old is None or row["score"] is None else clean(row["score"] - old)
            )
            row["grade_change"] = GRADE_CHANGES.get(movement, "ungraded")

    def manifest_entry(self) -> dict[str, Any]:
        """What manifest.json records of the previous run: where it was, and which run it was."""
        return {
            "run": str(self.path),
            "manifest_sha256": self.manifest_sha256,
            "period": self.period,
            "scheme": {"id": self.scheme.model.id, "version": self.scheme.model.version},
        }


def open_previous(path: Path, current: LoadedScheme) -> PreviousRun:
    """Open the run directory ``path`` as the previous period of a run by ``current``; a run of
    another scheme is refused (its scores and grades mean something else)."""
    path = Path(path)
    if not path.is_dir():
        raise UsageError(
            text(
                f"--previous：{path} 不存在或不是目录；请给出上一考核期的考核结果目录",
                f"--previous: {path} does not exist or is not a directory; give the previous "
                "period's run directory",
            )
        )
    opened = open_run(path)
    before = opened.explanation.get("scheme") or {}
    if before.get("id") != current.model.id:
        raise UsageError(
            text(
                f"--previous：{path} 是考核办法 {before.get('id')} 的结果，而本次考核使用 "
                f"{current.model.id}；不同考核办法的得分和等次不可比，请给出同一办法上一考核期"
                "的结果（跨办法的比较见 kaohe history）",
                f"--previous: {path} is a run of scheme {before.get('id')} but this run uses "
                f"{current.model.id}; scores and grades of different schemes are not comparable: "
                "give the same scheme's run of the previous period (kaohe history shows runs of "
                "several schemes side by side)",
            )
        )
    rows = {
        row["unit"]: {
            "grade": row.get("grade") or None,
            "score": _number(row.get("score")),
            "rank": None if row.get("rank") in (None, "") else int(float(row["rank"])),
        }
        for row in opened.results
    }
    return PreviousRun(
        path=path.resolve(),
        manifest_sha256=sha256_of(path / MANIFEST),
        period=opened.manifest.get("period"),
        scheme=opened.scheme,
        current=current,
        rows=rows,
    )
