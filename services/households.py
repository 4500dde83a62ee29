"""户: the household register of each 站 — head, address, optional phone, people, tags from a
managed list — and who may see what of it.

A household's phone and address are personal data: they are returned only to a role that
visits (permissions.SEE_PERSONAL_DATA) whose sites include the household's 站
(`permissions.sees_personal_data`); everyone else gets them blanked by the service, so no page,
export or log can show them by mistake. Nothing here writes them to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import (
    ContactPair,
    ContactVisit,
    Household,
    HouseholdTag,
    HouseholdTagLink,
    Site,
    SiteLevel,
    Volunteer,
)
from services import scope, validate
from services.errors import Duplicate, Invalid, NotFound
from services.permissions import Action, Actor, ensure_allowed, sees_personal_data

MAX_PEOPLE = 100
MAX_TAGS = 10


@dataclass(frozen=True)
class HouseholdInput:
    """A household as entered (a form or one row of an import)."""

    site_id: int | None
    head_name: str
    address: str
    phone: str = ""
    people: object = 1
    tag_ids: tuple[int, ...] = ()
    note: str = ""


# --- tags: the managed list ------------------------------------------------------------------


def tags(session: Session, *, active_only: bool = True) -> list[HouseholdTag]:
    q = select(HouseholdTag).order_by(HouseholdTag.sort_order, HouseholdTag.id)
    if active_only:
        q = q.where(HouseholdTag.active)
    return list(session.exec(q))


def add_tag(session: Session, *, actor: Actor, name: str) -> HouseholdTag:
    """Add a word to the list of household tags; managers."""
    ensure_allowed(actor, Action.MANAGE_HOUSEHOLD_TAGS)
    name = validate.text(name, key="tag_name", maximum=20)
    if session.exec(select(HouseholdTag).where(HouseholdTag.name == name)).first():
        raise Duplicate("error.tag_taken", name=name)
    last = session.exec(select(func.max(HouseholdTag.sort_order))).one() or 0
    tag = HouseholdTag(name=name, sort_order=last + 1)
    session.add(tag)
    session.commit()
    return tag


def set_tag_active(session: Session, *, actor: Actor, tag_id: int, active: bool) -> HouseholdTag:
    """Retire a tag (households keep it, new ones cannot get it) or bring it back; managers."""
    ensure_allowed(actor, Action.MANAGE_HOUSEHOLD_TAGS)
    tag = session.get(HouseholdTag, tag_id)
    if tag is None:
        raise NotFound(what="tag")
    tag.active = bool(active)
    session.add(tag)
    session.commit()
    return tag


# --- the register ------------------------------------------------------------------------------


def _village(session: Session, actor: Actor, action: Action, site_id: int | None) -> Site:
    site = session.get(Site, site_id) if site_id else None
    if site is None or site.level != SiteLevel.point:
        raise Invalid("error.household_village")
    ensure_allowed(actor, action, site_path=site.path)
    return site


def field_rules(raw: HouseholdInput) -> list[tuple[str, object]]:
    """The household's own fields, each with its check (an import names each bad cell)."""
    return [
        ("head_name", lambda: validate.text(raw.head_name, key="head_name", maximum=40)),
        ("address", lambda: validate.text(raw.address, key="address", maximum=120)),
        ("phone", lambda: validate.phone(raw.phone)),
        ("people", lambda: validate.whole(raw.people, key="household_people", minimum=1,
                                          maximum=MAX_PEOPLE)),
        ("note", lambda: validate.text(raw.note, key="note", maximum=200, required=False)),
    ]


def clean(session: Session, actor: Actor, raw: HouseholdInput, *, action: Action,
          active_tags: dict[int, HouseholdTag] | None = None) -> dict:
    """A household checked: a 站 within the actor's sites, a head and an address, a phone in a
    valid format when given, 1–100 people, tags from the active list."""
    site = _village(session, actor, action, raw.site_id)
    known = active_tags if active_tags is not None else {t.id: t for t in tags(session)}
    tag_ids = tuple(dict.fromkeys(raw.tag_ids))
    if len(tag_ids) > MAX_TAGS or any(t not in known for t in tag_ids):
        raise Invalid("error.household_tag")
    fields = {name: rule() for name, rule in field_rules(raw)}
    return {"site_id": site.id, **fields, "tag_ids": tag_ids}


def _duplicate(session: Session, fields: dict, household_id: int | None = None) -> bool:
    q = select(Household.id).where(Household.site_id == fields["site_id"],
                                   Household.head_name == fields["head_name"],
                                   Household.address == fields["address"])
    if household_id is not None:
        q = q.where(Household.id != household_id)
    return session.exec(q).first() is not None


def write(session: Session, fields: dict) -> Household:
    """Add an already checked household and its tags; the caller commits."""
    tag_ids = fields["tag_ids"]
    household = Household(**{k: v for k, v in fields.items() if k != "tag_ids"})
    session.add(household)
    session.flush()
    for tag_id in tag_ids:
        session.add(HouseholdTagLink(household_id=household.id, tag_id=tag_id))
    return household


def create(session: Session, *, actor: Actor, raw: HouseholdInput) -> Household:
    """Register a household in a 站; officers and managers within their sites. The same head at
    the same address in the same 站 is refused as a duplicate."""
    ensure_allowed(actor, Action.MANAGE_HOUSEHOLDS)
    fields = clean(session, actor, raw, action=Action.MANAGE_HOUSEHOLDS)
    if _duplicate(session, fields):
        raise Duplicate("error.household_taken", name=fields["head_name"])
    household = write(session, fields)
    try:
        session.commit()
    except IntegrityError:  # the same household registered meanwhile by someone else
        session.rollback()
        raise Duplicate("error.household_taken", name=fields["head_name"]) from None
    return household


def load_for(session: Session, actor: Actor, action: Action, household_id: int) -> Household:
    """The household, once the actor may do this to it (role, and its 站 within their sites)."""
    ensure_allowed(actor, action)
    household = session.get(Household, household_id) if household_id else None
    if household is None:
        raise NotFound(what="household")
    site = session.get(Site, household.site_id)
    if not site.path.startswith(actor.site_path):
        raise NotFound(what="household")  # another site's households are not told of
    return household


def update(session: Session, *, actor: Actor, household_id: int, raw: HouseholdInput,
           active: bool = True) -> Household:
    """Change a household's details and tags, or mark it gone (moved away); officers and
    managers within their sites. Retired tags it already has may stay."""
    household = load_for(session, actor, Action.MANAGE_HOUSEHOLDS, household_id)
    held = set(session.exec(select(HouseholdTagLink.tag_id)
                            .where(HouseholdTagLink.household_id == household.id)))
    allowed_tags = {t.id: t for t in tags(session, active_only=False)
                    if t.active or t.id in held}
    fields = clean(session, actor, raw, action=Action.MANAGE_HOUSEHOLDS, active_tags=allowed_tags)
    if _duplicate(session, fields, household.id):
        raise Duplicate("error.household_taken", name=fields["head_name"])
    for key in ("site_id", "head_name", "address", "phone", "people", "note"):
        setattr(household, key, fields[key])
    household.active = bool(active)
    session.add(household)
    for link in session.exec(select(HouseholdTagLink)
                             .where(HouseholdTagLink.household_id == household.id)):
        session.delete(link)
    session.flush()
    for tag_id in fields["tag_ids"]:
        session.add(HouseholdTagLink(household_id=household.id, tag_id=tag_id))
    session.commit()
    return household


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdFilter:
    site_id: int | None = None
    search: str = ""
    tag_id: int | None = None
    active: bool = True


def of_actor(session: Session, actor: Actor) -> list:
    """The actor's households as conditions on Household ([] for the whole tree)."""
    if scope.whole_tree(session, actor):
        return []
    return [Household.site_id.in_(scope.sites_under(actor.site_path))]


def conditions(session: Session, actor: Actor, flt: HouseholdFilter) -> list:
    conds = [*of_actor(session, actor), Household.active.is_(flt.active)]
    if flt.site_id:
        conds.append(Household.site_id.in_(scope.sites_under_id(session, flt.site_id)))
    if flt.search.strip():
        like = f"%{flt.search.strip()}%"
        conds.append(or_(Household.head_name.like(like), Household.address.like(like)))
    if flt.tag_id:
        conds.append(exists().where(HouseholdTagLink.household_id == Household.id,
                                    HouseholdTagLink.tag_id == flt.tag_id))
    return conds


def page(session: Session, *, actor: Actor, flt: HouseholdFilter = HouseholdFilter(),
         offset: int = 0, limit: int = 50) -> tuple[list[dict], int]:
    """Households the actor may see, by 站 then head's name, one page at a time, with tags, the
    contact member and the last visit. Phone and address only where the actor may see them."""
    ensure_allowed(actor, Action.VIEW_HOUSEHOLDS)
    conds = conditions(session, actor, flt)
    total = session.exec(select(func.count()).select_from(Household).where(*conds)).one()
    ids = list(session.exec(select(Household.id).where(*conds)
                            .order_by(Household.site_id, Household.head_name, Household.id)
                            .offset(offset).limit(limit)))
    return rows_for(session, actor, ids), total


def tag_names(session: Session, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for hid, name in session.exec(
            select(HouseholdTagLink.household_id, HouseholdTag.name)
            .join(HouseholdTag, HouseholdTag.id == HouseholdTagLink.tag_id)
            .where(HouseholdTagLink.household_id.in_(ids))
            .order_by(HouseholdTag.sort_order, HouseholdTag.id)):
        found.setdefault(hid, []).append(name)
    return found


def rows_for(session: Session, actor: Actor, ids: list[int]) -> list[dict]:
    """The listed households as dicts, personal data blanked where the actor may not see it."""
    if not ids:
        return []
    names = tag_names(session, ids)
    contacts = dict(session.exec(
        select(ContactPair.household_id, Volunteer.name)
        .join(Volunteer, Volunteer.id == ContactPair.volunteer_id)
        .where(ContactPair.household_id.in_(ids), ContactPair.ended_on.is_(None))).all())
    visits = dict(session.exec(
        select(ContactVisit.household_id, func.max(ContactVisit.visited_on))
        .where(ContactVisit.household_id.in_(ids)).group_by(ContactVisit.household_id)).all())
    rows = session.exec(select(Household, Site.name, Site.path)
                        .join(Site, Site.id == Household.site_id)
                        .where(Household.id.in_(ids))).all()
    by_id = {h.id: (h, site, path) for h, site, path in rows}
    out = []
    for hid in ids:
        h, site, path = by_id[hid]
        personal = sees_personal_data(actor, path)
        out.append({"id": h.id, "site_id": h.site_id, "site": site, "head_name": h.head_name,
                    "address": h.address if personal else "",
                    "phone": h.phone if personal else "", "people": h.people,
                    "tags": names.get(hid, []), "note": h.note, "active": h.active,
                    "contact": contacts.get(hid, ""), "last_visit": visits.get(hid)})
    return out


def detail(session: Session, *, actor: Actor, household_id: int) -> dict:
    """One household for its edit form: the fields, its tag ids (personal data as in page)."""
    household = load_for(session, actor, Action.VIEW_HOUSEHOLDS, household_id)
    row = rows_for(session, actor, [household.id])[0]
    row["tag_ids"] = list(session.exec(select(HouseholdTagLink.tag_id)
                                       .where(HouseholdTagLink.household_id == household.id)))
    return row


CHOICES_MAX = 1000  # a 站's households to pick from (300 at county scale)


def choices(session: Session, *, actor: Actor, site_id: int | None, search: str = "",
            limit: int = 50) -> list[dict]:
    """Active households to pick from (a survey's respondent, a pairing), of one 站 when given:
    id, head's name, 站, and the address where the actor may see it."""
    ensure_allowed(actor, Action.VIEW_HOUSEHOLDS)
    flt = HouseholdFilter(site_id=site_id, search=search)
    q = (select(Household.id).where(*conditions(session, actor, flt))
         .order_by(Household.site_id, Household.head_name, Household.id).limit(limit))
    return rows_for(session, actor, list(session.exec(q)))
