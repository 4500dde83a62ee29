"""The site tree 中心 → 所 → 站: reading it, and the manager's changes to it (add, rename, move,
deactivate, import a list of villages from Excel)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import UNFINISHED, AuditAction, Site, SiteLevel, Team, Volunteer, WorkOrder
from services import audit, validate, xlsx
from services.errors import Checks, Duplicate, Forbidden, Invalid, NotFound
from services.permissions import Action, Actor, ensure_allowed, in_scope

MAX_NAME = 60
_CHILD_LEVEL = {SiteLevel.center: SiteLevel.station, SiteLevel.station: SiteLevel.point}
_PARENT_LEVEL = {child: parent for parent, child in _CHILD_LEVEL.items()}


def _clean_name(name: str) -> str:
    """The name as stored (validate.text's cleaning); a blank or too long one is refused as
    error.site_name, characters that cannot be stored as hygiene.characters."""
    try:
        return validate.text(name, key="site", maximum=MAX_NAME)
    except Invalid as err:
        if err.key != "hygiene.characters":
            raise Invalid("error.site_name") from None
        raise


def create(session: Session, *, name: str, level: SiteLevel, parent_id: int | None = None,
           commit: bool = True) -> Site:
    """Add a site under its parent; the level must be one below the parent's."""
    name = _clean_name(name)
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


def subtree(session: Session, path: str, *, active_only: bool = False) -> list[Site]:
    """All sites at or below a path, parents before children."""
    query = select(Site).where(Site.path.startswith(path))
    if active_only:
        query = query.where(Site.active)
    return list(session.exec(query.order_by(Site.path)))


def villages(session: Session, path: str, *, active_only: bool = False) -> list[Site]:
    """The 站 in a subtree (or the site itself when it is a 站)."""
    return [s for s in subtree(session, path, active_only=active_only)
            if s.level == SiteLevel.point]


def any_exist(session: Session) -> bool:
    return session.exec(select(Site.id).limit(1)).first() is not None


def ensure_active(site: Site) -> None:
    """New work is not recorded for a deactivated site."""
    if not site.active:
        raise Invalid("error.site_inactive", name=site.name)


def ensure_open_for_members(site: Site, *, kept_site_id: int | None = None) -> None:
    """No new account, team or volunteer on a deactivated site; a row already there keeps its
    site when edited (`kept_site_id`: the row's site before the edit)."""
    if not site.active and site.id != kept_site_id:
        raise Invalid("inactive_site.refused", name=site.name)


# --- the manager's 站点 page ----------------------------------------------------------------------


def open_orders_below(session: Session, path: str) -> int:
    """Orders not yet done nor cancelled (待审核 included) at this site or below it."""
    return session.exec(select(func.count()).select_from(WorkOrder)
                        .join(Site, Site.id == WorkOrder.site_id)
                        .where(Site.path.startswith(path), WorkOrder.status.in_(UNFINISHED))).one()


def tree(session: Session, *, actor: Actor) -> list[dict]:
    """The manager's subtree, parents before children, with what hangs on each site: its open
    orders (itself and below), its teams and volunteers (itself only). Three GROUP BYs."""
    ensure_allowed(actor, Action.MANAGE_SITES)
    places = subtree(session, actor.site_path)
    ids = [p.id for p in places]

    def counted(model, *where) -> dict[int, int]:
        return dict(session.exec(select(model.site_id, func.count()).where(
            model.site_id.in_(ids), *where).group_by(model.site_id)).all())

    open_orders = counted(WorkOrder, WorkOrder.status.in_(UNFINISHED))
    team_count = counted(Team, Team.active)
    volunteer_count = counted(Volunteer, Volunteer.active)
    names = {p.id: p.name for p in places}
    top = actor.site_path.count("/")
    return [{"id": p.id, "name": p.name, "level": p.level.value, "parent_id": p.parent_id,
             "parent": names.get(p.parent_id, ""), "depth": p.path.count("/") - top,
             "active": p.active,
             "open_orders": sum(n for sid, n in open_orders.items()
                                if _path_of(places, sid).startswith(p.path)),
             "teams": team_count.get(p.id, 0), "volunteers": volunteer_count.get(p.id, 0)}
            for p in places]


def _path_of(places: list[Site], site_id: int) -> str:
    return next((p.path for p in places if p.id == site_id), "")


def _managed(session: Session, actor: Actor, site_id: int | None) -> Site:
    ensure_allowed(actor, Action.MANAGE_SITES)
    site = session.get(Site, site_id) if site_id else None
    if site is None or not in_scope(actor, site.path):
        raise NotFound(what="site")
    return site


def _name_free(session: Session, parent_id: int | None, name: str,
               site_id: int | None = None) -> None:
    clash = select(Site.id).where(Site.parent_id == parent_id, Site.name == name)
    if site_id is not None:
        clash = clash.where(Site.id != site_id)
    if session.exec(clash).first() is not None:
        raise Duplicate("error.site_name_taken", name=name)


def add(session: Session, *, actor: Actor, name: str, parent_id: int | None) -> Site:
    """Add a 所 under a 中心 or a 站 under a 所, within the manager's subtree; the level follows
    from the parent."""
    check = Checks()
    name = check(validate.text, name, key="site_name", maximum=MAX_NAME)
    parent = _managed(session, actor, parent_id) if parent_id else None
    if parent is None:
        check.fail("error.choose", field="parent_site")
    elif parent.level not in _CHILD_LEVEL:
        check.fail("error.site_no_children", name=parent.name)
    elif name is not None:
        check(_name_free, session, parent.id, name)
    check.done()
    site = create(session, name=name, level=_CHILD_LEVEL[parent.level], parent_id=parent.id,
                  commit=False)
    audit.record(session, AuditAction.site_create, actor_id=actor.id, target=name[:100],
                 detail=f"parent={parent.id}")
    session.commit()
    return site


def rename(session: Session, *, actor: Actor, site_id: int, name: str) -> Site:
    """Give a site in the manager's subtree a new name, unique among its siblings."""
    site = _managed(session, actor, site_id)
    name = validate.text(name, key="site_name", maximum=MAX_NAME)
    _name_free(session, site.parent_id, name, site.id)
    before, site.name = site.name, name
    session.add(site)
    audit.record(session, AuditAction.site_update, actor_id=actor.id, target=name[:100],
                 detail=f"renamed from {before}"[:1000])
    session.commit()
    return site


def move(session: Session, *, actor: Actor, site_id: int, parent_id: int) -> Site:
    """Put a site under another parent of the same level (a 站 under another 所); the paths of
    the site and everything below it follow. The manager's own site stays where it is."""
    site = _managed(session, actor, site_id)
    if site.path == actor.site_path:
        raise Forbidden(action=Action.MANAGE_SITES.value)
    if parent_id is None:
        raise Invalid("error.choose", field="parent_site")
    parent = _managed(session, actor, parent_id)
    if parent.level != _PARENT_LEVEL.get(site.level):
        raise Invalid("error.site_level")
    if parent.id == site.parent_id:
        return site
    _name_free(session, parent.id, site.name, site.id)
    old, new = site.path, f"{parent.path}{site.id}/"
    for below in subtree(session, old):
        below.path = new + below.path[len(old):]
        session.add(below)
    site.parent_id = parent.id
    session.add(site)
    audit.record(session, AuditAction.site_update, actor_id=actor.id, target=site.name[:100],
                 detail=f"moved to {parent.id}")
    session.commit()
    return site


def set_active(session: Session, *, actor: Actor, site_id: int, active: bool) -> Site:
    """Deactivate a site (refused while it or a site below has open orders, or active sites
    below it) or bring it back; never the manager's own site."""
    site = _managed(session, actor, site_id)
    if site.path == actor.site_path:
        raise Invalid("error.site_own")
    if not active:
        waiting = open_orders_below(session, site.path)
        if waiting:
            raise Invalid("error.site_open_orders", name=site.name, count=waiting)
        children = session.exec(select(func.count()).select_from(Site).where(
            Site.parent_id == site.id, Site.active)).one()
        if children:
            raise Invalid("error.site_active_children", name=site.name, count=children)
    elif not session.get(Site, site.parent_id).active:
        raise Invalid("error.site_parent_inactive", name=site.name)
    site.active = active
    session.add(site)
    audit.record(session, AuditAction.site_activate if active else AuditAction.site_deactivate,
                 actor_id=actor.id, target=site.name[:100])
    session.commit()
    return site


# --- a list of villages from Excel ------------------------------------------------------------

# The file format (data, not screen text): one 站 a row, the 所 it belongs to. With one 所 in the
# manager's subtree the second column may be left empty.
COLUMNS = (("name", "村（站）名称"), ("parent", "所属所"))
HEADERS = tuple(h for _c, h in COLUMNS)
SHEET = "站点"
MAX_ROWS = 500


@dataclass
class RowError:
    row: int
    column: str
    key: str
    params: dict = field(default_factory=dict)


@dataclass
class VillagePreview:
    rows: list[dict]
    errors: list[RowError]
    clean: list[tuple[str, int]] = field(default_factory=list)  # (name, parent id)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def _text(value) -> str:
    return "" if value is None else str(value).strip()


class _Villages:
    """What one row of the file is checked against: the manager's active 所, by name, and the
    rows already read (a village listed twice)."""

    def __init__(self, session: Session, actor: Actor):
        self.session = session
        self.stations = [s for s in subtree(session, actor.site_path, active_only=True)
                         if s.level == SiteLevel.station]
        self.seen: set[tuple[str, int]] = set()

    def problems(self, name: str, parent_name: str) -> tuple[list[tuple], tuple | None]:
        """(column, key, params) for each bad cell, and the clean (name, parent id) or None."""
        bad = []
        try:
            name = _clean_name(name)
        except Invalid as err:
            bad.append(("name", err.key, err.params))
        parents = ([s for s in self.stations if s.name == parent_name] if parent_name
                   else self.stations)
        if len(parents) != 1:
            bad.append(("parent", "error.import_station_missing" if not parents else
                        "error.import_site_ambiguous", {"name": parent_name}))
            return bad, None
        parent = parents[0]
        if bad:
            return bad, None
        if (name, parent.id) in self.seen:
            return [("name", "error.import_site_twice", {"name": name})], None
        self.seen.add((name, parent.id))
        if self.session.exec(select(Site.id).where(Site.parent_id == parent.id,
                                                   Site.name == name)).first() is not None:
            return [("name", "error.site_name_taken", {"name": name})], None
        return [], (name, parent.id)


def preview_villages(session: Session, *, actor: Actor, content: bytes) -> VillagePreview:
    """Check a list of villages without writing: each bad cell named by row and column. The
    header row may sit below a title row (a merged 标题 row is the usual shape of such a sheet)."""
    ensure_allowed(actor, Action.MANAGE_SITES)
    rows = xlsx.first_sheet_rows(content, max_rows=MAX_ROWS, columns=len(HEADERS) + 1)
    if not rows:
        raise Invalid("error.import_empty")
    start = xlsx.header_row(rows, HEADERS)
    xlsx.check_header(rows[start], HEADERS)
    header = dict(COLUMNS)
    check = _Villages(session, actor)
    result = VillagePreview(rows=[], errors=[])
    for number, raw in enumerate(rows[start + 1:], start=start + 2):
        name, parent_name = (_text(v) for v in (tuple(raw) + (None, None))[:2])
        if not name and not parent_name:
            continue
        result.rows.append({"row": number, "name": name, "parent": parent_name})
        bad, clean = check.problems(name, parent_name)
        result.errors += [RowError(number, header[col], key, params) for col, key, params in bad]
        if clean:
            result.clean.append(clean)
    if not result.rows:
        raise Invalid("error.import_empty")
    return result


def import_villages(session: Session, *, actor: Actor, content: bytes,
                    file_name: str = "") -> VillagePreview:
    """Add every 站 of a fully valid file in one transaction, or none."""
    result = preview_villages(session, actor=actor, content=content)
    if not result.ok:
        raise Invalid("error.import_has_errors", count=len(result.errors))
    for name, parent_id in result.clean:
        create(session, name=name, level=SiteLevel.point, parent_id=parent_id, commit=False)
    audit.record(session, AuditAction.sites_import, actor_id=actor.id, target=file_name[:100],
                 detail=f"villages={len(result.clean)}")
    session.commit()
    return result


def template() -> bytes:
    """An empty villages sheet with the header row."""
    import io

    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    xlsx.write_sheet(book, bold, SHEET, HEADERS, [], (24, 24))
    book.close()
    return buffer.getvalue()
