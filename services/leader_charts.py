"""The overview's charts for leaders that PRODUCT.md lists beside the tiles: beneficiaries per
village, the category mix, the team leaderboard and response times — each one GROUP BY over the
orders of a local-date period within the actor's sites, returning one row per village, category,
team or step. (The satisfaction trend is satisfaction.breakdown by month.)"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, func
from sqlmodel import Session, select

from core.db import dialect_of, hours_between
from models import DONE, ServiceCategory, Site, Team, WorkOrder
from services import scope
from services import settings as settings_service
from services.clock import day_range_utc
from services.figures import half_up
from services.permissions import Action, Actor, ensure_allowed

LEADERBOARD = 10


def _period(session: Session, actor: Actor, start: date, end: date):
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    tz = settings_service.current(session)["timezone"]
    lo, hi = day_range_utc(start, end, tz)
    done = and_(WorkOrder.status.in_(DONE), WorkOrder.completed_at >= lo,
                WorkOrder.completed_at < hi)
    return scope.orders_of(session, actor), done, lo, hi


def beneficiaries_by_village(session: Session, *, actor: Actor, start: date,
                             end: date) -> pd.DataFrame:
    """Per site (村/站), people served by the orders completed in the period: site, people."""
    mine, done, _lo, _hi = _period(session, actor, start, end)
    people = func.coalesce(func.sum(WorkOrder.actual_beneficiaries), 0)
    rows = session.exec(select(Site.name, people).select_from(WorkOrder)
                        .join(Site, Site.id == WorkOrder.site_id).where(*mine, done)
                        .group_by(Site.id, Site.name).order_by(people.desc(), Site.name)).all()
    return pd.DataFrame([(n, int(p)) for n, p in rows], columns=["site", "people"])


def category_mix(session: Session, *, actor: Actor, start: date, end: date) -> pd.DataFrame:
    """Per category, orders placed in the period: category, orders."""
    mine, _done, lo, hi = _period(session, actor, start, end)
    n = func.count(WorkOrder.id)
    rows = session.exec(select(ServiceCategory.name, n).select_from(WorkOrder)
                        .join(ServiceCategory, ServiceCategory.id == WorkOrder.category_id)
                        .where(*mine, WorkOrder.submitted_at >= lo, WorkOrder.submitted_at < hi)
                        .group_by(ServiceCategory.id, ServiceCategory.name)
                        .order_by(n.desc())).all()
    return pd.DataFrame(rows, columns=["category", "orders"])


def team_leaderboard(session: Session, *, actor: Actor, start: date, end: date,
                     limit: int = LEADERBOARD) -> pd.DataFrame:
    """The teams that completed most orders in the period: team, done, people."""
    mine, done, _lo, _hi = _period(session, actor, start, end)
    n = func.count(WorkOrder.id)
    rows = session.exec(select(Team.name, n, func.coalesce(
        func.sum(WorkOrder.actual_beneficiaries), 0)).select_from(WorkOrder)
        .join(Team, Team.id == WorkOrder.team_id).where(*mine, done)
        .group_by(Team.id, Team.name).order_by(n.desc(), Team.name).limit(limit)).all()
    return pd.DataFrame([(t, d, int(p)) for t, d, p in rows], columns=["team", "done", "people"])


def response_times(session: Session, *, actor: Actor, start: date, end: date) -> pd.DataFrame:
    """Mean hours of each step for the orders completed in the period: step (dispatch, accept,
    complete), hours — 点单→派单, 派单→接单, 接单→完成."""
    mine, done, _lo, _hi = _period(session, actor, start, end)
    d = dialect_of(session)
    steps = (("dispatch", WorkOrder.submitted_at, WorkOrder.dispatched_at),
             ("accept", WorkOrder.dispatched_at, WorkOrder.accepted_at),
             ("complete", WorkOrder.accepted_at, WorkOrder.completed_at))
    means = session.exec(select(*[func.avg(hours_between(a, b, d)) for _s, a, b in steps])
                         .select_from(WorkOrder).where(*mine, done)).one()
    rows = [(name, half_up(h, 1)) for (name, _a, _b), h in zip(steps, means, strict=True)
            if h is not None]
    return pd.DataFrame(rows, columns=["step", "hours"])
