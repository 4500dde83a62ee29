"""What leaders read: small aggregates computed by the database, never whole tables; the
period figures from the rollups (services/rollups.py), which do not grow with history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import distinct, func
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    STATUS_ORDER,
    Need,
    OrderRollup,
    ServiceCategory,
    Survey,
    VolunteerRollup,
    WorkOrder,
    good_rating,
    satisfied,
)
from services import rollups, scope, sla, surveys
from services import settings as settings_service
from services.figures import half_up
from services.permissions import Action, Actor, ensure_allowed
from services.rollups import total


def overview(session: Session, *, actor: Actor, start: date, end: date,
             now: datetime | None = None) -> dict:
    """The tiles of 概览 for a local-date period: placed, done, overdue now, 好评率, 满意率,
    beneficiaries, volunteer hours, active volunteers (`period_tiles` and `overdue_now`)."""
    return {**period_tiles(session, actor=actor, start=start, end=end),
            "overdue": overdue_now(session, actor=actor, now=now)}


def period_tiles(session: Session, *, actor: Actor, start: date, end: date) -> dict:
    """The period's tiles, from the rollups (services/rollups.py), with the same definitions
    as the raw rows: placed = submitted in the period; done, beneficiaries, hours = orders done
    (已完成/已评价) in the period; ratings = given in the period; active volunteers = distinct
    volunteers on the period's done orders. No clock: the page keeps them per data version."""
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    R, V = OrderRollup, VolunteerRollup
    placed, done, beneficiaries, hours, rated, good, n_satisfied = session.exec(
        select(total(rollups.placed(R)), total(R.done), total(R.beneficiaries),
               total(R.hours_x100), total(rollups.rated(R)),
               total(rollups.levels_where(R, good_rating)),
               total(rollups.levels_where(R, satisfied)))
        .where(*_rows(session, actor, R, start, end))).one()
    volunteers = session.exec(
        select(func.count(distinct(V.volunteer_id)))
        .where(*_rows(session, actor, V, start, end), V.orders > 0)).one()
    return {
        "placed": placed, "done": done,
        "completion_rate": (done / placed) if placed else None,
        "ratings": rated,
        "good_rate": (good / rated) if rated else None,
        "satisfied_rate": (n_satisfied / rated) if rated else None,
        "beneficiaries": int(beneficiaries), "hours": half_up(Decimal(hours) / 100, 1),
        "active_volunteers": volunteers,
    }


def overdue_now(session: Session, *, actor: Actor, now: datetime | None = None) -> int:
    """超时 now: the actor's orders past a deadline of their current step (services/sla.py)."""
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    values = settings_service.current(session)
    return session.exec(select(func.count()).select_from(WorkOrder)
                        .where(*scope.orders_of(session, actor),
                               sla.is_overdue(now or utcnow(), values))).one()


def _rows(session: Session, actor: Actor, model, start: date, end: date | None) -> list:
    """The rollup rows of a local-date period within the actor's reach."""
    team = getattr(model, "team_id", None)
    return [*scope.rows_of(session, actor, model.site_id, team),
            rollups.in_period(model, start, end)]


def orders_by_month(session: Session, *, actor: Actor, start: date, end: date) -> pd.DataFrame:
    """Orders placed per local month and their current status: columns month, status, orders."""
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    R = OrderRollup
    month = rollups.month_of(R)
    counts = [total(getattr(R, rollups.STATUS_COLUMN[s])) for s in STATUS_ORDER]
    rows = session.exec(select(month, *counts).where(*_rows(session, actor, R, start, end))
                        .group_by(month).order_by(month)).all()
    return pd.DataFrame([(m, s.value, n) for m, *ns in rows
                         for s, n in zip(STATUS_ORDER, ns, strict=True) if n],
                        columns=["month", "status", "orders"])


def demand_supply(session: Session, *, actor: Actor, start: date, end: date) -> pd.DataFrame:
    """Per category, needs recorded in surveys of the period against orders done in it:
    columns category, needs, done (categories with neither are left out)."""
    ensure_allowed(actor, Action.VIEW_OVERVIEW)
    asked = dict(session.exec(
        select(Need.category_id, func.count()).select_from(Need)
        .join(Survey, Survey.id == Need.survey_id)
        .where(*surveys.of_actor(session, actor), Survey.surveyed_on >= start,
               Survey.surveyed_on <= end)
        .group_by(Need.category_id)).all())
    R = OrderRollup
    done = dict(session.exec(
        select(R.category_id, func.sum(R.done)).where(*_rows(session, actor, R, start, end))
        .group_by(R.category_id).having(func.sum(R.done) > 0)).all())
    rows = [(c.name, asked.get(c.id, 0), done.get(c.id, 0))
            for c in session.exec(select(ServiceCategory)
                                  .order_by(ServiceCategory.sort_order, ServiceCategory.id))
            if c.id in asked or c.id in done]
    return pd.DataFrame(rows, columns=["category", "needs", "done"])
