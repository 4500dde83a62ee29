"""专家人才库: skill tags from a list managers keep (医疗, 法律, 心理, 文艺, 教育, 维修 …), each
optionally tied to a service category; searching volunteers by skill, site and availability; and
the volunteers who fit an order.

**A volunteer fits an order** when one of their skill tags is tied to the order's service
category, or the tag's name appears in the order's title or its menu item's title (a 维修 tag
fits "家电维修进村"). Suggestions list the active volunteers who fit: first those on the order's
team, then those of the order's site and the sites below it. On the 派单 desk a team's fitting
volunteers are counted among the reasons beside its score (services/dispatch.recommend).
**Availability**: 活跃 = active and served within `reengage_months` months; 久未服务 = active
and not (services/volunteers.idle is the same rule, for calls).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, literal, or_
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    AuditAction,
    ServiceCategory,
    ServiceItem,
    ServiceRecord,
    Site,
    Skill,
    Volunteer,
    VolunteerSkill,
    VolunteerTeam,
    WorkOrder,
)
from services import audit, orders, scope, validate, volunteers
from services import settings as settings_service
from services.clock import local_midnight_utc, local_today
from services.errors import Invalid, NotFound
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed

# The list a new installation starts with: (skill, the service category it serves).
DEFAULT_SKILLS = (("医疗", "健康促进与体育服务"), ("心理", "健康促进与体育服务"),
                  ("法律", "便民惠民服务"), ("维修", "便民惠民服务"), ("文艺", "文化服务"),
                  ("教育", "教育服务"), ("科普", "科技与科普服务"), ("宣讲", "理论宣讲"))
AVAILABILITY = ("any", "recent", "idle", "inactive")
SUGGEST = 12


def ensure_default_skills(session: Session) -> None:
    """Add the default skills that are missing, tied to their category where it exists; the
    caller commits."""
    have = set(session.exec(select(Skill.name)))
    cats = {c.name: c.id for c in session.exec(select(ServiceCategory))}
    for name, category in DEFAULT_SKILLS:
        if name not in have:
            session.add(Skill(name=name, category_id=cats.get(category)))


def skills(session: Session, *, include_retired: bool = False) -> list[dict]:
    q = select(Skill, ServiceCategory.name).join(
        ServiceCategory, ServiceCategory.id == Skill.category_id, isouter=True)
    if not include_retired:
        q = q.where(Skill.active)
    return [{"id": s.id, "name": s.name, "category_id": s.category_id, "category": c or "",
             "active": s.active}
            for s, c in session.exec(q.order_by(Skill.active.desc(), Skill.name))]


def save_skill(session: Session, *, actor: Actor, name: str, category_id: int | None = None,
               skill_id: int | None = None, active: bool = True) -> Skill:
    """Add a skill tag to the list or edit one (a retired tag stays on the volunteers who have
    it, but cannot be given again); managers only, audited."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    name = validate.text(name, key="skill_name", maximum=20)
    if category_id is not None and session.get(ServiceCategory, category_id) is None:
        raise Invalid("error.category_required")
    skill = Skill() if skill_id is None else session.get(Skill, skill_id)
    if skill is None:
        raise NotFound(what="skill")
    clash = session.exec(select(Skill.id).where(Skill.name == name,
                                                Skill.id != (skill.id or -1))).first()
    if clash is not None:
        raise Invalid("error.skill_taken", name=name)
    skill.name, skill.category_id, skill.active = name, category_id, active
    session.add(skill)
    audit.record(session, AuditAction.skills_update, actor_id=actor.id, target=name,
                 detail=f"category={category_id} active={active}")
    session.commit()
    return skill


def _fits(order: WorkOrder, item_title: str):
    """SQL: the skill (joined as Skill) fits this order."""
    words = f"{order.title} {item_title}"
    return or_(Skill.category_id == order.category_id,
               literal(words).contains(Skill.name))


def _skill_names(session: Session, ids: list[int]) -> dict[int, str]:
    names: dict[int, list[str]] = {}
    if ids:
        for vid, name in session.exec(
                select(VolunteerSkill.volunteer_id, Skill.name)
                .join(Skill, Skill.id == VolunteerSkill.skill_id)
                .where(VolunteerSkill.volunteer_id.in_(ids)).order_by(Skill.name)):
            names.setdefault(vid, []).append(name)
    return {vid: NAME_SEP.join(n) for vid, n in names.items()}


def _cutoff(session: Session, now: datetime) -> datetime:
    values = settings_service.current(session)
    today = local_today(now, values["timezone"])
    return local_midnight_utc(volunteers.months_before(today, values["reengage_months"]),
                              values["timezone"])


def search(session: Session, *, actor: Actor, skill_id: int | None = None,
           site_id: int | None = None, availability: str = "any", offset: int = 0,
           limit: int = 50, now: datetime | None = None) -> tuple[list[dict], int]:
    """Volunteers of the actor's sites by skill tag, site (and below) and availability, with
    their tags, title, last service and phone (as the actor may see it); paginated in SQL."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    if availability not in AVAILABILITY:
        raise Invalid("error.invalid")
    now = now or utcnow()
    last = func.max(ServiceRecord.served_at)
    last_q = (select(ServiceRecord.volunteer_id, last.label("last"))
              .group_by(ServiceRecord.volunteer_id).subquery())
    conds = [Volunteer.site_id.in_(scope.sites_under(actor.site_path))]
    if site_id is not None:
        conds.append(Volunteer.site_id.in_(scope.sites_under_id(session, site_id)))
    if skill_id is not None:
        conds.append(exists().where(VolunteerSkill.volunteer_id == Volunteer.id,
                                    VolunteerSkill.skill_id == skill_id))
    cutoff = _cutoff(session, now)
    if availability == "recent":
        conds += [Volunteer.active, last_q.c.last >= cutoff]
    elif availability == "idle":
        conds += [Volunteer.active, or_(last_q.c.last.is_(None), last_q.c.last < cutoff)]
    elif availability == "inactive":
        conds.append(Volunteer.active.is_(False))
    q = (select(Volunteer, Site.name, Site.path, last_q.c.last)
         .join(Site, Site.id == Volunteer.site_id)
         .join(last_q, last_q.c.volunteer_id == Volunteer.id, isouter=True).where(*conds))
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(Volunteer.name, Volunteer.id).offset(offset)
                        .limit(limit)).all()
    tags = _skill_names(session, [v.id for v, *_ in rows])
    tz = settings_service.current(session)["timezone"]
    return [{"id": v.id, "name": v.name, "phone": volunteers.phone_for(actor, path, v.phone),
             "site": site, "skills": tags.get(v.id, ""), "title": v.title, "active": v.active,
             "last_served": None if at is None else local_today(at, tz)}
            for v, site, path, at in rows], total


def _order_words(session: Session, order: WorkOrder) -> str:
    item = session.get(ServiceItem, order.item_id) if order.item_id else None
    return item.title if item else ""


def suggest(session: Session, *, actor: Actor, order_id: int) -> list[dict]:
    """Active volunteers who fit the order (see the module's docstring), those of its team
    first; for anyone who sees the order. Phones as the actor may see them."""
    order = orders.load(session, order_id)
    if not scope.sees(session, actor, order):
        raise NotFound(what="order")
    fits = _fits(order, _order_words(session, order))
    order_site = session.get(Site, order.site_id)
    in_team = (exists().where(VolunteerTeam.volunteer_id == Volunteer.id,
                              VolunteerTeam.team_id == order.team_id)
               if order.team_id else literal(False))
    matching = (select(VolunteerSkill.volunteer_id)
                .join(Skill, Skill.id == VolunteerSkill.skill_id).where(Skill.active, fits))
    rows = session.exec(
        select(Volunteer, Site.name, Site.path, in_team.label("in_team"))
        .join(Site, Site.id == Volunteer.site_id)
        .where(Volunteer.active, Volunteer.id.in_(matching),
               or_(in_team, Site.path.startswith(order_site.path)))
        .order_by(in_team.desc(), Volunteer.name).limit(SUGGEST)).all()
    tags = _skill_names(session, [v.id for v, *_ in rows])
    return [{"id": v.id, "name": v.name, "site": site, "in_team": bool(team),
             "skills": tags.get(v.id, ""), "title": v.title,
             "phone": volunteers.phone_for(actor, path, v.phone)}
            for v, site, path, team in rows]


def fitting_by_team(session: Session, *, order_ids: list[int],
                    team_ids: list[int]) -> dict[int, int]:
    """For each team, its active volunteers who fit at least one of these orders."""
    if not order_ids or not team_ids:
        return {}
    fits = []
    for order_id in order_ids:
        order = session.get(WorkOrder, order_id)
        if order is not None:
            fits.append(_fits(order, _order_words(session, order)))
    if not fits:
        return {}
    matching = (select(VolunteerSkill.volunteer_id)
                .join(Skill, Skill.id == VolunteerSkill.skill_id)
                .where(Skill.active, or_(*fits)))
    return dict(session.exec(
        select(VolunteerTeam.team_id, func.count(func.distinct(VolunteerTeam.volunteer_id)))
        .join(Volunteer, Volunteer.id == VolunteerTeam.volunteer_id)
        .where(VolunteerTeam.team_id.in_(team_ids), Volunteer.active,
               VolunteerTeam.volunteer_id.in_(matching))
        .group_by(VolunteerTeam.team_id)).all())
