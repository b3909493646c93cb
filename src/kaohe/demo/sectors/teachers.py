"""Demo sources of ``special-post-teachers``: posts by subject and the roster of teachers.

Every demo county takes part (the programme covers counties of the central and western
provinces, which are the demo's). Each county has a hidden "commitment" (its own random stream)
driving how many shortage-subject posts it fills, how many teachers stay and get established
posts after their three years, and whether it pays them in full and on time; a few counties owe
pay (拖欠), so the veto has something to find.
"""

from __future__ import annotations

from pathlib import Path

from ..csv_files import flag, write_csv
from ..random_streams import rng
from ..years import period
from .units import counties

SUBJECTS = ("语文", "数学", "英语", "音乐", "体育", "美术", "信息技术", "科学")
SHORTAGE = {"英语", "音乐", "体育", "美术", "信息技术", "科学"}  # the demo's shortage subjects
SERVICE_YEARS = 3


def write_teachers_demo(directory: Path, seed: int) -> None:
    """Write ``special_post_posts.csv`` and ``special_post_teachers.csv`` into ``directory``."""
    directory = Path(directory)
    year = int(period())
    posts, roster = [], []
    for k, county in enumerate(counties(directory)):
        local = rng(seed, 81, k)
        q = float(local.uniform())
        owes = local.random() < 0.06  # a county that owes its teachers pay
        number = 0
        for subject in SUBJECTS:
            shortage = subject in SHORTAGE
            planned = int(local.integers(2, 9))
            fill = (0.45 + 0.55 * q) if shortage else (0.75 + 0.25 * q)
            filled = int(local.binomial(planned, min(1.0, fill)))
            posts.append([county.code, subject, flag(shortage), planned, filled, period()])
        for cohort in range(year - SERVICE_YEARS - 1, year + 1):  # serving and just completed
            completed = year - cohort >= SERVICE_YEARS
            for _ in range(int(local.integers(3, 10))):
                number += 1
                subject = SUBJECTS[int(local.integers(len(SUBJECTS)))]
                passed = local.random() < 0.93
                retained = completed and local.random() < 0.6 + 0.35 * q
                established = retained and passed and local.random() < 0.8 + 0.2 * q
                due = round(float(local.normal(36000, 3000)), 0)
                if not completed and local.random() < 0.04 * (1 - q):
                    due = round(float(local.uniform(22000, 26500)), 0)  # below the subsidy
                short = owes and local.random() < 0.5
                paid = round(due * float(local.uniform(0.85, 0.97)), 0) if short else due
                late = int(local.poisson(1.5)) + 1 if local.random() < 0.03 + 0.3 * (1 - q) else 0
                roster.append(
                    [
                        county.code,
                        f"T{county.code}{number:04d}",
                        subject,
                        cohort,
                        flag(completed),
                        flag(passed),
                        flag(retained),
                        flag(established),
                        due,
                        paid,
                        late,
                        flag(local.random() < 0.85 + 0.14 * q),
                        flag(local.random() < 0.82 + 0.17 * q),
                        period(),
                    ]
                )
    write_csv(
        directory / "special_post_posts.csv",
        ["unit", "subject", "shortage_subject", "posts_planned", "posts_filled", "period"],
        posts,
    )
    write_csv(
        directory / "special_post_teachers.csv",
        [
            "unit",
            "teacher_id",
            "subject",
            "recruited_year",
            "service_completed",
            "passed_reviews",
            "retained",
            "established",
            "pay_due",
            "pay_paid",
            "months_late",
            "social_insurance_ok",
            "equal_treatment",
            "period",
        ],
        roster,
    )
