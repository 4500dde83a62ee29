"""The audit log's one writer: every login, account and settings change, import, export and
rating link goes through `record`, named by an AuditAction. The caller commits, so the row is
part of the change it records."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.db import utcnow
from models import AuditAction, AuditLog


def record(session: Session, action: AuditAction, *, actor_id: int | None, target: str = "",
           detail: str = "", at: datetime | None = None) -> None:
    """Add one audit row to the session's transaction; target and detail are cut to fit."""
    session.add(AuditLog(at=at or utcnow(), actor_id=actor_id, action=AuditAction(action).value,
                         target=target[:100], detail=detail[:1000]))
