"""Build examples/hdi/data from the UNDP HDI components in ../shared/reference-data.

Usage: python examples/hdi/build_data.py [PATH_TO_undp-hdi-components.csv]

units.csv lists the countries (level: country); hdi.csv keeps one row per country-year with the
components, and the period column that ``kaohe assess --period`` selects.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parents[2] / "shared" / "reference-data" / "undp-hdi-components.csv"
COMPONENTS = [
    "life_expectancy",
    "expected_years_schooling",
    "mean_years_schooling",
    "gni_per_capita_ppp",
    "hdi_published",
]


def build(source: Path, target: Path) -> None:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    target.mkdir(parents=True, exist_ok=True)
    countries = sorted({(r["iso3"], r["country"]) for r in rows})
    with (target / "units.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["unit", "name", "parent", "level", "kind"])
        for iso3, country in countries:
            writer.writerow([iso3, country, "", "country", "country"])
    with (target / "hdi.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["unit", "period", *COMPONENTS])
        for r in sorted(rows, key=lambda r: (r["iso3"], r["year"])):
            writer.writerow([r["iso3"], r["year"], *(r[c] for c in COMPONENTS)])


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT, HERE / "data")
