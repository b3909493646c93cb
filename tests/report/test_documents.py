"""``kaohe documents``: the results circular and feedback letters of a real run, read back from
the .docx (python-docx) and the .pdf (poppler's pdftotext)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import docx
import pytest
from tests.support.sensitivity import run_cli, write_csv

import kaohe.report.documents_pdf as documents_pdf

# Ids with underscores, so that an id leaking into a document cannot hide among ordinary words;
# a label that names an internal file, which no official document may repeat.
SCHEME = """\
id: documents-test
title: 文书测试考核
title_en: Documents test assessment
version: "1"
policy_source: tests (policy.md §1)
assesses: {kind: region, level: province}
parameters:
  rectify_days: {value: 45, status: open, label: 整改期限（天）}
  misuse_points: {value: 1.5, status: open, label: 每起挪用扣分}
sources:
  checks:
    columns: {wrong: boolean}
  figures:
    columns: {output: number, quality: number, misuse: integer}
measures:
  n_checked: {source: checks, expr: "count(*)", label: 核查户数}
  n_wrong: {source: checks, expr: "count(*) filter (where wrong)", label: 错退户数}
  v_output: {source: figures, expr: "max(output)"}
  v_quality: {source: figures, expr: "max(quality)"}
  misuse_n: {source: figures, expr: "max(misuse)", label: 挪用资金问题数, label_en: misuse cases}
indicators:
  output_index:
    label: 产出
    label_en: Output
    expr: v_output
    score: {method: goalposts, min: 0, max: 100}
    points: 50
  quality_index:
    label: 质量
    label_en: Quality
    expr: v_quality
    score: {method: goalposts, min: 0, max: 100}
    points: 30
  wrong_rate:
    label: 错退率
    label_en: Wrong-exit rate
    expr: "n_wrong / nullif(n_checked, 0)"
    direction: lower
    unit_of_measure: "%"
    score: {method: table, rows: [[null, 0.02, 1.0], [0.02, null, 0.0]]}
    points: 20
flags:
  wrong_over: {label: 错退率超标（见 policy.md）, label_en: Wrong-exit rate too high, when: "wrong_rate >= 0.02"}
tree:
  - {id: results_area, label: 成效, label_en: Results, points: 80, children: [output_index, quality_index]}
  - {id: accuracy_area, label: 精准, label_en: Accuracy, points: 20, children: [wrong_rate]}
adjustments:
  items:
    - {id: misuse_deduction, label: 挪用资金, label_en: Misuse of funds, kind: deduction,
       points: "misuse_n * misuse_points"}
vetoes:
  - {id: wrong_exit_veto, when: "wrong_over", grade_at_most: 一般, reason: 错退率超过 2%,
     reason_en: wrong-exit rate above 2%}
grading:
  method: bands
  bands: [[85, 好], [60, 一般], [null, 差]]
  labels_en: {好: good, 一般: average, 差: poor}
outcomes:
  - when: "grade = '好'"
    actions:
      - commend: {}
  - when: "grade = '差'"
    actions:
      - interview: {who: 主要负责同志}
      - rectify: {days: $rectify_days}
"""
# code, name, output, quality, wrong, checked, misuse cases
PROVINCES = [
    ("110000", "北京市", 100.0, 100.0, 1, 100, 0),
    ("120000", "天津市", 70.0, 60.0, 0, 80, 2),
    ("130000", "河北省", 40.0, 30.0, 5, 50, 0),
]
AUTHORITY, NUMBER, DATE = "国务院扶贫开发领导小组", "国开发〔2020〕7号", "2020-02-15"
# Hebei is graded 差: rectification within the scheme's 45 days of 15 February 2020
DEADLINE_ZH, DEADLINE_EN = "2020年3月31日", "31 March 2020"
INTERNAL_IDS = (
    *("n_checked", "n_wrong", "v_output", "v_quality", "misuse_n", "output_index"),
    *("quality_index", "wrong_rate", "wrong_over", "results_area", "accuracy_area"),
    *("misuse_deduction", "wrong_exit_veto", "rectify_days", "misuse_points", "documents-test"),
)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("documents")
    data = root / "data"
    data.mkdir()
    (root / "scheme.yaml").write_text(SCHEME, encoding="utf-8")
    units = [("000000", "全国", "", "nation", "region")]
    units += [(p[0], p[1], "000000", "province", "region") for p in PROVINCES]
    write_csv(data / "units.csv", ["unit", "name", "parent", "level", "kind"], units)
    write_csv(
        data / "figures.csv",
        ["unit", "output", "quality", "misuse"],
        [(p[0], p[2], p[3], p[6]) for p in PROVINCES],
    )
    checks = [(p[0], i < p[4]) for p in PROVINCES for i in range(p[5])]
    write_csv(data / "checks.csv", ["unit", "wrong"], checks)
    out = root / "run"
    code, output = run_cli(
        "assess", "--scheme", str(root / "scheme.yaml"), "--data", str(data), "--out", str(out)
    )
    assert code == 0, output
    return out


def documents(run: Path, out: Path, *extra: str) -> tuple[int, str]:
    return run_cli(
        "documents", str(run), "--out", str(out), "--authority", AUTHORITY, "--number", NUMBER,
        "--date", DATE, *extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def chinese(run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zh") / "documents"
    code, output = documents(run, out)
    assert code == 0, output
    return out


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    lines += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def pdf_text(path: Path) -> str:
    """The PDF's text with line breaks and spacing removed (Chinese wraps anywhere)."""
    shown = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"\s+", "", shown)


def texts(out: Path) -> dict[str, str]:
    return {
        str(path.relative_to(out)): docx_text(path) if path.suffix == ".docx" else pdf_text(path)
        for path in sorted(out.rglob("*"))
        if path.suffix in (".docx", ".pdf")
    }


def test_chinese_documents_state_grade_problems_deadlines_and_the_issuer(chinese):
    assert sorted(str(p.relative_to(chinese)) for p in chinese.rglob("*") if p.is_file()) == [
        "manifest.json", "反馈意见/110000 北京市.docx", "反馈意见/110000 北京市.pdf",
        "反馈意见/120000 天津市.docx", "反馈意见/120000 天津市.pdf",
        "反馈意见/130000 河北省.docx", "反馈意见/130000 河北省.pdf", "通报.docx", "通报.pdf",
    ]  # fmt: skip
    for name, shown in texts(chinese).items():
        assert AUTHORITY in shown and NUMBER in shown and "2020年2月15日" in shown, name
    hebei = docx_text(chinese / "反馈意见/130000 河北省.docx")
    assert "考核等次为“差”" in hebei and "29.00 分" in hebei
    assert "错退率超过 2%（错退率 10.00 %）" in hebei  # the veto with its figure
    assert f"整改期限：{DEADLINE_ZH}前" in hebei
    assert "约谈（约谈对象：主要负责同志）" in hebei
    assert f"整改期限：{DEADLINE_ZH}前" in pdf_text(chinese / "反馈意见/130000 河北省.pdf")
    tianjin = docx_text(chinese / "反馈意见/120000 天津市.docx")
    assert "扣分：挪用资金（挪用资金问题数 2），扣 3.00 分" in tianjin
    circular = docx_text(chinese / "通报.docx")
    assert "考核等次为“好”的（1个）：北京市" in circular
    assert "考核等次为“一般”的（1个）：天津市" in circular
    assert "考核等次为“差”的（1个）：河北省" in circular
    assert f"限期整改（{DEADLINE_ZH}前完成）：河北省" in circular
    assert "考核等次为“差”的（1个）：河北省" in pdf_text(chinese / "通报.pdf")


def test_no_internal_reference_appears(chinese, run):
    for name, shown in texts(chinese).items():
        for leak in (*INTERNAL_IDS, "policy.md", ".yaml", ".json", ".csv", str(run), "/tmp"):
            assert leak not in shown, f"{leak!r} in {name}"
    assert "整改：错退率超标。" in docx_text(chinese / "反馈意见/130000 河北省.docx")


def test_english_documents(run, chinese, tmp_path):
    out = tmp_path / "en"
    code, output = documents(run, out, "--lang", "en", "--unit", "130000")
    assert code == 0, output
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [
        "circular.docx", "circular.pdf", "feedback/130000 河北省.docx",
        "feedback/130000 河北省.pdf", "manifest.json",
    ]  # fmt: skip
    letter = docx_text(out / "feedback/130000 河北省.docx")
    assert "your grade is “poor”" in letter
    assert "Veto: wrong-exit rate above 2% (Wrong-exit rate 10.00 %)" in letter
    assert f"Deadline: {DEADLINE_EN}" in letter
    assert f"Deadline:{DEADLINE_EN.replace(' ', '')}" in pdf_text(
        out / "feedback/130000 河北省.pdf"
    )
    circular = docx_text(out / "circular.docx")
    assert "Graded “poor” (1): 河北省." in circular and NUMBER in circular
    for name, shown in texts(out).items():
        assert "考核结果" not in shown and "整改期限" not in shown, name
        for leak in (*INTERNAL_IDS, "policy.md"):
            assert leak not in shown, f"{leak!r} in {name}"


def test_same_inputs_give_the_same_bytes(run, chinese, tmp_path):
    out = tmp_path / "again"
    assert documents(run, out, "--unit", "130000")[0] == 0
    for name in (
        "通报.docx",
        "通报.pdf",
        "反馈意见/130000 河北省.docx",
        "反馈意见/130000 河北省.pdf",
    ):
        assert (out / name).read_bytes() == (chinese / name).read_bytes(), name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "2020-02-30"), "--date '2020-02-30' is not a date; write YYYY-MM-DD"),
        (("--unit", "990000"), "--unit 990000: no such unit in this run"),
        (("--format", "doc"), "--format takes docx, pdf or docx,pdf, not 'doc'"),
        (("--authority", " "), "--authority must not be empty"),
    ],
)
def test_bad_parameters_exit_2_and_write_nothing(run, tmp_path, args, message):
    out = tmp_path / "out"
    code, output = documents(run, out, *args)  # the last --date/--unit … given wins
    assert code == 2, output
    assert message in " ".join(output.split())
    assert not out.exists()


def test_a_directory_that_is_no_run_exits_2(tmp_path):
    (tmp_path / "notes").mkdir()
    code, output = documents(tmp_path / "notes", tmp_path / "out")
    assert code == 2
    assert "is not a run directory" in " ".join(output.split())
    assert not (tmp_path / "out").exists()


def test_a_failure_while_writing_leaves_the_previous_documents_whole(
    run, chinese, tmp_path, monkeypatch
):
    out = tmp_path / "documents"
    assert documents(run, out, "--unit", "110000", "--format", "docx")[0] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise OSError("printer on fire")  # the PDF fails after the Word files were written

    monkeypatch.setattr(documents_pdf, "write_document_pdf", broken)
    with pytest.raises(OSError, match="printer on fire"):
        documents(run, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["documents"]  # no staging left behind
