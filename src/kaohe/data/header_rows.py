"""Where a table starts in an office's file (表头定位): title rows, two-row headers, 合计 rows.

A sheet from a provincial office rarely starts with its header: a title row
("附件1：XX省2019年脱贫攻坚成效考核指标汇总表") and a blank row come first, the header may be two rows
with merged cells above ("人口" over "建档立卡" and "脱贫"), and a 合计 row closes the table. The
functions here look at the first rows only, as cell texts, and say which rows are the header and
what each column is called; ``is_total_row`` tells the totals rows that must not be read as data.

Written by hand: spreadsheet readers (fastexcel, openpyxl, pandas) take the header row as a given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .headers import header_index, normalize_header

# how far down a header is looked for: title blocks are a few rows, never a screenful
SEARCH_ROWS = 30
# a totals row: one of its first TOTAL_COLUMNS cells, spaces removed, says 合计/小计/总计
TOTAL_PATTERN = r"^(全?[省市县区州盟旗乡镇村]|总)?(合计|小计|总计)[:：]?$"
TOTAL_COLUMNS = 3
_TOTAL = re.compile(TOTAL_PATTERN)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class HeaderLayout:
    """The header found in a table: ``first``/``last`` are 0-based row indexes in the file
    (equal for a one-row header); ``names`` the column names, one per column (joined
    "upper/lower" for a two-row header; empty for a column without a name)."""

    first: int
    last: int
    names: list[str]
    matched: dict[int, str]  # column position → declared column id

    @property
    def rows(self) -> int:
        return self.last - self.first + 1


def is_total_row(cells: Sequence[object]) -> bool:
    """A 合计/小计/总计 row: one of its first ``TOTAL_COLUMNS`` cells says so."""
    return any(
        cell is not None and _TOTAL.match(_SPACE.sub("", str(cell)))
        for cell in cells[:TOTAL_COLUMNS]
    )


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _two_row_names(upper: Sequence[object], lower: Sequence[object]) -> list[str]:
    """Names of a two-row header. A merged upper cell holds its text in its first column only:
    it is carried right over the columns that have a lower text but none above."""
    width = max(len(upper), len(lower))
    names, carried = [], ""
    for i in range(width):
        top = _text(upper[i]) if i < len(upper) else ""
        bottom = _text(lower[i]) if i < len(lower) else ""
        if top:
            carried = top
        elif bottom:
            top = carried
        else:
            carried = ""
        if top and bottom:
            names.append(f"{top}/{bottom}")
        else:
            names.append(top or bottom)
    return names


def _candidates(name: str) -> list[str]:
    """A two-row name matches by its lower part, the whole, or its upper part, in that order."""
    if "/" not in name:
        return [name]
    top, bottom = name.split("/", 1)
    return [bottom, name, top]


def match_names(
    names: Sequence[str],
    columns: Mapping[str, object],
    explicit: Mapping[str, str] | None = None,
) -> dict[int, str]:
    """Column position → declared column id, each id taken once (by the first header naming it).

    ``explicit`` (a mapping file's header → column id) is consulted before the schema's names:
    a user who maps a header has the last word."""
    index = header_index(columns)
    if explicit:
        index.update({normalize_header(header): column for header, column in explicit.items()})
    matched: dict[int, str] = {}
    taken: set[str] = set()
    for position, name in enumerate(names):
        for candidate in _candidates(name):
            column = index.get(normalize_header(candidate))
            if column is not None and column not in taken:
                matched[position] = column
                taken.add(column)
                break
    return matched


def _filled(row: Sequence[object]) -> int:
    return sum(1 for cell in row if _text(cell))


def find_header(
    rows: Sequence[Sequence[object]],
    columns: Mapping[str, object] | None = None,
    explicit: Mapping[str, str] | None = None,
) -> HeaderLayout:
    """The header among the first rows of a table.

    With declared ``columns``, the header is the row (or pair of rows) naming the most of
    them; a single row wins a tie with the pair that starts on it, and a row with one filled
    cell (a title) is never the upper row of a pair. Without, or when no row
    names any, it is the first row with at least two filled cells and as many as the widest of
    the first rows has (a title row has one).
    """
    rows = [list(row) for row in rows[:SEARCH_ROWS]]
    best: HeaderLayout | None = None
    if columns:
        for first, row in enumerate(rows):
            if not _filled(row):
                continue
            names = [_text(c) for c in row]
            layouts = [HeaderLayout(first, first, names, match_names(names, columns, explicit))]
            # a title row (one filled cell: "附件1：……汇总表") is no upper header row
            if first + 1 < len(rows) and _filled(rows[first + 1]) and _filled(row) > 1:
                pair = _two_row_names(row, rows[first + 1])
                layouts.append(
                    HeaderLayout(first, first + 1, pair, match_names(pair, columns, explicit))
                )
            for layout in layouts:
                if len(layout.matched) > (len(best.matched) if best else 0):
                    best = layout
    if best is not None:
        return best
    widest = max((_filled(row) for row in rows), default=0)
    for first, row in enumerate(rows):
        if _filled(row) >= max(2, widest) or (widest == 1 and _filled(row)):
            names = [_text(c) for c in row]
            return HeaderLayout(first, first, names, {})
    return HeaderLayout(0, 0, [], {})
