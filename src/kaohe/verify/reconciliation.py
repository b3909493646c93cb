"""Reconciliation: what a unit claimed against what the field checks verified, per unit.

In the style of "claimed vs verified" in results-based financing: for each item (households
exited, income per capita …) the claimed and the verified quantity are summed with the design
weights over the checked households, and the unit gets the discrepancy
(claimed − verified) / verified, its direction (多报 over-reported, 少报 under-reported, 一致
consistent) and the number of households whose own figures differ beyond the item's tolerance.
Items are rules-file data (``reconciliation:`` in verification.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.sources import UNIT_KEY
from ..expr import quote
from .inputs import Inputs
from .verification_rules import source_scope

OVER, UNDER, CONSISTENT = "多报", "少报", "一致"
DIRECTION_EN = {OVER: "over-reported", UNDER: "under-reported", CONSISTENT: "consistent"}


@dataclass
class UnitReconciliation:
    unit: str
    level: str
    item: str
    households: int  # checked households the item covers
    claimed: float
    verified: float
    difference: float  # claimed − verified (weighted totals)
    discrepancy_rate: float | None  # difference / verified
    verification_factor: float | None  # verified / claimed
    direction: str
    mismatched: int  # households whose claimed and verified differ beyond the tolerance
    mismatched_share: float | None


def direction_of(difference: float, scale: float, tolerance: float) -> str:
    """多报 / 少报 / 一致: a gap within ``tolerance`` × scale (and float noise) is consistent."""
    allowed = max(tolerance * abs(scale), 1e-9 * max(abs(scale), 1.0))
    if difference > allowed:
        return OVER
    if difference < -allowed:
        return UNDER
    return CONSISTENT


def _rows(inputs: Inputs, rules, name: str, rule) -> dict[str, np.ndarray]:
    view = inputs.view("field_checks")
    weight = "f.weight" if "weight" in inputs.columns["field_checks"] else "1.0"
    joins = []
    for source in rule.needs:
        other = inputs.view(source)
        columns = [c for c in source_scope(source) if c in inputs.columns[source]]
        select = ", ".join(f"{quote(c)} AS {quote(f'{source}_{c}')}" for c in columns)
        # Each household once on the right: a duplicated household id must not double a check.
        # Only the checked households' rows are numbered (the same first row per id): numbering
        # the whole registry held every household in memory, 10^8 persons' in gigabytes.
        joins.append(
            f"LEFT JOIN (SELECT {UNIT_KEY} AS {quote(source + '__unit')}, {select} FROM {other} "
            f"WHERE household_id IN (SELECT household_id FROM {view}) "
            f"QUALIFY row_number() OVER (PARTITION BY household_id ORDER BY {UNIT_KEY}) = 1) "
            f"AS {quote(source)} ON {quote(source)}.{quote(source + '_household_id')} "
            f"= f.household_id"
        )
    claimed = rules.expressions[("reconciliation", name, "claimed")].sql()
    verified = rules.expressions[("reconciliation", name, "verified")].sql()
    where = rules.expressions[("reconciliation", name, "where")].sql()
    sql = (
        f"SELECT f.{UNIT_KEY} AS unit, CAST({weight} AS DOUBLE) AS weight, "
        f"CAST({claimed} AS DOUBLE) AS claimed, CAST({verified} AS DOUBLE) AS verified "
        f"FROM (SELECT * FROM {view}) AS f {' '.join(joins)} WHERE coalesce({where}, false) "
        # A parallel join returns rows in any order, and floating-point sums depend on the order:
        # sorted by every column, equal inputs give the same totals to the last digit.
        "ORDER BY ALL"
    )
    return inputs.con.execute(sql).fetchnumpy()


def unavailable_items(inputs: Inputs, rules) -> dict[str, tuple[str, list[str]]]:
    """Items (whose joined sources are present) that read an optional column a file lacks:
    name → (source, columns). Joined sources' columns are read as ``<source>_<column>``."""
    found = {}
    for name, rule in rules.model.reconciliation.items():
        if not all(inputs.has(s) for s in rule.needs):
            continue
        read: set[str] = set()
        for part in ("claimed", "verified", "where"):
            read |= rules.expressions[("reconciliation", name, part)].names
        absent = inputs.absent_columns("field_checks", read)
        if absent:
            found[name] = ("field_checks", absent)
            continue
        for source in rule.needs:
            prefix = f"{source}_"
            own = {n.removeprefix(prefix) for n in read if n.startswith(prefix)}
            absent = inputs.absent_columns(source, own)
            if absent:
                found[name] = (source, absent)
                break
    return found


def reconcile_units(inputs: Inputs, rules, levels: list[str]) -> list[UnitReconciliation]:
    """Every reconciliation item of ``rules`` for every unit with checks below it, at ``levels``;
    items whose sources or columns are missing are skipped (``unavailable_items`` says why)."""
    out: list[UnitReconciliation] = []
    skipped = unavailable_items(inputs, rules)
    for name, rule in rules.model.reconciliation.items():
        if not all(inputs.has(s) for s in rule.needs) or name in skipped:
            continue
        data = _rows(inputs, rules, name, rule)
        units = np.asarray(data["unit"]).astype(str)
        if not len(units):
            continue
        w = np.asarray(data["weight"], dtype=float)
        claimed = np.nan_to_num(np.asarray(data["claimed"], dtype=float))
        verified = np.nan_to_num(np.asarray(data["verified"], dtype=float))
        gap = np.abs(claimed - verified)
        mismatch = gap > np.maximum(rule.tolerance * np.abs(verified), 1e-9)
        for level in levels:
            ancestor = inputs.ancestor_at(level)
            groups = sorted({ancestor[u] for u in set(units.tolist()) if u in ancestor})
            index = {g: i for i, g in enumerate(groups)}
            g = np.array([index.get(ancestor.get(u, ""), len(groups)) for u in units])
            size = len(groups) + 1
            count = np.bincount(g, minlength=size)
            c_total = np.bincount(g, weights=w * claimed, minlength=size)
            v_total = np.bincount(g, weights=w * verified, minlength=size)
            bad = np.bincount(g, weights=mismatch, minlength=size)
            for i, unit in enumerate(groups):
                difference = float(c_total[i] - v_total[i])
                out.append(
                    UnitReconciliation(
                        unit=unit,
                        level=level,
                        item=name,
                        households=int(count[i]),
                        claimed=float(c_total[i]),
                        verified=float(v_total[i]),
                        difference=difference,
                        discrepancy_rate=float(difference / v_total[i]) if v_total[i] else None,
                        verification_factor=float(v_total[i] / c_total[i]) if c_total[i] else None,
                        direction=direction_of(difference, v_total[i], 0.0),
                        mismatched=int(bad[i]),
                        mismatched_share=float(bad[i] / count[i]) if count[i] else None,
                    )
                )
    return out
