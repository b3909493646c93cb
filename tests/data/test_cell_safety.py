"""Cells from user data are inert in every CSV and workbook Kaohe writes outside the platform
(``kaohe assess``'s results, the rectification ledger's export and source file): a text that a
spreadsheet would run as a formula is quoted in a CSV and a string in an .xlsx; control
characters are removed; numbers stay numbers. The platform's downloads: tests/web/test_exports_inert.py.
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest
import xlsxwriter
from openpyxl import Workbook, load_workbook

from kaohe.data.cell_safety import append_row, csv_cell, set_cell, write_cell, xlsx_value
from kaohe.outcomes.export import Filters, write_source, write_xlsx
from kaohe.outcomes.lifecycle import fold
from kaohe.run.outputs import write_csv
from kaohe.run.results_table import Column

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_text_is_quoted_for_csv(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["长安区", "", "a=b", -3, -2.5, 0, None, True])
def test_other_values_are_left_alone(value):
    assert csv_cell(value) == value
    assert xlsx_value(value) == value


def test_control_characters_are_removed_but_tab_and_line_ends_kept():
    assert xlsx_value("a\x00b\x07c\x1fd\te\nf\rg") == "abcd\te\nf\rg"


def test_openpyxl_cells_hold_texts_as_strings(tmp_path):
    book = Workbook()
    append_row(book.active, [*HOSTILE, -3, "x\x01y"])
    set_cell(book.active.cell(row=2, column=1), "=1+1")
    book.save(tmp_path / "b.xlsx")
    sheet = load_workbook(tmp_path / "b.xlsx").active
    first = [cell for cell in sheet[1]]
    # (an XML reader reads a carriage return as a line feed: "\r=1" comes back as "\n=1")
    assert [c.value for c in first][:5] + [c.value for c in first][6:] == [*HOSTILE[:5], -3, "xy"]
    assert [c.data_type for c in first] == ["s"] * 6 + ["n", "s"]
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "=1+1"


def test_xlsxwriter_cells_hold_texts_as_strings(tmp_path):
    book = xlsxwriter.Workbook(str(tmp_path / "w.xlsx"))
    sheet = book.add_worksheet()
    for column, value in enumerate([*HOSTILE, "http://x", -3, "x\x01y"]):
        write_cell(sheet, 0, column, value)
    book.close()
    cells = list(load_workbook(tmp_path / "w.xlsx").active[1])
    assert [c.data_type for c in cells] == ["s"] * 7 + ["n", "s"]
    assert cells[0].value == HOSTILE[0] and cells[-1].value == "xy"
    assert cells[6].hyperlink is None


def _inert_xlsx(path) -> list:
    """Every cell of every sheet: no formula, and the hostile texts kept as strings."""
    cells = [c for sheet in load_workbook(path).worksheets for row in sheet for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return [c.value for c in cells]


def test_run_results_csv_quotes_texts_and_keeps_numbers(tmp_path):
    columns = [Column("unit", "代码", "unit", "text"), Column("name", "名称", "name", "text")]
    columns.append(Column("score", "得分", "score", "number"))
    rows = [{"unit": "130102", "name": value, "score": -2.5} for value in HOSTILE[:4]]
    write_csv(tmp_path / "results.csv", columns, rows)
    with (tmp_path / "results.csv").open(encoding="utf-8", newline="") as handle:
        written = list(csv.reader(handle))[1:]
    assert [row[1] for row in written] == ["'" + value for value in HOSTILE[:4]]
    assert {row[2] for row in written} == {"-2.5"}


def _ledger():
    opened = {
        "seq": 1,
        "at": "2020-03-01T09:00:00+08:00",
        "actor": "t",
        "kind": "item_opened",
        "data": {"id": "r-1", "kind": "rectification", "unit": "130000", "unit_name": "@SUM(A1)",
                 "title": '=HYPERLINK("http://x","y")', "deadline": "2020-05-30", "scheme": "s",
                 "period": "2019", "owner": "+1+1\x07"},
    }  # fmt: skip
    return fold([opened])


def test_the_ledger_export_and_source_are_inert(tmp_path):
    state, day = _ledger(), dt.date(2020, 6, 30)
    write_xlsx(state, tmp_path / "ledger.xlsx", Filters(), day)
    values = _inert_xlsx(tmp_path / "ledger.xlsx")
    assert '=HYPERLINK("http://x","y")' in values and "@SUM(A1)" in values and "+1+1" in values
    write_source(state, tmp_path / "rectifications.csv", day)
    with (tmp_path / "rectifications.csv").open(encoding="utf-8", newline="") as handle:
        row = list(csv.DictReader(handle))[0]
    assert row["title"] == '\'=HYPERLINK("http://x","y")' and row["unit_name"] == "'@SUM(A1)"
    assert row["days_overdue"] == "31"
