"""Every kind of rules document (scheme/documents.py) reports a wrong field the same way:
``FILE:LINE: message``, in Chinese by default and in English with ``KAOHE_LANG=en``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kaohe.data.schemas import bundled_schemas, load_schema
from kaohe.errors import SchemeError, UsageError
from kaohe.funds.fund_rules import bundled_rules, load_rules
from kaohe.funds.gate import GateRules
from kaohe.monitoring import monitoring_rules as monitoring
from kaohe.quality.quality_rules import bundled as bundled_quality
from kaohe.quality.quality_rules import load_quality_rules
from kaohe.scheme import bundled_schemes, load_scheme
from kaohe.scheme.documents import bundled_file, bundled_files
from kaohe.verify.verification_rules import bundled as bundled_verify
from kaohe.verify.verification_rules import load_eligibility_rules, load_verification_rules

# kind: (the bundled file, its top-level text field, the loader)
KINDS: dict[str, tuple[Callable[[], Path], str, Callable[[Path], object]]] = {
    "scheme": (
        lambda: bundled_schemes()["provincial-effectiveness-2016"],
        "title",
        lambda path: load_scheme(str(path)),
    ),
    "source schema": (lambda: bundled_schemas()["persons"], "label", lambda p: load_schema(str(p))),
    "funds rules": (
        lambda: bundled_rules()["gate"],
        "title",
        lambda path: load_rules(path, GateRules),
    ),
    "monitoring rules": (
        lambda: monitoring.bundled_rules()["national-2021"],
        "title",
        lambda path: monitoring.load_rules(str(path)),
    ),
    "verification rules": (
        lambda: bundled_verify("verification.yaml"),
        "title",
        load_verification_rules,
    ),
    "eligibility rules": (
        lambda: bundled_verify("eligibility.yaml"),
        "title",
        load_eligibility_rules,
    ),
    "quality rules": (bundled_quality, "title", load_quality_rules),
}


def broken_copy(tmp_path: Path, bundled: Path, text_field: str) -> tuple[Path, int, int]:
    """The bundled file with its text field given a list and an unknown field at the end; the
    lines of both."""
    lines = bundled.read_text(encoding="utf-8").splitlines()
    wrong = next(i for i, line in enumerate(lines) if line.startswith(f"{text_field}:"))
    lines[wrong] = f"{text_field}: [a, b]"
    lines.append("colour: red")
    path = tmp_path / "rules.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, wrong + 1, len(lines)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("lang", "unknown", "not_text"),
    [(None, "不认识的字段 colour", "应为文本"), ("en", "unknown field colour", "should be text")],
)
def test_a_wrong_field_is_reported_at_its_line_in_the_users_language(
    kind, lang, unknown, not_text, tmp_path, monkeypatch
):
    if lang is None:
        monkeypatch.delenv("KAOHE_LANG", raising=False)
    else:
        monkeypatch.setenv("KAOHE_LANG", lang)
    bundled, text_field, load = KINDS[kind]
    path, wrong_line, unknown_line = broken_copy(tmp_path, bundled(), text_field)
    with pytest.raises(SchemeError) as caught:
        load(path)
    problems = {(p.line, p.message) for p in caught.value.problems}
    assert (unknown_line, unknown) in problems, caught.value
    assert any(line == wrong_line and not_text in m for line, m in problems), caught.value
    assert f"{path}:{unknown_line}: {unknown}" in str(caught.value).splitlines()
    if lang is None:  # nothing of pydantic's English gets through
        assert "Input should" not in str(caught.value) and "Extra inputs" not in str(caught.value)


def test_bundled_files_are_found_by_id_in_their_folder():
    assert bundled_files("funds/rules") == bundled_rules()
    assert bundled_file("quality/rules", "quality") == bundled_quality()
    assert bundled_file("verify/rules", "eligibility.yaml") == bundled_verify("eligibility.yaml")
    assert all(path.is_file() for path in bundled_files("schemes").values())


@pytest.mark.parametrize(
    ("load", "zh", "en"),
    [
        (lambda: load_scheme("no-such"), "找不到考核办法 no-such", "no scheme no-such"),
        (lambda: load_rules("no-such", GateRules), "找不到规则文件", "no rules file no-such"),
        (lambda: monitoring.load_rules("no-such"), "找不到监测规则", "no monitoring rules"),
    ],
)
def test_a_name_that_is_neither_a_file_nor_bundled_is_a_usage_error(load, zh, en, monkeypatch):
    monkeypatch.delenv("KAOHE_LANG", raising=False)
    with pytest.raises(UsageError, match=zh):
        load()
    monkeypatch.setenv("KAOHE_LANG", "en")
    with pytest.raises(UsageError, match=en):
        load()
