"""The projects of the funds demo: what counties submit to the project library, and what really
happens in each project (the demo's hidden truth, from which every later report is drawn).

Project types, their variants (title, quantity indicator, cost per unit) and the benefit
indicators of each variant are tables: ``fund_project_types.csv``, ``fund_project_variants.csv``
and ``fund_project_benefits.csv`` beside this module. Provinces differ by a "quality" taken from
the demo's fund evaluation scores when present, so the project data tells the same story as the
rest of the demo.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..funds.gate import PROJECT_COLUMNS, TARGET_COLUMNS
from ..funds.targets import BUDGET_ITEM
from .csv_files import write_csv
from .random_streams import rng
from .years import period, year

FUNDS_STREAM = 5  # the funds demo's random streams are keyed (seed, 5, …)
# the files are written with the columns the target gate reads (plus what the fund schemes read)
PROJECT_HEADER = [*PROJECT_COLUMNS, "publicized", "period"]
TARGET_HEADER = list(TARGET_COLUMNS)
BENEFIT_LABELS = {
    "economic": "经济效益指标",
    "social": "社会效益指标",
    "ecological": "生态效益指标",
    "sustainability": "可持续影响指标",
}
GATE_DEFECTS = ("no_cost", "no_satisfaction", "vague_quantity", "no_budget", "no_owner")
VILLAGES = [
    "东风村",
    "红旗村",
    "新华村",
    "王家村",
    "李家沟村",
    "石门村",
    "柳树湾村",
    "大坪村",
    "小河村",
    "青山村",
    "马家庄村",
    "白杨村",
    "向阳村",
    "团结村",
    "和平村",
    "兴隆村",
    "三合村",
    "双河村",
    "高峰村",
    "龙泉村",
    "桃园村",
    "杨柳村",
    "黄土坡村",
    "新农村",
    "张家坪村",
    "田家湾村",
    "凤凰村",
    "金星村",
    "长岭村",
    "平安村",
]


@dataclass(frozen=True)
class Benefit:
    category: str  # a key of BENEFIT_LABELS
    name: str
    unit_of_measure: str
    direction: str
    value: float  # per 万元 of budget when ``per_budget``, else the target itself
    per_budget: bool


@dataclass(frozen=True)
class Variant:
    title: str
    quantity: str  # the quantity indicator's name
    unit: str
    unit_cost: float  # 万元 per unit
    benefits: tuple[Benefit, ...]


@dataclass
class ProjectTruth:
    """What really happened in a project (the demo's hidden state)."""

    pace: float  # budget execution speed (1 = on time)
    output_pace: float
    final_execution: float
    achievement: dict[str, float]  # indicator → actual / target
    inflated: dict[str, float]  # indicator → reported / true (dishonest reporting)
    cost_change: float  # actual unit cost / target − 1
    adjusted: bool
    missing_docs: int
    self_reported: bool


def _table(name: str) -> list[dict[str, str]]:
    with resources.files("kaohe.demo").joinpath(name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _project_types() -> tuple[dict[str, float], dict[str, str], dict[str, tuple[Variant, ...]]]:
    """Each type's share of projects and owning department, and its variants, in file order."""
    types = _table("fund_project_types.csv")
    benefits: dict[str, list[Benefit]] = {}
    for row in _table("fund_project_benefits.csv"):
        benefits.setdefault(row["benefit_set"], []).append(
            Benefit(
                row["category"],
                row["name"],
                row["unit_of_measure"],
                row["direction"],
                float(row["value"]),
                row["per_budget"] == "true",
            )
        )
    variants: dict[str, list[Variant]] = {row["project_type"]: [] for row in types}
    for row in _table("fund_project_variants.csv"):
        variants[row["project_type"]].append(
            Variant(
                row["title"],
                row["quantity"],
                row["unit"],
                float(row["unit_cost"]),
                tuple(benefits[row["benefit_set"]]),
            )
        )
    return (
        {row["project_type"]: float(row["share"]) for row in types},
        {row["project_type"]: row["owner"] for row in types},
        {kind: tuple(found) for kind, found in variants.items()},
    )


TYPES, OWNERS, VARIANTS = _project_types()


def stream(seed: int, *key: int) -> np.random.Generator:
    """A random stream of the funds demo."""
    return rng(seed, FUNDS_STREAM, *key)


def figure(value: float) -> str:
    """A reported figure as project units write it (four significant digits, whole thousands)."""
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"


def read_regions(directory: Path) -> tuple[list[dict], dict[str, dict]]:
    """The demo's counties (under an assessed province) and provinces, from ``units.csv``."""
    with (directory / "units.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    provinces = {
        r["unit"]: r for r in rows if r["level"] == "province" and r.get("kind") == "region"
    }
    counties = [r for r in rows if r["level"] == "county" and r["parent"] in provinces]
    return counties, provinces


def province_qualities(directory: Path, provinces: dict[str, dict], seed: int) -> dict[str, float]:
    """Each province's quality: from its fund evaluation score when the demo has one, else drawn."""
    scores: dict[str, float] = {}
    path = directory / "fund_evaluation.csv"
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                scores[row["unit"]] = float(row["fund_score"])
    draws = stream(seed, 1)
    out = {}
    for code in sorted(provinces):
        draw = float(draws.uniform(0, 1))
        out[code] = float(np.clip((scores[code] - 62) / 34, 0, 1)) if code in scores else draw
    return out


def write_projects(
    folder: Path, counties: list[dict], quality: dict[str, float], seed: int
) -> dict[str, ProjectTruth]:
    """Write ``projects.csv`` and ``targets.csv`` (the submission to the target gate, some with
    defects) into ``folder``; return each project's hidden truth."""
    projects, targets, truths = [], [], {}
    for county in counties:
        code = county["unit"]
        q = quality[county["parent"]]
        draws = stream(seed, 2, int(code))
        types = list(TYPES)
        chosen = draws.choice(len(types), size=int(draws.integers(6, 11)), p=list(TYPES.values()))
        for k, t in enumerate(chosen):
            kind = types[int(t)]
            variant = VARIANTS[kind][int(draws.integers(len(VARIANTS[kind])))]
            village = VILLAGES[int(draws.integers(len(VILLAGES)))]
            pid = f"{code}-{year()}-{k + 1:03d}"
            budget = float(np.round(np.clip(draws.lognormal(np.log(150), 0.7), 20, 2000), 1))
            start = dt.date(year(), int(draws.integers(1, 5)), int(draws.integers(1, 29)))
            end = dt.date(year(), int(draws.integers(10, 13)), int(draws.integers(1, 29)))
            owner = f"{county['name']}{OWNERS[kind]}"
            defect = None
            if draws.random() < 0.07:
                defect = GATE_DEFECTS[int(draws.integers(len(GATE_DEFECTS)))]
            projects.append(
                [
                    pid,
                    f"{county['name']}{village}{variant.title}",
                    code,
                    kind,
                    "" if defect == "no_budget" else budget,
                    start.isoformat(),
                    end.isoformat(),
                    "" if defect == "no_owner" else owner,
                    "true" if draws.random() < 0.85 + 0.14 * q else "false",
                    period(),
                ]
            )
            rows = _target_rows(variant, budget, defect)
            targets += [[pid, *r] for r in rows]
            truths[pid] = _truth(draws, q, [r[0] for r in rows])
    write_csv(folder / "projects.csv", PROJECT_HEADER, projects)
    write_csv(folder / "targets.csv", TARGET_HEADER, targets)
    return truths


def _target_rows(variant: Variant, budget: float, defect: str | None) -> list[list]:
    """The performance target table of one project, with its gate defect if it has one."""
    quantity = max(1.0, round(budget / variant.unit_cost))
    rows = [
        ["Q1", "数量指标", variant.quantity, quantity, variant.unit, "≥"],
        ["Q2", "质量指标", "项目验收合格率", 100, "%", "≥"],
        ["Q3", "时效指标", "项目按期完工率", 100, "%", "≥"],
        [
            "C1",
            "成本指标",
            f"单位{variant.unit}成本",
            round(budget / quantity, 4),
            f"万元/{variant.unit}",
            "≤",
        ],
    ]
    for n, benefit in enumerate(variant.benefits):
        amount = round(benefit.value * budget) if benefit.per_budget else benefit.value
        rows.append(
            [
                f"B{n + 1}",
                BENEFIT_LABELS[benefit.category],
                benefit.name,
                amount,
                benefit.unit_of_measure,
                benefit.direction,
            ]
        )
    rows.append(["S1", "满意度指标", "受益群众满意度", 90, "%", "≥"])
    if defect == "no_cost":
        rows = [r for r in rows if r[0] != "C1"]
    elif defect == "no_satisfaction":
        rows = [r for r in rows if r[0] != "S1"]
    elif defect == "vague_quantity":
        rows[0][3] = "逐步增加"
    return rows


def _truth(draws: np.random.Generator, q: float, items: list[str]) -> ProjectTruth:
    lagging = draws.random() < 0.04 + 0.12 * (1 - q)
    pace = (
        float(draws.uniform(0.35, 0.65)) if lagging else float(draws.normal(0.95 + 0.1 * q, 0.08))
    )
    output_pace = float(np.clip(pace + draws.normal(0, 0.1), 0.3, 1.3))
    final = float(np.clip(draws.normal(0.93 + 0.07 * q, 0.05) - (0.15 if lagging else 0), 0.5, 1.0))
    achievement = {}
    for item in items:
        mean = 0.97 + 0.06 * q - (0.12 if lagging else 0.0)
        achievement[item] = float(np.clip(draws.normal(mean, 0.06), 0.5, 1.15))
    dishonest = draws.random() < 0.03 + 0.12 * (1 - q)
    inflated = {}
    if dishonest:
        for item in draws.choice(items, size=min(2, len(items)), replace=False):
            inflated[str(item)] = float(draws.uniform(1.12, 1.4))
        inflated[BUDGET_ITEM] = float(draws.uniform(1.08, 1.2))
    changed = draws.random() < 0.09
    cost_change = (
        float(draws.choice([-1, 1]) * draws.uniform(0.25, 0.6))
        if changed
        else float(draws.normal(0, 0.04))
    )
    return ProjectTruth(
        pace=float(np.clip(pace, 0.3, 1.3)),
        output_pace=output_pace,
        final_execution=final,
        achievement=achievement,
        inflated=inflated,
        cost_change=cost_change,
        adjusted=changed and draws.random() < 0.5,
        missing_docs=int(draws.integers(1, 4)) if draws.random() < 0.06 + 0.12 * (1 - q) else 0,
        self_reported=draws.random() > 0.015,
    )


def true_value(
    target_value: float, item: str, direction: str, truth: ProjectTruth, on_time: float
) -> float:
    """A project's true value of an indicator at a share ``on_time`` of its duration."""
    if item == "C1":
        return target_value * (1 + truth.cost_change)
    ratio = truth.achievement.get(item, 1.0)
    if item == "Q1":
        return target_value * min(ratio, 1.15) * min(1.0, on_time * truth.output_pace)
    if direction == "≤":
        return target_value / ratio
    return target_value * ratio
