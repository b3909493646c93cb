"""Registry households whose recorded status contradicts the exit standard, as findings: the
eligibility rules of ``kaohe.verify.eligibility`` counted per unit, one finding per unit and rule."""

from __future__ import annotations

from ..i18n import text
from ..verify.eligibility import evaluate_eligibility
from ..verify.verification_rules import load_eligibility_rules
from .context import QualityContext
from .findings import Finding

RULE = "eligibility"


def detect(ctx: QualityContext) -> list[Finding]:

    config = ctx.rules.model.eligibility_flags
    inputs = ctx.inputs
    ctx.eligibility = ctx.eligibility or load_eligibility_rules()
    model = ctx.eligibility.model
    if not inputs.has(model.source):
        ctx.note(RULE, text(f"没有 {model.source} 数据源，跳过", f"no {model.source}; skipped"))
        return []
    findings = []
    for item in evaluate_eligibility(inputs, ctx.eligibility, [config.level]):
        if not item.flagged:
            continue
        rule = model.rules[item.rule]
        findings.append(
            Finding(
                unit=item.unit,
                rule=f"{RULE}_{item.rule}",
                label=f"疑似{item.category}：{rule.label}",
                severity=rule.severity,
                count=item.flagged,
                statistic=item.share,
                evidence=text(
                    f"{item.households} 户中 {item.flagged} 户（{item.share:.1%}）{rule.label}",
                    f"{item.flagged} of {item.households} households ({item.share:.1%}): "
                    f"{rule.label_en or rule.label}",
                ),
            )
        )
    return findings
