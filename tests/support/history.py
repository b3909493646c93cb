"""Three periods of a tiny assessment for the history, --previous and trend tests.

Counties A, B, C (D from 2020) under one province; two indicators scored by goalposts 0–100, the
scheme of 2019 and 2020 weighting them 60/40 (score = 0.6 x + 0.4 y), the "transition" scheme of
2021 50/50. Grades: 90 好, 60 中, below 差. Every number the tests check is computed by hand here.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.engine import facts_scheme, write_facts_case

from kaohe.run import assess


def scheme(scheme_id: str, weights: tuple[int, int]) -> dict:
    document = facts_scheme(
        indicators={
            "a": {
                "label": "产出",
                "expr": "x",
                "score": {"method": "goalposts", "min": 0, "max": 100},
            },
            "b": {
                "label": "质量",
                "expr": "y",
                "score": {"method": "goalposts", "min": 0, "max": 100},
            },
        },
        tree=[
            {
                "id": "d1",
                "label": "成效",
                "label_en": "Results",
                "points": weights[0],
                "children": ["a"],
            },
            {
                "id": "d2",
                "label": "精准",
                "label_en": "Accuracy",
                "points": weights[1],
                "children": ["b"],
            },
        ],
    )
    document["id"] = scheme_id
    return document


OLD = scheme("tiny-2016", (60, 40))
NEW = scheme("tiny-2021", (50, 50))
PERIODS = {
    # period: (scheme, {unit: facts})
    "2019": (OLD, {"A": {"x": 100, "y": 100}, "B": {"x": 50, "y": 50}, "C": {"x": 80, "y": 50}}),
    # A 80 中 (rank 2), B 70 中 (3), C 96 好 (1), D 40 差 (4)
    "2020": (
        OLD,
        {
            "A": {"x": 80, "y": 80},
            "B": {"x": 70, "y": 70},
            "C": {"x": 100, "y": 90},
            "D": {"x": 40, "y": 40},
        },
    ),
    # A 90 好 (1), B 60 中 (3), C 70 中 (2), D 30 差 (4)
    "2021": (
        NEW,
        {
            "A": {"x": 90, "y": 90},
            "B": {"x": 60, "y": 60},
            "C": {"x": 80, "y": 60},
            "D": {"x": 20, "y": 40},
        },
    ),
}


def write_period(root: Path, period: str):
    """The scheme file and data directory of ``period`` under ``root/period``."""
    document, facts = PERIODS[period]
    return write_facts_case(root / "cases" / period, document, facts)


def assess_periods(root: Path) -> dict[str, Path]:
    """Assess the three periods into ``root/runs/<period>``; the run directories by period."""
    runs = {}
    for period in PERIODS:
        case = write_period(root, period)
        out = root / "runs" / period
        assess(str(case.scheme), case.data, out, period=period)
        runs[period] = out
    return runs
