"""An action's parameters in the user's language: a scheme writes a Chinese parameter's English
beside it as ``<name>_en``; English text shows "the leader in charge (分管负责同志)", Chinese text
the Chinese alone, and the ``_en`` key never on its own."""

from __future__ import annotations

import re

import pytest

from kaohe.scheme.actions import describe, localized
from kaohe.scheme.load import bundled_schemes, load_scheme

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_english_beside_the_chinese_and_the_chinese_alone():
    params = {"who": "分管负责同志", "who_en": "the leader in charge", "days": 30}
    assert localized(params, "zh") == {"who": "分管负责同志", "days": 30}
    assert localized(params, "en") == {"who": "the leader in charge (分管负责同志)", "days": 30}
    assert describe("interview", params, "zh") == "约谈（who=分管负责同志, days=30）"
    assert describe("interview", params, "en") == (
        "interview of leaders(who=the leader in charge (分管负责同志), days=30)"
    )
    # no English given: the Chinese on both; an ``_en`` key without its parameter stays data
    assert localized({"who": "主要负责同志"}, "en") == {"who": "主要负责同志"}
    assert localized({"label_en": "x"}, "zh") == {"label_en": "x"}


@pytest.mark.parametrize("path", sorted(bundled_schemes().values()), ids=lambda p: p.stem)
def test_every_chinese_parameter_of_a_bundled_scheme_has_its_english(path):
    scheme = load_scheme(str(path))
    missing = [
        f"{kind}.{key}"
        for rule in scheme.model.outcomes
        for action in rule.actions
        for kind, params in action.items()
        for key, value in (params or {}).items()
        if isinstance(value, str) and CJK.search(value) and not (params or {}).get(f"{key}_en")
    ]
    assert missing == []
