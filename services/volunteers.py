"""Volunteers (志愿者): who they are, their teams, their hours, stars and points."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, select

from models import Gender, ServiceRecord, Site, Team, Volunteer, VolunteerTeam
from services import points, validate
from services import settings as settings_service
from services.errors import Checks, Duplicate, NotFound
from services.figures import half_up
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed


def _clean(session: Session, actor: Actor, *, name: str, phone: str, site_id: int,
           skills: str, team_ids, gender: Gender | None,
           volunteer_id: int | None = None) -> tuple[str, str, str]:
    check = Checks()
    if gender not in tuple(Gender):
        check.fail("error.choose", field="gender")
    name = check(validate.text, name, key="name", maximum=40)
    phone = check(validate.phone, phone, required=True)
    skills = check(validate.text, skills, key="skills", maximum=200, required=False)
    site = session.get(Site, site_id) if site_id else None
    if site is None:
        check.fail("error.site_required")
    else:
        ensure_allowed(actor, Action.MANAGE_VOLUNTEERS, site_path=site.path)
    if phone is not None:
        clash = select(Volunteer.id).where(Volunteer.phone == phone)
        if volunteer_id is not None:
            clash = clash.where(Volunteer.id != volunteer_id)
        if session.exec(clash).first() is not None:
            check.problems.append(Duplicate("error.phone_taken", phone=phone))
    check.done()
    for team_id in team_ids:
        if session.get(Team, team_id) is None:
            raise NotFound(what="team")
    return name, phone, skills


def create(session: Session, *, actor: Actor, name: str, phone: str, gender: Gender,
           site_id: int, party_member: bool = False, skills: str = "",
           registered_on: date | None = None, team_ids: tuple[int, ...] = (),
           commit: bool = True) -> Volunteer:
    """Register a volunteer in the manager's subtree; a phone number belongs to one volunteer."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    name, phone, skills = _clean(session, actor, name=name, phone=phone, site_id=site_id,
                                 skills=skills, team_ids=team_ids, gender=gender)
    vol = Volunteer(name=name, phone=phone, gender=gender, site_id=site_id,
                    party_member=party_member, skills=skills,
                    registered_on=registered_on or date.today())
    session.add(vol)
    session.flush()
    for team_id in set(team_ids):
        session.add(VolunteerTeam(volunteer_id=vol.id, team_id=team_id))
    if commit:
        session.commit()
    return vol


def update(session: Session, *, actor: Actor, volunteer_id: int, name: str, phone: str,
           gender: Gender, site_id: int, party_member: bool, skills: str,
           team_ids: tuple[int, ...], active: bool) -> Volunteer:
    """Edit a volunteer, their teams and whether they are active."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    vol = session.get(Volunteer, volunteer_id)
    if vol is None:
        raise NotFound(what="volunteer")
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS, site_path=session.get(Site, vol.site_id).path)
    name, phone, skills = _clean(session, actor, name=name, phone=phone, site_id=site_id,
                                 skills=skills, team_ids=team_ids, gender=gender,
                                 volunteer_id=volunteer_id)
    vol.name, vol.phone, vol.gender, vol.site_id = name, phone, gender, site_id
    vol.party_member, vol.skills, vol.active = party_member, skills, active
    session.add(vol)
    for link in session.exec(select(VolunteerTeam).where(VolunteerTeam.volunteer_id == vol.id)):
        session.delete(link)
    session.flush()
    for team_id in set(team_ids):
        session.add(VolunteerTeam(volunteer_id=vol.id, team_id=team_id))
    session.commit()
    return vol


def page(session: Session, *, actor: Actor, search: str = "", team_id: int | None = None,
         offset: int = 0, limit: int = 50) -> tuple[list[dict], int]:
    """Volunteers in scope, a page at a time, with hours, stars and points summed in SQL."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    q = (select(Volunteer.id).join(Site, Site.id == Volunteer.site_id)
         .where(Site.path.startswith(actor.site_path)))
    if search.strip():
        like = f"%{search.strip()}%"
        q = q.where(or_(Volunteer.name.like(like), Volunteer.phone.like(like)))
    if team_id is not None:
        q = q.where(Volunteer.id.in_(select(VolunteerTeam.volunteer_id)
                                     .where(VolunteerTeam.team_id == team_id)))
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    ids = list(session.exec(q.order_by(Volunteer.active.desc(), Volunteer.name, Volunteer.id)
                            .offset(offset).limit(limit)))
    if not ids:
        return [], total
    hours = dict(session.exec(select(ServiceRecord.volunteer_id, func.sum(ServiceRecord.hours))
                              .where(ServiceRecord.volunteer_id.in_(ids))
                              .group_by(ServiceRecord.volunteer_id)).all())
    balances = points.balances(session, ids)
    teams: dict[int, list[tuple[int, str]]] = {}
    for vid, tid, tname in session.exec(
            select(VolunteerTeam.volunteer_id, Team.id, Team.name)
            .join(Team, Team.id == VolunteerTeam.team_id)
            .where(VolunteerTeam.volunteer_id.in_(ids))):
        teams.setdefault(vid, []).append((tid, tname))
    values = settings_service.current(session)
    rows = session.exec(select(Volunteer, Site.name).join(Site, Site.id == Volunteer.site_id)
                        .where(Volunteer.id.in_(ids))).all()
    by_id = {v.id: (v, site) for v, site in rows}
    out = []
    for vid in ids:
        v, site = by_id[vid]
        h = float(hours.get(vid) or 0)
        out.append({"id": v.id, "name": v.name, "phone": v.phone, "gender": v.gender.value,
                    "site": site, "site_id": v.site_id, "party_member": v.party_member,
                    "skills": v.skills, "registered_on": v.registered_on, "active": v.active,
                    "team_ids": [t for t, _ in teams.get(vid, [])],
                    "teams": NAME_SEP.join(n for _, n in teams.get(vid, [])),
                    "hours": half_up(h, 1), "stars": settings_service.star_level(h, values),
                    "points": balances.get(vid, 0)})
    return out, total
