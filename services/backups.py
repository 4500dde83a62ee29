"""A manager's backup download from 设置: the whole database, checked and compressed, audited.

The whole database holds every site's data and every account's password hash, so only a
manager whose sites cover every site of the install (the top 中心, or the 所 of a town install)
may take it; a manager lower in a county's tree is refused. Operators take their backups with
`python -m diandan backup`.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from core import backup
from models import AuditAction, Role, Site
from services import audit
from services.errors import Forbidden
from services.permissions import Action, Actor, ensure_allowed


def may_download(session: Session, actor: Actor) -> bool:
    """A manager whose subtree holds every site of the install."""
    outside = session.exec(select(func.count()).select_from(Site).where(
        ~Site.path.startswith(actor.site_path))).one()
    return actor.role == Role.manager and outside == 0


def download(session: Session, *, actor: Actor, url: str) -> tuple[str, bytes]:
    """A checked, gzip-compressed backup of the whole database (file name, content); managers
    of the top site only; every download is in the audit log."""
    ensure_allowed(actor, Action.MANAGE_SETTINGS)
    if not may_download(session, actor):
        raise Forbidden(action=Action.MANAGE_SETTINGS.value)
    session.rollback()  # hold nothing while the copy is taken
    name, content = backup.for_download(url)
    audit.record(session, AuditAction.backup_download, actor_id=actor.id, target=name,
                 detail=f"bytes={len(content)}")
    session.commit()
    return name, content
