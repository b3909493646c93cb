"""Which units have evidence in each source: a row count per source beside the measures.

A unit (with everything below it) that has no row in a source has no evidence from it: its
measures over that source are missing, not zero — a count of wrong exits over no field checks
is not "no wrong exits". Only a source the scheme declares ``optional`` (no rows is a statement,
e.g. no audit findings) keeps the values a measure takes over no rows.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..expr import Expression, ExprKind, parse

ROWS_PREFIX = "__rows__"


def rows_measure(source: str) -> str:
    return f"{ROWS_PREFIX}{source}"


def with_row_counts(
    measures: dict[str, Expression], sources: dict[str, str]
) -> tuple[dict[str, Expression], dict[str, str]]:
    """The measures plus one ``count(*)`` per source (rolled up like any count)."""
    count = dataclasses.replace(parse("count(*)", (), ExprKind.AGGREGATE), declared_rollup="sum")
    measures, sources = dict(measures), dict(sources)
    for source in sorted(set(sources.values())):
        measures[rows_measure(source)] = count
        sources[rows_measure(source)] = source
    return measures, sources


def blank_without_rows(
    values: dict[str, np.ndarray],
    rows: dict[str, np.ndarray],
    sources: dict[str, str],
    optional: set[str],
) -> None:
    """Set each required source's measures to missing (None) for the units without a row in it.

    ``values``: measure → column; ``rows``: source → rows per unit (``unit_rows``);
    ``sources``: measure → source.
    """
    for name, source in sources.items():
        if source in optional or source not in rows or name not in values:
            continue
        absent = np.array([not n for n in rows[source]], dtype=bool)
        if absent.any():
            column = values[name].astype(object)
            column[absent] = None
            values[name] = column


def unit_rows(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Take the row counts out of ``values``: source → rows per unit."""
    return {
        name[len(ROWS_PREFIX) :]: values.pop(name)
        for name in list(values)
        if name.startswith(ROWS_PREFIX)
    }
