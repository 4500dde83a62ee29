"""What must hold in any Diandan database, whatever ran against it (writers, kill -9, a restore):
the soak tests and the backup test check a database with `problems(url)` and expect []."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from sqlalchemy import func
from sqlmodel import select

from core import db
from models import (
    DONE,
    OrderEvent,
    OrderStatus,
    PointsEntry,
    Rating,
    ServiceRecord,
    WorkOrder,
)
from services import points, settings


def problems(url: str) -> list[str]:
    found = _integrity(url)
    with db.session(url) as s:
        found += _status_follows_events(s)
        found += _done_orders_have_records(s)
        found += _one_rating_per_rated_order(s)
        found += _points_are_hours_times_rate(s)
    return found


def _integrity(url: str) -> list[str]:
    if not url.startswith("sqlite"):
        return []
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    return ([] if result == ["ok"] else [f"integrity_check: {result}"]) + (
        [f"foreign keys broken: {fk[:5]}"] if fk else [])


def _status_follows_events(s) -> list[str]:
    """An order's status is where its last event left it: no transition half-written."""
    last = (select(OrderEvent.order_id, func.max(OrderEvent.id).label("id"))
            .group_by(OrderEvent.order_id).subquery())
    rows = s.exec(select(WorkOrder.code, WorkOrder.status, OrderEvent.to_status)
                  .join(last, last.c.order_id == WorkOrder.id)
                  .join(OrderEvent, OrderEvent.id == last.c.id)).all()
    without = s.exec(select(func.count()).select_from(WorkOrder).where(
        ~WorkOrder.id.in_(select(OrderEvent.order_id)))).one()
    out = [f"{code}: status {st} but last event to {to}" for code, st, to in rows if st != to]
    return out + ([f"{without} orders without an event"] if without else [])


def _done_orders_have_records(s) -> list[str]:
    with_records = set(s.exec(select(ServiceRecord.order_id).distinct()).all())
    out = []
    for oid, code, status, completed_at in s.exec(
            select(WorkOrder.id, WorkOrder.code, WorkOrder.status, WorkOrder.completed_at)):
        done = status in DONE
        if done and (oid not in with_records or completed_at is None):
            out.append(f"{code}: {status} without its service record")
        if not done and oid in with_records:
            out.append(f"{code}: {status} with service records")
    return out


def _one_rating_per_rated_order(s) -> list[str]:
    ratings = dict(s.exec(select(Rating.order_id, func.count()).group_by(Rating.order_id)).all())
    out = []
    for oid, code, status in s.exec(select(WorkOrder.id, WorkOrder.code, WorkOrder.status)):
        n = ratings.get(oid, 0)
        if (status == OrderStatus.rated) != (n == 1) or n > 1:
            out.append(f"{code}: {status} with {n} ratings")
    return out


def _points_are_hours_times_rate(s) -> list[str]:
    values = settings.current(s)
    earned: dict[tuple[int, int], int] = defaultdict(int)
    for oid, vid, p in s.exec(select(PointsEntry.order_id, PointsEntry.volunteer_id,
                                     PointsEntry.points).where(PointsEntry.order_id.is_not(None))):
        earned[(oid, vid)] += p
    out = []
    for oid, vid, hours in s.exec(select(ServiceRecord.order_id, ServiceRecord.volunteer_id,
                                         ServiceRecord.hours)):
        want = points.for_hours(hours, values)
        if earned.pop((oid, vid), 0) != want:
            out.append(f"order {oid} volunteer {vid}: points ≠ {hours} h × rate")
    out += [f"order {oid} volunteer {vid}: points without hours" for (oid, vid), p
            in earned.items() if p]
    return out
