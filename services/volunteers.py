"""Volunteers (志愿者): who they are, their teams and skill tags, their hours, stars and points;
who has not served for a while (re-engagement) and who is no longer active.

A phone number is shown in full only to managers of the volunteer's site
(permissions.shows_phone); every list that carries one to anyone else masks it here.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    AuditAction,
    Gender,
    ServiceRecord,
    Site,
    Skill,
    Team,
    Volunteer,
    VolunteerSkill,
    VolunteerTeam,
)
from services import audit, points, sites, validate
from services import settings as settings_service
from services.clock import local_midnight_utc, local_today
from services.errors import Checks, Duplicate, Invalid, NotFound
from services.figures import half_up
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed, shows_phone


def masked_phone(phone: str) -> str:
    """138****0001: enough to recognise a number, not to call it."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def phone_for(actor: Actor, site_path: str, phone: str) -> str:
    """The number as this actor may see it (permissions.shows_phone)."""
    return phone if shows_phone(actor, site_path) else masked_phone(phone)


def link(session: Session, volunteer_id: int, *, team_ids=(), skill_ids=()) -> None:
    """Replace a volunteer's teams and skill tags; the caller commits."""
    for model in (VolunteerTeam, VolunteerSkill):
        for row in session.exec(select(model).where(model.volunteer_id == volunteer_id)):
            session.delete(row)
    session.flush()
    for team_id in set(team_ids):
        session.add(VolunteerTeam(volunteer_id=volunteer_id, team_id=team_id))
    for skill_id in set(skill_ids):
        session.add(VolunteerSkill(volunteer_id=volunteer_id, skill_id=skill_id))


def _skills_known(session: Session, skill_ids) -> None:
    for skill_id in skill_ids:
        skill = session.get(Skill, skill_id)
        if skill is None or not skill.active:
            raise Invalid("error.skill_unknown")


def _clean(session: Session, actor: Actor, *, name: str, phone: str, site_id: int,
           skills: str, team_ids, gender: Gender | None, title: str = "", skill_ids=(),
           volunteer_id: int | None = None,
           kept_site_id: int | None = None) -> tuple[str, str, str, str]:
    """Every refusal of the volunteer form at once; the cleaned name, phone, skills, title."""
    check = Checks()
    if gender not in tuple(Gender):
        check.fail("error.choose", field="gender")
    name = check(validate.text, name, key="name", maximum=40)
    phone = check(validate.phone, phone, required=True)
    skills = check(validate.text, skills, key="skills", maximum=200, required=False)
    title = check(validate.text, title, key="pro_title", maximum=40, required=False)
    check(_skills_known, session, skill_ids)
    site = session.get(Site, site_id) if site_id else None
    if site is None:
        check.fail("error.site_required")
    else:
        ensure_allowed(actor, Action.MANAGE_VOLUNTEERS, site_path=site.path)
        check(sites.ensure_open_for_members, site, kept_site_id=kept_site_id)
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
    return name, phone, skills, title


def create(session: Session, *, actor: Actor, name: str, phone: str, gender: Gender,
           site_id: int, party_member: bool = False, skills: str = "",
           registered_on: date | None = None, team_ids: tuple[int, ...] = (),
           skill_ids: tuple[int, ...] = (), title: str = "", commit: bool = True) -> Volunteer:
    """Register a volunteer in the manager's subtree; a phone number belongs to one volunteer."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    party_member = validate.flag(party_member, key="party_member")
    name, phone, skills, title = _clean(session, actor, name=name, phone=phone, site_id=site_id,
                                        skills=skills, team_ids=team_ids, gender=gender,
                                        title=title, skill_ids=skill_ids)
    vol = Volunteer(name=name, phone=phone, gender=gender, site_id=site_id,
                    party_member=party_member, skills=skills, title=title,
                    registered_on=registered_on or date.today())
    session.add(vol)
    session.flush()
    link(session, vol.id, team_ids=team_ids, skill_ids=skill_ids)
    if commit:
        session.commit()
    return vol


def update(session: Session, *, actor: Actor, volunteer_id: int, name: str, phone: str,
           gender: Gender, site_id: int, party_member: bool, skills: str,
           team_ids: tuple[int, ...], active: bool, skill_ids: tuple[int, ...] = (),
           title: str = "", today: date | None = None) -> Volunteer:
    """Edit a volunteer, their teams, skill tags and whether they are active (made inactive
    here without a reason; `retire` records one)."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    vol = session.get(Volunteer, volunteer_id)
    if vol is None:
        raise NotFound(what="volunteer")
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS, site_path=session.get(Site, vol.site_id).path)
    party_member = validate.flag(party_member, key="party_member")
    active = validate.flag(active, key="active")
    name, phone, skills, title = _clean(session, actor, name=name, phone=phone, site_id=site_id,
                                        skills=skills, team_ids=team_ids, gender=gender,
                                        title=title, skill_ids=skill_ids, volunteer_id=volunteer_id,
                                        kept_site_id=vol.site_id)
    if active and not vol.active:
        vol.inactive_reason, vol.inactive_on = "", None
    elif not active and vol.active:
        vol.inactive_on = today or date.today()
    vol.name, vol.phone, vol.gender, vol.site_id, vol.title = name, phone, gender, site_id, title
    vol.party_member, vol.skills, vol.active = party_member, skills, active
    session.add(vol)
    link(session, vol.id, team_ids=team_ids, skill_ids=skill_ids)
    session.commit()
    return vol


def load_in_scope(session: Session, actor: Actor, volunteer_id: int,
                  action: Action = Action.MANAGE_VOLUNTEERS) -> tuple[Volunteer, Site]:
    """The volunteer and their site, when the actor may act on them; else NotFound (whether a
    volunteer of another site exists is not told)."""
    ensure_allowed(actor, action)
    vol = session.get(Volunteer, volunteer_id)
    site = session.get(Site, vol.site_id) if vol else None
    if vol is None or not site.path.startswith(actor.site_path):
        raise NotFound(what="volunteer")
    return vol, site


def retire(session: Session, *, actor: Actor, volunteer_id: int, reason: str,
           now: datetime | None = None) -> Volunteer:
    """Mark a volunteer 不再活跃 with a reason (kept with the day, and audited); their record,
    hours and points stay. Managers of the volunteer's site only."""
    reason = validate.text(reason, key="reason", maximum=200)
    now = now or utcnow()
    vol, _site = load_in_scope(session, actor, volunteer_id)
    if not vol.active:
        raise Invalid("error.volunteer_inactive", name=vol.name)
    vol.active, vol.inactive_reason = False, reason
    vol.inactive_on = local_today(now, settings_service.current(session)["timezone"])
    session.add(vol)
    audit.record(session, AuditAction.volunteer_retire, actor_id=actor.id, target=vol.name,
                 detail=f"volunteer={vol.id} reason={reason}", at=now)
    session.commit()
    return vol


def idle(session: Session, *, actor: Actor, months: int | None = None, offset: int = 0,
         limit: int = 50, now: datetime | None = None) -> tuple[list[dict], int]:
    """Active volunteers with no service for `reengage_months` months (or never, registered
    before then), longest idle first, with their phone for a call."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    values = settings_service.current(session)
    months = months or values["reengage_months"]
    now = now or utcnow()
    today = local_today(now, values["timezone"])
    cutoff_day = months_before(today, months)
    cutoff = local_midnight_utc(cutoff_day, values["timezone"])
    last = (select(ServiceRecord.volunteer_id, func.max(ServiceRecord.served_at).label("last"))
            .group_by(ServiceRecord.volunteer_id).subquery())
    q = (select(Volunteer, Site.name, Site.path, last.c.last)
         .join(Site, Site.id == Volunteer.site_id)
         .join(last, last.c.volunteer_id == Volunteer.id, isouter=True)
         .where(Site.path.startswith(actor.site_path), Volunteer.active,
                or_(last.c.last < cutoff,
                    (last.c.last.is_(None)) & (Volunteer.registered_on < cutoff_day))))
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(last.c.last.is_not(None), last.c.last, Volunteer.id)
                        .offset(offset).limit(limit)).all()
    return [{"id": v.id, "name": v.name, "phone": phone_for(actor, path, v.phone),
             "site": site, "registered_on": v.registered_on,
             "last_served": _local_date(last_at, values["timezone"])}
            for v, site, path, last_at in rows], total


def _local_date(moment: datetime | None, tz: str) -> date | None:
    return None if moment is None else local_today(moment, tz)


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the 31st becomes the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


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
            .where(VolunteerTeam.volunteer_id.in_(ids)).order_by(Team.id)):
        teams.setdefault(vid, []).append((tid, tname))
    values = settings_service.current(session)
    skills: dict[int, list[int]] = {}
    for vid, sid in session.exec(select(VolunteerSkill.volunteer_id, VolunteerSkill.skill_id)
                                 .where(VolunteerSkill.volunteer_id.in_(ids))
                                 .order_by(VolunteerSkill.volunteer_id, VolunteerSkill.skill_id)):
        skills.setdefault(vid, []).append(sid)
    rows = session.exec(select(Volunteer, Site.name, Site.path)
                        .join(Site, Site.id == Volunteer.site_id)
                        .where(Volunteer.id.in_(ids))).all()
    by_id = {v.id: (v, site, path) for v, site, path in rows}
    out = []
    for vid in ids:
        v, site, path = by_id[vid]
        h = round(float(hours.get(vid) or 0), 2)
        out.append({"id": v.id, "name": v.name, "phone": phone_for(actor, path, v.phone),
                    "gender": v.gender.value,
                    "site": site, "site_id": v.site_id, "party_member": v.party_member,
                    "skills": v.skills, "registered_on": v.registered_on, "active": v.active,
                    "title": v.title, "skill_ids": skills.get(vid, []),
                    "team_ids": [t for t, _ in teams.get(vid, [])],
                    "teams": NAME_SEP.join(n for _, n in teams.get(vid, [])),
                    "hours": half_up(h, 1), "stars": settings_service.star_level(h, values),
                    "points": balances.get(vid, 0)})
    return out, total
