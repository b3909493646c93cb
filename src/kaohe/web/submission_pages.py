"""Screens of data collection (数据报送): a cycle's submissions with their versions, the
prefilled template to fill in, the upload and its checked result, and each version's original or
error-annotated file."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile

from ..i18n import text
from ..workflow import cycles as cycle_ops
from ..workflow import submissions as submission_ops
from ..workflow.collection import catalog, prefill, template
from ..workflow.errors import Forbidden
from ..workflow.roles import Actor, require
from ..workflow.unit_lookup import unit_names
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


@router.get("/cycles/{cycle_id}/submissions")
def submissions_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    require(actor, "submission.view")
    with db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        sources = [s for s in catalog().values() if submission_ops.may_submit(actor, s)]
        subs = submission_ops.visible_submissions(session, actor, cycle_id)
        history = {s.id: submission_ops.versions(session, s.id) for s in subs}
        names = unit_names(session, (s.unit_code for s in subs))
    return render(
        request,
        "submissions.html",
        {
            "cycle": cycle,
            "sources": sources,
            "subs": subs,
            "history": history,
            "names": names,
            "catalog": catalog(),
            "open": cycle.state == "submission",
        },
    )


@router.get("/cycles/{cycle_id}/submissions/{source_id}/template")
def download_template(
    request: Request, cycle_id: int, source_id: str, actor: Actor = Depends(page_actor)
):
    require(actor, "submission.upload")
    source = submission_ops.source_for(actor, source_id)
    if not submission_ops.may_submit(actor, source):
        raise Forbidden(text("您的角色不报送该数据", "your role does not submit this source"))
    with db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        units = submission_ops.reporting_units(session, actor, source)
        values, spared = prefill(session, source, [u.code for u in units], cycle.period)
    content = template(source, units, values, spared)
    return download(content, f"{source.label}-{cycle.period}.xlsx", XLSX)


@router.post("/cycles/{cycle_id}/submissions/{source_id}")
async def upload_submission(
    request: Request,
    cycle_id: int,
    source_id: str,
    file: UploadFile = File(...),
    actor: Actor = Depends(page_actor),
):
    filename, content = await read_upload(file)

    def store(session) -> dict:
        made = submission_ops.upload(
            session, actor, cycle_id, source_id, filename, content, today=today()
        )
        return {
            "submission_id": made.submission.id,
            "number": made.version.number,
            "accepted": made.accepted,
            "errors": made.errors,
        }

    shown = await write_off_loop(request, actor, "submission.upload", store)
    return checked_upload_page(
        request,
        "upload_result.html",
        {"cycle_id": cycle_id, "source": catalog()[source_id], "filename": filename, **shown},
    )


@router.get("/submissions/{submission_id}/versions/{number}/annotated")
def annotated(
    request: Request, submission_id: int, number: int, actor: Actor = Depends(page_actor)
):
    with db(request).read() as session:
        _, version = submission_ops.get_version(session, actor, submission_id, number)
        return annotated_data_file(version.filename, version.content, version.errors, number)


@router.get("/submissions/{submission_id}/versions/{number}/file")
def original_file(
    request: Request, submission_id: int, number: int, actor: Actor = Depends(page_actor)
):
    with db(request).read() as session:
        _, version = submission_ops.get_version(session, actor, submission_id, number)
        return data_file(version.content, version.filename)
