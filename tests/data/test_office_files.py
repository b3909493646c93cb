"""Issue 13: an office's own files — a workbook with title rows, a two-row merged header, text
numbers, 是/否 and a 合计 row, and a GBK CSV beside it — go from ``kaohe data map`` to a graded run
with no editing of the data; every broken variant gets one clear line."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

EXAMPLE = Path(__file__).parents[2] / "examples" / "office-data"
WORKBOOK = "附件1_建档立卡户.xlsx"


def _build(directory: Path) -> Path:
    spec = importlib.util.spec_from_file_location("office_example", EXAMPLE / "build_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(directory)
    return directory


@pytest.fixture
def office(tmp_path) -> Path:
    return _build(tmp_path / "data")


def test_from_data_map_to_a_graded_run(office, tmp_path, kaohe):
    mapping = tmp_path / "households.mapping.yaml"
    run = kaohe("data", "map", office / WORKBOOK, "--source", "households", "--out", mapping)
    assert run.exit_code == 0, run.stderr
    written = mapping.read_text(encoding="utf-8")
    assert 'unit: "行政区划代码"' in written  # an alias of the registry's export
    assert 'size: "人口/家庭人口数"' in written  # the two-row merged header, joined
    assert 'food_clothing_ok: "两不愁三保障/不愁吃不愁穿"' in written
    assert "# the header ends on row 4" in written or "表头在第 4 行" in written
    scheme = EXAMPLE / "scheme.yaml"
    check = kaohe("data", "check", "--scheme", scheme, "--data", office, "--mapping", mapping)
    assert check.exit_code == 0, check.stderr
    out = tmp_path / "run"
    run = kaohe("assess", "--scheme", scheme, "--data", office, "--mapping", mapping, "--out", out)
    assert run.exit_code == 0, run.stderr
    rows = {
        line.split(",")[0]: line
        for line in (out / "results.csv").read_text(encoding="utf-8").splitlines()[1:]
    }
    # by hand: 花溪区 2 of 3 households guaranteed → 40.00; income (4×4250.5 + 3×3980 + 5×5120)
    # / 12 = 4545.17 → (4545.17 − 3000) / 3000 × 40 = 20.60; the 合计 row is no household
    expected = {"520111": ("60.6", "一般"), "520112": ("40.5", "较差"), "520113": ("55.6", "较差")}
    for unit, (score, grade) in expected.items():
        assert unit in rows, rows
        assert score in rows[unit] and grade in rows[unit], rows[unit]
    # the manifest says how the workbook was read, so that the run can be repeated
    read_as = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["inputs"][
        "households"
    ]
    assert read_as["format"] == "xlsx" and read_as["header_row"] == 4
    assert read_as["headers"]["人口/家庭人口数"] == "size"
    assert read_as["totals_rows"] == [12]
    assert read_as["mapping"]["file"] == str(mapping)


def test_a_mapping_file_in_the_data_directory_is_read_without_the_option(office, tmp_path, kaohe):
    shutil.copy(EXAMPLE / "data" / "households.mapping.yaml", office)
    out = tmp_path / "run"
    run = kaohe("assess", "--scheme", EXAMPLE / "scheme.yaml", "--data", office, "--out", out)
    assert run.exit_code == 0, run.stderr


def test_a_workbook_with_a_sheet_per_source_and_labels_as_headers(tmp_path, kaohe):
    data = _build(tmp_path / "data")
    (data / WORKBOOK).rename(data / "县里报来的.xlsx")
    out = tmp_path / "run"
    # no mapping: the sheet is named after the source's label, the headers are its aliases
    run = kaohe("assess", "--scheme", EXAMPLE / "scheme.yaml", "--data", data, "--out", out)
    assert run.exit_code == 0, run.stderr


def test_the_gbk_units_import_with_chinese_headers(office, tmp_path, kaohe):
    run = kaohe("import", "units", office / "units.csv", "--store", tmp_path / "store")
    assert run.exit_code == 0, run.stderr


def test_a_mapping_error_names_its_file_and_line(office, tmp_path, kaohe):
    mapping = tmp_path / "bad.mapping.yaml"
    mapping.write_text(
        "source: households\ncolumns:\n  unit: 行政区划代码\n  county: 县\n", encoding="utf-8"
    )
    run = kaohe(
        "assess", "--scheme", EXAMPLE / "scheme.yaml", "--data", office,
        "--mapping", mapping, "--out", tmp_path / "run",
    )  # fmt: skip
    assert run.exit_code == 2
    assert "bad.mapping.yaml:4" in run.stderr and "county" in run.stderr


def _ragged(directory: Path) -> str:
    (directory / "units.csv").write_text(
        "unit,name,parent,level\n520000,贵州省,,province\n520111,花溪区,520000\n", encoding="utf-8"
    )
    return "units.csv:line 3"


def _ragged_office_csv(directory: Path) -> str:
    lines = (directory / "units.csv").read_bytes().decode("gbk").splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]  # a value short, on line 3 of the GBK file
    (directory / "units.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return "units.csv:line 3"


def _utf16(directory: Path) -> str:
    text = (directory / "units.csv").read_bytes().decode("gbk")
    (directory / "units.csv").write_bytes(text.encode("utf-16"))
    return ""  # read, not refused


def _mixed_line_breaks(directory: Path) -> str:
    lines = (directory / "units.csv").read_bytes().decode("gbk").splitlines()
    text = lines[0] + "\r\n" + "\n".join(lines[1:]) + "\n"
    (directory / "units.csv").write_bytes(text.encode("gbk"))
    return "mixed line breaks"


def _csv_named_xlsx(directory: Path) -> str:
    (directory / WORKBOOK).write_text("a,b\n1,2\n", encoding="utf-8")
    return "Rename it to .csv"


def _web_page_named_xls(directory: Path) -> str:
    (directory / WORKBOOK).unlink()
    (directory / "households.xls").write_text("<html><body>登录超时</body></html>")
    return "no table"


def _corrupt_workbook(directory: Path) -> str:
    (directory / WORKBOOK).write_bytes(b"PK\x03\x04" + b"\0" * 100)
    return "cannot be read as an Excel workbook"


def _corrupt_parquet(directory: Path) -> str:
    (directory / WORKBOOK).unlink()
    (directory / "households.parquet").write_bytes(b"PAR1" + b"\0" * 64)
    return "households.parquet"


def _wide(directory: Path) -> str:
    (directory / WORKBOOK).unlink()
    header = ",".join(f"c{i}" for i in range(51_200))
    (directory / "households.csv").write_text(header + "\n" + ",".join("1" * 51_200) + "\n")
    return "(51200 columns)"


@pytest.mark.parametrize(
    "breaking",
    [
        _ragged,
        _ragged_office_csv,
        _mixed_line_breaks,
        _utf16,
        _csv_named_xlsx,
        _web_page_named_xls,
        _corrupt_workbook,
        _corrupt_parquet,
        _wide,
    ],
)
def test_every_broken_variant_gets_one_clear_line(office, tmp_path, kaohe, breaking):
    expected = breaking(office)
    if (office / WORKBOOK).exists():  # the mapping names the workbook
        shutil.copy(EXAMPLE / "data" / "households.mapping.yaml", office)
    run = kaohe(
        "assess", "--scheme", EXAMPLE / "scheme.yaml", "--data", office, "--out", tmp_path / "r"
    )  # fmt: skip
    if not expected:
        assert run.exit_code == 0, run.stderr
        return
    assert run.exit_code == 2, run.stderr
    message = run.stderr.strip()
    assert expected in message, message
    assert len(message.splitlines()) <= 2, message
    for leak in ("duckdb", "Traceback", "Binder Error", "Invalid Input", "calamine", "SELECT"):
        assert leak not in message, message


def test_an_empty_worksheet_is_named(tmp_path, kaohe):
    data = _build(tmp_path / "data")
    book = Workbook()
    book.active.title = "建档立卡户"
    book.save(data / WORKBOOK)
    run = kaohe(
        "assess", "--scheme", EXAMPLE / "scheme.yaml", "--data", data, "--out", tmp_path / "r"
    )  # fmt: skip
    assert run.exit_code == 2
    assert "is empty" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_an_office_csv_with_a_title_line_and_a_totals_row_imports(office, tmp_path, kaohe):
    store = tmp_path / "store"
    assert kaohe("import", "units", office / "units.csv", "--store", store).exit_code == 0
    findings = tmp_path / "问题清单.csv"
    findings.write_bytes(
        (
            "2019年审计发现问题清单\r\n"
            "区划代码,问题类别,问题数量（件）,考核年度\r\n"
            "520111,档案不全,2,2019\r\n"
            '520112,挪用资金,"1,000",2019\r\n'
            '合 计,,"1,002",\r\n'
        ).encode("gb18030")
    )
    run = kaohe("import", "findings", findings, "--store", store)
    assert run.exit_code == 0, run.stderr
    assert "the header ends on row 2" in run.stdout
    assert "rows 5 are totals" in run.stdout
    assert "imported 2 rows" in run.stdout


def test_a_mappings_values_turn_names_and_words_into_codes_and_answers(office, tmp_path, kaohe):
    """County names instead of codes and 达标/未达标 instead of 是/否: the mapping's ``values``
    say what they mean, and the run is the same as on the codes and 是/否."""
    from openpyxl import load_workbook

    book = load_workbook(office / WORKBOOK)
    sheet = book.active
    names = {"520111": "花溪区", "520112": "乌当区", "520113": "白云区"}
    for row in sheet.iter_rows(min_row=5, max_row=11):
        row[1].value = names[str(row[1].value)]
        row[8].value = {"是": "达标", "否": "未达标", "√": "达标", "×": "未达标"}[row[8].value]
    book.save(office / WORKBOOK)
    mapping = tmp_path / "households.mapping.yaml"
    run = kaohe("data", "map", office / WORKBOOK, "--source", "households", "--out", mapping)
    assert run.exit_code == 0, run.stderr
    proposed = mapping.read_text(encoding="utf-8")
    assert '"未达标": null' in proposed and '"达标": null' in proposed  # to be answered
    out = tmp_path / "unanswered"
    refused = kaohe("assess", "--scheme", EXAMPLE / "scheme.yaml", "--data", office,
                    "--mapping", mapping, "--out", out)  # fmt: skip
    assert refused.exit_code == 2 and "households.mapping.yaml:" in refused.stderr
    answered = proposed.replace('"未达标": null', '"未达标": false').replace(
        '"达标": null', '"达标": true'
    )
    answered += "  unit:\n" + "".join(f'    "{n}": "{c}"\n' for c, n in names.items())
    mapping.write_text(answered, encoding="utf-8")
    out = tmp_path / "run"
    run = kaohe("assess", "--scheme", EXAMPLE / "scheme.yaml", "--data", office,
                "--mapping", mapping, "--out", out)  # fmt: skip
    assert run.exit_code == 0, run.stderr
    results = (out / "results.csv").read_text(encoding="utf-8")
    assert "60.6" in results and "55.6" in results and "40.5" in results


def test_an_old_excel_file_is_read_like_a_new_one(office, tmp_path, kaohe):
    """Issue 13: .xls (Excel 97–2003), as older registry tools still export."""
    import xlwt
    from openpyxl import load_workbook

    old = xlwt.Workbook()
    sheet = old.add_sheet("建档立卡户")
    for r, row in enumerate(load_workbook(office / WORKBOOK).active.iter_rows(values_only=True)):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    (office / WORKBOOK).unlink()
    old.save(str(office / "建档立卡户.xls"))
    mapping = tmp_path / "households.mapping.yaml"
    workbook = office / "建档立卡户.xls"
    run = kaohe("data", "map", workbook, "--source", "households", "--out", mapping)
    assert run.exit_code == 0, run.stderr
    out = tmp_path / "run"
    run = kaohe("assess", "--scheme", EXAMPLE / "scheme.yaml", "--data", office,
                "--mapping", mapping, "--out", out)  # fmt: skip
    assert run.exit_code == 0, run.stderr
    results = (out / "results.csv").read_text(encoding="utf-8")
    assert "60.6" in results and "55.6" in results and "40.5" in results
