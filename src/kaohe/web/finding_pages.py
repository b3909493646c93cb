"""Screens of findings and appeals (问题与申诉): a cycle's findings (with where each came from,
问题来源) and appeals, recording a finding, filing an appeal with evidence in the feedback window,
deciding it, and opening the evidence attached to an appeal or a rectification item."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from ..workflow import findings as finding_ops
from ..workflow import form_values as choices
from ..workflow.cycles import get_cycle
from ..workflow.evidence import open_attachment
from ..workflow.roles import Actor
from ..workflow.unit_lookup import unit_names
from .app_state import db, today
from .auth import page_actor
from .file_transfer import download, read_upload
from .rendering import render

router = APIRouter(include_in_schema=False)


def _back_to_findings(cycle_id: int) -> RedirectResponse:
    return RedirectResponse(f"/cycles/{cycle_id}/findings", status_code=303)


@router.get("/cycles/{cycle_id}/findings")
def findings_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    with db(request).read() as session:
        cycle = get_cycle(session, cycle_id)
        items = finding_ops.visible_findings(session, actor, cycle_id)
        appeals = finding_ops.visible_appeals(session, actor, cycle_id)
        names = unit_names(session, (f.unit_code for f in items))
        evidence = {a.id: finding_ops.attachments(session, "appeal", a.id) for a, _ in appeals}
    return render(
        request,
        "findings.html",
        {
            "cycle": cycle,
            "items": items,
            "appeals": appeals,
            "names": names,
            "evidence": evidence,
            "window": cycle.state == "feedback",
            "origins": finding_ops.ORIGINS,
            "origin_label": finding_ops.origin_label,
        },
    )


@router.post("/cycles/{cycle_id}/findings")
def record_finding(
    request: Request,
    cycle_id: int,
    unit: str = Form(""),
    kind: str = Form(""),
    cases: int = Form(1),
    origin: str = Form(""),  # required: refused by the workflow with a message naming it
    description: str = Form(""),
    actor: Actor = Depends(page_actor),
):
    with db(request).write(actor.username, "finding.create") as session:
        finding_ops.create_finding(
            session, actor, cycle_id, unit.strip(), kind, cases, description, origin=origin
        )
    return _back_to_findings(cycle_id)


@router.post("/findings/{finding_id}/appeal")
async def appeal(
    request: Request,
    finding_id: int,
    reason: str = Form(...),
    evidence: UploadFile | None = File(None),
    actor: Actor = Depends(page_actor),
):
    attached = await read_upload(evidence) if evidence is not None and evidence.filename else None
    with db(request).write(actor.username, "appeal.create") as session:
        made = finding_ops.file_appeal(session, actor, finding_id, reason, attached, today=today())
        cycle_id = finding_ops.appeal_cycle(session, made)
    return _back_to_findings(cycle_id)


@router.post("/appeals/{appeal_id}/decide")
def decide(
    request: Request,
    appeal_id: int,
    decision: str = Form(...),
    note: str = Form(""),
    version: int = Form(...),
    actor: Actor = Depends(page_actor),
):
    accept = choices.APPEAL_DECISION.of(decision) == "accept"
    with db(request).write(actor.username, "appeal.decide") as session:
        made = finding_ops.decide_appeal(session, actor, appeal_id, accept, note, version)
        cycle_id = finding_ops.appeal_cycle(session, made)
    return _back_to_findings(cycle_id)


@router.get("/attachments/{attachment_id}")
def attachment(request: Request, attachment_id: int, actor: Actor = Depends(page_actor)):
    with db(request).read() as session:
        item = open_attachment(session, actor, attachment_id)
        return download(item.content, item.filename, item.content_type)
