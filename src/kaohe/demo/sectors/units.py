"""The demo's units as the sector demos see them, and the rows they add.

``units.csv`` belongs to the national demo (``kaohe.demo.generate``); sector demos never rewrite
it. A demo that needs more units (the eastern provinces of east–west cooperation) appends rows
after the existing ones, in a fixed order, skipping codes already present — so appending twice
changes nothing, and whoever else appends rows keeps theirs.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class County:
    code: str
    name: str
    province: str
    western: bool


def read_units(directory: Path) -> list[dict[str, str]]:
    with (Path(directory) / "units.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def counties(directory: Path) -> list[County]:
    """Every region unit at level county, with its province, in file order."""
    rows = read_units(directory)
    by_code = {row["unit"]: row for row in rows}
    result = []
    for row in rows:
        if row["level"] != "county" or row.get("kind", "region") not in ("", "region"):
            continue
        province = row["parent"]
        while province and by_code.get(province, {}).get("level") != "province":
            province = by_code.get(province, {}).get("parent", "")
        result.append(County(row["unit"], row["name"], province, row.get("western", "") == "true"))
    return result


def provinces(directory: Path) -> dict[str, str]:
    """Code → name of every region unit at level province."""
    return {
        row["unit"]: row["name"]
        for row in read_units(directory)
        if row["level"] == "province" and row.get("kind", "region") in ("", "region")
    }


def append_units(directory: Path, rows: list[dict[str, str]]) -> None:
    """Append ``rows`` (column → value; absent columns left empty) for codes not yet present."""
    path = Path(directory) / "units.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        present = {line[0] for line in reader if line}
    new = [row for row in rows if row["unit"] not in present]
    if not new:
        return
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for row in new:
            writer.writerow([row.get(column, "") for column in header])
