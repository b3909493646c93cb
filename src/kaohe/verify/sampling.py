"""Sampling plans drawn by lot from a public seed: simple random, stratified, systematic, PPS.

Reproducible on any machine and auditable by anyone: every random number is derived from
SHA-256 of text — an item's random key is ``sha256("<seed>:<item id>")`` (hex, compared as text),
and a stratum's random start is the first 52 bits of ``sha256("<seed>:start:<stratum>")`` divided
by 2^52. Nothing depends on the frame's row order, the platform, Python's ``hash()`` or a library's
random stream, so an observer with the frame, the seed and ``sha256sum`` can redo the draw.

- srs / stratified: within each stratum, the n_h items with the smallest keys (a uniformly random
  subset of size n_h); probability n_h / N_h, weight N_h / n_h.
- systematic: items in list order (``order_column``, default the id), every (N_h / n_h)-th from a
  random start, in exact integer arithmetic: the items at 0-based positions floor((S + j·N_h) / n_h)
  for j = 0..n_h-1, where S = floor(u·N_h) and u is the stratum's random start.
- pps: systematic probability-proportional-to-size on items in random key order (randomized
  systematic PPS, Hartley & Rao 1962); items whose size reaches the interval are taken with
  certainty (π = 1) and the rest re-drawn. π_i = n_h·x_i / Σx over the non-certain items.

The frame is read and the sample drawn by DuckDB (streaming for srs/stratified/systematic), so a
registry of households can serve as the frame. PPS works in memory on the frame's units (villages,
projects), which are few. No library offers seed-by-text auditable drawing, hence this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np

from .. import __version__
from ..data.files import sha256_of
from ..data.source_files import open_source_file
from ..errors import DataError, UsageError
from ..expr import quote
from ..i18n import text
from .sample_size import sample_size

DesignKind = Literal["srs", "stratified", "systematic", "pps"]
Allocation = Literal["proportional", "equal", "required"]
DESIGNS: tuple[str, ...] = ("srs", "stratified", "systematic", "pps")
ALLOCATIONS: tuple[str, ...] = ("proportional", "equal", "required")
_ALL = "*"  # the stratum name when the design is not stratified


def random_key(seed: int | str, item: str) -> str:
    """An item's random key: the hex SHA-256 of ``"<seed>:<item>"`` (same in DuckDB's ``sha256``)."""
    return hashlib.sha256(f"{seed}:{item}".encode()).hexdigest()


def uniform(seed: int | str, label: str) -> float:
    """A uniform number in [0, 1) from the first 52 bits of SHA-256 of ``"<seed>:<label>"``."""
    return int(random_key(seed, label)[:13], 16) / float(1 << 52)


@dataclass(frozen=True)
class Request:
    """What to draw: the design and how large each stratum's sample is."""

    design: DesignKind
    seed: int
    id_column: str
    stratum_column: str | None = None
    size_column: str | None = None  # pps: the measure of size
    order_column: str | None = None  # systematic: the list order (default: the id)
    n: int | None = None  # total sample size (or per stratum with allocation "equal")
    margin: float | None = None  # or: size for a proportion within ± margin …
    confidence: float = 0.95
    proportion: float = 0.5
    design_effect: float = 1.0
    min_share: float | None = None  # at least this share of each stratum (e.g. 0.10)
    allocation: Allocation = "proportional"
    min_per_stratum: int = 2  # two per stratum keep the design-based variance estimable
    keep: tuple[str, ...] = ()  # frame columns copied into the plan


@dataclass
class Stratum:
    stratum: str
    population: int  # N_h
    sample: int  # n_h
    rule: str  # what decided n_h: margin, min_share, allocation, census
    total_size: float | None = None  # pps: Σ x_h


@dataclass
class Plan:
    """A drawn sample: the plan rows (written to CSV by ``write_plan``) and what produced them."""

    request: Request
    frame: Path
    frame_sha256: str
    strata: list[Stratum]
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)

    @property
    def n(self) -> int:
        return sum(s.sample for s in self.strata)

    def describe(self) -> dict:
        """The plan's sidecar JSON: everything needed to redo and check the draw."""
        return {
            "kaohe_version": __version__,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "frame": {"file": str(self.frame), "sha256": self.frame_sha256},
            "design": asdict(self.request),
            "random_numbers": {
                "item_key": 'sha256("<seed>:<item id>") as hex text; smaller key drawn first',
                "start": 'first 13 hex digits of sha256("<seed>:start:<stratum>") / 2^52',
            },
            "sample_size": self.n,
            "strata": [asdict(s) for s in self.strata],
            "columns": self.columns,
        }


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _frame_view(con: duckdb.DuckDBPyConnection, frame: Path, request: Request) -> None:
    """Create view ``frame`` (item, stratum, ord, size, kept columns, key) and check it.

    The frame is read by the one reader: a registry export in GBK, Excel or Parquet, with the
    household schema's labels and aliases as headers."""
    opened = open_source_file(frame, "households")
    present = opened.columns(con)
    needed = [request.id_column, request.stratum_column, request.size_column, request.order_column]
    needed += list(request.keep)
    missing = [c for c in needed if c is not None and c not in present]
    if missing:
        raise DataError(
            text(
                f"{frame}：缺少列 {', '.join(missing)}；现有列：{', '.join(present)}",
                f"{frame}: missing columns {', '.join(missing)}; the file has {', '.join(present)}",
            )
        )
    item = f"trim(CAST({quote(request.id_column)} AS VARCHAR))"
    stratum = (
        f"trim(CAST({quote(request.stratum_column)} AS VARCHAR))"
        if request.stratum_column
        else _literal(_ALL)
    )
    order = quote(request.order_column) if request.order_column else item
    size = f"TRY_CAST({quote(request.size_column)} AS DOUBLE)" if request.size_column else "NULL"
    kept = "".join(f", {quote(c)} AS {quote('keep_' + c)}" for c in _kept(request))
    con.execute(
        f"CREATE TEMP VIEW frame AS SELECT row_number() OVER () AS __row, {item} AS item, "
        f"{stratum} AS stratum, {order} AS ord, {size} AS size{kept}, "
        f"sha256({_literal(str(request.seed) + ':')} || {item}) AS key "
        f"FROM {opened.scan()}"
    )
    _reject(
        con,
        frame,
        "SELECT __row, NULL FROM frame WHERE item IS NULL OR item = '' ORDER BY __row LIMIT 5",
        lambda row, _: text(
            f"第 {row} 条记录：{request.id_column} 为空；抽样框中每个对象都需要编号",
            f"record {row}: {request.id_column} is empty; every item in the frame needs an id",
        ),
    )
    if request.stratum_column:
        _reject(
            con,
            frame,
            "SELECT __row, NULL FROM frame WHERE stratum IS NULL OR stratum = '' "
            "ORDER BY __row LIMIT 5",
            lambda row, _: text(
                f"第 {row} 条记录：分层列 {request.stratum_column} 为空",
                f"record {row}: the stratum column {request.stratum_column} is empty",
            ),
        )
    _reject(
        con,
        frame,
        "SELECT min(__row), item FROM frame GROUP BY item HAVING count(*) > 1 ORDER BY 1 LIMIT 5",
        lambda row, item: text(
            f"第 {row} 条记录：编号 {item} 在抽样框中重复；每个对象只能列一次",
            f"record {row}: id {item} appears more than once; list each item once",
        ),
    )
    if request.size_column:
        _reject(
            con,
            frame,
            "SELECT __row, CAST(" + quote(request.size_column) + " AS VARCHAR) FROM "
            f"(SELECT row_number() OVER () AS __row, * FROM {opened.scan()}) "
            f"WHERE TRY_CAST({quote(request.size_column)} AS DOUBLE) IS NULL "
            f"OR TRY_CAST({quote(request.size_column)} AS DOUBLE) <= 0 ORDER BY __row LIMIT 5",
            lambda row, value: text(
                f"第 {row} 条记录：规模列 {request.size_column} 的值 {value!r} 不是正数",
                f"record {row}: size column {request.size_column}: {value!r} is not a positive number",
            ),
        )


def _reject(con, frame: Path, sql: str, message) -> None:
    rows = con.execute(sql).fetchall()
    if rows:
        raise DataError("\n".join(f"{frame.name}: {message(*row)}" for row in rows))


def allocate(
    populations: dict[str, int], request: Request, sizes: dict[str, float] | None = None
) -> list[Stratum]:
    """Each stratum's sample size n_h, with the rule that decided it (recorded in the plan)."""
    strata = sorted(populations)
    by_margin = request.margin is not None
    if request.n is None and not by_margin:
        raise UsageError(
            text(
                "请给出样本量 --n，或给出误差界 --margin 由系统计算样本量",
                "give a sample size --n, or a margin --margin to compute it",
            )
        )
    if request.n is not None and request.n < 0:
        raise UsageError(text("样本量不能为负", "the sample size cannot be negative"))
    total = sum(populations.values())
    result: dict[str, tuple[int, str]] = {}
    if request.allocation == "required" or (by_margin and request.n is None and len(strata) > 1):
        if not by_margin:
            raise UsageError(
                text(
                    "按需分配（required）需要误差界 --margin",
                    "allocation 'required' needs a margin (--margin)",
                )
            )
        for s in strata:
            size = _size(request, populations[s])
            result[s] = (size.n, size.rule)
    elif request.allocation == "equal" and request.n is not None:
        for s in strata:
            result[s] = (min(request.n, populations[s]), "allocation")
    else:
        n = request.n if request.n is not None else _size(request, total).n
        result = _proportional(populations, n, request.min_per_stratum)
    out = []
    for s in strata:
        n_h, rule = result[s]
        if request.min_share is not None:
            floor = min(populations[s], math.ceil(round(request.min_share * populations[s], 9)))
            if floor > n_h:
                n_h, rule = floor, "min_share"
        if n_h >= populations[s]:
            n_h, rule = populations[s], "census"
        out.append(Stratum(s, populations[s], n_h, rule, None if sizes is None else sizes[s]))
    return out


def _size(request: Request, population: int):
    return sample_size(
        request.margin,
        request.confidence,
        request.proportion,
        population,
        request.design_effect,
        request.min_share,
    )


def _proportional(populations: dict[str, int], n: int, minimum: int) -> dict[str, tuple[int, str]]:
    """Largest-remainder proportional allocation (ties by stratum name), at least ``minimum``."""
    total = sum(populations.values())
    if total == 0:
        return {s: (0, "allocation") for s in populations}
    n = min(n, total)
    quotas = {s: n * populations[s] / total for s in populations}
    base = {s: math.floor(q) for s, q in quotas.items()}
    left = n - sum(base.values())
    for s in sorted(populations, key=lambda s: (-(quotas[s] - base[s]), s))[:left]:
        base[s] += 1
    return {s: (max(base[s], min(minimum, populations[s])), "allocation") for s in populations}


def _systematic_positions(population: int, n: int, start: float) -> list[int]:
    """0-based list positions taken by a systematic sample of n from N with a random start.

    Points S/n + j·N/n for j = 0..n-1 with S = floor(start·N); integer arithmetic, so every
    machine takes exactly the same positions and exactly n distinct items.
    """
    if n == 0:
        return []
    s = math.floor(start * population)
    return [(s + j * population) // n for j in range(n)]


def pps_inclusion(sizes: np.ndarray, n: int) -> np.ndarray:
    """Inclusion probabilities π_i = n·x_i / Σx, with items reaching π ≥ 1 taken with certainty."""
    pi = np.zeros(len(sizes))
    certain = np.zeros(len(sizes), dtype=bool)
    while True:
        left = n - int(certain.sum())
        rest = ~certain
        if left <= 0 or not rest.any():
            break
        share = left * sizes / sizes[rest].sum()
        new = rest & (share >= 1.0)
        if not new.any():
            pi[rest] = share[rest]
            break
        certain |= new
    pi[certain] = 1.0
    return pi


def pps_systematic(sizes: np.ndarray, n: int, start: float) -> tuple[np.ndarray, np.ndarray]:
    """Systematic PPS on items in the given order: (indices drawn, inclusion probabilities)."""
    pi = pps_inclusion(np.asarray(sizes, dtype=float), n)
    certain = pi >= 1.0
    chosen = list(np.flatnonzero(certain))
    left = n - len(chosen)
    if left > 0:
        rest = np.flatnonzero(~certain)
        cumulative = np.cumsum(pi[rest])  # sums to `left`: unit interval between points
        cumulative[-1] = left  # so rounding cannot push the last point past the end
        points = start + np.arange(left)
        hits = np.searchsorted(cumulative, points, side="right")
        chosen += list(rest[hits])
    return np.array(sorted(chosen), dtype=int), pi


def draw(frame: Path, request: Request) -> Plan:
    """Draw the sample of ``request`` from ``frame`` (CSV or Parquet)."""
    frame = Path(frame)
    if not frame.is_file():
        raise UsageError(
            text(f"抽样框文件 {frame} 不存在", f"the frame file {frame} does not exist")
        )
    if request.design not in DESIGNS:
        raise UsageError(
            text(
                f"不认识的抽样设计 {request.design}；可选：{', '.join(DESIGNS)}",
                f"unknown design {request.design}; use one of {', '.join(DESIGNS)}",
            )
        )
    if request.design == "stratified" and not request.stratum_column:
        raise UsageError(
            text("分层抽样需要分层列 --stratum", "a stratified design needs --stratum")
        )
    if request.design == "pps" and not request.size_column:
        raise UsageError(text("PPS 抽样需要规模列 --size", "a PPS design needs --size"))
    with duckdb.connect() as con:
        _frame_view(con, frame, request)
        counts = con.execute(
            "SELECT stratum, count(*), sum(size) FROM frame GROUP BY stratum ORDER BY stratum"
        ).fetchall()
        populations = {s: int(n) for s, n, _ in counts}
        sizes = {s: float(x) for s, _, x in counts} if request.size_column else None
        strata = allocate(populations, request, sizes)
        columns = [request.id_column, "stratum", "draw_order", "probability", "weight"]
        columns += ["stratum_size", "stratum_sample"]
        if request.size_column:
            columns.append(request.size_column)
        columns += _kept(request)
        kept = "".join(f", {quote('keep_' + c)}" for c in _kept(request))
        if request.design == "pps":
            rows = _draw_pps(con, request, strata, kept)
        else:
            rows = _draw_equal(con, request, strata, kept)
    return Plan(request, frame, sha256_of(frame), strata, columns, rows)


def _kept(request: Request) -> list[str]:
    """Frame columns copied into the plan: the stratum column (by its own name) and ``keep``."""
    taken = {request.id_column, request.size_column, "stratum"}
    wanted = [request.stratum_column, *request.keep]
    out: list[str] = []
    for column in wanted:
        if column and column not in taken and column not in out:
            out.append(column)
    reserved = {"draw_order", "probability", "weight", "stratum_size", "stratum_sample"}
    clash = [c for c in out if c in reserved]
    if clash:
        raise UsageError(
            text(
                f"不能保留列 {', '.join(clash)}：与抽样方案的列同名",
                f"cannot keep column {', '.join(clash)}: the plan has a column of that name",
            )
        )
    return out


def _strata_table(con, strata: list[Stratum], request: Request) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE alloc (stratum VARCHAR, take BIGINT, pop BIGINT, start BIGINT)"
    )
    rows = []
    for s in strata:
        start = uniform(request.seed, f"start:{s.stratum}")
        rows.append((s.stratum, s.sample, s.population, math.floor(start * s.population)))
    if rows:
        con.executemany("INSERT INTO alloc VALUES (?, ?, ?, ?)", rows)


def _draw_equal(con, request: Request, strata: list[Stratum], kept: str) -> list[tuple]:
    _strata_table(con, strata, request)
    common = (
        "CAST(a.take AS DOUBLE) / a.pop AS probability, CAST(a.pop AS DOUBLE) / a.take AS weight, "
        f"a.pop AS stratum_size, a.take AS stratum_sample{kept}"
    )
    if request.design == "systematic":
        # Position of the j-th point: floor((S + j·N) / n), all non-negative integers (DuckDB's
        # // truncates, which is floor here).
        sql = (
            "WITH listed AS (SELECT *, row_number() OVER (PARTITION BY stratum ORDER BY ord, item) "
            "- 1 AS pos FROM frame), "
            "points AS (SELECT a.stratum, (a.start + r.j * a.pop) // a.take AS pos, "
            "r.j + 1 AS draw_order FROM alloc a, range(a.take) r(j) WHERE a.take > 0) "
            f"SELECT l.item, l.stratum, p.draw_order, {common} FROM listed l "
            "JOIN points p ON l.stratum = p.stratum AND l.pos = p.pos "
            "JOIN alloc a ON a.stratum = l.stratum ORDER BY l.stratum, p.draw_order"
        )
    else:
        sql = (
            "WITH ranked AS (SELECT *, row_number() OVER (PARTITION BY stratum ORDER BY key, item) "
            "AS draw_order FROM frame) "
            f"SELECT r.item, r.stratum, r.draw_order, {common} FROM ranked r "
            "JOIN alloc a ON a.stratum = r.stratum WHERE r.draw_order <= a.take "
            "ORDER BY r.stratum, r.draw_order"
        )
    return con.execute(sql).fetchall()


def _draw_pps(con, request: Request, strata: list[Stratum], kept: str) -> list[tuple]:
    order = "ord, item" if request.order_column else "key, item"
    rows = []
    for s in strata:
        items = con.execute(
            f"SELECT item, size{kept} FROM frame WHERE stratum = ? ORDER BY {order}",
            [s.stratum],
        ).fetchall()
        if not items or s.sample == 0:
            continue
        sizes = np.array([row[1] for row in items], dtype=float)
        chosen, pi = pps_systematic(sizes, s.sample, uniform(request.seed, f"start:{s.stratum}"))
        for order_no, i in enumerate(chosen, start=1):
            item, size, *extra = items[i]
            rows.append(
                (
                    item,
                    s.stratum,
                    order_no,
                    float(pi[i]),
                    1.0 / float(pi[i]),
                    s.population,
                    s.sample,
                    size,
                    *extra,
                )
            )
    return rows


def write_plan(plan: Plan, out: Path) -> Path:
    """Write the plan CSV and its sidecar ``<name>.json``; returns the JSON path."""
    import csv
    import json

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.tmp")
    with staging.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(plan.columns)
        for row in plan.rows:
            writer.writerow([_cell(v) for v in row])
    staging.replace(out)
    sidecar = out.with_suffix(".json")
    payload = plan.describe()
    payload["plan"] = {"file": out.name, "sha256": sha256_of(out)}
    sidecar.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return sidecar


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
