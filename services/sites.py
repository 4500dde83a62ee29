"""The site tree 中心 → 所 → 站."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Site, SiteLevel
from services import validate
from services.errors import Duplicate, Invalid, NotFound

_CHILD_LEVEL = {SiteLevel.center: SiteLevel.station, SiteLevel.station: SiteLevel.point}


def create(session: Session, *, name: str, level: SiteLevel, parent_id: int | None = None,
           commit: bool = True) -> Site:
    """Add a site under its parent; the level must be one below the parent's."""
    try:
        name = validate.text(name, key="site", maximum=60)
    except Invalid as err:
        if err.key != "hygiene.characters":
            raise Invalid("error.site_name") from None
        raise
    parent = None
    if parent_id is not None:
        parent = session.get(Site, parent_id)
        if parent is None:
            raise NotFound(what="site")
        if _CHILD_LEVEL.get(parent.level) != level:
            raise Invalid("error.site_level")
    # Checked here, not left to the unique constraint: SQLite lets NULL parents repeat a name,
    # and a constraint error would reach the user as a raw IntegrityError.
    if session.exec(select(Site.id).where(Site.name == name, Site.parent_id == parent_id)
                    if parent_id is not None else
                    select(Site.id).where(Site.name == name, Site.parent_id.is_(None))).first():
        raise Duplicate("hygiene.site_name_taken", name=name)
    site = Site(name=name, level=level, parent_id=parent_id)
    session.add(site)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same name added by another server at the same moment
        raise Duplicate("hygiene.site_name_taken", name=name) from None
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
