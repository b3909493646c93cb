"""Cells written from user data into files people open in a spreadsheet: inert and writable.

Every CSV and Excel file Kaohe writes for people (results, ledgers, templates, verification
sheets, annotated uploads) passes its cells through here, for two reasons:

- Formula injection (OWASP, "CSV injection"): a text beginning with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return is run as a formula when a spreadsheet opens a CSV
  (``=HYPERLINK("http://evil","点击")`` sends the sheet's data away). In a CSV such a text is
  prefixed with a single quote, as OWASP advises: the spreadsheet shows it as text. In an .xlsx
  a cell typed as a string is never evaluated, so the text is kept as written and only its type
  is forced (xlsxwriter's ``write_string``; openpyxl's ``data_type = "s"``, as its ``append``
  would otherwise store a text beginning with ``=`` as a formula).
- Control characters: XML 1.0, which an .xlsx is made of, cannot hold ``\\x00``–``\\x1f`` other
  than tab, line feed and carriage return; openpyxl refuses to write them (a crash on download)
  and xlsxwriter escapes them as ``_x0001_``. They carry no meaning in a cell and are removed.

Only texts change: numbers, dates and booleans are data, never formulas (-3 stays -3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# OWASP's list: the characters a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV cell: a text that a spreadsheet would run as a formula gets a leading
    single quote; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_value(value: Any) -> Any:
    """``value`` for an .xlsx cell: a text without the control characters XML cannot hold."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def set_cell(cell: Any, value: Any) -> Any:
    """Put ``value`` into an openpyxl cell, a text always as a string (never a formula)."""
    cell.value = xlsx_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """``sheet.append(values)`` for an openpyxl worksheet, each text as a string."""
    row = [xlsx_value(value) for value in values]
    sheet.append(row)
    if any(isinstance(value, str) for value in row):
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def write_cell(sheet: Any, row: int, column: int, value: Any, fmt: Any = None) -> None:
    """``sheet.write`` for an xlsxwriter worksheet, a text always through ``write_string``:
    ``write`` would turn ``=…`` into a formula and ``http://…`` into a link."""
    if isinstance(value, str):
        sheet.write_string(row, column, xlsx_value(value), fmt)
    else:
        sheet.write(row, column, value, fmt)
