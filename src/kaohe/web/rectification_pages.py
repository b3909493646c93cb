"""Screens of rectification (整改): a cycle's items with their evidence and deadlines, the owner
unit's evidence upload, and the verifier's decision to close or reopen."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from ..workflow import form_values as choices
from ..workflow import rectification as rectification_ops
from ..workflow.cycles import get_cycle
from ..workflow.findings import attachments
from ..workflow.roles import Actor
from ..workflow.unit_lookup import unit_names
from .app_state import db, today
from .auth import page_actor
from .file_transfer import read_upload
from .rendering import render

router = APIRouter(include_in_schema=False)


def _back_to_items(cycle_id: int) -> RedirectResponse:
    return RedirectResponse(f"/cycles/{cycle_id}/rectifications", status_code=303)


@router.get("/cycles/{cycle_id}/rectifications")
def rectifications_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    on = today()
    with db(request).read() as session:
        cycle = get_cycle(session, cycle_id)
        items = rectification_ops.visible(session, actor, cycle_id)
        names = unit_names(session, (i.unit_code for i in items))
        evidence = {i.id: attachments(session, "rectification", i.id) for i in items}
    return render(
        request,
        "rectifications.html",
        {
            "cycle": cycle,
            "items": items,
            "names": names,
            "evidence": evidence,
            "overdue": {i.id: rectification_ops.is_overdue(i, on) for i in items},
            "status_label": rectification_ops.status_label,
        },
    )


@router.post("/rectifications/{item_id}/evidence")
async def rectification_evidence(
    request: Request,
    item_id: int,
    file: UploadFile = File(...),
    note: str = Form(""),
    version: int = Form(...),
    actor: Actor = Depends(page_actor),
):
    filename, content = await read_upload(file)
    with db(request).write(actor.username, "rectification.evidence") as session:
        item = rectification_ops.submit_evidence(
            session, actor, item_id, filename, content, note, version
        )
        cycle_id = item.cycle_id
    return _back_to_items(cycle_id)


@router.post("/rectifications/{item_id}/verify")
def rectification_verify(
    request: Request,
    item_id: int,
    decision: str = Form(...),
    note: str = Form(""),
    version: int = Form(...),
    actor: Actor = Depends(page_actor),
):
    close = choices.RECTIFICATION_DECISION.of(decision) == "close"
    with db(request).write(actor.username, "rectification.verify") as session:
        item = rectification_ops.verify(session, actor, item_id, close, note, version)
        cycle_id = item.cycle_id
    return _back_to_items(cycle_id)
