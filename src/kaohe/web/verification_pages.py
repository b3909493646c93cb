"""Screens of verification (核查): a cycle's sampled households and each team's progress, the
verification sheet (download, upload of the filled sheet, its original and error-annotated
files), and the form recording one household's result."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from ..i18n import text
from ..workflow import cycles as cycle_ops
from ..workflow import form_values as choices
from ..workflow import verification as verification_ops
from ..workflow import verification_sheet
from ..workflow.roles import Actor
from ..workflow.unit_lookup import find_unit, unit_names
from .app_state import db, today, write_off_loop
from .auth import page_actor
from .file_transfer import (
    XLSX,
    annotated_data_file,
    checked_upload_page,
    data_file,
    download,
    read_upload,
)
from .rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/cycles/{cycle_id}/verification")
def verification_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    with db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        items = verification_ops.assignments(session, actor, cycle_id)
        progress = verification_ops.progress(session, actor, cycle_id)
        sheets = verification_sheet.uploads(session, actor, cycle_id)
        names = unit_names(session, (i.unit_code for i in items))
    return render(
        request,
        "verification.html",
        {
            "cycle": cycle,
            "items": items,
            "progress": progress,
            "names": names,
            "sheets": sheets,
            "open": cycle.state == "verification",
        },
    )


@router.get("/cycles/{cycle_id}/verification/sheet")
def verification_sheet_download(
    request: Request, cycle_id: int, actor: Actor = Depends(page_actor)
):
    with db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        content = verification_sheet.sheet(session, actor, cycle_id)
    return download(content, f"{text('核查表', 'verification')}-{cycle.period}.xlsx", XLSX)


@router.post("/cycles/{cycle_id}/verification/sheet")
async def verification_sheet_upload(
    request: Request,
    cycle_id: int,
    file: UploadFile = File(...),
    actor: Actor = Depends(page_actor),
):
    filename, content = await read_upload(file)

    def store(session) -> dict:
        made = verification_sheet.upload(session, actor, cycle_id, filename, content, today=today())
        return {
            "upload_id": made.id,
            "number": made.number,
            "accepted": made.accepted,
            "errors": made.errors,
            "applied": made.applied,
            "rows": made.rows,
        }

    shown = await write_off_loop(request, actor, "verification.upload", store)
    return checked_upload_page(
        request, "verification_upload.html", {"cycle_id": cycle_id, "filename": filename, **shown}
    )


@router.get("/verification-uploads/{upload_id}/annotated")
def verification_sheet_annotated(
    request: Request, upload_id: int, actor: Actor = Depends(page_actor)
):
    with db(request).read() as session:
        item = verification_sheet.get_upload(session, actor, upload_id)
        return annotated_data_file(item.filename, item.content, item.errors, item.number)


@router.get("/verification-uploads/{upload_id}/file")
def verification_sheet_file(request: Request, upload_id: int, actor: Actor = Depends(page_actor)):
    with db(request).read() as session:
        item = verification_sheet.get_upload(session, actor, upload_id)
        return data_file(item.content, item.filename)


@router.get("/verification/{assignment_id}")
def verification_form(request: Request, assignment_id: int, actor: Actor = Depends(page_actor)):
    with db(request).read() as session:
        item = verification_ops.get_assignment(session, actor, assignment_id)
        result = verification_ops.result_of(session, item.id)
        unit = find_unit(session, item.unit_code)
    return render(
        request,
        "verify_form.html",
        {"item": item, "result": result, "unit": unit, "verdicts": verification_ops.VERDICTS},
    )


@router.post("/verification/{assignment_id}")
def record_verification(
    request: Request,
    assignment_id: int,
    verdict: str = Form(...),
    version: int = Form(...),
    recognizes: str = Form(...),  # required: an answer left out is not a "no"
    satisfied_team: str = Form(...),
    satisfied_cadre: str = Form(...),
    income_verified: str = Form(""),
    note: str = Form(""),
    actor: Actor = Depends(page_actor),
):
    verdict = choices.VERDICT.of(verdict)
    answers = (
        choices.RECOGNIZES.yes(recognizes),
        choices.SATISFIED_TEAM.yes(satisfied_team),
        choices.SATISFIED_CADRE.yes(satisfied_cadre),
    )
    income = choices.INCOME_VERIFIED.of(income_verified)
    with db(request).write(actor.username, "verification.record") as session:
        item = verification_ops.get_assignment(session, actor, assignment_id)
        verification_ops.record(
            session,
            actor,
            assignment_id,
            verification_ops.Verdict(verdict, *answers, income, note),
            version,
            today=today(),
        )
        cycle_id = item.cycle_id
    return RedirectResponse(f"/cycles/{cycle_id}/verification", status_code=303)
