"""Volunteer teams (志愿服务队) in 总队 / 支队 / 小队 tiers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import String, and_, cast, func
from sqlmodel import Session, select

from core import db
from core.db import utcnow
from models import (
    DONE,
    WITH_TEAM,
    OrderRollup,
    Rating,
    ServiceCategory,
    ServiceRecord,
    Site,
    Team,
    TeamCategory,
    TeamTier,
    Volunteer,
    VolunteerTeam,
    WorkOrder,
)
from services import rollups, scope, sites, validate
from services import settings as settings_service
from services.clock import local_midnight_utc
from services.errors import Checks, Duplicate, NotFound
from services.figures import half_up
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed
from services.rollups import total

_PARENT_TIER = {TeamTier.detachment: TeamTier.corps, TeamTier.squad: TeamTier.detachment}


def _check(session: Session, actor: Actor, *, name: str, tier: TeamTier | None, site_id: int,
           parent_id: int | None, category_ids, lead_name: str = "", phone: str = "",
           team_id: int | None = None, kept_site_id: int | None = None) -> tuple[str, str, str]:
    """The team's fields, every refusal at once; the name, lead and phone cleaned."""
    check = Checks()
    name = check(validate.text, name, key="team_name", maximum=60)
    lead_name = check(validate.text, lead_name, key="lead_name", maximum=40, required=False)
    phone = check(validate.phone, phone)
    site = session.get(Site, site_id) if site_id else None
    if site is None:
        check.fail("error.site_required")
    else:
        ensure_allowed(actor, Action.MANAGE_TEAMS, site_path=site.path)
        check(sites.ensure_open_for_members, site, kept_site_id=kept_site_id)
    wrong_tier = _tier_problem(session, tier, parent_id, team_id)
    if wrong_tier:
        check.fail(wrong_tier)
    if name is not None:
        clash = select(Team.id).where(Team.site_id == site_id, Team.name == name)
        if team_id is not None:
            clash = clash.where(Team.id != team_id)
        if session.exec(clash).first() is not None:
            check.problems.append(Duplicate("error.team_name_taken", name=name))
    known = set(session.exec(select(ServiceCategory.id).where(
        ServiceCategory.id.in_(list(category_ids) or [-1]))))
    if set(category_ids) - known:
        check.fail("error.category_required")
    check.done()
    return name, lead_name, phone


def _tier_problem(session: Session, tier: TeamTier | None, parent_id: int | None,
                  team_id: int | None) -> str | None:
    """The message key when the tier does not fit the parent (a 总队 has none)."""
    if tier is None:
        return "error.tier_required"
    if parent_id is None:
        return None if tier == TeamTier.corps else "error.team_parent_tier"
    parent = session.get(Team, parent_id)
    if parent is None or parent.id == team_id:
        return "error.team_parent"
    return None if _PARENT_TIER.get(tier) == parent.tier else "error.team_parent_tier"


def child_tier(parent_tier: TeamTier | None) -> TeamTier | None:
    """The tier a team under a parent of this tier must have (None: a 小队 has no children);
    with no parent, a 总队."""
    if parent_tier is None:
        return TeamTier.corps
    return next((child for child, parent in _PARENT_TIER.items() if parent == parent_tier), None)


def create(session: Session, *, actor: Actor, name: str, tier: TeamTier, site_id: int,
           parent_id: int | None = None, category_ids: tuple[int, ...] = (),
           lead_name: str = "", phone: str = "") -> Team:
    """Add a team in the manager's subtree; a 支队 sits under a 总队, a 小队 under a 支队."""
    ensure_allowed(actor, Action.MANAGE_TEAMS)
    name, lead_name, phone = _check(session, actor, name=name, tier=tier, site_id=site_id,
                                    parent_id=parent_id, category_ids=category_ids,
                                    lead_name=lead_name, phone=phone)
    team = Team(name=name, tier=tier, site_id=site_id, parent_id=parent_id, lead_name=lead_name,
                phone=phone)
    session.add(team)
    session.flush()
    for cid in set(category_ids):
        session.add(TeamCategory(team_id=team.id, category_id=cid))
    session.commit()
    return team


def update(session: Session, *, actor: Actor, team_id: int, name: str, tier: TeamTier,
           site_id: int, parent_id: int | None, category_ids: tuple[int, ...],
           lead_name: str, phone: str, active: bool = True) -> Team:
    """Edit a team in the manager's subtree."""
    ensure_allowed(actor, Action.MANAGE_TEAMS)
    team = get(session, team_id)
    ensure_allowed(actor, Action.MANAGE_TEAMS, site_path=session.get(Site, team.site_id).path)
    name, lead_name, phone = _check(session, actor, name=name, tier=tier, site_id=site_id,
                                    parent_id=parent_id, category_ids=category_ids,
                                    lead_name=lead_name, phone=phone, team_id=team_id,
                                    kept_site_id=team.site_id)
    team.name, team.tier, team.site_id, team.parent_id = name, tier, site_id, parent_id
    team.lead_name, team.phone, team.active = lead_name, phone, active
    session.add(team)
    for link in session.exec(select(TeamCategory).where(TeamCategory.team_id == team_id)):
        session.delete(link)
    session.flush()
    for cid in set(category_ids):
        session.add(TeamCategory(team_id=team_id, category_id=cid))
    session.commit()
    return team


def get(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(what="team")
    return team


def in_scope(session: Session, *, actor: Actor, active_only: bool = True) -> list[Team]:
    """Teams whose site is in the actor's subtree, by tier then name."""
    q = (select(Team).join(Site, Site.id == Team.site_id)
         .where(Site.path.startswith(actor.site_path))
         .order_by(db.enum_order(Team.tier, TeamTier), Team.name))
    if active_only:
        q = q.where(Team.active)
    return list(session.exec(q))


def overview(session: Session, *, actor: Actor) -> list[dict]:
    """Each team in scope with its site, categories, members and open orders, counted in SQL."""
    ensure_allowed(actor, Action.MANAGE_TEAMS)
    # Count for the teams shown only: a 所 shows 29 of a county's 600 teams. (For the whole
    # tree no filter: an IN over every team only misleads the planner.)
    shown = (select(Team.id).join(Site, Site.id == Team.site_id)
             .where(Site.path.startswith(actor.site_path)).scalar_subquery())
    whole = scope.whole_tree(session, actor)
    members = (select(VolunteerTeam.team_id, func.count().label("n"))
               .join(Volunteer, Volunteer.id == VolunteerTeam.volunteer_id)
               .where(Volunteer.active, *([] if whole else [VolunteerTeam.team_id.in_(shown)]))
               .group_by(VolunteerTeam.team_id).subquery())
    open_orders = (select(WorkOrder.team_id, func.count().label("n"))
                   .where(WorkOrder.status.in_(WITH_TEAM),
                          *([] if whole else [WorkOrder.team_id.in_(shown)]))
                   .group_by(WorkOrder.team_id).subquery())
    parent = select(Team.id, Team.name).subquery()
    rows = session.exec(
        select(Team, Site.name, parent.c.name, func.coalesce(members.c.n, 0),
               func.coalesce(open_orders.c.n, 0))
        .join(Site, Site.id == Team.site_id)
        .join(parent, parent.c.id == Team.parent_id, isouter=True)
        .join(members, members.c.team_id == Team.id, isouter=True)
        .join(open_orders, open_orders.c.team_id == Team.id, isouter=True)
        .where(Site.path.startswith(actor.site_path))
        .order_by(db.enum_order(Team.tier, TeamTier), Team.name)).all()
    cats = categories_by_team(session, [t.id for t, *_ in rows])
    return [{"id": t.id, "name": t.name, "tier": t.tier.value, "site": site, "site_id": t.site_id,
             "parent": parent_name or "", "parent_id": t.parent_id, "lead_name": t.lead_name,
             "phone": t.phone, "active": t.active, "members": n_members, "open_orders": n_open,
             "category_ids": [c for c, _ in cats.get(t.id, [])],
             "categories": NAME_SEP.join(n for _, n in cats.get(t.id, []))}
            for t, site, parent_name, n_members, n_open in rows]


def categories_by_team(session: Session, team_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = {}
    if not team_ids:
        return out
    for team_id, cid, name in session.exec(
            select(TeamCategory.team_id, ServiceCategory.id, ServiceCategory.name)
            .join(ServiceCategory, ServiceCategory.id == TeamCategory.category_id)
            .where(TeamCategory.team_id.in_(team_ids)).order_by(ServiceCategory.sort_order)):
        out.setdefault(team_id, []).append((cid, name))
    return out


def roster(session: Session, *, team_id: int) -> list[Volunteer]:
    """The active volunteers of a team, by name."""
    return list(session.exec(
        select(Volunteer).join(VolunteerTeam, VolunteerTeam.volunteer_id == Volunteer.id)
        .where(VolunteerTeam.team_id == team_id, Volunteer.active).order_by(Volunteer.name)))


def helpers(session: Session, *, team_id: int, limit: int = 2000) -> list[Volunteer]:
    """Active volunteers who may be recorded on the team's orders without being on its roster:
    those of the team's site and the sites below it (the rule of completions.may_serve), by
    name."""
    team = get(session, team_id)
    path = session.get(Site, team.site_id).path
    members = select(VolunteerTeam.volunteer_id).where(VolunteerTeam.team_id == team_id)
    return list(session.exec(
        select(Volunteer).join(Site, Site.id == Volunteer.site_id)
        .where(Site.path.startswith(path), Volunteer.active, Volunteer.id.not_in(members))
        .order_by(Volunteer.name).limit(limit)))


def finished_record(session: Session, team_ids: list[int], since: datetime) -> dict[int, dict]:
    """Per team, over the orders it finished (已完成 / 已评价) since `since`: how many, how many
    on time, beneficiaries, service hours, how many are rated and their average. On time: the
    local calendar day of completion is on or before the due date.

    Read from the rollups (services/rollups.py) for the whole local days after `since`, and
    from the orders themselves for the rest of the day `since` falls in — the same orders as
    `finished_since`, at the cost of a day's rows instead of a year's."""
    if not team_ids:
        return {}
    tz = settings_service.current(session)["timezone"]
    first_day = rollups.local_day(since, tz) + timedelta(days=1)
    records: dict[int, dict] = {}
    R = OrderRollup
    for team, *figures in session.exec(
            select(R.team_id, total(R.done), total(R.done_on_time), total(R.beneficiaries),
                   total(R.hours_x100), total(R.done_rated), total(R.done_rating_sum))
            .where(R.team_id.in_(team_ids), rollups.in_period(R, first_day, None))
            .group_by(R.team_id)).all():
        _add(records, team, *figures)
    for team, *figures in _finished_raw(session, team_ids, since,
                                        local_midnight_utc(first_day, tz), tz):
        _add(records, team, *figures)
    return {team: {"done": r["done"], "on_time": r["on_time"], "ratings": r["ratings"],
                   "beneficiaries": r["beneficiaries"], "hours": Decimal(r["hours_x100"]) / 100,
                   "average": r["level_sum"] / r["ratings"] if r["ratings"] else None}
            for team, r in records.items() if r["done"]}


def _add(records: dict, team: int, done, on_time, beneficiaries, hours_x100, rated,
         level_sum) -> None:
    r = records.setdefault(team, dict.fromkeys(("done", "on_time", "beneficiaries",
                                                "hours_x100", "ratings", "level_sum"), 0))
    for key, value in (("done", done), ("on_time", on_time), ("beneficiaries", beneficiaries),
                       ("hours_x100", hours_x100), ("ratings", rated), ("level_sum", level_sum)):
        r[key] += int(value or 0)


def _finished_raw(session: Session, team_ids: list[int], lo: datetime, hi: datetime,
                  tz: str) -> list[tuple]:
    """The same figures from the orders finished in [lo, hi) (less than a day)."""
    window = and_(finished_since(team_ids, lo), WorkOrder.completed_at < hi)
    in_time = (db.local_day(WorkOrder.completed_at, tz, db.dialect_of(session))
               <= cast(WorkOrder.due_on, String))
    rows = {team: [n, n_in, people, 0, rated, level_sum] for team, n, n_in, people, rated,
            level_sum in session.exec(
                select(WorkOrder.team_id, func.count(WorkOrder.id), db.count_where(in_time),
                       func.coalesce(func.sum(WorkOrder.actual_beneficiaries), 0),
                       func.count(Rating.id), func.coalesce(func.sum(Rating.level), 0))
                .join(Rating, Rating.order_id == WorkOrder.id, isouter=True)
                .where(window).group_by(WorkOrder.team_id)).all()}
    for team, hours in session.exec(
            select(WorkOrder.team_id, func.sum(ServiceRecord.hours))
            .join(WorkOrder, WorkOrder.id == ServiceRecord.order_id)
            .where(window).group_by(WorkOrder.team_id)).all():
        rows[team][3] = rollups.hundredths(hours or 0)
    return [(team, *figures) for team, figures in rows.items()]


def finished_since(team_ids: list[int], since: datetime):
    """The condition: orders of these teams finished since `since`."""
    return and_(WorkOrder.status.in_(DONE), WorkOrder.completed_at >= since,
                WorkOrder.team_id.in_(team_ids))


def detail(session: Session, *, actor: Actor, team_id: int, now: datetime | None = None,
           days: int = 365) -> dict:
    """A team's members and its record over the last `days`: open orders now, orders done,
    service hours, beneficiaries, average rating and the share done by the due date."""
    team = get(session, team_id)
    ensure_allowed(actor, Action.MANAGE_TEAMS, site_path=session.get(Site, team.site_id).path)
    now = now or utcnow()
    since = now - timedelta(days=days)
    open_now = session.exec(select(func.count()).select_from(WorkOrder)
                            .where(WorkOrder.team_id == team_id,
                                   WorkOrder.status.in_(WITH_TEAM))).one()
    record = finished_record(session, [team_id], since).get(team_id, {})
    done, hours, beneficiaries = (record.get("done", 0), record.get("hours", 0.0),
                                  record.get("beneficiaries", 0))
    rated, average, on_time = (record.get("ratings", 0), record.get("average"),
                               record.get("on_time", 0))
    members = [{"id": v.id, "name": v.name, "phone": v.phone} for v in roster(session,
                                                                               team_id=team_id)]
    return {"id": team.id, "name": team.name, "members": members, "open_orders": open_now,
            "done": done, "hours": half_up(hours, 1), "beneficiaries": int(beneficiaries),
            "ratings": rated, "average_rating": half_up(average, 2) if rated else None,
            "on_time_rate": (on_time / done) if done else None}
