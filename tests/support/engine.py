"""Helpers for the engine tests: small schemes and data directories, and the real CLI.

Each test writes what it needs under ``tmp_path`` (a scheme YAML file, ``units.csv`` and one CSV
per source) and runs the real engine — ``kaohe.run.assess`` or the ``kaohe`` command line — over
it. Nothing is mocked.
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ruamel.yaml import YAML
from tests.support.files import write_csv

from kaohe.run import RunResult, assess

# --------------------------------------------------------------------------- files


def dump_yaml(document: Mapping[str, Any]) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    buffer = io.StringIO()
    yaml.dump(_plain(document), buffer)
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# --------------------------------------------------------------------------- the "facts" case
#
# Most scoring tests need nothing more than a few numbers per unit. The facts case is a scheme
# whose source ``facts`` has one row per county with number columns; each column is also a
# measure of the same name (max over the unit's rows), so indicators can read them directly.

FACT_COLUMNS = ("x", "y", "z")


def facts_scheme(
    indicators: Mapping[str, Any],
    tree: Any = None,
    grading: Mapping[str, Any] | None = None,
    unit_attributes: Mapping[str, Any] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    """A complete scheme over the facts source; the tree defaults to all indicators, equal shares."""
    return {
        "id": "facts-test",
        "title": "测试办法",
        "version": "1",
        "policy_source": "tests",
        "assesses": {"kind": "region", "level": "county"},
        "unit_attributes": dict(unit_attributes or {}),
        "sources": {"facts": {"columns": dict.fromkeys(FACT_COLUMNS, "number")}},
        "measures": {c: {"source": "facts", "expr": f"max({c})"} for c in FACT_COLUMNS},
        "indicators": dict(indicators),
        "tree": tree if tree is not None else list(indicators),
        "grading": dict(grading or {"bands": [[90, "好"], [60, "中"], [None, "差"]]}),
        **sections,
    }


@dataclass
class Case:
    """A scheme file and a data directory written under a test's ``tmp_path``."""

    scheme: Path
    data: Path

    def assess(self, out: Path | None = None, period: str | None = None) -> RunResult:
        return assess(str(self.scheme), self.data, out, period=period)


def write_facts_case(
    root: Path,
    scheme: Mapping[str, Any],
    facts: Mapping[str, Mapping[str, float | None]],
    attributes: Mapping[str, Mapping[str, Any]] | None = None,
) -> Case:
    """``facts``: unit code → {column: value}; ``attributes``: unit code → {attribute: value}.

    Units are counties under one province ``P``; a unit with an empty facts dict has no row.
    """
    root.mkdir(parents=True, exist_ok=True)
    attribute_names = list(scheme.get("unit_attributes", {}))
    units = [("P", "省", "", "province", *[""] * len(attribute_names))]
    for code in facts:
        values = (attributes or {}).get(code, {})
        units.append((code, f"县{code}", "P", "county", *[values.get(a) for a in attribute_names]))
    data = root / "data"
    write_csv(data / "units.csv", ["unit", "name", "parent", "level", *attribute_names], units)
    write_csv(
        data / "facts.csv",
        ["unit", *FACT_COLUMNS],
        [
            (code, *[row.get(c) for c in FACT_COLUMNS])
            for code, row in facts.items()
            if row is not None
        ],
    )
    path = root / "scheme.yaml"
    path.write_text(dump_yaml(scheme), encoding="utf-8")
    return Case(path, data)


def run_facts(
    root: Path,
    facts: Mapping[str, Mapping[str, float | None]],
    attributes: Mapping[str, Mapping[str, Any]] | None = None,
    **scheme: Any,
) -> RunResult:
    """Write a facts case with ``facts_scheme(**scheme)`` and assess it (no output directory)."""
    return write_facts_case(root, facts_scheme(**scheme), facts, attributes).assess()


def per_unit(result: RunResult, column: str | np.ndarray) -> dict[str, Any]:
    """A state column (by name) or an aligned array, keyed by unit code; NaN becomes None."""
    values = result.state.values[column] if isinstance(column, str) else column
    return {
        unit: (None if isinstance(v, float) and math.isnan(v) else v)
        for unit, v in zip(result.state.units, values, strict=True)
    }


# --------------------------------------------------------------------------- the command line


def kaohe_subprocess(
    *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The installed console script as a user runs it (a separate process, output piped)."""
    script = Path(sys.executable).with_name("kaohe")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kaohe"]
    return subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


REPO = Path(__file__).resolve().parents[2]
HDI_SCHEME = REPO / "examples" / "hdi" / "scheme.yaml"
HDI_DATA = REPO / "examples" / "hdi" / "data"
