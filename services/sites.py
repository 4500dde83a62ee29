"""The site tree 中心 → 所 → 站."""

from __future__ import annotations

from sqlmodel import Session, select

from models import Site, SiteLevel
from services.errors import Invalid, NotFound

MAX_NAME = 60
_CHILD_LEVEL = {SiteLevel.center: SiteLevel.station, SiteLevel.station: SiteLevel.point}


def create(session: Session, *, name: str, level: SiteLevel, parent_id: int | None = None,
           commit: bool = True) -> Site:
    """Add a site under its parent; the level must be one below the parent's."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid("error.site_name")
    parent = None
    if parent_id is not None:
        parent = session.get(Site, parent_id)
        if parent is None:
            raise NotFound(what="site")
        if _CHILD_LEVEL.get(parent.level) != level:
            raise Invalid("error.site_level")
    site = Site(name=name, level=level, parent_id=parent_id)
    session.add(site)
    session.flush()
    site.path = f"{parent.path if parent else '/'}{site.id}/"
    session.add(site)
    if commit:
        session.commit()
    return site


def get(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(what="site")
    return site


def subtree(session: Session, path: str) -> list[Site]:
    """All sites at or below a path, parents before children."""
    return list(session.exec(select(Site).where(Site.path.startswith(path)).order_by(Site.path)))


def villages(session: Session, path: str) -> list[Site]:
    """The 站 in a subtree (or the site itself when it is a 站)."""
    return [s for s in subtree(session, path) if s.level == SiteLevel.point]


def any_exist(session: Session) -> bool:
    return session.exec(select(Site.id).limit(1)).first() is not None
