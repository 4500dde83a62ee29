"""The menu review: per service item the needs asking for it, its orders, beneficiaries and
好评率, and the flags that call for a revision — each flag with the numbers behind it.

Rules (thresholds are settings):
- *low rating*: an active item with at least `menu_min_ratings` ratings whose average is below
  `satisfaction_threshold`;
- *idle*: an active item with no order placed in the last `menu_idle_months` months (an item
  newer than that is judged from the day it was added);
- *unserved category*: a category with open needs and no active item to serve them.
Figures count the actor's sites only; ratings and orders over all time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, func
from sqlmodel import Session, select

from core.db import count_where, utcnow
from models import (
    DONE,
    Need,
    Rating,
    ServiceCategory,
    ServiceItem,
    ServiceItemTeam,
    Team,
    WorkOrder,
    good_rating,
)
from services import needs, scope
from services import settings as settings_service
from services.clock import local_today
from services.figures import half_up
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the 31st falls back to the month's end)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    for d in range(day.day, 27, -1):
        try:
            return date(y, m, d)
        except ValueError:
            continue
    return date(y, m, min(day.day, 28))


def _by_item(session: Session, query) -> dict:
    return {row[0]: row[1:] for row in session.exec(query).all() if row[0] is not None}


def review(session: Session, *, actor: Actor, now: datetime | None = None) -> list[dict]:
    """Every menu item, active first, with its figures and flags."""
    ensure_allowed(actor, Action.VIEW_MENU)
    now = now or utcnow()
    values = settings_service.current(session)
    today = local_today(now, values["timezone"])
    cutoff = months_before(today, values["menu_idle_months"])
    mine = scope.orders_of(session, actor)
    items = session.exec(select(ServiceItem, ServiceCategory.name)
                         .join(ServiceCategory, ServiceCategory.id == ServiceItem.category_id)
                         .order_by(ServiceItem.active.desc(), ServiceCategory.sort_order,
                                   ServiceItem.title)).all()
    teams: dict[int, list[str]] = {}
    for item_id, name in session.exec(select(ServiceItemTeam.item_id, Team.name)
                                      .join(Team, Team.id == ServiceItemTeam.team_id)
                                      .order_by(Team.name)).all():
        teams.setdefault(item_id, []).append(name)
    asked = _by_item(session, needs.query(
        session, actor, Need.item_id, func.count(),
        count_where(needs.is_open()))
        .group_by(Need.item_id))
    ordered = _by_item(session, select(
        WorkOrder.item_id, func.count(),
        func.coalesce(func.sum(case((WorkOrder.status.in_(DONE), WorkOrder.actual_beneficiaries),
                                    else_=0)), 0),
        func.max(WorkOrder.submitted_at))
        .where(*mine, WorkOrder.item_id.is_not(None)).group_by(WorkOrder.item_id))
    rated = _by_item(session, select(
        WorkOrder.item_id, func.count(Rating.id), func.avg(Rating.level),
        count_where(good_rating()))
        .select_from(Rating).join(WorkOrder, WorkOrder.id == Rating.order_id)
        .where(*mine, WorkOrder.item_id.is_not(None)).group_by(WorkOrder.item_id))
    out = []
    for item, category in items:
        n_needs, n_open = asked.get(item.id, (0, 0))
        n_orders, beneficiaries, last = ordered.get(item.id, (0, 0, None))
        n_ratings, average, good = rated.get(item.id, (0, None, 0))
        last_day = local_today(_aware(last), values["timezone"]) if last else None
        row = {"id": item.id, "title": item.title, "category_id": item.category_id,
               "category": category, "description": item.description, "active": item.active,
               "retired_reason": item.retired_reason,
               "teams": NAME_SEP.join(teams.get(item.id, [])),
               "needs": n_needs, "open_needs": int(n_open), "orders": n_orders,
               "beneficiaries": int(beneficiaries), "ratings": n_ratings,
               "average": half_up(average, 2) if average is not None else None,
               "good_rate": (good / n_ratings) if n_ratings else None,
               "last_order_on": last_day, "flags": []}
        if item.active:
            row["flags"] = flags(
                ratings=n_ratings, average=average, last_order_on=last_day,
                added_on=local_today(_aware(item.created_at), values["timezone"]),
                cutoff=cutoff, values=values)
        out.append(row)
    return out


def _aware(moment: datetime) -> datetime:
    # SQLite hands back MAX(...) as a naive value; every stored time is UTC.
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def flags(*, ratings: int, average: float | None, last_order_on: date | None, added_on: date,
          cutoff: date, values: dict) -> list[dict]:
    """The revision flags of one active item, each with its numbers."""
    out = []
    if (ratings >= values["menu_min_ratings"] and average is not None
            and average < values["satisfaction_threshold"]):
        out.append({"kind": "low_rating", "average": half_up(average, 2),
                    "ratings": ratings, "threshold": values["satisfaction_threshold"]})
    if max(last_order_on or added_on, added_on) < cutoff:
        out.append({"kind": "idle", "last_order_on": last_order_on,
                    "months": values["menu_idle_months"]})
    return out


def unserved(session: Session, *, actor: Actor) -> list[dict]:
    """Categories whose open needs have no active item to serve them, most needs first."""
    ensure_allowed(actor, Action.VIEW_MENU)
    served = select(ServiceItem.category_id).where(ServiceItem.active)
    rows = session.exec(
        needs.query(session, actor, ServiceCategory.name, func.count())
        .join(ServiceCategory, ServiceCategory.id == Need.category_id)
        .where(needs.is_open(), Need.category_id.not_in(served))
        .group_by(ServiceCategory.id, ServiceCategory.name)
        .order_by(func.count().desc())).all()
    return [{"category": name, "open_needs": n} for name, n in rows]
