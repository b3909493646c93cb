"""docs/data.md lists each bundled source's columns as its schema file declares them."""

from __future__ import annotations

import re
from pathlib import Path

from kaohe.data.schemas import load_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def documented() -> dict[str, list[tuple[str, str]]]:
    tables: dict[str, list[tuple[str, str]]] = {}
    source = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"^### `(\w+)`", line):
            source = heading.group(1)
            tables[source] = []
        elif source and (row := re.match(r"^\| `(\w+)` \| (\w+) \|", line)):
            tables[source].append(row.groups())
    return tables


def test_the_documented_columns_are_the_schemas_columns():
    tables = documented()
    assert {"units", "persons", "households", "field_checks", "projects"} <= set(tables)
    for source, columns in tables.items():
        schema = load_schema(source).model
        assert columns == [(name, c.type) for name, c in schema.columns.items()], source
