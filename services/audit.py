"""The audit log's one writer: every login, account and settings change, import, export and
rating link goes through `record`, named by an AuditAction. The caller commits, so the row is
part of the change it records."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from core.db import utcnow
from models import AuditAction, AuditLog


def record(session: Session, action: AuditAction, *, actor_id: int | None, target: str = "",
           detail: str = "", at: datetime | None = None) -> None:
    """Add one audit row to the session's transaction; target and detail are cut to fit."""
    session.add(AuditLog(at=at or utcnow(), actor_id=actor_id, action=AuditAction(action).value,
                         target=target[:100], detail=detail[:1000]))


def count(session: Session, action: AuditAction, *, target: str, at: datetime | None = None,
          actor_id: int | None = None) -> None:
    """Count a repeated event in one row per action, target and hour ("attempts=N"), so that
    guessing a thousand names a thousand times adds a thousand rows, not a million."""
    at = at or utcnow()
    hour = at.replace(minute=0, second=0, microsecond=0)
    target = target[:100]
    row = session.exec(select(AuditLog).where(
        AuditLog.action == AuditAction(action).value, AuditLog.target == target,
        AuditLog.at == hour).limit(1)).first()
    if row is None:
        row = AuditLog(at=hour, actor_id=actor_id, action=AuditAction(action).value,
                       target=target, detail="attempts=0")
    row.detail = f"attempts={int(row.detail.removeprefix('attempts=') or 0) + 1}"
    session.add(row)
