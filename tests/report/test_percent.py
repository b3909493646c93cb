"""Rates are shown as percentages everywhere: a rate is declared in the scheme
(``unit_of_measure: "%"``) and holds a ratio (0.015), shown as "1.50 %" in reports and on the web
and with the Excel number format ``0.00%``; a ratio is never printed beside a percent sign
("0.3747 %" for 37.47 %). Reports of the same run are byte-identical Excel files."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.support.sensitivity import RATE_SCHEME, assess_case, run_cli

from kaohe.formatting import (
    XLSX_PERCENT,
    is_percentage_points,
    is_rate,
    percent,
    percentage_points,
    rate_text,
)
from kaohe.i18n import use_language

# The test scheme with its wrong-exit rate declared a rate
PERCENT_SCHEME = RATE_SCHEME.replace(
    '    expr: "wrong / nullif(checked, 0)"\n',
    '    expr: "wrong / nullif(checked, 0)"\n    unit_of_measure: "%"\n',
)
PROVINCES = [
    # code, name, output, quality, wrong, checked: wrong-exit rates 1 %, 0 %, 37.5 %
    ("110000", "北京市", 100.0, 100.0, 1, 100),
    ("120000", "天津市", 70.0, 60.0, 0, 80),
    ("130000", "河北省", 40.0, 30.0, 3, 8),
]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    assert 'unit_of_measure: "%"' in PERCENT_SCHEME
    return assess_case(tmp_path_factory.mktemp("percent"), PROVINCES, PERCENT_SCHEME)


# --------------------------------------------------------------------------- the one function


@pytest.mark.parametrize(
    ("ratio", "decimals", "shown"),
    [
        (0.015, 2, "1.50 %"),
        (0.003747, 2, "0.37 %"),
        (0.375, 2, "37.50 %"),
        (1.6, 2, "160.00 %"),  # a growth of 160 % is a rate too, whatever its size
        (12.5, 2, "1,250.00 %"),
        (0.0, 2, "0.00 %"),
        (-0.00001, 2, "0.00 %"),  # never "-0.00 %"
        (-0.025, 2, "-2.50 %"),
        (0.85, 0, "85 %"),
        (1, 2, "100.00 %"),
        ("0.0025", 2, "0.25 %"),  # as read from a CSV file
        (None, 2, "—"),
        ("", 2, "—"),
        (float("nan"), 2, "—"),
        (float("inf"), 2, "—"),
        ("n/a", 2, "n/a"),
    ],
)
def test_percent_shows_a_ratio_as_a_percentage(ratio, decimals, shown):
    assert percent(ratio, decimals) == shown


def test_which_units_are_rates():
    assert is_rate("%") and is_rate(" % ") and is_rate("％")
    assert not any(is_rate(u) for u in (None, "", "元", "分", "倍", "百分点", "人/结对省份"))
    assert is_percentage_points("百分点") and not is_percentage_points("%")
    assert rate_text(0.015, "%") == "1.50 %"
    assert rate_text(0.015, "元") is None and rate_text(0.015, None) is None
    assert percentage_points(0.0231, lang="zh") == "2.31 个百分点"
    assert percentage_points(0.0231, lang="en") == "2.31 pp"
    with use_language("zh"):
        assert rate_text(-0.004, "百分点") == "-0.40 个百分点"
    assert XLSX_PERCENT == "0.00%"


# --------------------------------------------------------------------------- reports


def test_html_report_shows_rates_as_percentages(run, tmp_path):
    out = tmp_path / "report.html"
    assert run_cli("report", str(run), "--format", "html", "--out", str(out))[0] == 0
    page = out.read_text(encoding="utf-8")
    card = page.split('id="card-110000"', 1)[1].split('id="card-120000"', 1)[0]
    row = re.search(r"<td>错退率</td><td class=\"n\">([^<]*)</td>", card)
    assert row and row.group(1) == "1.00 %"
    hebei = page.split('id="card-130000"', 1)[1]
    assert '<td class="n">37.50 %</td>' in hebei
    assert "0.0100" not in card and "0.01 %" not in card and "0.375" not in hebei


def test_pdf_report_shows_rates_and_verification_as_percentages(run, tmp_path):
    folder = run / "verification"
    folder.mkdir(exist_ok=True)
    (folder / "estimates.csv").write_text(
        "unit,name,level,estimate,label,rate,low,high,verdict,verdict_en\n"
        "110000,北京市,province,wrong_rate,错退率,0.01,0.0025,0.054,不确定,inconclusive\n",
        encoding="utf-8",
    )
    try:
        out = tmp_path / "report.pdf"
        assert run_cli("report", str(run), "--format", "pdf", "--out", str(out))[0] == 0
        text = flat(
            subprocess.run(
                ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
            ).stdout
        )
    finally:
        (folder / "estimates.csv").unlink()
        folder.rmdir()
    assert "0.25 %–5.40 %" in text  # the verification interval
    assert "错退率 1.00 %" in text  # the score card's indicator row
    assert "0.0025" not in text and "0.0540" not in text


def test_excel_report_writes_rates_as_ratios_with_a_percent_format(run, tmp_path):
    out = tmp_path / "report.xlsx"
    assert run_cli("report", str(run), "--format", "xlsx", "--out", str(out))[0] == 0
    sheet = load_workbook(out)["指标"]
    header = [cell.value for cell in sheet[1]]
    rows = [row for row in sheet.iter_rows(min_row=2)]
    rate = next(r for r in rows if r[0].value == "110000" and r[2].value == "错退率")
    value = rate[header.index("值")]
    assert value.value == pytest.approx(0.01) and value.number_format == "0.00%"
    assert rate[header.index("计量单位")].value == "%"
    output = next(r for r in rows if r[0].value == "110000" and r[2].value == "产出")
    assert output[header.index("值")].number_format == "0.0000"  # not a rate


def test_excel_reports_of_the_same_run_are_byte_identical(run, tmp_path):
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    assert run_cli("report", str(run), "--format", "xlsx", "--out", str(first))[0] == 0
    start = int(time.time())
    while int(time.time()) == start:  # the document's time has seconds: let a second pass
        time.sleep(0.05)
    assert run_cli("report", str(run), "--format", "xlsx", "--out", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()


# --------------------------------------------------------------------------- the web drill-down


def _drill(**indicator) -> str:
    from kaohe.web.rendering import templates

    entry = {
        "id": "wrong_exit_rate",
        "label": "错退率",
        "points": 6.0,
        "max_points": 10.0,
        "normalized": 0.6,
        "expr": "wrong_exit_est",
        **indicator,
    }
    drill = [
        {
            "id": "accuracy",
            "label": "精准识别",
            "points": 6,
            "max_points": 10,
            "indicators": [entry],
        }
    ]
    html = templates.get_template("scorecard_drill.html").render(
        drill=drill, records=False, cycle_id=1, unit_code="110000"
    )
    return flat(html)


def test_the_drill_down_shows_a_rate_indicator_as_a_percentage():
    html = _drill(
        value=0.003747,
        unit_of_measure="%",
        target=0.02,
        interval={"low": 0.001, "high": 0.0125, "level": 0.9},
        measures=[
            _measure("wrong_exit_est", 0.003747, "%", "错退率估计"),
            _measure("checked", 1200.0, None),
        ],
    )
    assert "0.37 %" in html and "0.3747" not in html  # not "0.3747 %": a ratio with a % sign
    assert "2.00 %" in html  # the target
    assert "0.10 % – 1.25 %" in html and "90 %" in html  # the interval and its level
    # a measure under its label, its id beside it small (as an identifier)
    assert (
        '<span class="measure">错退率估计</span> <small><code>wrong_exit_est</code></small> = 0.37 %'
        in html
    )
    assert "<code>checked</code> = 1,200" in html  # no label recorded: the id


def test_the_drill_down_keeps_other_units():
    html = _drill(
        value=8000.0, unit_of_measure="元", target=None, measures=[_measure("income", 8000.0)]
    )
    assert "8,000 元" in html and "%" not in html
    assert "<code>income</code> = 8,000" in html


def _measure(id: str, value: float, unit: str | None = None, label: str | None = None) -> dict:
    """A measure as the drill-down gets it (``web.result_pages._drilldown``)."""
    return {"id": id, "label": label or id, "value": value, "unit_of_measure": unit}
