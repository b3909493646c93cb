"""The vocabulary of actions a result can trigger (结果应用).

The kinds are domain vocabulary; their parameters (amounts, who is interviewed, deadlines) are
policy and live in each scheme.
"""

from __future__ import annotations

from typing import NamedTuple


class ActionKind(NamedTuple):
    zh: str
    en: str


ACTIONS: dict[str, ActionKind] = {
    "commend": ActionKind("通报表扬", "commendation"),
    "fiscal_reward": ActionKind("财政奖励", "fiscal reward"),
    "interview": ActionKind("约谈", "interview of leaders"),
    "rectify": ActionKind("限期整改", "rectification with a deadline"),
    "accountability": ActionKind("责任追究", "accountability"),
    "notify_criticism": ActionKind("通报批评", "public criticism"),
    "restrict_market_access": ActionKind("限制市场准入", "market-access restriction"),
    "suspend_pilots": ActionKind("暂停创新试点", "innovation pilots suspended"),
    "policy_tools": ActionKind("货币政策工具支持", "monetary policy tool support"),
    "supervisory_rating": ActionKind("纳入监管评级", "taken into the supervisory rating"),
    "budget_adjustment": ActionKind("调整预算安排", "budget allocation adjusted"),
    "leader_evaluation": ActionKind("纳入领导班子考核", "counted in the leaders' evaluation"),
    # What a withheld grade may lead to: a request for the missing evidence, never money or blame.
    "request_data": ActionKind("限期补报数据", "request for the missing data"),
    "recheck": ActionKind("补充核查", "additional verification"),
}

# The only actions a unit without a grade (withheld or failed) can receive.
EVIDENCE_ACTIONS = ("request_data", "recheck")


def localized(params: dict, lang: str = "zh") -> dict:
    """An action's parameters in ``lang``: a scheme gives a parameter's English beside its Chinese
    as ``<name>_en`` (``{who: 分管负责同志, who_en: the leader in charge}``); in English the value
    reads "the leader in charge (分管负责同志)" — the Chinese stays beside it, as the policy text
    cites it — and in Chinese the Chinese alone. The ``_en`` keys themselves are never shown."""
    shown = {}
    for key, value in params.items():
        if key.endswith("_en") and key[:-3] in params:
            continue
        english = params.get(f"{key}_en")
        if lang == "en" and english and english != value:
            value = f"{english} ({value})"
        shown[key] = value
    return shown


def describe(kind: str, params: dict, lang: str = "zh") -> str:
    """A one-line human description of an action, e.g. '财政奖励（amount_yuan=400000000）'."""
    name = ACTIONS[kind].en if lang == "en" else ACTIONS[kind].zh
    params = localized(params, lang)
    if not params:
        return name
    inner = ", ".join(f"{key}={value}" for key, value in params.items())
    return f"{name}({inner})" if lang == "en" else f"{name}（{inner}）"
