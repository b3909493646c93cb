"""Evidence files (attachments) of appeals and rectification items: opened only by those who may
see what they are attached to."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..i18n import text
from ..store.models import Appeal, Attachment, Unit
from . import rectification
from .errors import NotFound
from .roles import Actor, require, require_unit


def open_attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """The attachment, once the actor's right to its owner is checked (read ``content`` in the
    same session: it is loaded on access)."""
    item = session.get(Attachment, attachment_id)
    if item is None:
        raise NotFound(text("没有该附件", "no such attachment"))
    if item.owner_kind == "rectification":
        rectification.get(session, actor, item.owner_id)
    else:
        owner = session.get(Appeal, item.owner_id)
        require(actor, "finding.view")
        require_unit(actor, session.get(Unit, owner.unit_code))
    return item
