"""Assignment of sampled units to verification teams by lot: no team checks its own province.

Cross-province checks (交叉考核) are drawn by lot. The lot is public like the sample's: groups
(counties, by default) are taken in the order of ``sha256("<seed>:assign:<group>")``, and each goes
to the eligible team — one from another province — with the fewest sampled items so far, ties
broken by ``sha256("<seed>:<team>:<group>")``. Loads stay balanced and anyone can redo the draw.
Greedy balanced assignment under an exclusion rule is a few lines; no library is needed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..data.units import Units
from ..errors import DataError
from ..i18n import text
from .inputs import ancestor_at
from .sampling import random_key


@dataclass(frozen=True)
class Team:
    team: str
    province: str  # the team's home province (GB/T 2260 code)


@dataclass(frozen=True)
class Assignment:
    group: str  # the unit whose sampled items the team checks (a county, by default)
    province: str
    team: str
    team_province: str
    items: int
    lot: int  # the group's place in the drawing order


def read_teams(path: Path) -> list[Team]:
    """``teams.csv``: columns ``team`` and ``province`` (the team's home province code)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(text(f"核查组文件 {path} 不存在", f"the teams file {path} does not exist"))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("team", "province") if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(
                text(
                    f"{path}：缺少列 {', '.join(missing)}（需要 team, province）",
                    f"{path}: missing columns {', '.join(missing)} (needs team, province)",
                )
            )
        teams, seen = [], set()
        for line, row in enumerate(reader, start=2):
            team, province = (row["team"] or "").strip(), (row["province"] or "").strip()
            if not team or not province:
                raise DataError(
                    text(
                        f"{path.name}:第 {line} 行：team 和 province 都不能为空",
                        f"{path.name}:line {line}: team and province must both be given",
                    )
                )
            if team in seen:
                raise DataError(
                    text(
                        f"{path.name}:第 {line} 行：核查组 {team} 重复",
                        f"{path.name}:line {line}: team {team} appears twice",
                    )
                )
            seen.add(team)
            teams.append(Team(team, province))
    if not teams:
        raise DataError(text(f"{path}：没有核查组", f"{path}: no teams listed"))
    return teams


def province_of(units: Units) -> dict[str, str]:
    """Each unit's province (its ancestor, or itself, at level ``province``)."""
    return ancestor_at(units, "province")


def assign_teams(
    groups: dict[str, int], provinces: dict[str, str], teams: list[Team], seed: int
) -> list[Assignment]:
    """Assign each group (unit → number of sampled items) to a team from another province."""
    unknown = sorted(g for g in groups if g not in provinces)
    if unknown:
        raise DataError(
            text(
                f"无法确定这些考核对象所属的省份：{', '.join(unknown[:5])}；"
                "请检查 units.csv 的上下级关系（level 为 province 的上级）",
                f"cannot tell the province of: {', '.join(unknown[:5])}; check the parents in "
                "units.csv (an ancestor with level province)",
            )
        )
    load = {t.team: 0 for t in teams}
    order = sorted(groups, key=lambda g: (random_key(seed, f"assign:{g}"), g))
    out = []
    for lot, group in enumerate(order, start=1):
        province = provinces[group]
        eligible = [t for t in teams if t.province != province]
        if not eligible:
            raise DataError(
                text(
                    f"{group}（{province}）：没有来自其他省份的核查组；请增加核查组",
                    f"{group} ({province}): no team from another province; add teams",
                )
            )
        team = min(eligible, key=lambda t: (load[t.team], random_key(seed, f"{t.team}:{group}")))
        load[team.team] += groups[group]
        out.append(Assignment(group, province, team.team, team.province, groups[group], lot))
    return out


def plan_groups(plan: Path, column: str) -> dict[str, int]:
    """Sampled items per group, from a plan CSV written by ``kaohe sample draw``."""
    plan = Path(plan)
    if not plan.is_file():
        raise DataError(text(f"抽样方案 {plan} 不存在", f"the plan file {plan} does not exist"))
    counts: dict[str, int] = {}
    with plan.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if column not in (reader.fieldnames or []):
            raise DataError(
                text(
                    f"{plan}：没有列 {column}；现有列：{', '.join(reader.fieldnames or [])}。"
                    "抽样时用 --keep 保留该列，或用 --by 选择已有的列",
                    f"{plan}: no column {column}; the file has {', '.join(reader.fieldnames or [])}. "
                    "Keep it when drawing (--keep) or choose another with --by",
                )
            )
        for line, row in enumerate(reader, start=2):
            group = (row[column] or "").strip()
            if not group:
                raise DataError(
                    text(
                        f"{plan.name}:第 {line} 行：{column} 为空",
                        f"{plan.name}:line {line}: {column} is empty",
                    )
                )
            counts[group] = counts.get(group, 0) + 1
    return counts


def write_assignments(path: Path, assignments: list[Assignment], units: Units) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["unit", "name", "province", "team", "team_province", "items", "lot"])
        for a in sorted(assignments, key=lambda a: a.lot):
            name = units.name.get(a.group, "")
            writer.writerow([a.group, name, a.province, a.team, a.team_province, a.items, a.lot])
