"""Demo sources of east–west cooperation, both sides of each pairing: what each eastern
assisting province did for each western partner (``east-west-cooperation-2017``), what each
assisted province did with it (``east-west-cooperation-west-2017``), and the cross-checks of what
either side reported.

The assisting provinces are appended to ``units.csv`` as units of kind ``assistance`` (帮扶方)
at level ``province`` with codes ``E`` + their GB/T 2260 code (E110000 北京市 …), the assisted
ones as units of kind ``assisted`` (被帮扶方) at level ``province`` with codes ``W`` + theirs
(W520000 贵州省 …), so schemes that grade regions never count them, no real region code is taken
and only provinces in a pairing are graded as assisted. Partners follow the 2016 pairing
(``east_west_pairs.csv``, kept to provinces present in the demo). The assisted side's rows start
from its partner's: the funds it received are the funds the east delivered, and its labour
target is the pair's. Each province has a hidden "effort" (its own random stream); on each side
one or two report figures the cross-check teams cannot verify (虚报), for the veto.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..csv_files import flag, write_csv
from ..random_streams import rng
from ..years import period
from .units import append_units, provinces, read_units

PAIRS_FILE = Path(__file__).with_name("east_west_pairs.csv")
CHECKED_ITEMS = ("funds_delivered", "labourers_employed", "villages_paired")
ASSISTED_CHECKED_ITEMS = ("funds_spent", "poor_benefiting", "labourers_sent_east")


def pairs(western: set[str]) -> list[tuple[str, str, str]]:
    """(eastern code, eastern name, western code) for partners present in the demo."""
    with PAIRS_FILE.open(encoding="utf-8") as handle:
        return [
            (row["eastern"], row["eastern_name"], row["western"])
            for row in csv.DictReader(handle)
            if row["western"] in western
        ]


def write_east_west_demo(directory: Path, seed: int) -> None:
    """Append the eastern and the assisted units; write ``east_west_cooperation.csv``,
    ``east_west_cross_checks.csv``, ``east_west_assisted.csv`` and
    ``east_west_assisted_checks.csv``."""
    directory = Path(directory)
    chosen = pairs(set(provinces(directory)))
    eastern = dict.fromkeys(code for code, _, _ in chosen)
    names = {code: name for code, name, _ in chosen}
    append_units(
        directory,
        [
            {"unit": code, "name": names[code], "parent": "", "level": "province",
             "kind": "assistance", "region": "东部"}
            for code in eastern
        ],
    )  # fmt: skip
    effort = {code: float(rng(seed, 91, i).uniform()) for i, code in enumerate(eastern)}
    inflating = set(list(eastern)[i] for i in rng(seed, 92).choice(len(eastern), 2, replace=False))
    rows, checks = [], []
    for k, (code, _, partner) in enumerate(chosen):
        local = rng(seed, 93, k)
        q = effort[code]
        pledged = round(float(local.uniform(3e8, 1.2e9)), -4)
        delivered = round(pledged * min(1.0, float(local.normal(0.8 + 0.2 * q, 0.05))), -4)
        labour_target = int(local.integers(5000, 30000))
        labourers = int(labour_target * min(1.3, max(0.3, local.normal(0.75 + 0.4 * q, 0.1))))
        villages_target = int(local.integers(100, 600))
        villages = int(villages_target * min(1.0, max(0.4, local.normal(0.8 + 0.2 * q, 0.08))))
        row = {
            "unit": code,
            "partner": partner,
            "leader_visits": int(local.poisson(0.6 + 1.6 * q)),
            "joint_meetings": int(local.poisson(1 + 2 * q)),
            "cadres_sent": int(local.poisson(20 + 40 * q)),
            "professionals_sent": int(local.poisson(150 + 350 * q)),
            "funds_pledged": pledged,
            "funds_delivered": delivered,
            "funds_delivered_last": round(
                delivered / float(local.normal(1.05 + 0.15 * q, 0.06)), -4
            ),
            "enterprises_invested": int(local.poisson(10 + 40 * q)),
            "investment_yuan": round(float(local.lognormal(21 + q, 0.5)), -4),
            "poor_people_benefiting": int(local.poisson(5000 + 20000 * q)),
            "labour_target": labour_target,
            "labourers_employed": labourers,
            "villages_target": villages_target,
            "villages_paired": villages,
            "social_donations_yuan": round(float(local.lognormal(18 + q, 0.6)), -2),
            "period": period(),
        }
        rows.append(row)
        for item in CHECKED_ITEMS:
            reported = row[item]
            ratio = 1.0 if local.random() < 0.7 else float(local.uniform(0.97, 1.0))
            if code in inflating and item == "labourers_employed":
                ratio = float(local.uniform(0.6, 0.8))  # reported more than the teams could find
            checks.append([code, partner, item, reported, round(reported * ratio, 0), period()])
    header = list(rows[0]) if rows else ["unit", "partner", "period"]
    write_csv(directory / "east_west_cooperation.csv", header, [list(r.values()) for r in rows])
    write_csv(
        directory / "east_west_cross_checks.csv",
        ["unit", "partner", "item", "reported", "verified", "period"],
        checks,
    )
    write_assisted_demo(directory, seed, rows)


def write_assisted_demo(directory: Path, seed: int, eastern_rows: list[dict]) -> None:
    """Append the assisted units (``W`` + code) and write their side of each pairing, from the
    eastern rows of ``write_east_west_demo`` (one per pair)."""
    regions = {row["unit"]: row for row in read_units(directory)}
    assisted = sorted({row["partner"] for row in eastern_rows})
    append_units(
        directory,
        [
            {"unit": f"W{code}", "name": regions[code]["name"], "parent": "", "level": "province",
             "kind": "assisted", "region": regions[code].get("region", ""),
             "western": regions[code].get("western", "")}
            for code in assisted
        ],
    )  # fmt: skip
    effort = {code: float(rng(seed, 94, i).uniform()) for i, code in enumerate(assisted)}
    count = min(2, len(assisted))
    inflating = {assisted[i] for i in rng(seed, 95).choice(len(assisted), count, replace=False)}
    rows, checks = [], []
    for k, east in enumerate(eastern_rows):
        local = rng(seed, 96, k)
        code, q = east["partner"], effort[east["partner"]]
        received = east["funds_delivered"]
        planned = int(local.integers(10, 60))
        benefit_target = int(local.integers(3000, 20000))
        labour_target = east["labour_target"]  # the pair's agreed target, both sides
        sent = int(labour_target * min(1.2, max(0.2, local.normal(0.55 + 0.5 * q, 0.1))))
        row = {
            "unit": f"W{code}",
            "partner": east["unit"],
            "leader_visits": int(local.poisson(0.5 + 1.5 * q)),
            "plan_adopted": flag(local.random() < 0.6 + 0.4 * q),
            "cadres_sent_east": int(local.poisson(8 + 20 * q)),
            "professionals_sent_east": int(local.poisson(60 + 150 * q)),
            "funds_received": received,
            "funds_spent": round(
                received * min(1.0, float(local.normal(0.75 + 0.25 * q, 0.05))), -4
            ),
            "projects_planned": planned,
            "projects_completed": int(local.binomial(planned, min(1.0, 0.6 + 0.4 * q))),
            "poor_benefit_target": benefit_target,
            "poor_benefiting": int(
                benefit_target * min(1.2, max(0.3, local.normal(0.7 + 0.35 * q, 0.08)))
            ),
            "labour_target": labour_target,
            "labourers_sent_east": min(sent, east["labourers_employed"]),
            "period": period(),
        }
        rows.append(row)
        for item in ASSISTED_CHECKED_ITEMS:
            reported = row[item]
            ratio = 1.0 if local.random() < 0.7 else float(local.uniform(0.97, 1.0))
            if code in inflating and item == "poor_benefiting":
                ratio = float(local.uniform(0.6, 0.8))  # more beneficiaries than the teams found
            checks.append(
                [row["unit"], east["unit"], item, reported, round(reported * ratio, 0), period()]
            )
    header = list(rows[0]) if rows else ["unit", "partner", "period"]
    write_csv(directory / "east_west_assisted.csv", header, [list(r.values()) for r in rows])
    write_csv(
        directory / "east_west_assisted_checks.csv",
        ["unit", "partner", "item", "reported", "verified", "period"],
        checks,
    )
