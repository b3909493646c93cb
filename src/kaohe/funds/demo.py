"""Synthetic project fund data for the national demo, and the funds pipeline run over it.

``write_funds_demo(directory, seed)`` reads the counties and provinces of ``directory/units.csv``
(written by the demo's main generator) and writes, deterministically by seed (numpy PCG64):

- ``funds/``: what project units and the finance department hand in — ``projects.csv`` and
  ``targets.csv`` (the submission to the target gate; some projects lack targets or budgets),
  ``target_adjustments.csv`` (approved cost changes), ``progress.csv`` (quarterly reports; some
  projects lag), ``self_evaluation.csv`` (year-end values; some inflated), ``spot_checks.csv``
  (verified values for the drawn sample), ``project_files.csv`` (documents held; some incomplete);
- the funds pipeline run over those files through the same functions as ``kaohe funds``:
  ``funds/library/`` (the event log), ``funds/evaluation/``, ``funds/allocation/``, ``funds/audit/``;
- the sources the bundled fund schemes read: ``fund_projects.csv`` (one row per project with its
  evaluation), ``fund_findings.csv`` (audit findings), ``fund_transfers.csv`` (funds allocated
  down to counties), ``fund_inputs.csv`` (provincial and central funds) and
  ``linkage_consolidation.csv`` (consolidation of results per county).

Provinces differ by a "quality" taken from the demo's fund evaluation scores when present, so the
project data tells the same story as the rest of the demo.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audit_checks import AuditInputs, audit, load_audit_rules
from .evaluation import (
    CHECK_SHEETS,
    PROJECT_SCORE_COLUMNS,
    SELF_SHEETS,
    UNIT_SCORE_COLUMNS,
    VALUE_COLUMNS,
    detail,
    evaluate,
    load_evaluation_rules,
    project_rows,
    read_values,
    unit_rows,
)
from .gate import check_submission, load_gate_rules, read_submission
from .library import ADJUST_COLUMNS, ADJUST_REQUIRED, Library, adjust, admit
from .monitoring import REPORT_COLUMNS, answer, load_monitoring_rules, monitor
from .outputs import staged, write_csv, write_json
from .spot_checks import draw_sample
from .tables import read_table
from .targets import BUDGET_ITEM

PERIOD = "2019"
YEAR = int(PERIOD)
QUARTERS = (dt.date(YEAR, 3, 31), dt.date(YEAR, 6, 30), dt.date(YEAR, 9, 30))
YEAR_END = dt.date(YEAR, 12, 31)

# Project types with their share of projects, and variants: name, quantity indicator (name, unit
# of measure, cost per unit in 万元), the cost indicator's name, and the benefit indicators
# (category, name, unit of measure, direction, value per 万元 of budget or a fixed level).
TYPES = {
    "产业发展": 0.40,
    "基础设施": 0.22,
    "易地扶贫搬迁配套": 0.08,
    "教育扶贫": 0.08,
    "健康扶贫": 0.07,
    "就业扶贫": 0.09,
    "生态扶贫": 0.06,
}


@dataclass(frozen=True)
class Variant:
    title: str
    quantity: str
    unit: str
    unit_cost: float  # 万元 per unit
    benefits: tuple[tuple[str, str, str, str, float, bool], ...]  # category, name, uom, dir, v, per


_INDUSTRY_BENEFITS = (
    ("economic", "带动建档立卡贫困户户均增收", "元", "≥", 1800.0, False),
    ("social", "带动建档立卡贫困户", "户", "≥", 0.9, True),
    ("sustainability", "项目持续发挥效益年限", "年", "≥", 5.0, False),
)
_INFRA_BENEFITS = (
    ("social", "受益建档立卡贫困人口", "人", "≥", 6.0, True),
    ("sustainability", "工程设计使用年限", "年", "≥", 15.0, False),
)
VARIANTS: dict[str, tuple[Variant, ...]] = {
    "产业发展": (
        Variant("花椒种植基地建设项目", "新建花椒种植基地", "亩", 0.25, _INDUSTRY_BENEFITS),
        Variant("中药材种植基地建设项目", "新建中药材种植基地", "亩", 0.3, _INDUSTRY_BENEFITS),
        Variant("茶园提质增效项目", "提升改造茶园", "亩", 0.35, _INDUSTRY_BENEFITS),
        Variant("核桃提质增效项目", "核桃提质增效面积", "亩", 0.15, _INDUSTRY_BENEFITS),
        Variant("食用菌大棚建设项目", "新建食用菌大棚", "座", 3.0, _INDUSTRY_BENEFITS),
        Variant("肉牛养殖小区建设项目", "新建标准化圈舍", "平方米", 0.08, _INDUSTRY_BENEFITS),
        Variant("村级光伏扶贫电站项目", "光伏电站装机容量", "千瓦", 0.65, _INDUSTRY_BENEFITS),
        Variant("农产品加工扶贫车间项目", "新建扶贫车间", "平方米", 0.15, _INDUSTRY_BENEFITS),
    ),
    "基础设施": (
        Variant("村组道路硬化项目", "硬化村组道路", "公里", 40.0, _INFRA_BENEFITS),
        Variant("农村安全饮水巩固提升项目", "解决饮水安全", "户", 0.3, _INFRA_BENEFITS),
        Variant("小型农田水利设施项目", "新建灌溉渠道", "公里", 15.0, _INFRA_BENEFITS),
        Variant("村级便民桥梁项目", "新建便民桥", "座", 60.0, _INFRA_BENEFITS),
    ),
    "易地扶贫搬迁配套": (
        Variant(
            "易地扶贫搬迁安置点配套设施项目",
            "配套安置户",
            "户",
            1.5,
            (
                ("social", "受益搬迁人口", "人", "≥", 2.5, True),
                ("sustainability", "配套设施设计使用年限", "年", "≥", 15.0, False),
            ),
        ),
        Variant(
            "安置点扶贫车间项目",
            "新建扶贫车间",
            "平方米",
            0.2,
            (
                ("economic", "搬迁群众就近就业月均收入", "元", "≥", 2000.0, False),
                ("social", "吸纳搬迁群众就业", "人", "≥", 0.5, True),
            ),
        ),
    ),
    "教育扶贫": (
        Variant(
            "建档立卡贫困家庭学生资助项目",
            "资助贫困家庭学生",
            "人次",
            0.3,
            (("social", "贫困家庭学生义务教育巩固率", "%", "≥", 98.0, False),),
        ),
        Variant(
            "雨露计划职业教育补助项目",
            "补助职业教育学生",
            "人",
            0.3,
            (("social", "受助学生毕业就业率", "%", "≥", 85.0, False),),
        ),
    ),
    "健康扶贫": (
        Variant(
            "贫困人口家庭医生签约服务项目",
            "签约服务贫困人口",
            "人",
            0.012,
            (("social", "贫困人口家庭医生签约率", "%", "≥", 95.0, False),),
        ),
        Variant(
            "大病专项救治补助项目",
            "救治贫困大病患者",
            "人次",
            0.5,
            (("social", "住院费用实际报销比例", "%", "≥", 90.0, False),),
        ),
    ),
    "就业扶贫": (
        Variant(
            "贫困劳动力技能培训项目",
            "培训贫困劳动力",
            "人次",
            0.15,
            (
                ("economic", "培训后实现就业", "人", "≥", 4.0, True),
                ("social", "培训合格率", "%", "≥", 90.0, False),
            ),
        ),
        Variant(
            "扶贫公益性岗位项目",
            "开发公益性岗位",
            "个",
            0.6,
            (("economic", "岗位人员人均年增收", "元", "≥", 6000.0, False),),
        ),
    ),
    "生态扶贫": (
        Variant(
            "生态护林员选聘项目",
            "选聘建档立卡生态护林员",
            "人",
            1.0,
            (
                ("ecological", "管护森林面积", "亩", "≥", 1500.0, True),
                ("economic", "护林员人均年增收", "元", "≥", 8000.0, False),
            ),
        ),
        Variant(
            "退耕还林补助项目",
            "实施退耕还林",
            "亩",
            0.12,
            (
                ("ecological", "新增林草覆盖面积", "亩", "≥", 8.0, True),
                ("economic", "退耕农户户均增收", "元", "≥", 1200.0, False),
            ),
        ),
    ),
}
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
OWNERS = {
    "产业发展": "农业农村局",
    "基础设施": "交通运输局",
    "易地扶贫搬迁配套": "发展和改革局",
    "教育扶贫": "教育局",
    "健康扶贫": "卫生健康局",
    "就业扶贫": "人力资源和社会保障局",
    "生态扶贫": "林业和草原局",
}
GATE_DEFECTS = ("no_cost", "no_satisfaction", "vague_quantity", "no_budget", "no_owner")


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 5, *key])))


@dataclass
class _Truth:
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


def _read_units(directory: Path) -> tuple[list[dict], dict[str, dict]]:
    with (directory / "units.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    provinces = {
        r["unit"]: r for r in rows if r["level"] == "province" and r.get("kind") == "region"
    }
    counties = [r for r in rows if r["level"] == "county" and r["parent"] in provinces]
    return counties, provinces


def _qualities(directory: Path, provinces: dict[str, dict], seed: int) -> dict[str, float]:
    scores: dict[str, float] = {}
    path = directory / "fund_evaluation.csv"
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                scores[row["unit"]] = float(row["fund_score"])
    rng = _rng(seed, 1)
    out = {}
    for code in sorted(provinces):
        draw = float(rng.uniform(0, 1))
        out[code] = float(np.clip((scores[code] - 62) / 34, 0, 1)) if code in scores else draw
    return out


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _fmt(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"


def _projects(counties, quality, seed):
    """Project rows, target rows and each project's hidden truth."""
    projects, targets, truths = [], [], {}
    for county in counties:
        code = county["unit"]
        q = quality[county["parent"]]
        rng = _rng(seed, 2, int(code))
        types = list(TYPES)
        chosen = rng.choice(len(types), size=int(rng.integers(6, 11)), p=list(TYPES.values()))
        for k, t in enumerate(chosen):
            kind = types[int(t)]
            variant = VARIANTS[kind][int(rng.integers(len(VARIANTS[kind])))]
            village = VILLAGES[int(rng.integers(len(VILLAGES)))]
            pid = f"{code}-{YEAR}-{k + 1:03d}"
            budget = float(np.round(np.clip(rng.lognormal(np.log(150), 0.7), 20, 2000), 1))
            start = dt.date(YEAR, int(rng.integers(1, 5)), int(rng.integers(1, 29)))
            end = dt.date(YEAR, int(rng.integers(10, 13)), int(rng.integers(1, 29)))
            owner = f"{county['name']}{OWNERS[kind]}"
            defect = None
            if rng.random() < 0.07:
                defect = GATE_DEFECTS[int(rng.integers(len(GATE_DEFECTS)))]
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
                    "true" if rng.random() < 0.85 + 0.14 * q else "false",
                    PERIOD,
                ]
            )
            quantity = max(1.0, round(budget / variant.unit_cost))
            unit_cost = budget / quantity
            rows = [
                ["Q1", "数量指标", variant.quantity, quantity, variant.unit, "≥"],
                ["Q2", "质量指标", "项目验收合格率", 100, "%", "≥"],
                ["Q3", "时效指标", "项目按期完工率", 100, "%", "≥"],
                [
                    "C1",
                    "成本指标",
                    f"单位{variant.unit}成本",
                    round(unit_cost, 4),
                    f"万元/{variant.unit}",
                    "≤",
                ],
            ]
            for n, (category, name, uom, direction, value, per) in enumerate(variant.benefits):
                amount = round(value * budget) if per else value
                label = {
                    "economic": "经济效益指标",
                    "social": "社会效益指标",
                    "ecological": "生态效益指标",
                    "sustainability": "可持续影响指标",
                }[category]
                rows.append([f"B{n + 1}", label, name, amount, uom, direction])
            rows.append(["S1", "满意度指标", "受益群众满意度", 90, "%", "≥"])
            if defect == "no_cost":
                rows = [r for r in rows if r[0] != "C1"]
            elif defect == "no_satisfaction":
                rows = [r for r in rows if r[0] != "S1"]
            elif defect == "vague_quantity":
                rows[0][3] = "逐步增加"
            for r in rows:
                targets.append([pid, *r])
            truths[pid] = _truth(rng, q, [r[0] for r in rows])
    return projects, targets, truths


def _truth(rng: np.random.Generator, q: float, items: list[str]) -> _Truth:
    lagging = rng.random() < 0.04 + 0.12 * (1 - q)
    pace = float(rng.uniform(0.35, 0.65)) if lagging else float(rng.normal(0.95 + 0.1 * q, 0.08))
    output_pace = float(np.clip(pace + rng.normal(0, 0.1), 0.3, 1.3))
    final = float(np.clip(rng.normal(0.93 + 0.07 * q, 0.05) - (0.15 if lagging else 0), 0.5, 1.0))
    achievement = {}
    for item in items:
        mean = 0.97 + 0.06 * q - (0.12 if lagging else 0.0)
        achievement[item] = float(np.clip(rng.normal(mean, 0.06), 0.5, 1.15))
    dishonest = rng.random() < 0.03 + 0.12 * (1 - q)
    inflated = {}
    if dishonest:
        for item in rng.choice(items, size=min(2, len(items)), replace=False):
            inflated[str(item)] = float(rng.uniform(1.12, 1.4))
        inflated[BUDGET_ITEM] = float(rng.uniform(1.08, 1.2))
    changed = rng.random() < 0.09
    cost_change = (
        float(rng.choice([-1, 1]) * rng.uniform(0.25, 0.6))
        if changed
        else float(rng.normal(0, 0.04))
    )
    return _Truth(
        pace=float(np.clip(pace, 0.3, 1.3)),
        output_pace=output_pace,
        final_execution=final,
        achievement=achievement,
        inflated=inflated,
        cost_change=cost_change,
        adjusted=changed and rng.random() < 0.5,
        missing_docs=int(rng.integers(1, 4)) if rng.random() < 0.06 + 0.12 * (1 - q) else 0,
        self_reported=rng.random() > 0.015,
    )


def _actual(target_value: float, item: str, direction: str, truth: _Truth, on_time: float) -> float:
    """A project's true value of an indicator at a share ``on_time`` of its duration."""
    if item == "C1":
        return target_value * (1 + truth.cost_change)
    ratio = truth.achievement.get(item, 1.0)
    if item == "Q1":
        return target_value * min(ratio, 1.15) * min(1.0, on_time * truth.output_pace)
    if direction == "≤":
        return target_value / ratio
    return target_value * ratio


def write_funds_demo(directory: Path, seed: int) -> None:
    """Write the funds demo files into ``directory`` (which already holds ``units.csv``)."""
    directory = Path(directory)
    folder = directory / "funds"
    counties, provinces = _read_units(directory)
    province_of = {county["unit"]: county["parent"] for county in counties}
    quality = _qualities(directory, provinces, seed)
    projects, targets, truths = _projects(counties, quality, seed)
    _write(
        folder / "projects.csv",
        [
            "project_id",
            "name",
            "unit",
            "project_type",
            "budget",
            "start_date",
            "end_date",
            "owner",
            "publicized",
            "period",
        ],
        projects,
    )
    _write(
        folder / "targets.csv",
        [
            "project_id",
            "indicator_id",
            "category",
            "name",
            "target",
            "unit_of_measure",
            "direction",
        ],
        targets,
    )

    library_dir = folder / "library"
    if library_dir.exists():
        import shutil

        shutil.rmtree(library_dir)
    library = Library.open(library_dir, create=True)
    gate = load_gate_rules()
    submission = check_submission(*read_submission(folder / "projects.csv"), gate.model)
    admit(library, submission, at=f"{PERIOD}-01-20T09:00:00+08:00")
    state = library.state()
    admitted = state.projects

    adjustments = [
        [
            pid,
            "C1",
            _fmt(p.target("C1").value * (1 + truths[pid].cost_change)),
            "项目变更：实施方案调整，经县扶贫开发领导小组批复",
        ]
        for pid, p in sorted(admitted.items())
        if truths[pid].adjusted and p.target("C1") is not None
    ]
    _write(
        folder / "target_adjustments.csv",
        ["project_id", "indicator_id", "target", "reason"],
        adjustments,
    )
    adjust(
        library,
        read_table(folder / "target_adjustments.csv", ADJUST_COLUMNS, ADJUST_REQUIRED),
        at=f"{PERIOD}-07-15T09:00:00+08:00",
    )

    monitoring = load_monitoring_rules()
    progress_rows = []
    for quarter in QUARTERS:
        rows = []
        for pid, project in sorted(admitted.items()):
            truth = truths[pid]
            share = project.time_progress(quarter)
            if share <= 0:
                continue
            executed = project.budget * min(truth.final_execution, share * truth.pace)
            rows.append([pid, quarter.isoformat(), BUDGET_ITEM, round(executed, 2)])
            q1 = project.target("Q1")
            rows.append(
                [pid, quarter.isoformat(), "Q1", _fmt(_actual(q1.value, "Q1", "≥", truth, share))]
            )
            if quarter >= QUARTERS[1] and project.target("C1") is not None:
                c1 = state.original[pid].target("C1")
                rows.append(
                    [
                        pid,
                        quarter.isoformat(),
                        "C1",
                        _fmt(_actual(c1.value, "C1", "≤", truth, share)),
                    ]
                )
        progress_rows += rows
        path = folder / "progress" / f"{quarter.isoformat()}.csv"
        _write(path, ["project_id", "as_of", "item", "value"], rows)
        monitor(
            library,
            read_table(path, REPORT_COLUMNS, list(REPORT_COLUMNS)),
            monitoring.model,
            at=(quarter + dt.timedelta(days=10)).isoformat() + "T09:00:00+08:00",
        )
        answer_rng = _rng(seed, 3, quarter.toordinal())
        answers = []
        for flag in sorted(library.state().flags.values(), key=lambda f: f.flag_id):
            if flag.status != "open" or flag.as_of != quarter:
                continue
            if answer_rng.random() < 0.45 + 0.5 * quality[province_of[flag.unit]]:
                answers.append(
                    (
                        flag.flag_id,
                        admitted[flag.project_id].owner,
                        "已分析偏离原因（施工季节、资金拨付流程），调整实施计划并加快资金支付和建设进度",
                    )
                )
        answer(
            library, answers, at=f"{(quarter + dt.timedelta(days=25)).isoformat()}T09:00:00+08:00"
        )
    _write(folder / "progress.csv", ["project_id", "as_of", "item", "value"], progress_rows)

    self_rows, true_values = [], {}
    for pid, project in sorted(admitted.items()):
        truth = truths[pid]
        values = {BUDGET_ITEM: round(project.budget * truth.final_execution, 2)}
        original = state.original[pid]
        for target in original.targets:
            direction = "≤" if target.direction == "lower" else "≥"
            value = _actual(target.value, target.indicator_id, direction, truth, 1.0)
            if target.unit_of_measure == "%":
                value = min(value, 100.0)
            values[target.indicator_id] = float(_fmt(value))
        true_values[pid] = values
        if not truth.self_reported:
            continue
        for item, value in values.items():
            reported = value * truth.inflated.get(item, 1.0)
            self_rows.append(
                [pid, item, round(reported, 2) if item == BUDGET_ITEM else _fmt(reported)]
            )
    _write(folder / "self_evaluation.csv", ["project_id", "item", "value"], self_rows)

    evaluation_rules = load_evaluation_rules()
    sample = draw_sample(
        library,
        evaluation_rules.model.spot_checks.min_share,
        seed,
        evaluation_rules.model.spot_checks.stratum,
        at=f"{YEAR + 1}-01-05T09:00:00+08:00",
    )
    check_rng = _rng(seed, 4)
    check_rows = []
    for pid in sample.projects:
        for item, value in true_values[pid].items():
            noise = float(check_rng.normal(0, 0.005))
            check_rows.append(
                [
                    pid,
                    item,
                    _fmt(value * (1 + noise)),
                    "财政局绩效评价组",
                    f"{YEAR + 1}-01-{10 + int(check_rng.integers(0, 15)):02d}",
                ]
            )
    _write(
        folder / "spot_checks.csv",
        ["project_id", "item", "value", "checked_by", "checked_on"],
        check_rows,
    )

    audit_rules = load_audit_rules()
    file_rows = []
    for pid, project in sorted(admitted.items()):
        required = audit_rules.model.checklists.get(
            project.project_type, audit_rules.model.checklists["default"]
        )
        missing = set()
        if truths[pid].missing_docs:
            doc_rng = _rng(seed, 6, int(pid.replace("-", "")))
            missing = set(doc_rng.choice(required, size=truths[pid].missing_docs, replace=False))
        file_rows += [[pid, doc] for doc in required if doc not in missing]
    _write(folder / "project_files.csv", ["project_id", "document"], file_rows)

    _run_pipeline(directory, folder, library, evaluation_rules, audit_rules, province_of, seed)


def _run_pipeline(directory, folder, library, evaluation_rules, audit_rules, province_of, seed):
    from .allocation import allocate, load_allocation_rules
    from .audit_checks import FILE_COLUMNS, FINDING_COLUMNS, read_files

    state = library.state()
    own = read_values(
        read_table(folder / "self_evaluation.csv", VALUE_COLUMNS, list(VALUE_COLUMNS), SELF_SHEETS),
        state,
        ("自评表", "self-evaluation"),
    )
    checked = read_values(
        read_table(folder / "spot_checks.csv", VALUE_COLUMNS, list(VALUE_COLUMNS), CHECK_SHEETS),
        state,
        ("抽查表", "spot checks"),
    )
    result = evaluate(state, own, checked, evaluation_rules)
    scores = project_rows(result)
    with staged(folder / "evaluation") as out:
        write_csv(out / "project_scores.csv", PROJECT_SCORE_COLUMNS, scores)
        write_csv(out / "unit_scores.csv", UNIT_SCORE_COLUMNS, unit_rows(result))
        write_json(out / "evaluation.json", detail(result))

    files = read_files(
        read_table(folder / "project_files.csv", FILE_COLUMNS, list(FILE_COLUMNS)), state
    )
    findings = audit(state, AuditInputs(own, checked, files), audit_rules, dt.date(YEAR + 1, 2, 1))
    with staged(folder / "audit") as out:
        write_csv(out / "rectifications.csv", FINDING_COLUMNS, [f.row() for f in findings])
        write_json(
            out / "rectifications.json",
            {"rules": audit_rules.describe(), "findings": [f.to_json() for f in findings]},
        )

    formula = load_allocation_rules()
    unit_table = read_table(
        folder / "evaluation" / "unit_scores.csv", {"unit": ()}, ["unit", "final_score"]
    )
    allocation = allocate(directory, formula, unit_table, PERIOD)
    rows = allocation.rows()
    with staged(folder / "allocation") as out:
        write_csv(out / "allocation.csv", list(rows[0].keys()), rows)
        write_json(
            out / "allocation.json",
            {
                "formula": formula.describe(),
                "total": allocation.total,
                "weights": allocation.weights,
                "units": rows,
            },
        )
    quality = _qualities(directory, {p: {} for p in set(province_of.values())}, seed)
    _scheme_sources(directory, folder, state, scores, findings, quality, province_of, seed)


def _scheme_sources(directory, folder, state, scores, findings, quality, province_of, seed):
    """The files the bundled fund schemes read, from the pipeline's results."""
    with (folder / "projects.csv").open(encoding="utf-8") as handle:
        submitted = list(csv.DictReader(handle))
    by_project = {row["project_id"]: row for row in scores}
    raised: dict[str, int] = {}
    answered: dict[str, int] = {}
    for flag in state.flags.values():
        raised[flag.project_id] = raised.get(flag.project_id, 0) + 1
        if flag.status == "answered":
            answered[flag.project_id] = answered.get(flag.project_id, 0) + 1
    incomplete = {f.project_id for f in findings if f.rule == "files_incomplete"}
    rows = []
    for project in submitted:
        pid = project["project_id"]
        score = by_project.get(pid, {})
        admitted = pid in state.projects
        rows.append(
            [
                project["unit"],
                pid,
                project["project_type"],
                _bool(project["project_type"] == "产业发展"),
                project["budget"],
                _bool(admitted),
                project["publicized"],
                _blank(score.get("budget_executed")),
                _blank(score.get("self_score")),
                _blank(score.get("final_score")),
                _bool(score.get("checked", False)),
                _bool(score.get("tasks_achieved", False)),
                _blank(score.get("output_rate")),
                _blank(score.get("benefit_rate")),
                raised.get(pid, 0),
                answered.get(pid, 0),
                _bool(admitted and pid not in incomplete),
                PERIOD,
            ]
        )
    _write(
        directory / "fund_projects.csv",
        [
            "unit",
            "project_id",
            "project_type",
            "industry",
            "budget",
            "admitted",
            "publicized",
            "executed",
            "self_score",
            "final_score",
            "checked",
            "tasks_achieved",
            "output_rate",
            "benefit_rate",
            "flags_raised",
            "flags_answered",
            "files_complete",
            "period",
        ],
        rows,
    )
    _write(
        directory / "fund_findings.csv",
        ["unit", "project_id", "rule", "period"],
        [[f.unit, f.project_id, f.rule, PERIOD] for f in findings],
    )
    counties: dict[str, list[str]] = {}
    for project in submitted:
        counties.setdefault(province_of[project["unit"]], []).append(project["unit"])
    transfers, inputs, consolidation = [], [], []
    for province in sorted(quality):
        q = quality[province]
        rng = _rng(seed, 7, int(province))
        units = sorted(set(counties.get(province, [])))
        central = float(rng.uniform(150_000, 450_000))
        central_growth = float(rng.uniform(0.08, 0.2))
        provincial_share = float(rng.uniform(0.2, 0.45))
        provincial_growth = central_growth + float(rng.normal(0.02 * (2 * q - 1), 0.04))
        inputs.append(
            [
                province,
                round(central, 1),
                round(central / (1 + central_growth), 1),
                round(central * provincial_share, 1),
                round(central * provincial_share / (1 + provincial_growth), 1),
                int(rng.poisson(0.5 + 2.5 * q)),
                PERIOD,
            ]
        )
        weights = rng.uniform(0.5, 1.5, len(units))
        for code, weight in zip(units, weights, strict=True):
            for fund, share in (("中央", 1.0), ("省级", provincial_share)):
                amount = central * share * weight / weights.sum()
                late = rng.random() < 0.05 + 0.3 * (1 - q)
                days = int(rng.integers(31, 75)) if late else int(rng.integers(8, 31))
                transfers.append(
                    [
                        code,
                        fund,
                        round(amount, 1),
                        days,
                        _bool(rng.random() < 0.8 + 0.2 * q),
                        PERIOD,
                    ]
                )
            monitored = int(rng.integers(300, 3000))
            eliminated = int(monitored * np.clip(rng.normal(0.55 + 0.35 * q, 0.08), 0, 1))
            returned = int(rng.poisson(monitored * 0.004 * (1.5 - q)))
            consolidation.append([code, monitored, eliminated, returned, PERIOD])
    _write(
        directory / "fund_inputs.csv",
        [
            "unit",
            "central_funds",
            "central_funds_last",
            "provincial_funds",
            "provincial_funds_last",
            "innovation_cases",
            "period",
        ],
        inputs,
    )
    _write(
        directory / "fund_transfers.csv",
        ["unit", "fund", "amount", "days_to_allocate", "by_factor", "period"],
        transfers,
    )
    _write(
        directory / "linkage_consolidation.csv",
        ["unit", "monitored_households", "risk_eliminated", "returned_households", "period"],
        consolidation,
    )


def _bool(value: object) -> str:
    return "true" if bool(value) else "false"


def _blank(value: object) -> object:
    return "" if value is None else value
