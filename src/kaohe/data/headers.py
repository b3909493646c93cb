"""Headers by name, label or alias (表头识别): which declared column a file's header names.

Offices do not type our column ids: a registry export says 户编号 where the schema says
``household_id``. A header matches a column when, once normalized, it equals the column's id,
its Chinese label, its English label or one of its declared aliases. Normalizing folds what a
spreadsheet adds without meaning anything: full-width letters and digits (NFKC), spaces and line
breaks inside a wrapped header cell, letter case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from ..i18n import text

_SPACES = re.compile(r"\s+")


def normalize_header(header: object) -> str:
    """The form two headers are compared in: NFKC, no whitespace, lower case."""
    if header is None:
        return ""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(header))).casefold()


def column_names(column_id: str, column) -> list[str]:
    """Every header the declared ``column`` is known by, the id first."""
    names = [column_id, column.label, column.label_en, *column.aliases]
    return [name for name in names if name]


def header_index(columns: Mapping[str, object]) -> dict[str, str]:
    """Normalized header → column id for the declared ``columns``.

    Raises ValueError when one header would name two columns: a file's header must never be
    ambiguous, so a schema that allows it is refused when it is loaded.
    """
    index: dict[str, str] = {}
    for column_id, column in columns.items():
        for name in column_names(column_id, column):
            key = normalize_header(name)
            if index.get(key, column_id) != column_id:
                raise ValueError(
                    f"header {name!r} would name two columns: {index[key]} and {column_id}"
                )
            index[key] = column_id
    return index


def match_headers(headers: Iterable[object], columns: Mapping[str, object]) -> dict[int, str]:
    """Position of a header in the file → the column id it names (unmatched headers left out)."""
    index = header_index(columns)
    return {
        position: index[key]
        for position, header in enumerate(headers)
        if (key := normalize_header(header)) in index
    }


def some_columns(names: list[str], shown: int = 20) -> str:
    """A file's column names for a message: the first ``shown`` and how many in all (a broken
    export can have tens of thousands)."""
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + text(
        f" …（共 {len(names)} 列）", f" … ({len(names)} columns)"
    )
