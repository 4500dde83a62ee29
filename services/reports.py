"""What leaders read: small aggregates computed by the database, never whole tables."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import and_, distinct, func
from sqlmodel import Session, select

from core.db import count_where, dialect_of, local_month, utcnow
from models import (
    DONE,
    Need,
    Rating,
    ServiceCategory,
    ServiceRecord,
    Survey,
    WorkOrder,
    good_rating,
    satisfied,
)
from services import scope, sla, surveys
from services import settings as settings_service
from services.clock import day_range_utc
from services.figures import half_up
from services.permissions import Action, Actor, ensure_allowed


def overview(session: Session, *, actor: Actor, start: date, end: date,
             now: datetime | None = None) -> dict:
    """The tiles of 概览 for a local-date period: placed, done, overdue now, 好评率, 满意率,
    beneficiaries, volunteer hours, active volunteers."""
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    now = now or utcnow()
    values = settings_service.current(session)
    lo, hi = day_range_utc(start, end, values["timezone"])
    mine = scope.orders_of(session, actor)
    placed = session.exec(select(func.count()).select_from(WorkOrder)
                          .where(*mine, WorkOrder.submitted_at >= lo,
                                 WorkOrder.submitted_at < hi)).one()
    done_in_period = and_(WorkOrder.status.in_(DONE), WorkOrder.completed_at >= lo,
                          WorkOrder.completed_at < hi)
    done, beneficiaries = session.exec(
        select(func.count(), func.coalesce(func.sum(WorkOrder.actual_beneficiaries), 0))
        .select_from(WorkOrder).where(*mine, done_in_period)).one()
    overdue = session.exec(select(func.count()).select_from(WorkOrder)
                           .where(*mine, sla.is_overdue(now, values))).one()
    ratings = (select(func.count(), count_where(good_rating()), count_where(satisfied()))
               .select_from(Rating).where(Rating.at >= lo, Rating.at < hi))
    if mine:  # the whole tree needs no join: every rating counts
        ratings = ratings.join(WorkOrder, WorkOrder.id == Rating.order_id).where(*mine)
    rated, good, n_satisfied = session.exec(ratings).one()
    hours, volunteers = session.exec(
        select(func.coalesce(func.sum(ServiceRecord.hours), 0.0),
               func.count(distinct(ServiceRecord.volunteer_id)))
        .select_from(ServiceRecord).join(WorkOrder, WorkOrder.id == ServiceRecord.order_id)
        .where(*mine, done_in_period)).one()
    return {
        "placed": placed, "done": done, "overdue": overdue,
        "completion_rate": (done / placed) if placed else None,
        "ratings": rated,
        "good_rate": (good / rated) if rated else None,
        "satisfied_rate": (n_satisfied / rated) if rated else None,
        "beneficiaries": int(beneficiaries), "hours": half_up(hours, 1),
        "active_volunteers": volunteers,
    }


def orders_by_month(session: Session, *, actor: Actor, start: date, end: date) -> pd.DataFrame:
    """Orders placed per local month and their current status: columns month, status, orders."""
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    values = settings_service.current(session)
    lo, hi = day_range_utc(start, end, values["timezone"])
    month = local_month(WorkOrder.submitted_at, values["timezone"], dialect_of(session))
    rows = session.exec(
        select(month.label("month"), WorkOrder.status, func.count())
        .select_from(WorkOrder)
        .where(*scope.orders_of(session, actor), WorkOrder.submitted_at >= lo,
               WorkOrder.submitted_at < hi)
        .group_by(month, WorkOrder.status).order_by(month)).all()
    return pd.DataFrame([(m, s.value if hasattr(s, "value") else s, n) for m, s, n in rows],
                        columns=["month", "status", "orders"])


def demand_supply(session: Session, *, actor: Actor, start: date, end: date) -> pd.DataFrame:
    """Per category, needs recorded in surveys of the period against orders done in it:
    columns category, needs, done (categories with neither are left out)."""
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    values = settings_service.current(session)
    lo, hi = day_range_utc(start, end, values["timezone"])
    asked = dict(session.exec(
        select(Need.category_id, func.count()).select_from(Need)
        .join(Survey, Survey.id == Need.survey_id)
        .where(*surveys.of_actor(session, actor), Survey.surveyed_on >= start,
               Survey.surveyed_on <= end)
        .group_by(Need.category_id)).all())
    done = dict(session.exec(
        select(WorkOrder.category_id, func.count()).select_from(WorkOrder)
        .where(*scope.orders_of(session, actor), WorkOrder.status.in_(DONE),
               WorkOrder.completed_at >= lo, WorkOrder.completed_at < hi)
        .group_by(WorkOrder.category_id)).all())
    rows = [(c.name, asked.get(c.id, 0), done.get(c.id, 0))
            for c in session.exec(select(ServiceCategory)
                                  .order_by(ServiceCategory.sort_order, ServiceCategory.id))
            if c.id in asked or c.id in done]
    return pd.DataFrame(rows, columns=["category", "needs", "done"])
