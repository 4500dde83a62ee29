"""积分: the one place the points ledger is written.

A volunteer earns `points_per_hour` (10) points per service hour, rounded to a whole number per
order, credited in the transaction that marks the order done. The ledger is never rewritten: a
correction adds an adjustment line with the difference, so the lines always add up to the
balance and show how it came about. Station duty (值班) earns the same, per marked day, with no
order (`credit_duty`). A line's note is the order's code; its reason says whether
it was earned (service) or moved by a correction (adjustment).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert
from sqlmodel import Session, select

from models import PointsEntry, PointsReason, WorkOrder
from services import settings as settings_service


def for_hours(hours: float, values: dict) -> int:
    """The points these hours earn under the settings."""
    return round(hours * values["points_per_hour"])


def credit_service(session: Session, *, order: WorkOrder, hours: dict[int, float],
                   now: datetime) -> None:
    """Credit each volunteer's hours on a completed order; the caller commits."""
    values = settings_service.current(session)
    lines = [{"volunteer_id": volunteer_id, "points": for_hours(h, values),
              "reason": PointsReason.service, "order_id": order.id, "at": now,
              "note": order.code or ""} for volunteer_id, h in hours.items()]
    lines = [line for line in lines if line["points"]]
    if lines:  # one INSERT for all the lines
        session.connection().execute(insert(PointsEntry), lines)


def credit_duty(session: Session, *, volunteer_id: int, hours: float, note: str,
                now: datetime) -> None:
    """Credit the hours of a station duty (值班) marked present; no order, the note names the
    station, day and time. The caller commits (services/duty.py writes the record alongside)."""
    earned = for_hours(hours, settings_service.current(session))
    if earned:
        session.add(PointsEntry(volunteer_id=volunteer_id, points=earned,
                                reason=PointsReason.service, order_id=None, at=now,
                                note=note[:200]))


def settle_correction(session: Session, *, order: WorkOrder, hours: dict[int, float],
                      now: datetime) -> None:
    """After a completion is corrected: move each volunteer's points on this order to what the
    new hours earn, by an adjustment line with the difference; the caller commits."""
    values = settings_service.current(session)
    held = dict(session.exec(
        select(PointsEntry.volunteer_id, func.sum(PointsEntry.points))
        .where(PointsEntry.order_id == order.id).group_by(PointsEntry.volunteer_id)).all())
    for volunteer_id in sorted(set(held) | set(hours)):
        change = for_hours(hours.get(volunteer_id, 0), values) - (held.get(volunteer_id) or 0)
        if change:
            session.add(PointsEntry(volunteer_id=volunteer_id, points=change,
                                    reason=PointsReason.adjustment, order_id=order.id, at=now,
                                    note=order.code or ""))


def balances(session: Session, volunteer_ids: list[int]) -> dict[int, int]:
    """Each volunteer's points balance: the sum of their ledger lines."""
    if not volunteer_ids:
        return {}
    rows = session.exec(select(PointsEntry.volunteer_id, func.sum(PointsEntry.points))
                        .where(PointsEntry.volunteer_id.in_(volunteer_ids))
                        .group_by(PointsEntry.volunteer_id)).all()
    return {vid: int(total or 0) for vid, total in rows}
