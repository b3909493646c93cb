"""A three-level hierarchy with hand-computed measures, as a data directory and a store.

Nation 000000 → provinces 130000 (counties 130224, 130529) and 140000 (counties 140221, and
140222 with no rows at all). Household h1 lives in two counties of different provinces, so
distinct counts do not add up the hierarchy and must be recomputed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from stdnum.cn import ric

SCHEME = """\
id: engine-test
title: 引擎测试
version: "1"
policy_source: tests
assesses: {kind: region, level: province}
sources:
  persons: {columns: {household_id: text, poor_at_start: boolean, age: integer}}
  findings: {columns: {kind: text, cases: integer}}
measures:
  people: {source: persons, expr: "count(*)"}
  poor: {source: persons, expr: "count(*) filter (where poor_at_start)"}
  age_total: {source: persons, expr: "sum(age)"}
  youngest: {source: persons, expr: "min(age)"}
  oldest: {source: persons, expr: "max(age)"}
  mean_age: {source: persons, expr: "avg(age)"}
  households: {source: persons, expr: "count(distinct household_id)"}
  misuse: {source: findings, expr: "coalesce(sum(cases) filter (where kind = '挪用资金'), 0)"}
indicators:
  poverty_share:
    expr: "poor / nullif(people, 0)"
    direction: lower
    score: {method: goalposts, min: 0, max: 1}
tree: [poverty_share]
grading: {bands: [[50, 好], [null, 差]]}
"""

UNITS = [
    ("000000", "全国", "", "nation", "region"),
    ("130000", "河北省", "000000", "province", "region"),
    ("130224", "滦南县", "130000", "county", "region"),
    ("130529", "巨鹿县", "130000", "county", "region"),
    ("140000", "山西省", "000000", "province", "region"),
    ("140221", "阳高县", "140000", "county", "region"),
    ("140222", "天镇县", "140000", "county", "region"),
]
# unit, household, poor at start, age
PERSONS = [
    ("130224", "h1", True, 30),
    ("130224", "h1", True, 40),
    ("130224", "h2", False, 50),
    ("130529", "h3", True, 20),
    ("140221", "h4", False, 60),
    ("140221", "h4", False, 70),
    ("140221", "h1", False, 10),
]
FINDINGS = [("130224", "弄虚作假", 2), ("130000", "挪用资金", 1), ("140221", "挪用资金", 3)]

# measure → unit → value, computed by hand from the rows above
EXPECTED = {
    "people": {"000000": 7, "130000": 4, "140000": 3, "130224": 3, "140222": 0},
    "poor": {"000000": 3, "130000": 3, "140000": 0, "140221": 0},
    "age_total": {"000000": 280, "130000": 140, "140000": 140, "140222": None},
    "youngest": {"000000": 10, "130000": 20, "140000": 10, "130529": 20},
    "oldest": {"000000": 70, "130000": 50, "140000": 70},
    "mean_age": {"000000": 40.0, "130000": 35.0, "140000": 140 / 3, "140222": None},
    "households": {"000000": 4, "130000": 3, "140000": 2, "130224": 2, "140222": 0},
    "misuse": {"000000": 4, "130000": 1, "140000": 3, "130224": 0, "140222": 0},
}


def resident_id(region: str, n: int) -> str:
    body = f"{region}{2000 + n:04d}0101{n:03d}"
    return body + ric.calc_check_digit(body + "0")


def write(path: Path, header: list[str], rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@dataclass
class Case:
    scheme: Path
    data: Path


def write_case(root: Path) -> Case:
    """The scheme and a data directory whose files meet the bundled source schemas."""
    scheme = root / "scheme.yaml"
    scheme.write_text(SCHEME, encoding="utf-8")
    data = root / "data"
    write(data / "units.csv", ["unit", "name", "parent", "level", "kind"], UNITS)
    write(
        data / "persons.csv",
        ["unit", "person_id", "household_id", "age", "sex", "poor_at_start", "poor_at_end",
         "exited", "period"],
        [
            (unit, resident_id(unit, n), household, age, "女", str(poor).lower(), "false",
             str(poor).lower(), "2019")
            for n, (unit, household, poor, age) in enumerate(PERSONS)
        ],
    )  # fmt: skip
    write(
        data / "findings.csv",
        ["unit", "kind", "cases", "period"],
        [(*row, "2019") for row in FINDINGS],
    )
    return Case(scheme, data)


def measures_by_unit(case: Case, spark=None, store=None) -> dict[str, dict[str, object]]:
    """Every measure at every unit, computed on DuckDB (or on ``spark`` if given), from the data
    directory (or from the latest snapshots of ``store``)."""
    import duckdb
    import pyarrow as pa

    from kaohe.data.snapshots import Store
    from kaohe.data.sources import register_source
    from kaohe.data.units import load_units
    from kaohe.measures import compute_measures, plan_measures
    from kaohe.measures.spark_engine import compute_measures_spark
    from kaohe.scheme import load_scheme

    loaded = load_scheme(str(case.scheme))
    model = loaded.model
    repository = Store(store) if store is not None else None
    if repository is not None:
        units = load_units(None, {}, path=repository.latest("units").path)
    else:
        units = load_units(case.data, {})
    with duckdb.connect() as con:
        con.register("codes", pa.table({"unit": units.codes}))
        con.execute("CREATE TEMP TABLE kaohe_units AS SELECT * FROM codes")
        inputs = []
        for name in sorted({m.source for m in model.measures.values()}):
            if repository is None:
                inputs.append(register_source(con, name, model.sources[name], case.data, None))
            else:
                snapshot = repository.latest(name)
                inputs.append(
                    register_source(
                        con, name, model.sources[name], None, None,
                        path=snapshot.path, facts=snapshot.facts(), sha256=snapshot.sha256,
                    )
                )  # fmt: skip
        plans = plan_measures(loaded.measures, {n: m.source for n, m in model.measures.items()})
        ancestors = units.ancestors()
        if spark is None:
            values = compute_measures(con, plans, ancestors, units.codes)
        else:
            values = compute_measures_spark(spark, inputs, plans, ancestors, units.codes)
    return {name: dict(zip(units.codes, column, strict=True)) for name, column in values.items()}
