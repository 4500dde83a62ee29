"""积分: the one place the points ledger is written.

A volunteer earns `points_per_hour` (10) points per service hour, rounded to a whole number per
order, credited in the transaction that marks the order done. The ledger is never rewritten: a
correction adds an adjustment line with the difference, so the lines always add up to the
balance and show how it came about. Station duty (值班) earns the same, per marked day, with no
order (`credit_duty`). A line's note is the order's code; its reason says whether
it was earned (service) or moved by a correction (adjustment).

Moved by hand: a manager's adjustment (+/−, with the reason as its note, audited); a 积分超市
redemption takes points off by a `redemption` line and its cancellation gives them back by
another `redemption` line of the opposite sign, so nothing is ever deleted or changed.

**Expiry** (`points_expiry_years`, 0 = never): points are spent oldest first, so what expires is
what was earned more than N years ago and not spent since — max(0, earned before the cut-off −
everything taken off so far). It is not written to the ledger (no line is made by the passing
of time); `standing` shows it beside the balance and redemptions may spend only what is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, insert, literal
from sqlmodel import Session, select

from core.db import utcnow
from models import AuditAction, PointsEntry, PointsReason, Redemption, Site, Volunteer, WorkOrder
from services import audit, validate
from services import settings as settings_service
from services.errors import Invalid, NotFound
from services.permissions import Action, Actor, ensure_allowed

MAX_ADJUST = 100_000


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


@dataclass(frozen=True)
class Standing:
    """A volunteer's points now: the ledger's sum, what of it has expired, what can be spent."""

    balance: int
    expired: int
    available: int
    expiry_years: int


def standing(session: Session, volunteer_id: int, *, now: datetime | None = None,
             values: dict | None = None) -> Standing:
    """The balance (sum of lines), the expired part under `points_expiry_years` (oldest points
    spent first), and the points that may still be spent."""
    values = values or settings_service.current(session)
    years = int(values["points_expiry_years"])
    now = now or utcnow()
    cutoff = now - timedelta(days=round(365.25 * years)) if years else None
    earned_old = (func.sum(case((and_(PointsEntry.points > 0, PointsEntry.at < cutoff),
                                 PointsEntry.points), else_=0)) if cutoff else literal(0))
    row = session.exec(select(
        func.sum(PointsEntry.points),
        func.sum(case((PointsEntry.points < 0, -PointsEntry.points), else_=0)), earned_old)
        .where(PointsEntry.volunteer_id == volunteer_id)).one()
    balance, taken, old = (int(x or 0) for x in row)
    expired = max(0, min(balance, old - taken)) if cutoff else 0
    return Standing(balance=balance, expired=expired, available=balance - expired,
                    expiry_years=years)


def ledger(session: Session, volunteer_id: int, *, limit: int = 1000) -> list[dict]:
    """A volunteer's ledger lines, newest first, with the order code and a running balance."""
    rows = session.exec(select(PointsEntry, WorkOrder.code)
                        .join(WorkOrder, WorkOrder.id == PointsEntry.order_id, isouter=True)
                        .where(PointsEntry.volunteer_id == volunteer_id)
                        .order_by(PointsEntry.at.desc(), PointsEntry.id.desc())
                        .limit(limit)).all()
    total = balances(session, [volunteer_id]).get(volunteer_id, 0)
    out = []
    for entry, code in rows:
        out.append({"id": entry.id, "at": entry.at, "points": entry.points,
                    "reason": entry.reason.value, "order_code": code or "",
                    "redemption_id": entry.redemption_id, "note": entry.note,
                    "balance": total})
        total -= entry.points
    return out


def _volunteer_for(session: Session, actor: Actor, volunteer_id: int) -> Volunteer:
    """The volunteer, locked against a concurrent change of their points (FOR UPDATE on
    PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), within the actor's sites."""
    vol = session.exec(select(Volunteer).where(Volunteer.id == volunteer_id)
                       .with_for_update()).first()
    if vol is None:
        raise NotFound(what="volunteer")
    ensure_allowed(actor, Action.MANAGE_POINTS, site_path=session.get(Site, vol.site_id).path)
    return vol


def adjust(session: Session, *, actor: Actor, volunteer_id: int, points: int, reason: str,
           now: datetime | None = None) -> PointsEntry:
    """A manager's adjustment (+ or −) with a reason, as a new ledger line, audited; never below
    the points the volunteer can spend. Managers of the volunteer's site only."""
    ensure_allowed(actor, Action.MANAGE_POINTS)
    change = validate.whole(points, key="points_change", minimum=-MAX_ADJUST, maximum=MAX_ADJUST)
    if change == 0:
        raise Invalid("error.points_zero")
    note = validate.text(reason, key="reason", maximum=200)
    now = now or utcnow()
    vol = _volunteer_for(session, actor, volunteer_id)
    if change < 0:
        left = standing(session, vol.id, now=now).available
        if left + change < 0:
            raise Invalid("error.points_short", available=left, needed=-change)
    entry = PointsEntry(volunteer_id=vol.id, points=change, reason=PointsReason.adjustment,
                        at=now, note=note, by_user_id=actor.id)
    session.add(entry)
    audit.record(session, AuditAction.points_adjust, actor_id=actor.id, target=vol.name,
                 detail=f"volunteer={vol.id} points={change:+d} reason={note}", at=now)
    session.commit()
    return entry


def take_for_redemption(session: Session, *, actor: Actor, volunteer_id: int,
                        redemption: Redemption, now: datetime) -> None:
    """Take a redemption's points off: the volunteer may spend only what is available (checked
    here, inside the redeeming transaction, with the volunteer locked); the caller commits."""
    vol = _volunteer_for(session, actor, volunteer_id)
    left = standing(session, vol.id, now=now).available
    if redemption.points > left:
        raise Invalid("error.points_short", available=left, needed=redemption.points)
    session.add(PointsEntry(volunteer_id=vol.id, points=-redemption.points,
                            reason=PointsReason.redemption, redemption_id=redemption.id,
                            at=now, by_user_id=actor.id))


def give_back_redemption(session: Session, *, actor: Actor, redemption: Redemption,
                         now: datetime) -> None:
    """A cancelled redemption's points come back by a new line; the caller commits."""
    session.add(PointsEntry(volunteer_id=redemption.volunteer_id, points=redemption.points,
                            reason=PointsReason.redemption, redemption_id=redemption.id,
                            at=now, by_user_id=actor.id, note=redemption.cancel_reason))
