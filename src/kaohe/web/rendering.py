"""Rendering pages: Jinja2 templates with the user's language and Chinese conventions for dates
(2020年1月31日) and money (万元)."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from ..formatting import percent, rate_text
from ..i18n import text
from ..workflow.findings import appeal_status_label, finding_status_label, origin_label
from ..workflow.jobs import state_label as job_state_label
from ..workflow.rectification import event_label
from ..workflow.rectification import status_label as rectification_status_label
from ..workflow.roles import role_label
from ..workflow.states import BY_ID
from ..workflow.verification import verdict_label
from . import language
from .security import csrf_token

templates = Jinja2Templates(directory=str(Path(str(resources.files("kaohe.web"))) / "templates"))


def date_label(value: dt.date | dt.datetime | str | None) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if language.current() == "en":
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if isinstance(value, dt.datetime)
            else value.isoformat()
        )
    label = f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, dt.datetime):
        label += f" {value:%H:%M}"
    return label


def money_wan(yuan: float | None) -> str:
    """Yuan shown in 万元 (ten thousand yuan), the convention of Chinese budget documents."""
    if yuan is None:
        return ""
    return text(f"{yuan / 10000:,.2f} 万元", f"{yuan / 10000:,.2f} × 10k yuan")


def number(value: Any, digits: int = 2) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return text("是", "yes") if value else text("否", "no")
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"
    return str(value)


def measured(value: Any, unit: str | None = None, digits: int = 4) -> str:
    """A value with its unit of measure: a rate (unit %, a ratio) as "1.50 %", never the ratio
    beside a percent sign; other values as ``number`` with their unit ("8,000 元")."""
    shown = rate_text(value, unit)
    if shown is not None:
        return shown
    plain = number(value, digits)
    return f"{plain} {unit}" if unit and plain != "—" else plain


def as_json(value: Any) -> Markup:
    # For <script type="application/json">: escape "<" so the data cannot close the tag.
    return Markup(json.dumps(value, ensure_ascii=False).replace("<", "\\u003c"))


# Templates ship inside the package: no need to stat their files on every render.
templates.env.auto_reload = False
# Every vocabulary the pages show has its label function, beside the vocabulary's definition: a
# template never shows a stored code (``open``, ``assessor``) itself.
templates.env.globals.update(
    t=text,
    role_label=role_label,
    states=BY_ID,
    origin_label=origin_label,
    finding_status_label=finding_status_label,
    appeal_status_label=appeal_status_label,
    rectification_status_label=rectification_status_label,
    event_label=event_label,
    job_state_label=job_state_label,
    verdict_label=verdict_label,
)
templates.env.filters.update(
    date=date_label, wan=money_wan, num=number, pct=percent, measured=measured, as_json=as_json
)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
):
    context = dict(context or {})
    context.setdefault("actor", getattr(request.state, "actor", None))
    context["lang"] = language.current()
    context["csrf"] = csrf_token(request.session) if "session" in request.scope else ""
    return templates.TemplateResponse(request, name, context, status_code=status_code)
