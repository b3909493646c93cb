"""Demo sources of ``paired-assistance-2017`` (定点帮扶): central units, what each did for each
of its paired counties against its yearly pledge (定点扶贫责任书), and the checks of what it
reported.

The central units (ministries, banks, state enterprises, universities) are appended to
``units.csv`` as units of kind ``assistance`` (帮扶单位) at level ``central_unit`` with codes
``C001`` …, so schemes that grade regions never count them. Each is paired with one to three demo
counties (distinct while the demo has counties enough; real pairings are of real counties, which
the demo's need not be). Each unit has a hidden "effort" (its own random stream) driving how much
of its pledge it delivers; two report figures the checks cannot confirm (虚报), for the veto.
"""

from __future__ import annotations

from pathlib import Path

from ..csv_files import flag, write_csv
from ..random_streams import rng
from ..years import period
from .units import append_units, counties

PAIRED_STREAM = 110  # this demo's random streams are keyed (seed, 110, …)
# A sample of the central units with paired counties (the real list has over 300).
CENTRAL_UNITS = (
    "国家发展改革委", "教育部", "科技部", "工业和信息化部", "民政部", "财政部",
    "人力资源社会保障部", "自然资源部", "生态环境部", "住房城乡建设部", "交通运输部", "水利部",
    "农业农村部", "商务部", "国家卫生健康委", "中国人民银行", "国务院国资委", "国家林草局",
    "中国农业发展银行", "国家电网有限公司", "中国移动通信集团有限公司", "清华大学", "北京大学",
    "中国农业大学",
)  # fmt: skip
CHECKED_ITEMS = ("funds_invested", "cadres_trained", "purchases")
HEADER = [
    "unit", "county", "principal_visits", "plan_adopted", "funds_pledged", "funds_invested",
    "funds_attracted_pledged", "funds_attracted", "cadres_sent", "cadres_trained_pledged",
    "cadres_trained", "technicians_trained_pledged", "technicians_trained", "purchases_pledged",
    "purchases", "sales_pledged", "sales_helped", "typical_cases", "period",
]  # fmt: skip


def write_paired_assistance_demo(directory: Path, seed: int) -> None:
    """Append the central units; write ``paired_assistance.csv`` and
    ``paired_assistance_checks.csv``."""
    directory = Path(directory)
    codes = [f"C{i + 1:03d}" for i in range(len(CENTRAL_UNITS))]
    append_units(
        directory,
        [
            {
                "unit": code,
                "name": name,
                "parent": "",
                "level": "central_unit",
                "kind": "assistance",
            }
            for code, name in zip(codes, CENTRAL_UNITS, strict=True)
        ],
    )
    pairs = _pairing(codes, [county.code for county in counties(directory)], seed)
    effort = {code: float(rng(seed, PAIRED_STREAM, 1, i).uniform()) for i, code in enumerate(codes)}
    inflating = {codes[i] for i in rng(seed, PAIRED_STREAM, 2).choice(len(codes), 2, replace=False)}
    rows, checks = [], []
    for k, (code, county) in enumerate(pairs):
        row = _county_row(code, county, effort[code], rng(seed, PAIRED_STREAM, 3, k))
        rows.append(row)
        local = rng(seed, PAIRED_STREAM, 4, k)
        for item in CHECKED_ITEMS:
            reported = row[HEADER.index(item)]
            ratio = 1.0 if local.random() < 0.7 else float(local.uniform(0.97, 1.0))
            if code in inflating and item == "purchases":
                ratio = float(local.uniform(0.6, 0.8))  # produce "bought" that the checks missed
            checks.append([code, county, item, reported, round(reported * ratio, 0), period()])
    write_csv(directory / "paired_assistance.csv", HEADER, rows)
    write_csv(
        directory / "paired_assistance_checks.csv",
        ["unit", "county", "item", "reported", "verified", "period"],
        checks,
    )


def _pairing(codes: list[str], county_codes: list[str], seed: int) -> list[tuple[str, str]]:
    """(central unit, county) pairs: one to three counties a unit, in a shuffled county order."""
    if not county_codes:
        return []
    stream = rng(seed, PAIRED_STREAM, 0)
    order = [county_codes[i] for i in stream.permutation(len(county_codes))]
    pairs, taken = [], 0
    for code in codes:
        for _ in range(int(stream.integers(1, 4))):
            pairs.append((code, order[taken % len(order)]))  # reused only in a tiny demo
            taken += 1
    return pairs


def _share(local, mean: float, low: float, high: float, sd: float = 0.08) -> float:
    """A delivered share of a pledge, around ``mean`` and kept within [low, high]."""
    return min(high, max(low, float(local.normal(mean, sd))))


def _county_row(code: str, county: str, q: float, local) -> list:
    """What unit ``code`` (effort ``q``) pledged and delivered for one paired county."""
    funds_pledged = round(float(local.uniform(3e6, 3e7)), -4)
    attracted_pledged = round(float(local.uniform(5e6, 5e7)), -4)
    cadres_pledged = int(local.integers(300, 2000))
    technicians_pledged = int(local.integers(200, 1500))
    purchases_pledged = round(float(local.uniform(1e6, 1e7)), -3)
    sales_pledged = round(float(local.uniform(2e6, 2e7)), -3)
    return [
        code,
        county,
        int(local.poisson(0.4 + 1.2 * q)),
        flag(local.random() < 0.7 + 0.3 * q),
        funds_pledged,
        round(funds_pledged * _share(local, 0.85 + 0.2 * q, 0.5, 1.3, 0.06), -4),
        attracted_pledged,
        round(attracted_pledged * _share(local, 0.7 + 0.4 * q, 0.3, 1.5, 0.1), -4),
        int(local.poisson(0.8 + 1.6 * q)),
        cadres_pledged,
        int(cadres_pledged * _share(local, 0.8 + 0.3 * q, 0.4, 1.5)),
        technicians_pledged,
        int(technicians_pledged * _share(local, 0.8 + 0.3 * q, 0.4, 1.5)),
        purchases_pledged,
        round(purchases_pledged * _share(local, 0.75 + 0.35 * q, 0.3, 1.6, 0.1), -3),
        sales_pledged,
        round(sales_pledged * _share(local, 0.7 + 0.4 * q, 0.3, 1.8, 0.1), -3),
        int(local.poisson(0.3 + 1.0 * q)),
        period(),
    ]
