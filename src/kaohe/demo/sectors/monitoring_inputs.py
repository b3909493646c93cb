"""Synthetic monitoring inputs for the demo (deterministic by seed), and their evaluation.

The monitoring population is the registry's households that have left poverty (已脱贫户, read
from ``households.parquet``) plus non-registered rural households (一般农户) generated beside
them, about one for every three. Each province gets a hidden "diligence" (its own random stream)
that drives how many at-risk households its cadres identify, how fast, and how many get
assistance, so the schemes reading the results have something to tell apart. Events from sector
departments (medical costs, disasters, job loss, education costs) cut incomes or add expenses;
quarterly income checks follow. Households are read and written in batches, so memory stays
bounded however large the registry is.

Each recorded elimination has its procedure (``elimination_steps``: visit, village review and
notice, township review, county approval), a few with faults for the checks to find.
``write_monitoring_demo`` writes the six inputs and then runs the real evaluation
(``evaluate_monitoring`` with the bundled rules) into ``monitoring_results.parquet``.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ...monitoring import DEFAULT_RULES, evaluate_monitoring, load_rules
from .. import random_streams
from ..world import poverty_line
from ..years import period

EVENT_KINDS = np.array(["医疗支出", "自然灾害", "失业", "教育支出"])
EVENT_DEPARTMENTS = np.array(["卫生健康", "应急管理", "人力资源社会保障", "教育"])
EVENT_SHARES = [0.4, 0.25, 0.2, 0.15]
# the measure most fitting each event kind, then general ones
MEASURES_BY_KIND = {
    "医疗支出": ["医疗救助", "临时救助"],
    "自然灾害": ["临时救助", "产业帮扶"],
    "失业": ["就业帮扶", "公益岗位"],
    "教育支出": ["教育资助", "就业帮扶"],
    "": ["产业帮扶", "就业帮扶", "小额信贷"],
}
NO_LABOUR_MEASURES = ["低保兜底", "临时救助"]
GROUPS = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
_BATCH = 200_000
MONITORING_STREAM = 60  # the monitoring demo's random streams are keyed (seed, 60, …)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return random_streams.rng(seed, MONITORING_STREAM, *key)


_TEXT, _DATE, _BOOL = pa.string(), pa.date32(), pa.bool_()
SCHEMAS = {
    "monitoring_households": pa.schema(
        [("unit", _TEXT), ("household_id", _TEXT), ("size", pa.int64()),
         ("registry_status", _TEXT), ("labour_capacity", _BOOL), ("food_clothing_ok", _BOOL),
         ("education_ok", _BOOL), ("medical_ok", _BOOL), ("housing_ok", _BOOL),
         ("water_ok", _BOOL)]
    ),
    "risk_events": pa.schema(
        [("unit", _TEXT), ("household_id", _TEXT), ("event_id", _TEXT), ("kind", _TEXT),
         ("department", _TEXT), ("event_date", _DATE), ("expense", pa.float64()),
         ("income_loss", pa.float64()), ("resolved_date", _DATE)]
    ),
    "income_checks": pa.schema(
        [("unit", _TEXT), ("household_id", _TEXT), ("check_date", _DATE),
         ("income_per_capita", pa.float64())]
    ),
    "monitoring_records": pa.schema(
        [("unit", _TEXT), ("household_id", _TEXT), ("identified_date", _DATE),
         ("recorded_group", _TEXT), ("eliminated_date", _DATE)]
    ),
    "assistance_measures": pa.schema(
        [("unit", _TEXT), ("household_id", _TEXT), ("measure", _TEXT), ("start_date", _DATE)]
    ),
    "elimination_steps": pa.schema(
        [("unit", _TEXT), ("household_id", _TEXT), ("step", _TEXT), ("step_date", _DATE),
         ("evidence", _TEXT), ("notice_end", _DATE)]
    ),
}  # fmt: skip
# The bundled rules' elimination procedure as offices record it: step label, evidence document.
STEPS = (
    ("入户核实", "入户核实表"),
    ("村级评议公示", "村民代表评议记录及公示照片"),
    ("乡镇审核", "乡镇审核意见"),
    ("县级审定", "县级审定文件"),
)
NOTICE_DAYS = 7  # how long the demo's villages post a notice (the rules ask for at least 5)
STEP_FAULTS = ("skip_village", "skip_county", "township_first", "no_evidence", "short_notice")


class _Sink:
    """Appends column dicts to one Parquet file of a fixed schema (bounded memory)."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.schema = schema
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, columns: dict) -> None:
        arrays = [pa.array(columns[f.name]).cast(f.type) for f in self.schema]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


def _provinces(directory: Path) -> dict[str, str]:
    """County → province, from units.csv."""
    parent, level = {}, {}
    with (directory / "units.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            parent[row["unit"]] = row["parent"] or None
            level[row["unit"]] = row["level"]
    result = {}
    for unit in parent:
        current = unit
        while current is not None and level.get(current) != "province":
            current = parent.get(current)
        if current is not None and level[unit] == "county":
            result[unit] = current
    return result


def _dates(base: dt.date, offsets: np.ndarray) -> np.ndarray:
    return np.datetime64(base.isoformat()) + offsets.astype("timedelta64[D]")


def general_household_ids(units: np.ndarray, batch: int, count: int) -> np.ndarray:
    """Ids of the ``count`` general households generated beside registry batch ``batch``:
    ``G`` + county + batch (5 digits) + index (6 digits). Both parts have a fixed width, so no two
    (batch, index) pairs meet (a batch holds at most ``_BATCH // 3`` of them; 10^8 persons make
    some 150 batches)."""
    if not count:
        return np.array([], str)
    suffix = np.char.add(f"{batch:05d}", np.char.zfill(np.arange(count).astype(str), 6))
    return np.char.add(np.char.add("G", units.astype(str)), suffix)


def _batch(columns: dict, diligence: dict[str, float], k: int, seed: int, line: float, year: int):
    """One batch of registry households → the five inputs' columns for it."""
    rng = _rng(seed, 1, k)
    left = columns["status"] == "已脱贫户"
    reg = {name: np.asarray(values)[left] for name, values in columns.items()}
    n_reg = len(reg["household_id"])
    n_gen = n_reg // 3
    units = reg["unit"][rng.integers(0, max(n_reg, 1), n_gen)] if n_reg else np.array([], str)
    general = {
        "unit": units,
        "household_id": general_household_ids(units, k, n_gen),
        "size": rng.choice([1, 2, 3, 4, 5], n_gen, p=[0.1, 0.25, 0.3, 0.25, 0.1]),
        "income_per_capita": line * rng.lognormal(np.log(2.1), 0.4, n_gen),
        "labour_capacity": rng.random(n_gen) < 0.88,
        **{
            name: rng.random(n_gen) > 0.01
            for name in ("food_clothing_ok", "education_ok", "medical_ok", "housing_ok", "water_ok")
        },
    }
    n = n_reg + n_gen
    unit = np.concatenate([reg["unit"], general["unit"]]).astype(str)
    ids = np.concatenate([reg["household_id"], general["household_id"]]).astype(str)
    size = np.concatenate([reg["size"], general["size"]]).astype(np.int64)
    registry = np.concatenate([np.full(n_reg, "已脱贫户"), np.full(n_gen, "一般农户")])
    labour = np.concatenate([reg["labour_capacity"], general["labour_capacity"]]).astype(bool)
    # most shortfalls the registry recorded have been fixed since
    ok = {
        name: np.concatenate([reg[name] | (rng.random(n_reg) < 0.85), general[name]]).astype(bool)
        for name in ("food_clothing_ok", "education_ok", "medical_ok", "housing_ok", "water_ok")
    }
    # incomes keep growing after the registry's figure; the checks start from here
    base = np.concatenate(
        [reg["income_per_capita"] * rng.uniform(1.3, 1.8, n_reg), general["income_per_capita"]]
    )
    q = np.array([diligence.get(u, 0.5) for u in unit])

    # risk events (at most one per household in the demo)
    has_event = rng.random(n) < 0.05 + 0.04 * (1 - q)
    kind_index = rng.choice(4, n, p=EVENT_SHARES)
    event_day = rng.integers(0, 334, n)
    household_income = base * size
    expense = np.select(
        [kind_index == 0, kind_index == 1, kind_index == 3],
        [
            rng.lognormal(np.log(0.45), 0.7, n) * household_income,
            rng.lognormal(np.log(0.25), 0.6, n) * household_income,
            rng.lognormal(np.log(0.2), 0.5, n) * household_income,
        ],
        0.0,
    )
    loss_share = np.select(
        [kind_index == 2, kind_index == 1], [rng.uniform(0.3, 0.8, n), rng.uniform(0.1, 0.4, n)], 0
    )
    resolved = rng.random(n) < 0.55
    resolved_day = event_day + rng.integers(20, 150, n)
    start = dt.date(year, 1, 1)
    e = np.flatnonzero(has_event)
    events = {
        "unit": unit[e],
        "household_id": ids[e],
        "event_id": np.char.add("E", ids[e]),
        "kind": EVENT_KINDS[kind_index[e]],
        "department": EVENT_DEPARTMENTS[kind_index[e]],
        "event_date": _dates(start, event_day[e]),
        "expense": np.round(expense[e], 0),
        "income_loss": np.round(loss_share[e] * household_income[e], 0),
        "resolved_date": pa.array(
            _dates(start, resolved_day[e]), mask=~resolved[e], type=pa.date32()
        ),
    }

    # quarterly income checks from the end of last year; an event cuts income until resolved
    quarter_ends = [dt.date(year - 1, 12, 31)] + [
        dt.date(year, m, d) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))
    ]
    check_cols: dict[str, list] = {"unit": [], "household_id": [], "check_date": [], "income": []}
    lowest, since_june = np.full(n, np.inf), np.full(n, np.inf)
    for when in quarter_ends:
        day = (when - start).days
        hit = has_event & (event_day <= day) & ~(resolved & (resolved_day <= day))
        income = base * rng.lognormal(0, 0.07, n) * np.where(hit, 1 - loss_share, 1.0)
        check_cols["unit"].append(unit)
        check_cols["household_id"].append(ids)
        check_cols["check_date"].append(np.full(n, np.datetime64(when.isoformat())))
        check_cols["income"].append(np.round(income, 1))
        lowest = np.minimum(lowest, income)
        if when.month >= 6:
            since_june = np.minimum(since_june, income)
    checks = {
        "unit": np.concatenate(check_cols["unit"]),
        "household_id": np.concatenate(check_cols["household_id"]),
        "check_date": np.concatenate(check_cols["check_date"]).astype("datetime64[D]"),
        "income_per_capita": np.concatenate(check_cols["income"]),
    }

    # what the cadres recorded: identification, group, elimination
    guarantees = np.logical_and.reduce(list(ok.values()))
    large_event = has_event & ((expense >= 0.5 * household_income) | (loss_share >= 0.5))
    risk = (lowest < 1.5 * line) | ~guarantees | large_event  # at some time in the year
    recovered = (since_june >= 1.5 * line) & guarantees & ~(large_event & ~resolved) & labour
    identified = np.where(risk, rng.random(n) < 0.62 + 0.36 * q, rng.random(n) < 0.01)
    delay = rng.exponential(8 + 50 * (1 - q), n).astype(int)
    identified_day = np.where(has_event & risk, event_day + delay, rng.integers(0, 300, n))
    identified &= identified_day <= 364
    group = np.where(
        registry == "已脱贫户",
        GROUPS[0],
        np.where(has_event & (expense >= 0.5 * household_income), GROUPS[2], GROUPS[1]),
    )
    mislabel = rng.random(n) < 0.04
    group = np.where(mislabel, np.array(GROUPS)[rng.integers(0, 3, n)], group)
    eliminated_day = identified_day + rng.integers(90, 260, n)
    # recovered households are mostly marked eliminated; some others too, under pressure
    eliminated = identified & (rng.random(n) < np.where(recovered, 0.75, 0.01 + 0.1 * (1 - q) ** 2))
    eliminated &= eliminated_day <= 364
    r = np.flatnonzero(identified)
    records = {
        "unit": unit[r],
        "household_id": ids[r],
        "identified_date": _dates(start, identified_day[r]),
        "recorded_group": group[r],
        "eliminated_date": pa.array(
            _dates(start, eliminated_day[r]), mask=~eliminated[r], type=pa.date32()
        ),
    }

    # assistance: one to three measures for most identified households
    helped = identified & (rng.random(n) < 0.7 + 0.28 * q)
    count = rng.integers(1, 4, n)
    rows: dict[str, list] = {"unit": [], "household_id": [], "measure": [], "start_date": []}
    for i in np.flatnonzero(helped):
        options = (
            MEASURES_BY_KIND[EVENT_KINDS[kind_index[i]]] if has_event[i] else MEASURES_BY_KIND[""]
        )
        if not labour[i]:
            options = NO_LABOUR_MEASURES + options
        for j in range(min(count[i], len(options))):
            begin = identified_day[i] + int(rng.integers(0, 45))
            if begin <= 364:
                rows["unit"].append(unit[i])
                rows["household_id"].append(ids[i])
                rows["measure"].append(options[j])
                rows["start_date"].append(start + dt.timedelta(days=int(begin)))
    assistance = {
        "unit": np.array(rows["unit"], dtype=str),
        "household_id": np.array(rows["household_id"], dtype=str),
        "measure": np.array(rows["measure"], dtype=str),
        "start_date": pa.array(rows["start_date"], type=pa.date32()),
    }
    households = {
        "unit": unit,
        "household_id": ids,
        "size": size,
        "registry_status": registry,
        "labour_capacity": labour,
        **ok,
    }
    steps = _elimination_steps(
        _rng(seed, 2, k), unit[eliminated], ids[eliminated], eliminated_day[eliminated],
        q[eliminated], start,
    )  # fmt: skip
    return households, events, checks, records, assistance, steps


def _elimination_steps(rng, unit, ids, eliminated_day, q, start: dt.date) -> dict:
    """The four steps of each recorded elimination, dated before it, with a few faults: a step
    skipped, the township before the village, a step without evidence, a short notice (more
    often where cadres are less diligent). Its own random stream: the other inputs stay as
    they were before the steps were added."""
    n = len(ids)
    county = eliminated_day - rng.integers(0, 4, n)
    township = county - rng.integers(2, 7, n)
    notice_end = township - rng.integers(0, 3, n)
    village = notice_end - (NOTICE_DAYS - 1)
    visit = village - rng.integers(3, 11, n)
    faulty = rng.random(n) < 0.04 + 0.1 * (1 - q)
    fault = np.where(faulty, rng.integers(0, len(STEP_FAULTS), n), -1)
    township = np.where(fault == 2, village - 2, township)
    notice_end = np.where(fault == 4, village + 2, notice_end)
    days = [visit, village, township, county]
    kept = [fault != 0 if i == 1 else fault != 1 if i == 3 else np.ones(n, bool) for i in range(4)]
    blank = rng.integers(0, 4, n)  # the step whose evidence is missing (fault 3)
    parts: dict[str, list] = {
        name: [] for name in ("unit", "household_id", "step", "day", "evidence")
    }
    notices = []
    for i, (label, document) in enumerate(STEPS):
        keep = kept[i]
        parts["unit"].append(unit[keep])
        parts["household_id"].append(ids[keep])
        parts["step"].append(np.full(int(keep.sum()), label))
        parts["day"].append(days[i][keep])
        evidence = np.where((fault == 3) & (blank == i), "", document)
        parts["evidence"].append(evidence[keep])
        notices.append(np.where(np.full(n, i == 1), notice_end, -1)[keep])
    notice = np.concatenate(notices) if notices else np.array([], int)
    evidence = np.concatenate(parts["evidence"]).astype(str)
    return {
        "unit": np.concatenate(parts["unit"]).astype(str),
        "household_id": np.concatenate(parts["household_id"]).astype(str),
        "step": np.concatenate(parts["step"]).astype(str),
        "step_date": _dates(start, np.concatenate(parts["day"]).astype(int)),
        "evidence": pa.array(evidence, mask=evidence == "", type=pa.string()),
        "notice_end": pa.array(
            _dates(start, np.maximum(notice, 0)), mask=notice < 0, type=pa.date32()
        ),
    }


def write_monitoring_demo(directory: Path, seed: int) -> None:
    """Write the monitoring inputs into ``directory`` and evaluate them into
    ``monitoring_results.parquet`` (as of the end of the demo year, with the bundled rules)."""
    directory = Path(directory)
    year = int(period())
    counties = _provinces(directory)
    provinces = sorted(set(counties.values()))
    diligence_by_province = {p: float(_rng(seed, 0, int(p)).uniform(0.0, 1.0)) for p in provinces}
    diligence = {county: diligence_by_province[p] for county, p in counties.items()}
    sinks = [_Sink(directory / f"{name}.parquet", schema) for name, schema in SCHEMAS.items()]
    columns = [
        "unit",
        "household_id",
        "size",
        "income_per_capita",
        "labour_capacity",
        "food_clothing_ok",
        "education_ok",
        "medical_ok",
        "housing_ok",
        "water_ok",
        "status",
    ]
    try:
        source = pq.ParquetFile(directory / "households.parquet")
        for k, batch in enumerate(source.iter_batches(batch_size=_BATCH, columns=columns)):
            table = {name: batch.column(name).to_numpy(zero_copy_only=False) for name in columns}
            for sink, part in zip(
                sinks, _batch(table, diligence, k, seed, poverty_line(), year), strict=True
            ):
                sink.write(part)
    finally:
        for sink in sinks:
            sink.close()
    evaluate_monitoring(
        directory, load_rules(DEFAULT_RULES), dt.date(year, 12, 31), period=period()
    )
