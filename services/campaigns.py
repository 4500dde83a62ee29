"""中心制单 (campaigns): the centre plans an activity itself (学雷锋日 3·5, 七一, 重阳) and sends it
down to 所/站 and teams as orders (双江: 中心制单 → 下发 → 所站领单).

Rules (the README's *中心制单* section words them for users):
- A manager makes a campaign for their own site: title, category, optional menu item,
  description, a first day (not before today) and a last day (not before the first, at most
  `MAX_DAYS` later), and one or more **targets** — a 所 or 站 of their subtree, optionally the
  volunteer team it is dispatched to, with the beneficiaries expected there. A target may also
  name a team alone: it goes to the team's own site. Every refusal of the form at once.
- **下发** (`issue`) makes one order per target in one transaction — all or none: source 中心制单,
  the campaign's title, category, item and description, due on the campaign's last day, the
  target's expected beneficiaries; a target that names a team is dispatched to it at once (the
  normal 派单 step and event, so time limits and figures see it). Each target row keeps its
  order. A campaign is issued once: the first 下发 marks it with a compare-and-set, so of two
  managers pressing it at once one wins and the other is told who did.
- The orders then follow the normal lifecycle (接单, 完成, 评单, 取消) like any other.
- **Progress** (`progress`, `totals`) is read from the orders in SQL: each target's status, actual
  beneficiaries, service hours and rating, and the campaign's totals — aggregates, no query per
  target.
- A campaign belongs to the site of the manager who made it: managers and leaders of that site
  and the sites above it see it; managers of it issue it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, delete, func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core.db import count_where, utcnow
from models import (
    DONE,
    OPEN,
    AuditAction,
    Campaign,
    CampaignTarget,
    OrderSource,
    OrderStatus,
    Rating,
    ServiceCategory,
    ServiceItem,
    ServiceRecord,
    Site,
    SiteLevel,
    Team,
    User,
    WorkOrder,
    good_rating,
)
from services import audit, orders, scope, sla, validate
from services import settings as settings_service
from services.clock import local_today
from services.errors import Checks, DomainError, Invalid, NotFound
from services.figures import half_up, percent_value, rate
from services.orders import MAX_BENEFICIARIES
from services.permissions import Action, Actor, ensure_allowed, in_scope

MAX_DAYS = 366        # a campaign lasts at most a year
MAX_TARGETS = 500     # a county has ~320 所 and 站
TARGET_LEVELS = (SiteLevel.station, SiteLevel.point)  # 所 and 站
TARGET_SEP = " / "    # between a target's site and team when one message names both


@dataclass(frozen=True)
class TargetInput:
    """One target as the form gives it: a 所/站, a team, or both; the expected beneficiaries."""

    site_id: int | None = None
    team_id: int | None = None
    expected_beneficiaries: int | None = 0


class CampaignIssued(DomainError):
    """下发 of a campaign that was issued already (by another manager, or a second press)."""

    key = "error.campaign.issued"


def _campaign_in_scope(session: Session, actor: Actor, campaign_id) -> Campaign:
    campaign = session.get(Campaign, campaign_id) if isinstance(campaign_id, int) else None
    if campaign is None or not in_scope(actor, session.get(Site, campaign.site_id).path):
        raise NotFound(what="campaign")
    return campaign


def _dates(check: Checks, starts_on, ends_on, today: date) -> tuple[date | None, date | None]:
    def is_day(value) -> bool:
        return isinstance(value, date) and not isinstance(value, datetime)

    if not is_day(starts_on):
        check.fail("error.choose", field="campaigns.field.starts_on")
        return None, None
    if ends_on is None:
        ends_on = starts_on  # one day
    elif not is_day(ends_on):
        check.fail("error.choose", field="campaigns.field.ends_on")
        return starts_on, None
    if starts_on < today:
        check.fail("error.campaign.start_past")
    if ends_on < starts_on:
        check.fail("error.campaign.end_before_start")
    elif (ends_on - starts_on).days > MAX_DAYS:
        check.fail("error.campaign.too_long", days=MAX_DAYS)
    return starts_on, ends_on


def _name(site: Site | None, team: Team | None) -> str:
    return TARGET_SEP.join(x.name for x in (site, team) if x is not None)


def _target(session: Session, actor: Actor, check: Checks, given) -> tuple | None:
    """One target checked: (site, team, expected) or None when refused (the reason collected)."""
    if not isinstance(given, TargetInput):
        check.fail("error.campaign.target_unknown")
        return None
    team = session.get(Team, given.team_id) if isinstance(given.team_id, int) else None
    site = session.get(Site, given.site_id) if isinstance(given.site_id, int) else None
    if given.team_id is not None and (
            team is None or not in_scope(actor, session.get(Site, team.site_id).path)):
        check.fail("error.campaign.target_unknown")  # another site's team is not told of
        return None
    if given.site_id is None and team is not None:
        site = session.get(Site, team.site_id)
    if site is None or not in_scope(actor, site.path) or site.level not in TARGET_LEVELS:
        check.fail("error.campaign.target_unknown")
        return None
    name = _name(site, team)
    ok = True
    if not site.active:
        check.fail("error.campaign.site_inactive", target=name)
        ok = False
    if team is not None and not team.active:
        check.fail("error.campaign.team_inactive", target=name)
        ok = False
    expected = given.expected_beneficiaries
    expected = 0 if expected is None else expected
    try:
        expected = validate.whole(expected, key="expected_beneficiaries",
                                  maximum=MAX_BENEFICIARIES)
    except Invalid:
        check.fail("error.campaign.target_expected", target=name, maximum=MAX_BENEFICIARIES)
        ok = False
    return (site, team, expected) if ok else None


def _targets(session: Session, actor: Actor, check: Checks, given) -> list[tuple]:
    given = list(given) if isinstance(given, (list, tuple)) else []
    if not given:
        check.fail("error.campaign.no_targets")
        return []
    if len(given) > MAX_TARGETS:
        check.fail("error.campaign.too_many_targets", limit=MAX_TARGETS)
        return []
    out, seen = [], set()
    for one in given:
        target = _target(session, actor, check, one)
        if target is None:
            continue
        site, team, _ = target
        pair = (site.id, team.id if team else None)
        if pair in seen:
            check.fail("error.campaign.target_twice", target=_name(site, team))
            continue
        seen.add(pair)
        out.append(target)
    return out


def create(session: Session, *, actor: Actor, title: str, category_id: int | None,
           starts_on, ends_on=None, item_id: int | None = None, description: str = "",
           targets=(), now: datetime | None = None) -> Campaign:
    """Make a campaign of the actor's site with its targets (not yet issued); managers only.
    Every refusal of the form at once; nothing is written on any."""
    ensure_allowed(actor, Action.MANAGE_CAMPAIGNS)
    now = now or utcnow()
    today = local_today(now, settings_service.timezone(session))
    check = Checks()
    fields = check(orders.clean_order_fields, session, title=title, description=description,
                   requester_name="", requester_phone="", expected_beneficiaries=0,
                   source=OrderSource.campaign, category_id=category_id, item_id=item_id)
    starts_on, ends_on = _dates(check, starts_on, ends_on, today)
    checked = _targets(session, actor, check, targets)
    check.done()
    campaign = Campaign(site_id=actor.site_id, title=fields["title"], category_id=category_id,
                        item_id=item_id, description=fields["description"], starts_on=starts_on,
                        ends_on=ends_on, created_by_id=actor.id, created_at=now)
    session.add(campaign)
    session.flush()
    session.add_all(CampaignTarget(campaign_id=campaign.id, site_id=site.id,
                                   team_id=team.id if team else None,
                                   expected_beneficiaries=expected)
                    for site, team, expected in checked)
    audit.record(session, AuditAction.campaign_create, actor_id=actor.id,
                 target=campaign.title[:100],
                 detail=f"campaign={campaign.id} targets={len(checked)} "
                        f"from={starts_on} to={ends_on}")
    session.commit()
    return campaign


def _issued_by(session: Session, campaign_id: int) -> str:
    return session.exec(select(User.display_name).join(Campaign, Campaign.issued_by_id == User.id)
                        .where(Campaign.id == campaign_id)).first() or ""


def issue(session: Session, *, actor: Actor, campaign_id: int,
          now: datetime | None = None) -> int:
    """下发: one order per target, each dispatched to the target's team when it names one, all in
    one transaction or none; managers of the campaign's site, once. Returns how many orders."""
    ensure_allowed(actor, Action.MANAGE_CAMPAIGNS)
    ensure_allowed(actor, Action.PLACE_ORDER)
    now = now or utcnow()
    campaign = _campaign_in_scope(session, actor, campaign_id)
    title = campaign.title
    # Compare-and-set: the first 下发 marks the campaign; a second one (or the loser of a race,
    # who waits for the winner's row lock on PostgreSQL, or its write lock on SQLite) finds the
    # mark and changes nothing.
    marked = session.exec(update(Campaign)
                          .where(Campaign.id == campaign.id, Campaign.issued_at.is_(None))
                          .values(issued_at=now, issued_by_id=actor.id))
    if marked.rowcount != 1:
        by = _issued_by(session, campaign.id)
        session.rollback()
        raise CampaignIssued(title=title, by=by)
    try:
        made = _fan_out(session, actor, campaign, now)
    except DomainError:
        session.rollback()  # nothing of the 下发 stays: no order, no mark
        raise
    audit.record(session, AuditAction.campaign_issue, actor_id=actor.id, target=title[:100],
                 detail=f"campaign={campaign.id} orders={made}")
    session.commit()
    return made


def _fan_out(session: Session, actor: Actor, campaign: Campaign, now: datetime) -> int:
    """The orders of a campaign's targets, checked again first (a site or team may have been
    switched off since the campaign was made); the caller commits or rolls back."""
    today = local_today(now, settings_service.timezone(session))
    rows = session.exec(select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
                        .order_by(CampaignTarget.id)).all()
    check = Checks()
    if campaign.ends_on < today:
        check.fail("error.campaign.ended", day=campaign.ends_on.isoformat())
    given = [TargetInput(site_id=r.site_id, team_id=r.team_id,
                         expected_beneficiaries=r.expected_beneficiaries) for r in rows]
    checked = _targets(session, actor, check, given)
    check.done()
    for row, (site, team, expected) in zip(rows, checked, strict=True):
        order = orders.place_step(session, actor=actor, site_id=site.id,
                                  category_id=campaign.category_id, item_id=campaign.item_id,
                                  title=campaign.title, description=campaign.description,
                                  source=OrderSource.campaign, due_on=campaign.ends_on,
                                  expected_beneficiaries=expected, now=now)
        linked = session.exec(update(CampaignTarget)
                              .where(CampaignTarget.id == row.id, CampaignTarget.order_id.is_(None))
                              .values(order_id=order.id))
        if linked.rowcount != 1:
            raise CampaignIssued(title=campaign.title, by="")
        if team is not None:
            orders.dispatch_step(session, actor=actor, order_id=order.id, team=team, now=now)
    return len(rows)


def discard(session: Session, *, actor: Actor, campaign_id: int) -> str:
    """Delete a campaign that was never issued, with its targets; managers of its site. An
    issued one (or one issued meanwhile) stays: its orders are real work. Returns its title."""
    ensure_allowed(actor, Action.MANAGE_CAMPAIGNS)
    campaign = _campaign_in_scope(session, actor, campaign_id)
    title = campaign.title
    # The same compare-and-set as 下发 (it also takes the row's lock): a 下发 that won first
    # keeps the campaign, and a 下发 after this one finds nothing to issue.
    held = session.exec(update(Campaign)
                        .where(Campaign.id == campaign.id, Campaign.issued_at.is_(None))
                        .values(title=Campaign.title))
    if held.rowcount != 1:
        by = _issued_by(session, campaign.id)
        session.rollback()
        raise CampaignIssued(title=title, by=by)
    session.exec(delete(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id))
    session.exec(delete(Campaign).where(Campaign.id == campaign.id))
    audit.record(session, AuditAction.campaign_discard, actor_id=actor.id, target=title[:100],
                 detail=f"campaign={campaign.id}")
    session.commit()
    return title


# --- the read side ------------------------------------------------------------------------------


def _visible(actor: Actor) -> list:
    return [Campaign.site_id.in_(scope.sites_under(actor.site_path))]


def campaign_page(session: Session, *, actor: Actor, offset: int = 0,
                  limit: int = 50) -> tuple[list[dict], int]:
    """The campaigns of the actor's sites, latest first day first, one page, with their targets
    and how many of their orders are done: one grouped statement and a count."""
    ensure_allowed(actor, Action.VIEW_CAMPAIGNS)
    total = session.exec(select(func.count()).select_from(Campaign).where(*_visible(actor))).one()
    rows = session.exec(
        select(Campaign.id, Campaign.title, Campaign.starts_on, Campaign.ends_on,
               Campaign.issued_at, ServiceCategory.name, Site.name,
               func.count(CampaignTarget.id), count_where(WorkOrder.status.in_(DONE)))
        .join(ServiceCategory, ServiceCategory.id == Campaign.category_id)
        .join(Site, Site.id == Campaign.site_id)
        .outerjoin(CampaignTarget, CampaignTarget.campaign_id == Campaign.id)
        .outerjoin(WorkOrder, WorkOrder.id == CampaignTarget.order_id)
        .where(*_visible(actor))
        .group_by(Campaign.id, Campaign.title, Campaign.starts_on, Campaign.ends_on,
                  Campaign.issued_at, ServiceCategory.name, Site.name)
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        .offset(offset).limit(limit)).all()
    return [{"id": i, "title": title, "starts_on": start, "ends_on": end, "issued": at is not None,
             "issued_at": at, "category": cat, "site": site, "targets": n, "done": int(done)}
            for i, title, start, end, at, cat, site, n, done in rows], total


def detail(session: Session, *, actor: Actor, campaign_id: int) -> dict:
    """One campaign's own fields, with who made and who issued it."""
    ensure_allowed(actor, Action.VIEW_CAMPAIGNS)
    c = _campaign_in_scope(session, actor, campaign_id)
    maker = session.get(User, c.created_by_id)
    item = session.get(ServiceItem, c.item_id) if c.item_id else None
    return {"id": c.id, "title": c.title, "description": c.description,
            "starts_on": c.starts_on, "ends_on": c.ends_on,
            "category": session.get(ServiceCategory, c.category_id).name,
            "item": item.title if item else "", "site": session.get(Site, c.site_id).name,
            "created_by": maker.display_name if maker else "", "created_at": c.created_at,
            "issued": c.issued_at is not None, "issued_at": c.issued_at,
            "issued_by": _issued_by(session, c.id) if c.issued_at else ""}


def _hours_of(campaign_id: int):
    """Service hours per order of the campaign, as a grouped subquery."""
    return (select(ServiceRecord.order_id.label("order_id"),
                   func.sum(ServiceRecord.hours).label("hours"))
            .join(CampaignTarget, CampaignTarget.order_id == ServiceRecord.order_id)
            .where(CampaignTarget.campaign_id == campaign_id)
            .group_by(ServiceRecord.order_id).subquery())


def progress(session: Session, *, actor: Actor, campaign_id: int,
             now: datetime | None = None) -> list[dict]:
    """Each target of a campaign with its order's progress — code, status, 超时, the team holding
    it, expected and actual beneficiaries, service hours, rating — in one statement."""
    ensure_allowed(actor, Action.VIEW_CAMPAIGNS)
    campaign = _campaign_in_scope(session, actor, campaign_id)
    values = settings_service.current(session)
    hours = _hours_of(campaign.id)
    named, holding = aliased(Team), aliased(Team)
    rows = session.exec(
        select(CampaignTarget.id, Site.name, named.name, CampaignTarget.expected_beneficiaries,
               WorkOrder.id, WorkOrder.code, WorkOrder.status, holding.name,
               WorkOrder.actual_beneficiaries, hours.c.hours, Rating.level,
               sla.overdue_kind(now or utcnow(), values))
        .join(Site, Site.id == CampaignTarget.site_id)
        .outerjoin(named, named.id == CampaignTarget.team_id)
        .outerjoin(WorkOrder, WorkOrder.id == CampaignTarget.order_id)
        .outerjoin(holding, holding.id == WorkOrder.team_id)
        .outerjoin(hours, hours.c.order_id == WorkOrder.id)
        .outerjoin(Rating, Rating.order_id == WorkOrder.id)
        .where(CampaignTarget.campaign_id == campaign.id)
        .order_by(Site.path, CampaignTarget.id)).all()
    return [{"target_id": tid, "site": site, "team": team or "", "expected": expected,
             "order_id": oid, "code": code or "", "status": status.value if status else None,
             "holder": holder or "", "beneficiaries": actual,
             "hours": half_up(float(h), 1) if h is not None else None, "rating": level,
             "overdue": late}
            for tid, site, team, expected, oid, code, status, holder, actual, h, level, late
            in rows]


def totals(session: Session, *, actor: Actor, campaign_id: int) -> dict:
    """A campaign's totals in one aggregate: targets, orders open / done / cancelled, expected
    and actual beneficiaries (actual: of done orders), service hours, ratings, their average
    and 好评率 (ratings ≥ 4 ÷ ratings)."""
    ensure_allowed(actor, Action.VIEW_CAMPAIGNS)
    campaign = _campaign_in_scope(session, actor, campaign_id)
    hours = _hours_of(campaign.id)
    done = WorkOrder.status.in_(DONE)
    (targets, orders_n, open_n, done_n, cancelled, expected, actual, hours_sum, rated,
     level_sum, good) = session.exec(
        select(func.count(CampaignTarget.id), func.count(WorkOrder.id),
               count_where(WorkOrder.status.in_(OPEN)), count_where(done),
               count_where(WorkOrder.status == OrderStatus.cancelled),
               func.coalesce(func.sum(CampaignTarget.expected_beneficiaries), 0),
               func.coalesce(func.sum(case((done, WorkOrder.actual_beneficiaries), else_=0)), 0),
               func.coalesce(func.sum(hours.c.hours), 0), func.count(Rating.id),
               func.coalesce(func.sum(Rating.level), 0), count_where(good_rating(Rating.level)))
        .select_from(CampaignTarget)
        .outerjoin(WorkOrder, WorkOrder.id == CampaignTarget.order_id)
        .outerjoin(hours, hours.c.order_id == WorkOrder.id)
        .outerjoin(Rating, Rating.order_id == WorkOrder.id)
        .where(CampaignTarget.campaign_id == campaign.id)).one()
    return {"targets": targets, "orders": orders_n, "open": int(open_n), "done": int(done_n),
            "cancelled": int(cancelled), "expected": int(expected), "beneficiaries": int(actual),
            "hours": half_up(float(hours_sum), 1), "rated": rated,
            "average": half_up(level_sum / rated, 2) if rated else None,
            "good_rate": percent_value(rate(int(good), rated))}


def target_choices(session: Session, *, actor: Actor) -> dict:
    """What the campaign form offers: the active 所/站 and active teams of the actor's sites."""
    ensure_allowed(actor, Action.MANAGE_CAMPAIGNS)
    places = session.exec(select(Site.id, Site.name, Site.level)
                          .where(Site.path.startswith(actor.site_path), Site.active,
                                 Site.level.in_(TARGET_LEVELS))
                          .order_by(Site.path)).all()
    teams = session.exec(select(Team.id, Team.name, Site.name)
                         .join(Site, Site.id == Team.site_id)
                         .where(Site.path.startswith(actor.site_path), Team.active)
                         .order_by(Site.path, Team.name)).all()
    return {"sites": {i: name for i, name, _ in places},
            "teams": {i: (name, site) for i, name, site in teams}}
