"""The audit log screen (审计日志): the newest entries first, a hundred a page, for the
administrator and auditors."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ..workflow.audit_trail import recent_entries
from ..workflow.roles import Actor
from .app_state import db
from .auth import page_actor
from .rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(request: Request, before: int | None = None, actor: Actor = Depends(page_actor)):
    with db(request).read() as session:
        entries = recent_entries(session, actor, before)
    return render(request, "audit.html", {"entries": entries})
