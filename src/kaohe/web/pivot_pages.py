"""Screens of the pivot table (数据透视): indicators × units × periods over the published cycles,
filtered by scheme, period, level, peer group, grade, status and unit, within the user's scope;
the same table as an Excel workbook. Totals are rebuilt from their parts (``run.pivot``)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request

from ..i18n import text
from ..run.pivot import Choices, PivotFilter, choices, level_label, pivot
from ..run.pivot_export import method_text, pivot_xlsx
from ..workflow.pivot import grade_labeller, pivot_runs
from ..workflow.result_views import STATUSES, status_label
from ..workflow.roles import Actor
from .app_state import db
from .auth import page_actor
from .file_transfer import XLSX, download
from .rendering import render

router = APIRouter(include_in_schema=False)


def _one(value: str) -> tuple[str, ...]:
    return (value,) if value else ()


def _filter(
    found: Choices,
    scheme: str,
    period: str,
    level: str,
    peer_group: str,
    grade: str,
    status: str,
    unit: str,
    indicator: list[str],
) -> PivotFilter:
    """The page's choices as a filter; no scheme chosen: the latest period's."""
    chosen_scheme = scheme or (found.schemes[0][0] if found.schemes else "")
    return PivotFilter(
        indicators=tuple(i for i in indicator if i),
        units=_one(unit.strip()),
        periods=_one(period),
        levels=_one(level),
        peer_groups=_one(peer_group),
        grades=_one(grade),
        statuses=_one(status),
        schemes=_one(chosen_scheme),
    )


def _build(request: Request, actor: Actor, **params):
    with db(request).read() as session:
        runs = pivot_runs(session, actor)
        grade_label = grade_labeller(session)
    found = choices(runs)
    chosen = _filter(found, **params)
    table = pivot(runs, chosen) if runs else None
    return found, chosen, table, grade_label


def page_query(
    scheme: str = "",
    period: str = "",
    level: str = "",
    peer_group: str = "",
    grade: str = "",
    status: str = "",
    unit: str = "",
    indicator: list[str] = Query([]),
) -> dict:
    """The page's filters as its query string gives them (the page and its workbook share them)."""
    return dict(
        scheme=scheme,
        period=period,
        level=level,
        peer_group=peer_group,
        grade=grade,
        status=status,
        unit=unit,
        indicator=indicator,
    )


@router.get("/pivot")
def pivot_page(
    request: Request,
    params: dict = Depends(page_query),
    actor: Actor = Depends(page_actor),
):
    found, chosen, table, grade_label = _build(request, actor, **params)
    # the download link: the filters shown, with the scheme the page chose
    pairs = [(k, v) for k, v in params.items() if k not in ("indicator", "scheme") and v]
    pairs += [("scheme", s) for s in chosen.schemes] + [
        ("indicator", i) for i in params["indicator"] if i
    ]
    query = urlencode(pairs)
    periods = [p.period for p in table.periods] if table else []
    return render(
        request,
        "pivot.html",
        {
            "found": found,
            "chosen": chosen,
            "params": params,
            "table": table,
            "periods": periods,
            "query": query,
            "statuses": [(s, status_label(s)) for s in STATUSES],
            "level_label": level_label,
            "status_label": status_label,
            "method_text": method_text,
            "grade_label": grade_label,
        },
    )


@router.get("/pivot.xlsx")
def pivot_workbook(
    request: Request,
    params: dict = Depends(page_query),
    actor: Actor = Depends(page_actor),
):
    """The pivot the page shows, as an Excel workbook with each total explained."""
    _, chosen, table, _ = _build(request, actor, **params)
    content = pivot_xlsx(table or pivot([], chosen))
    name = text("数据透视", "pivot") + (f"-{chosen.schemes[0]}" if chosen.schemes else "")
    return download(content, f"{name}.xlsx", XLSX)
