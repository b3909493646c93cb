"""``kaohe report``: PDF rendered to pages and read back as text, HTML in a real browser, Excel."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image, ImageStat
from tests.support.browser import CHROMIUM
from tests.support.sensitivity import assess_case, run_cli

from kaohe.report import STEPS, write_report


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_in_chinese_renders_pages_with_the_numbers(runs, tmp_path):
    run, previous = runs
    out = tmp_path / "report.pdf"
    code, output = run_cli(
        "report", str(run), "--format", "pdf", "--out", str(out), "--previous", str(previous)
    )
    assert code == 0, output
    text = flat(pdf_text(out))
    explanation = json.loads((run / "explain.json").read_text(encoding="utf-8"))
    beijing = explanation["units"]["110000"]
    assert "敏感性测试办法" in text
    assert "一、总体情况" in text and "等次分布" in text and "维度得分率" in text
    assert "考核结果卡 · 北京市（110000）" in text
    assert f"{beijing['score']:.2f}" in text
    assert "结果稳健性（敏感性分析）" in text and "错退率抽样误差" in text
    assert "上年名次" in text  # changes against last year
    # Hebei is graded 差 and must rectify within 60 days of the run's date
    created = json.loads((run / "manifest.json").read_text(encoding="utf-8"))["created"][:10]
    due = (dt.date.fromisoformat(created) + dt.timedelta(days=60)).isoformat()
    assert f"限期整改（days=60） — 整改期限 {due}" in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in fonts.replace("-", "").replace(" ", "")
    # every page renders to a non-blank image
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout,
        ).group(1)
    )
    assert pages >= 4  # summary pages + one score card per unit
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for image in images:
        grey = Image.open(image).convert("L")
        assert ImageStat.Stat(grey).stddev[0] > 5, f"{image.name} is blank"


def test_pdf_in_english(runs, tmp_path):
    run, _ = runs
    out = tmp_path / "report-en.pdf"
    assert run_cli("report", str(run), "--format", "pdf", "--lang", "en", "--out", str(out))[0] == 0
    text = flat(pdf_text(out))
    assert "Sensitivity test scheme" in text
    assert "1. National summary" in text and "Score card · 北京市 (110000)" in text.replace(
        "（", " ("
    ).replace("）", ")")
    assert "sampling error of Wrong-exit rate" in text
    assert "good" in text and "Wrong-exit rate" in text
    assert "上年" not in text and "Last rank" not in text  # no --previous


def test_html_is_one_self_contained_file(runs, tmp_path):
    run, previous = runs
    code, _ = run_cli("report", str(run), "--format", "html", "--previous", str(previous))
    assert code == 0
    page = (run / "report-zh.html").read_text(encoding="utf-8")
    assert "Licensed to the Apache Software Foundation" in page  # ECharts, inlined
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="?(https?:)?//', page)
    for code_ in ("110000", "120000", "130000"):
        assert f'id="card-{code_}"' in page
    assert "radar-2" in page and "chart-profile" in page


@pytest.mark.parametrize("fmt", ["html", "xlsx"])
def test_each_step_is_reported_as_it_starts(runs, tmp_path, fmt):
    run, _ = runs
    calls: list[tuple[int, int, str]] = []
    write_report(
        run, fmt, out=tmp_path / f"report.{fmt}", progress=lambda *call: calls.append(call)
    )
    assert calls == [(0, 2, "data"), (1, 2, fmt), (2, 2, "")]
    assert all(name in STEPS for _, _, name in calls[:-1])


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no /usr/bin/chromium")
def test_html_charts_draw_offline_in_chromium(runs, browser):
    run, _ = runs
    assert run_cli("report", str(run), "--format", "html", "--lang", "en")[0] == 0
    page_file = run / "report-en.html"
    requests, errors = [], []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_selector("#radar-0 svg path", state="attached", timeout=10000)
        radars = page.eval_on_selector_all("[id^=radar-] svg", "els => els.length")
        bars = page.eval_on_selector_all("#chart-grades svg path", "els => els.length")
        text = page.inner_text("body")
    finally:
        context.close()
    assert errors == []
    assert all(url.startswith("file:") for url in requests), requests
    assert radars == 3 and bars > 0
    assert "Score card" in text and "Robustness" in text


def test_excel_has_frozen_headers_number_formats_and_the_results(runs, tmp_path):
    run, previous = runs
    out = tmp_path / "report.xlsx"
    args = ["report", str(run), "--format", "xlsx", "--out", str(out), "--previous", str(previous)]
    assert run_cli(*args)[0] == 0
    book = load_workbook(out)
    assert book.sheetnames == ["总体情况", "排名", "指标", "问题与结果应用", "稳健性"]
    ranking = book["排名"]
    assert ranking.freeze_panes == "D2"
    header = [cell.value for cell in ranking[1]]
    assert header[:5] == ["名次", "代码", "名称", "得分", "等次"]
    for name in ("成效", "精准", "排名中位数", "原等次概率", "上年名次", "名次变化", "结果应用"):
        assert name in header
    explanation = json.loads((run / "explain.json").read_text(encoding="utf-8"))
    rows = {row[1].value: row for row in ranking.iter_rows(min_row=2)}
    for code, unit in explanation["units"].items():
        assert rows[code][3].value == pytest.approx(unit["score"])
        assert rows[code][3].number_format == "0.00"
        assert rows[code][0].value == unit["rank"]
    probability = rows["110000"][header.index("原等次概率")]
    assert probability.number_format == "0.0%" and 0 <= probability.value <= 1
    indicators = book["指标"]
    assert indicators.freeze_panes == "A2" and indicators.auto_filter.ref
    assert indicators.max_row == 1 + 3 * 3  # three units × three scored indicators
    findings = [[c.value for c in row] for row in book["问题与结果应用"].iter_rows(min_row=2)]
    assert any(r[0] == "130000" and r[2] == "结果应用" and r[4] for r in findings)


def test_verification_results_in_the_run_are_reported(runs, tmp_path):
    run, _ = runs
    folder = run / "verification"
    folder.mkdir(exist_ok=True)
    (folder / "estimates.csv").write_text(
        "unit,name,level,estimate,label,rate,low,high,verdict,verdict_en\n"
        "110000,北京市,province,wrong_rate,错退率,0.01,0.0025,0.054,不确定,inconclusive\n",
        encoding="utf-8",
    )
    try:
        out = tmp_path / "verified.pdf"
        assert run_cli("report", str(run), "--format", "pdf", "--out", str(out))[0] == 0
        text = flat(pdf_text(out))
        assert "核查结果" in text and "0.25 %–5.40 %" in text and "不确定" in text
    finally:
        (folder / "estimates.csv").unlink()
        folder.rmdir()


def test_a_run_without_sensitivity_has_no_robustness_section(tmp_path):
    run = assess_case(tmp_path, [("110000", "北京市", 100.0, 100.0, 1, 100)])
    out = tmp_path / "plain.pdf"
    assert run_cli("report", str(run), "--format", "pdf", "--out", str(out))[0] == 0
    text = flat(pdf_text(out))
    assert "考核结果卡" in text and "稳健性" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "docx"], "--format takes html, pdf or xlsx"),
        (["--lang", "fr"], "--lang takes zh or en"),
    ],
)
def test_bad_options(runs, args, message):
    run, _ = runs
    code, output = run_cli("report", str(run), *args)
    assert code == 2 and message in output


def test_not_a_run_directory(tmp_path):
    code, output = run_cli("report", str(tmp_path), "--format", "pdf")
    assert code == 2 and "explain.json is missing" in output
    assert not list(tmp_path.iterdir())  # nothing half-written
