"""A corpus of messy files, one case per problem that real offices' exports have.

Importable: ``write_case(case, folder)`` writes one case's file into ``folder``; ``VALUE_CASES``
and ``FILE_CASES`` list the cases with the places their error must name (file, line, column,
value). Run as a script, it writes every case into a folder for a person to look at:

    .venv/bin/python tests/support/messy_corpus.py /tmp/messy

The cases use the source ``visits`` (``VISITS_SCHEMA`` for ``kaohe import``, ``VISITS_SOURCE``
for a scheme's data directory), whose rows belong to the counties of ``data_support.UNITS``.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

VISITS_SCHEMA = """\
source: visits
version: 1
unit: {column: unit, kinds: [region], levels: [county]}
columns:
  unit: {type: text, required: true}
  visits: {type: integer}
  minutes: {type: number}
  done: {type: boolean}
  visited: {type: date}
  note: {type: text}
  period: {type: text, required: true}
"""
# The same source as a scheme declares it for a data directory (kaohe assess --data DIR).
VISITS_SOURCE = {
    "unit_column": "unit",
    "columns": {
        "visits": "integer",
        "minutes": "number",
        "done": "boolean",
        "visited": "date",
        "note": "text",
    },
}
HEADER = ["unit", "visits", "minutes", "done", "visited", "note", "period"]
GOOD = ["130224", "3", "45.5", "是", "2019-06-01", "按时走访", "2019"]


def row(**changes: str) -> list[str]:
    values = dict(zip(HEADER, GOOD, strict=True))
    values.update(changes)
    return [values[c] for c in HEADER]


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    def field_text(value: str) -> str:
        if any(c in value for c in ',"\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(",".join(map(field_text, r)) + "\n" for r in [header, *rows])


def data_lines(rows: list[list[str]]) -> str:
    """``csv_text`` without the header line."""
    return csv_text(rows).split("\n", 1)[1]


@dataclass(frozen=True)
class Case:
    """One messy file and what its error must name."""

    name: str
    file: str  # the file name written
    content: Callable[[Path], None]  # writes the file at the given path
    expect: tuple[str, ...]  # each must appear in the error (English messages)
    data_directory: bool = True  # the data-directory reader must refuse it too
    data_directory_expect: tuple[str, ...] | None = None  # if it words the error differently


def _text(body: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(body, encoding="utf-8", newline="")


def _bad_value(name: str, column: str, value: str, kind_words: str) -> Case:
    """The third line holds ``value`` in ``column``: the error names line 3, column and value."""
    body = csv_text([row(), row(**{column: value}), row()])
    return Case(
        name,
        "visits.csv",
        _text(body),
        ("visits.csv:line 3", f"column {column}", f"value {value!r}", kind_words),
    )


def _parquet(columns: dict[str, pa.Array]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        base = {
            "unit": pa.array(["130224", "130224", "130529"]),
            "visits": pa.array([3, 4, 5]),
            "minutes": pa.array([45.5, 30.0, 12.25]),
            "done": pa.array([True, False, True]),
            "visited": pa.array([dt.date(2019, 6, 1)] * 3),
            "note": pa.array(["按时走访", None, ""]),
            "period": pa.array(["2019", "2019", "2019"]),
        }
        pq.write_table(pa.table({**base, **columns}), path)

    return write


def _long_line(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(csv_text([row(), row()]))
        handle.write("130224,1,2,是,2019-06-01,")
        for _ in range(4):  # 4 MiB without a line break: four times the limit
            handle.write("x" * (1 << 20))
        handle.write(",2019\n")
        handle.write(data_lines([row()]))


VALUE_CASES = [
    _bad_value("integer-with-decimals", "visits", "36.5", "is not a whole number"),
    _bad_value("integer-with-underscore", "visits", "1_000", "is not a whole number"),
    _bad_value("integer-in-exponent", "visits", "1e3", "is not a whole number"),
    _bad_value("number-nan", "minutes", "NaN", "is not a number"),
    _bad_value("number-infinite", "minutes", "inf", "is not a number"),
    _bad_value("number-with-underscore", "minutes", "1_000", "is not a number"),
    _bad_value("number-in-exponent", "minutes", "1e3", "is not a number"),
    _bad_value("boolean-integer", "done", "3", "is not true or false"),
    _bad_value("boolean-word", "done", "maybe", "is not true or false"),
    _bad_value("date-with-slashes", "visited", "2019/06/01", "is not a date"),
    _bad_value("date-without-padding", "visited", "2019-6-1", "is not a date"),
    _bad_value("date-with-time", "visited", "2019-06-01 10:00", "is not a date"),
    _bad_value("date-as-digits", "visited", "20190601", "is not a date"),
    _bad_value("date-that-does-not-exist", "visited", "2019-02-30", "is not a date"),
    Case(
        "parquet-integer-with-decimals",
        "visits.parquet",
        _parquet({"visits": pa.array([3.0, 36.5, 2.0])}),
        ("visits.parquet:row 2", "column visits", "value '36.5'", "is not a whole number"),
    ),
    Case(
        "parquet-boolean-integer",
        "visits.parquet",
        _parquet({"done": pa.array([1, 3, 0])}),
        ("visits.parquet:row 2", "column done", "value '3'", "is not true or false"),
    ),
    Case(
        "parquet-number-nan",
        "visits.parquet",
        _parquet({"minutes": pa.array([1.5, float("nan"), float("inf")])}),
        ("visits.parquet:row 2", "column minutes", "value 'nan'", "is not a number"),
        # sources.py reads a stored double as it is: its owner adds the finiteness check
        data_directory=False,
    ),
    Case(
        "line-numbers-after-a-quoted-newline",
        "visits.csv",
        _text(csv_text([row(note="第一行\n第二行"), row(), row(visits="36.5")])),
        ("visits.csv:line 5", "column visits", "value '36.5'"),
    ),
    Case(
        "line-numbers-after-a-blank-line",
        "visits.csv",
        _text(csv_text([row()]) + "\n" + data_lines([row(visits="x")])),
        ("visits.csv:line 4", "column visits", "value 'x'"),
    ),
]

FILE_CASES = [
    Case("empty-file", "visits.csv", _text(""), ("visits.csv:line 1", "the file is empty")),
    Case(
        "duplicated-header",
        "visits.csv",
        _text(csv_text([[*GOOD, "4"]], header=[*HEADER, "visits"])),
        ("visits.csv:line 1", "'visits'", "appears twice", "columns 2 and 8"),
    ),
    Case(
        "empty-header-name",
        "visits.csv",
        _text(csv_text([[*GOOD, "4"]], header=[*HEADER, ""])),
        ("visits.csv:line 1", "column 8 has no name"),
    ),
    Case(
        "unclosed-quote",
        "visits.csv",
        _text(csv_text([row()]) + '130224,2,"30,是,2019-06-01,,2019\n' + data_lines([row()])),
        ("visits.csv:line 3", "column minutes", "value '\"30,是,2019-06-01,,2019'", "never closed"),
    ),
    Case(
        "absurdly-long-line",
        "visits.csv",
        _long_line,
        ("visits.csv:line 4", "longer than 1024 KiB"),
    ),
]


@dataclass
class StoreCase:
    """A case that needs the store: what is imported before, and the file of the import."""

    name: str
    files: dict[str, str]  # file name → CSV text, imported in this order as source visits
    expect: tuple[str, ...]
    options: tuple[str, ...] = ()
    schema: str = VISITS_SCHEMA
    accepted_with: tuple[str, ...] | None = None  # options that make the last import pass


PER_UNIT_SCHEMA = VISITS_SCHEMA.replace("version: 1\n", "version: 1\none_row_per_unit: true\n")

STORE_CASES = [
    StoreCase(
        "header-only",
        {"visits.csv": csv_text([])},
        ("visits.csv: a header and no rows", "allow_empty: true", "nothing was written"),
    ),
    StoreCase(
        "shrinking-snapshot",
        {
            "visits-full.csv": csv_text([row(visits=str(n)) for n in range(10)]),
            "visits.csv": csv_text([row(), row(), row()]),
        },
        ("3 rows", "has 10", "less than 50%", "--allow-shrink", "nothing was written"),
        accepted_with=("--allow-shrink",),
    ),
    StoreCase(
        "second-row-for-a-unit",
        {
            "visits.csv": csv_text(
                [row(), row(unit="130529"), row(unit="140221"), row(unit="130529", visits="9")]
            )
        },
        (
            "one row per unit (unit+period)",
            "unit='130529', period='2019' appears at visits.csv:line 3, visits.csv:line 5",
        ),
        schema=PER_UNIT_SCHEMA,
    ),
]

UNITS_HEADER = ["unit", "name", "parent", "level", "kind"]
ORPHAN_UNITS = [
    ("000000", "全国", "", "nation", "region"),
    ("130000", "河北省", "000000", "province", "region"),
    ("130224", "滦南县", "130000", "county", "region"),
    ("130529", "巨鹿县", "", "county", "region"),  # line 5: a county with a blank parent
    ("B1001", "某农商银行", "", "bank", "bank"),  # a root of its own kind: fine
]


def units_with_an_orphan() -> str:
    return csv_text([list(u) for u in ORPHAN_UNITS], header=UNITS_HEADER)


def write_case(case: Case, folder: Path) -> Path:
    """Write ``case``'s file into ``folder`` (created if missing) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / case.file
    case.content(path)
    return path


def main(target: str) -> None:
    folder = Path(target)
    for case in VALUE_CASES + FILE_CASES:
        write_case(case, folder / case.name)
    for store_case in STORE_CASES:
        for name, body in store_case.files.items():
            (folder / store_case.name).mkdir(parents=True, exist_ok=True)
            (folder / store_case.name / name).write_text(body, encoding="utf-8")
    (folder / "units-with-an-orphan").mkdir(parents=True, exist_ok=True)
    (folder / "units-with-an-orphan" / "units.csv").write_text(
        units_with_an_orphan(), encoding="utf-8"
    )
    print(f"wrote {len(VALUE_CASES) + len(FILE_CASES) + len(STORE_CASES) + 1} cases in {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "messy-corpus")
