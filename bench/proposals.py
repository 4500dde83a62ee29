"""Proposed rewrites of the slow read queries, measured next to the services' own functions.

Nothing here is used by the app. Each function has the signature and the result of the service
function it shadows (county.py checks that both return the same rows), so a rewrite that wins
here can be moved into services/ as it is. What changes:

1. **Scope by `site_id IN (subquery)` instead of `JOIN site … WHERE site.path LIKE`, and no
   scope at all for the root of the tree.** The join makes SQLite visit the site row of every
   order it considers (a million lookups to count a county, and the same million to count one
   站's 3,000 orders, because the LIKE on `site.path` cannot drive the join) and hides the
   order's own columns from covering indexes. `site_id IN (SELECT id FROM site WHERE path LIKE
   :p || '%')` is the same set, is answered from any index that starts with `site_id` (a 所 or
   站 is ≤ 5 % of the orders, so driving by site is right), and lets `count(*)` run on
   ix_workorder_site_status alone. A county-level actor — whose site is the root of the only
   tree — sees every order, so the condition is dropped: with it, the planner would drive
   every county query through the site index too (321 index ranges and a sort, or a million
   row lookups), which is the wrong plan when nothing is filtered out.
2. **A sargable overdue filter.** `sla.overdue_kind(...) IS NOT NULL` is a CASE, which no index
   can serve, so `overdue_only` and the overview's 超时 tile scan every order. Only open orders
   can be overdue, so `status IN (submitted, dispatched, accepted, completed) AND <case>`
   is the same set and is found through ix_workorder_status (a few thousand rows, not a million).
3. **The urgent sort in two indexed steps.** `ORDER BY <case> IS NULL, due_on, submitted_at, id`
   sorts the whole scope in a temporary B-tree before returning 50 rows. The same order is
   "overdue orders by (due_on, submitted_at, id)" — a small set, found as in 2 — followed by
   "all the others by (due_on, submitted_at, id)", which an index on (due_on, submitted_at)
   returns already sorted (the rowid is the id), so SQLite stops after the page.
4. **A whole order code is looked up, not searched.** `code LIKE '%DD-2026-000123%'` cannot use
   the unique index on `code`; `code = 'DD-2026-000123'` can. (Titles are not searched for a
   code-shaped text: no title holds one.)
5. **Free-text search in one pass**: see `_search_page`.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd
from sqlalchemy import and_, case, distinct, func, not_, or_
from sqlmodel import Session, select

from core.db import dialect_of, local_month, utcnow
from models import (OrderStatus, Rating, Role, ServiceCategory, ServiceRecord, Site, Team,
                    WorkOrder)
from services import settings as settings_service
from services import sla
from services.clock import day_range_utc
from services.orders import OrderFilter
from services.permissions import Action, Actor, ensure_allowed

S = OrderStatus
CODE = re.compile(r"^DD-\d{4}-\d{6,}$", re.IGNORECASE)   # what orders.place writes
CAN_BE_OVERDUE = (S.submitted, S.dispatched, S.accepted, S.completed)
DONE = (S.completed, S.rated)


def sites_under(path: str):
    return select(Site.id).where(Site.path.startswith(path)).scalar_subquery()


def whole_tree(session: Session, actor: Actor) -> bool:
    """True when the actor's site is the root of the only site tree: every order is theirs."""
    if actor.role == Role.team_lead or actor.site_path.count("/") != 2:
        return False
    return session.exec(select(func.count()).select_from(Site)
                        .where(Site.parent_id.is_(None))).one() == 1


def order_scope(session: Session, actor: Actor) -> list:
    """1. The actor's orders as conditions on WorkOrder alone ([] for the whole tree)."""
    if actor.role == Role.team_lead:
        return [WorkOrder.team_id == (actor.team_id or -1)]
    if whole_tree(session, actor):
        return []
    return [WorkOrder.site_id.in_(sites_under(actor.site_path))]


def overdue(now: datetime, values: dict):
    """2. The same rows as `sla.overdue_kind(now, values).is_not(None)`, through an index."""
    return and_(WorkOrder.status.in_(CAN_BE_OVERDUE), sla.overdue_kind(now, values).is_not(None))


def _filters(session: Session, actor: Actor, flt: OrderFilter, now: datetime, values: dict):
    conds = order_scope(session, actor)
    if flt.statuses:
        conds.append(WorkOrder.status.in_([S(x) for x in flt.statuses]))
    if flt.site_id:
        conds.append(WorkOrder.site_id.in_(sites_under(session.get(Site, flt.site_id).path)))
    if flt.team_id:
        conds.append(WorkOrder.team_id == flt.team_id)
    if flt.category_id:
        conds.append(WorkOrder.category_id == flt.category_id)
    if flt.date_from or flt.date_to:
        start, end = day_range_utc(flt.date_from or date(2000, 1, 1),
                                   flt.date_to or date(2100, 1, 1), values["timezone"])
        conds += [WorkOrder.submitted_at >= start, WorkOrder.submitted_at < end]
    if flt.overdue_only:
        conds.append(overdue(now, values))
    text = flt.search.strip()
    if CODE.match(text):
        conds.append(WorkOrder.code == text.upper())      # 4. a whole code: the unique index
    elif text:
        like = f"%{text}%"
        conds.append(or_(WorkOrder.code.like(like), WorkOrder.title.like(like)))
    return conds


def page_ids(session: Session, *, actor: Actor, flt: OrderFilter = OrderFilter(),
             offset: int = 0, limit: int = 50, sort: str = "newest",
             now: datetime | None = None) -> tuple[list[int], int]:
    """orders.page's ids and total, with rewrites 1–3."""
    if actor.role != Role.team_lead:
        ensure_allowed(actor, Action.VIEW_ORDERS)
    now = now or utcnow()
    values = settings_service.current(session)
    conds = _filters(session, actor, flt, now, values)
    if sort != "urgent" and flt.search.strip() and not CODE.match(flt.search.strip()):
        return _search_page(session, conds, offset, limit, sort)
    total = session.exec(select(func.count()).select_from(WorkOrder).where(*conds)).one()
    by_due = (WorkOrder.due_on, WorkOrder.submitted_at, WorkOrder.id)
    if sort == "urgent":
        late = overdue(now, values)
        late_ids = list(session.exec(select(WorkOrder.id).where(*conds, late).order_by(*by_due)
                                     .offset(offset).limit(limit)))
        if len(late_ids) == limit:
            return late_ids, total
        skip = 0
        if not late_ids:   # the page starts after the overdue ones: how many to skip
            n_late = session.exec(select(func.count()).select_from(WorkOrder)
                                  .where(*conds, late)).one()
            skip = offset - n_late
        rest = list(session.exec(select(WorkOrder.id).where(*conds, not_(late))
                                 .order_by(*by_due).offset(skip).limit(limit - len(late_ids))))
        return late_ids + rest, total
    ids = list(session.exec(select(WorkOrder.id).where(*conds).order_by(*_order(sort))
                            .offset(offset).limit(limit)))
    return ids, total


def _order(sort: str):
    if sort == "oldest":
        return (WorkOrder.submitted_at, WorkOrder.id)
    return (WorkOrder.submitted_at.desc(), WorkOrder.id.desc())


def _search_page(session: Session, conds: list, offset: int, limit: int,
                 sort: str) -> tuple[list[int], int]:
    """5. Free-text search: the page and the total from one pass over the matches.

    Walking the submission-time index and testing LIKE on every row is what SQLite chooses for
    `ORDER BY submitted_at LIMIT 50`; for a rare term that is a walk through every order. With
    the total as a window (`count(*) OVER ()`), SQLite has to find all matches first — by
    scanning the narrow ix_workorder_search (title, code, site_id, submitted_at) instead of the
    table — and then sorts only them.
    """
    rows = session.exec(select(WorkOrder.id, func.count().over()).where(*conds)
                        .order_by(*_order(sort)).offset(offset).limit(limit)).all()
    if rows:
        return [i for i, _ in rows], rows[0][1]
    total = session.exec(select(func.count()).select_from(WorkOrder).where(*conds)).one()
    return [], total


def page(session: Session, *, now: datetime | None = None, **kwargs) -> tuple[list[dict], int]:
    """orders.page with rewrites 1–3; the rows are built exactly as the service builds them."""
    now = now or utcnow()
    ids, total = page_ids(session, now=now, **kwargs)
    if not ids:
        return [], total
    late = sla.overdue_kind(now, settings_service.current(session)).label("overdue")
    rows = session.exec(
        select(WorkOrder, Site.name, ServiceCategory.name, Team.name, late)
        .join(Site, Site.id == WorkOrder.site_id)
        .join(ServiceCategory, ServiceCategory.id == WorkOrder.category_id)
        .join(Team, Team.id == WorkOrder.team_id, isouter=True)
        .where(WorkOrder.id.in_(ids))).all()
    by_id = {o.id: (o, site, cat, team, kind) for o, site, cat, team, kind in rows}
    out = []
    for oid in ids:
        o, site, cat, team, kind = by_id[oid]
        out.append({"id": o.id, "code": o.code, "title": o.title, "status": o.status.value,
                    "site": site, "category": cat, "team": team or "", "source": o.source.value,
                    "submitted_at": o.submitted_at, "due_on": o.due_on, "overdue": kind or "",
                    "last_decline_reason": o.last_decline_reason,
                    "expected_beneficiaries": o.expected_beneficiaries,
                    "actual_beneficiaries": o.actual_beneficiaries})
    return out, total


def overview(session: Session, *, actor: Actor, start: date, end: date,
             now: datetime | None = None) -> dict:
    """reports.overview with rewrites 1 and 2."""
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    now = now or utcnow()
    values = settings_service.current(session)
    lo, hi = day_range_utc(start, end, values["timezone"])
    scope = order_scope(session, actor)
    placed = session.exec(select(func.count()).select_from(WorkOrder)
                          .where(*scope, WorkOrder.submitted_at >= lo,
                                 WorkOrder.submitted_at < hi)).one()
    done_in_period = and_(WorkOrder.status.in_(DONE), WorkOrder.completed_at >= lo,
                          WorkOrder.completed_at < hi)
    done, beneficiaries = session.exec(
        select(func.count(), func.coalesce(func.sum(WorkOrder.actual_beneficiaries), 0))
        .select_from(WorkOrder).where(*scope, done_in_period)).one()
    late = session.exec(select(func.count()).select_from(WorkOrder)
                        .where(*scope, overdue(now, values))).one()
    ratings = (select(func.count(),
                      func.coalesce(func.sum(case((Rating.level >= 4, 1), else_=0)), 0),
                      func.coalesce(func.sum(case((Rating.level >= 3, 1), else_=0)), 0))
               .select_from(Rating).where(Rating.at >= lo, Rating.at < hi))
    if scope:   # the whole tree needs no join: every rating counts
        ratings = ratings.join(WorkOrder, WorkOrder.id == Rating.order_id).where(*scope)
    rated, good, satisfied = session.exec(ratings).one()
    hours, volunteers = session.exec(
        select(func.coalesce(func.sum(ServiceRecord.hours), 0.0),
               func.count(distinct(ServiceRecord.volunteer_id)))
        .select_from(ServiceRecord).join(WorkOrder, WorkOrder.id == ServiceRecord.order_id)
        .where(*scope, done_in_period)).one()
    return {
        "placed": placed, "done": done, "overdue": late,
        "completion_rate": (done / placed) if placed else None,
        "ratings": rated,
        "good_rate": (good / rated) if rated else None,
        "satisfied_rate": (satisfied / rated) if rated else None,
        "beneficiaries": int(beneficiaries), "hours": round(float(hours), 1),
        "active_volunteers": volunteers,
    }


def orders_by_month(session: Session, *, actor: Actor, start: date, end: date) -> pd.DataFrame:
    """reports.orders_by_month with rewrite 1."""
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    values = settings_service.current(session)
    lo, hi = day_range_utc(start, end, values["timezone"])
    month = local_month(WorkOrder.submitted_at, values["timezone"], dialect_of(session))
    rows = session.exec(
        select(month.label("month"), WorkOrder.status, func.count())
        .select_from(WorkOrder)
        .where(*order_scope(session, actor), WorkOrder.submitted_at >= lo,
               WorkOrder.submitted_at < hi)
        .group_by(month, WorkOrder.status).order_by(month)).all()
    return pd.DataFrame([(m, s.value if hasattr(s, "value") else s, n) for m, s, n in rows],
                        columns=["month", "status", "orders"])
