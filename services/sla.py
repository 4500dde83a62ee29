"""Time limits (超时), computed by the database from the settings.

An order is overdue when it waits longer than allowed at its current step:
- 待派单 longer than `dispatch_days` after submission;
- 已派单 longer than `accept_days` after dispatch;
- not done (待派单/已派单/已接单) after its due date (local calendar day);
- 已完成 but not rated longer than `rate_days` after completion.

A 回访 is due `follow_up_days` after it becomes needed: after a 差评, or `rate_days` after an
unrated completion (`follow_up_windows`).

The escalation ladder (催办 → 督办): a late order is at the stage **催办** from the moment it
passes its limit, and **督办** once it is still late `escalate_hours` after that limit ran out
(`stage`). A manager records an urge on a late order (services/escalation.py); the urges are
events of its history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case

from models import CAN_BE_OVERDUE, OPEN, OrderStatus, WorkOrder
from services.clock import local_midnight_utc, local_today

S = OrderStatus
KINDS = ("dispatch", "accept", "due", "rate")


def overdue_kind(now: datetime, values: dict):
    """A SQL expression: which limit the order has broken ('dispatch', 'due', …) or NULL."""
    today = local_today(now, values["timezone"])
    return case(
        (and_(WorkOrder.status == S.submitted,
              WorkOrder.submitted_at < now - timedelta(days=values["dispatch_days"])), "dispatch"),
        (and_(WorkOrder.status == S.dispatched,
              WorkOrder.dispatched_at < now - timedelta(days=values["accept_days"])), "accept"),
        (and_(WorkOrder.status.in_(OPEN), WorkOrder.due_on < today), "due"),
        (and_(WorkOrder.status == S.completed,
              WorkOrder.completed_at < now - timedelta(days=values["rate_days"])), "rate"),
        else_=None,
    )


def is_overdue(now: datetime, values: dict):
    """A SQL condition: the order is overdue now. The status test in front is the same set (only
    these states have limits) and lets an index find the few candidates instead of a scan."""
    return and_(WorkOrder.status.in_(CAN_BE_OVERDUE), overdue_kind(now, values).is_not(None))


def is_escalated(now: datetime, values: dict):
    """A SQL condition: late at its current step for `escalate_hours` or more (督办) — the same
    limit, broken already at that earlier moment."""
    earlier = now - timedelta(hours=values["escalate_hours"])
    return and_(WorkOrder.status.in_(CAN_BE_OVERDUE), overdue_kind(earlier, values).is_not(None))


def stage(late_hours: float | None, values: dict) -> str:
    """'escalate' (督办), 'urge' (催办) or '' for an order late by this many hours (None: not
    late); the same boundary as is_escalated."""
    if late_hours is None:
        return ""
    return "escalate" if late_hours > values["escalate_hours"] else "urge"


def deadline(order: WorkOrder, kind: str, values: dict) -> datetime:
    """When the limit an overdue order broke ran out, by the same rules as overdue_kind."""
    if kind == "dispatch":
        return order.submitted_at + timedelta(days=values["dispatch_days"])
    if kind == "accept":
        return order.dispatched_at + timedelta(days=values["accept_days"])
    if kind == "rate":
        return order.completed_at + timedelta(days=values["rate_days"])
    return local_midnight_utc(order.due_on + timedelta(days=1), values["timezone"])


def follow_up_windows(values: dict) -> tuple[timedelta, timedelta]:
    """For an unrated order, counted from its completion: (when it needs a follow-up, when that
    follow-up is late)."""
    rate = timedelta(days=values["rate_days"])
    return rate, rate + timedelta(days=values["follow_up_days"])
