"""Write the example's office files into ``data/`` (run: python examples/office-data/build_data.py).

- ``附件1_建档立卡户.xlsx``: a title row, a blank row, a two-row merged header (人口 over 家庭人口数;
  两不愁三保障 over its four answers), numbers stored as text with a thousands separator, 是/否,
  √/× and a 合计 row at the bottom — as a county office sends it.
- ``units.csv``: the counties and their province, exported from the registry system in GBK with
  Chinese headers.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook

UNITS = [
    ("520000", "贵州省", "", "province"),
    ("520111", "花溪区", "520000", "county"),
    ("520112", "乌当区", "520000", "county"),
    ("520113", "白云区", "520000", "county"),
]
HOUSEHOLDS = [
    # county, household, size, income, food/clothing, education, medical, housing
    ("520111", "H001", "4", "4,250.5", "是", "是", "是", "是"),
    ("520111", "H002", "3", "3,980", "是", "是", "否", "是"),
    ("520111", "H003", "5", "5,120", "√", "√", "√", "√"),
    ("520112", "H004", "2", "6,300", "是", "是", "是", "是"),
    ("520112", "H005", "6", "2,950", "是", "否", "是", "否"),
    ("520113", "H006", "3", "4,800", "是", "是", "是", "是"),
    ("520113", "H007", "4", "5,010", "×", "是", "是", "是"),
]


def write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "建档立卡户"
    sheet.append(["附件1：XX省2019年建档立卡户基本情况汇总表"])
    sheet.merge_cells("A1:I1")
    sheet.append([])
    sheet.append(["序号", "行政区划代码", "户编号", "人口", "人均纯收入（元）", "两不愁三保障"])
    sheet.append(
        [
            None,
            None,
            None,
            "家庭人口数",
            None,
            "不愁吃不愁穿",
            "义务教育保障",
            "基本医疗保障",
            "住房安全保障",
        ]
    )
    for column in "ABCE":
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("F3:I3")
    for number, row in enumerate(HOUSEHOLDS, start=1):
        sheet.append([number, *row])
    sheet.append(["合计", None, None, sum(int(r[2]) for r in HOUSEHOLDS)])
    book.save(directory / "附件1_建档立卡户.xlsx")
    lines = ["行政区划代码,名称,上级区划代码,级别"]
    lines += [",".join(unit) for unit in UNITS]
    (directory / "units.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data")
