"""Demo banks in three peer groups, with figures for the financial-institutions scheme.

National banks carry their real names; regional and rural banks are named after the assessed
provinces (plausible, not real institutions' figures).
"""

from __future__ import annotations

import numpy as np

from . import random_streams
from .geography import provinces

NATIONAL = [
    "中国工商银行",
    "中国农业银行",
    "中国银行",
    "中国建设银行",
    "交通银行",
    "中国邮政储蓄银行",
    "招商银行",
    "中信银行",
    "中国光大银行",
    "华夏银行",
    "中国民生银行",
    "兴业银行",
]


def banks() -> list[tuple[str, str, str]]:
    """(code, name, peer group) for every demo bank, in code order."""
    result = [(f"B1{i:03d}", name, "全国性银行") for i, name in enumerate(NATIONAL, start=1)]
    for i, province in enumerate(provinces()[:16], start=1):
        short = province.name.removesuffix("省").removesuffix("市")
        for suffix in ("回族自治区", "维吾尔自治区", "壮族自治区", "自治区"):
            short = short.removesuffix(suffix)
        result.append((f"B2{i:03d}", f"{short}银行", "区域性银行"))
    for i, province in enumerate(provinces(), start=1):
        result.append((f"B3{i:03d}", f"{province.name}农村信用社联合社", "农村中小银行"))
    return result


def bank_rows(seed: int, period: str) -> tuple[list[str], list[list]]:
    """The figures of every demo bank (``bank_figures.csv``): header and rows, in code order."""
    rng = random_streams.rng(seed, 7)
    header = [
        "unit",
        "agri_loan_balance",
        "agri_loan_balance_last",
        "total_loan_balance",
        "total_loan_balance_last",
        "inclusive_agri_loans",
        "npl_ratio",
        "service_coverage",
        "policy_score",
        "institution_score",
        "innovation_score",
        "environment_score",
        "external_score",
        "innovation_cases",
        "violations",
        "period",
    ]
    scale = {"全国性银行": 80000.0, "区域性银行": 3000.0, "农村中小银行": 1500.0}  # 亿元
    rows = []
    for code, _, group in banks():
        q = rng.uniform()
        total = scale[group] * rng.lognormal(0, 0.4)
        share = {"全国性银行": 0.18, "区域性银行": 0.25, "农村中小银行": 0.6}[group] * rng.uniform(
            0.7, 1.3
        )
        agri = total * share
        total_growth = rng.uniform(0.06, 0.12)
        agri_growth = total_growth + rng.normal(0.01 + 0.03 * q, 0.02)
        qualitative = np.round(np.clip(rng.normal(70 + 20 * q, 6, size=5), 0, 100), 1).tolist()
        rows.append(
            [
                code,
                round(agri, 2),
                round(agri / (1 + agri_growth), 2),
                round(total, 2),
                round(total / (1 + total_growth), 2),
                round(agri * rng.uniform(0.15, 0.4 + 0.2 * q), 2),
                round(float(np.clip(rng.normal(0.035 - 0.02 * q, 0.008), 0.002, 0.12)), 4),
                round(float(np.clip(rng.normal(0.8 + 0.15 * q, 0.05), 0.5, 1.0)), 3),
                *qualitative,
                int(rng.poisson(1 + 2 * q)),
                int(rng.poisson(0.8 * (1 - q))),
                period,
            ]
        )
    return header, rows
