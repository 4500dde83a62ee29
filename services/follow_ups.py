"""回访: the follow-up calls a poor rating or a missing rating calls for.

Two kinds, both due `follow_up_days` after they become needed:

- **差评** (`bad_rating`): a rating of 2 or less. The rating opens a FollowUp row at once.
- **未评价** (`unrated`): an order still 已完成 (not rated) `rate_days` after completion. Nothing
  is written when that moment passes: the open ones are the completed orders older than
  `rate_days` that have no `unrated` row, found in SQL. A row is written only when the follow-up
  is settled — an outcome recorded on the 回访 page (with or without the rating the call
  brought), or a rating arriving late by any channel — so the database holds facts only, and
  no page view writes.

A follow-up is *done* when it has `done_at`; *on time* when `done_at <= due_at`. What opens one
is the rating's business: services/ratings.py (`after_rating`); the due times are
services/sla.py (`follow_up_windows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, not_, or_, update
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    FollowUp,
    FollowUpReason,
    OrderAction,
    OrderEvent,
    OrderStatus,
    Rating,
    RatingChannel,
    ServiceCategory,
    Site,
    Team,
    User,
    WorkOrder,
)
from services import orders, ratings, scope, sla, validate
from services import settings as settings_service
from services.clock import day_range_utc
from services.errors import DomainError
from services.permissions import Action, Actor, ensure_allowed, ensure_any_allowed

STATES = ("due", "overdue", "done")
R = FollowUpReason


class NothingToFollowUp(DomainError):
    """The order has no open follow-up (already recorded by someone else, or never needed)."""

    key = "error.follow_up_none"


def record(session: Session, *, actor: Actor, order_id: int, outcome: str,
           level: int | None = None, now: datetime | None = None) -> FollowUpReason:
    """Close an order's open follow-up with what the call found. For an order still unrated the
    call may bring its rating (channel 回访电话), recorded in the same transaction. Managers and
    officers of the order's site."""
    now = now or utcnow()
    ensure_allowed(actor, Action.FOLLOW_UP)
    outcome = validate.text(outcome, key="outcome", maximum=1000)
    if level is not None:
        level, _, _ = ratings.clean(level, "", RatingChannel.call)
    order = orders.load_for(session, actor, Action.FOLLOW_UP, order_id)
    values = settings_service.current(session)
    needed_after, late_after = sla.follow_up_windows(values)
    open_bad = session.exec(select(FollowUp.id).where(
        FollowUp.order_id == order.id, FollowUp.reason == R.bad_rating,
        FollowUp.done_at.is_(None))).first()
    if open_bad is not None:
        reason = R.bad_rating
        closed = session.exec(update(FollowUp)
                              .where(FollowUp.id == open_bad, FollowUp.done_at.is_(None))
                              .values(done_at=now, done_by_id=actor.id, outcome=outcome))
        if closed.rowcount != 1:
            session.rollback()
            raise NothingToFollowUp(code=order.code)
    elif (order.status == OrderStatus.completed and order.completed_at + needed_after < now
          and session.exec(select(FollowUp.id).where(FollowUp.order_id == order.id,
                                                     FollowUp.reason == R.unrated)).first()
          is None):
        reason = R.unrated
        if level is not None:  # the rating settles the unrated follow-up (after_rating)
            ratings.record(session, order, by=actor, level=level, comment="",
                           channel=RatingChannel.call, now=now)
            session.flush()
            session.exec(update(FollowUp).where(FollowUp.order_id == order.id,
                                                FollowUp.reason == R.unrated)
                         .values(outcome=outcome))
        else:
            session.add(FollowUp(order_id=order.id, reason=R.unrated,
                                 due_at=order.completed_at + late_after, done_at=now,
                                 done_by_id=actor.id, outcome=outcome))
    else:
        session.rollback()
        raise NothingToFollowUp(code=order.code)
    status = session.exec(select(WorkOrder.status).where(WorkOrder.id == order.id)).one()
    session.add(OrderEvent(order_id=order.id, at=now, actor_id=actor.id,
                           action=OrderAction.follow_up.value,
                           from_status=status, to_status=status, note=outcome))
    session.commit()
    return reason


# --- reading ----------------------------------------------------------------------------------


def unrated_open(session: Session, actor: Actor, now: datetime, values: dict, state: str):
    """Conditions on WorkOrder for the open 未评价 follow-ups, due or overdue."""
    needed_after, late_after = sla.follow_up_windows(values)
    unsettled = not_(exists().where(FollowUp.order_id == WorkOrder.id,
                                    FollowUp.reason == R.unrated))
    when = (WorkOrder.completed_at >= now - late_after if state == "due"
            else WorkOrder.completed_at < now - late_after)
    return [*scope.orders_of(session, actor), WorkOrder.status == OrderStatus.completed,
            WorkOrder.completed_at < now - needed_after, when, unsettled]


def _row_state(state: str, now: datetime):
    if state == "done":
        return FollowUp.done_at.is_not(None)
    if state == "due":
        return and_(FollowUp.done_at.is_(None), FollowUp.due_at >= now)
    return and_(FollowUp.done_at.is_(None), FollowUp.due_at < now)


def _names(stmt):
    return (stmt.join(Site, Site.id == WorkOrder.site_id)
            .join(ServiceCategory, ServiceCategory.id == WorkOrder.category_id)
            .join(Team, Team.id == WorkOrder.team_id, isouter=True)
            .join(Rating, Rating.order_id == WorkOrder.id, isouter=True))


def page(session: Session, *, actor: Actor, state: str = "due", offset: int = 0, limit: int = 25,
         now: datetime | None = None) -> tuple[list[dict], int]:
    """One page of follow-ups: `due` (open, not yet late) and `overdue` nearest due first;
    `done` latest first. Officers and managers, within their sites."""
    ensure_allowed(actor, Action.FOLLOW_UP)
    if state not in STATES:
        raise ValueError(state)
    now = now or utcnow()
    values = settings_service.current(session)
    mine = scope.orders_of(session, actor)
    cols = (FollowUp, WorkOrder.code, WorkOrder.title, Site.name, Team.name, ServiceCategory.name,
            Rating.level, Rating.comment, Rating.channel, User.display_name)
    rows_q = (_names(select(*cols).select_from(FollowUp)
                     .join(WorkOrder, WorkOrder.id == FollowUp.order_id))
              .join(User, User.id == FollowUp.done_by_id, isouter=True)
              .where(*mine, _row_state(state, now)))
    n_rows = session.exec(select(func.count()).select_from(FollowUp)
                          .join(WorkOrder, WorkOrder.id == FollowUp.order_id)
                          .where(*mine, _row_state(state, now))).one()

    def as_dict(f, code, title, site, team, category, level, comment, channel, by) -> dict:
        return {"order_id": f.order_id, "code": code, "title": title, "site": site,
                "team": team or "", "category": category, "reason": f.reason.value,
                "level": level, "comment": comment or "",
                "channel": channel.value if channel else "", "due_at": f.due_at,
                "done_at": f.done_at, "done_by": by or "", "outcome": f.outcome}

    if state == "done":
        found = session.exec(rows_q.order_by(FollowUp.done_at.desc(), FollowUp.id.desc())
                             .offset(offset).limit(limit)).all()
        return [as_dict(*r) for r in found], n_rows
    # Open ones come from two sources, each sorted by due date: merge the first offset+limit
    # of each (a deep page costs a little more; the first pages, the ones used, stay cheap).
    wanted = offset + limit
    rows = [as_dict(*r) for r in session.exec(
        rows_q.order_by(FollowUp.due_at, FollowUp.id).limit(wanted)).all()]
    _needed, late_after = sla.follow_up_windows(values)
    conds = unrated_open(session, actor, now, values, state)
    n_unrated = session.exec(select(func.count()).select_from(WorkOrder).where(*conds)).one()
    unrated = session.exec(
        _names(select(WorkOrder.id, WorkOrder.code, WorkOrder.title, Site.name, Team.name,
                      ServiceCategory.name, WorkOrder.completed_at).select_from(WorkOrder))
        .where(*conds).order_by(WorkOrder.completed_at, WorkOrder.id).limit(wanted)).all()
    rows += [{"order_id": oid, "code": code, "title": title, "site": site, "team": team or "",
              "category": category, "reason": R.unrated.value, "level": None, "comment": "",
              "channel": "", "due_at": done + late_after, "done_at": None, "done_by": "",
              "outcome": ""}
             for oid, code, title, site, team, category, done in unrated]
    rows.sort(key=lambda r: (r["due_at"], r["order_id"]))
    return rows[offset:offset + limit], n_rows + n_unrated


def open_for(session: Session, *, actor: Actor, order_id: int,
             now: datetime | None = None) -> str | None:
    """The reason of the order's open follow-up ('bad_rating', 'unrated'), or None."""
    ensure_allowed(actor, Action.FOLLOW_UP)
    now = now or utcnow()
    values = settings_service.current(session)
    bad = session.exec(select(FollowUp.id).join(WorkOrder, WorkOrder.id == FollowUp.order_id)
                       .where(*scope.orders_of(session, actor), FollowUp.order_id == order_id,
                              FollowUp.reason == R.bad_rating,
                              FollowUp.done_at.is_(None))).first()
    if bad is not None:
        return R.bad_rating.value
    for state in ("due", "overdue"):
        conds = unrated_open(session, actor, now, values, state)
        if session.exec(select(WorkOrder.id).where(*conds, WorkOrder.id == order_id)).first():
            return R.unrated.value
    return None


def counted_at():
    """SQL: the moment a follow-up is counted at — when it was done, if that was before it was
    due; else when it was due."""
    return case((and_(FollowUp.done_at.is_not(None), FollowUp.done_at < FollowUp.due_at),
                 FollowUp.done_at), else_=FollowUp.due_at)


@dataclass(frozen=True)
class Rates:
    needed: int      # follow-ups due in the period, less those still open and not yet due
    done: int
    on_time: int
    open_due: int    # open now, not yet late (any period)
    open_overdue: int

    @property
    def follow_up_rate(self) -> float | None:
        return self.done / self.needed if self.needed else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.needed if self.needed else None


def rates(session: Session, *, actor: Actor, start: date, end: date,
          now: datetime | None = None) -> Rates:
    """回访率 and 按时回访率 of the follow-ups due in a local-date period, counted in SQL.

    A follow-up counts in the period of its due date or, when it was done before that, of the
    day it was done (`counted_at`): an officer who calls back early moves this period's 回访率,
    not a later one's. Left out are those still open and not yet due (they cannot be judged
    yet). 回访率 = done / counted; 按时回访率 = done on or before the due date / counted."""
    ensure_any_allowed(actor, (Action.FOLLOW_UP, Action.VIEW_SATISFACTION))
    now = now or utcnow()
    values = settings_service.current(session)
    lo, hi = day_range_utc(start, end, values["timezone"])
    mine = scope.orders_of(session, actor)
    judged = or_(FollowUp.done_at.is_not(None), FollowUp.due_at < now)
    n, done, on_time = session.exec(
        select(func.count(), func.count(FollowUp.done_at),
               func.coalesce(func.sum(case((FollowUp.done_at <= FollowUp.due_at, 1), else_=0)), 0))
        .select_from(FollowUp).join(WorkOrder, WorkOrder.id == FollowUp.order_id)
        .where(*mine, counted_at() >= lo, counted_at() < hi, judged)).one()
    _needed, late_after = sla.follow_up_windows(values)
    late_unrated = session.exec(select(func.count()).select_from(WorkOrder).where(
        *unrated_open(session, actor, now, values, "overdue"),
        WorkOrder.completed_at >= lo - late_after, WorkOrder.completed_at < hi - late_after)).one()
    counts = {}
    for state in ("due", "overdue"):
        rows = session.exec(select(func.count()).select_from(FollowUp)
                            .join(WorkOrder, WorkOrder.id == FollowUp.order_id)
                            .where(*mine, _row_state(state, now))).one()
        virtual = session.exec(select(func.count()).select_from(WorkOrder)
                               .where(*unrated_open(session, actor, now, values, state))).one()
        counts[state] = rows + virtual
    return Rates(needed=n + late_unrated, done=done, on_time=on_time,
                 open_due=counts["due"], open_overdue=counts["overdue"])
