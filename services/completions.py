"""完成: a team lead marks an accepted order done — beneficiaries by group, each volunteer's hours
(the 志愿服务记录, "谁组织谁记录"), a note — and may correct that report for 24 hours.

The points the hours earn are credited by services/points.py in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    DONE,
    BeneficiaryGroup,
    OrderAction,
    OrderBeneficiary,
    OrderEvent,
    ServiceRecord,
    Site,
    Team,
    Volunteer,
    VolunteerTeam,
    WorkOrder,
)
from services import orders, points, rollups, scope, stars, validate
from services import settings as settings_service
from services.errors import Checks, Invalid
from services.figures import half_up
from services.permissions import Action, Actor, allowed

MAX_HOURS = 24.0
CORRECT_HOURS = 24


@dataclass
class Completion:
    """What a team lead reports when an order is done."""

    beneficiaries: dict[str, int] = field(default_factory=dict)  # group → people
    hours: dict[int, float] = field(default_factory=dict)         # volunteer id → hours
    note: str = ""


def clean(session: Session, done: Completion, team_id: int) -> tuple[dict, dict, str]:
    """The report checked: known groups with whole numbers of people, at least one volunteer
    who may serve on the team's orders, each with more than 0 and at most 24 hours. Every
    refusal is reported at once, each naming its group or volunteer."""
    check = Checks()
    groups = clean_groups(check, done.beneficiaries)
    if not done.hours:
        check.fail("error.volunteers_required")
    known, members = _volunteers(session, list(done.hours), team_id)
    hours: dict[int, float] = {}
    for volunteer_id, value in done.hours.items():
        vol = known.get(volunteer_id)
        if vol is None or not vol.active or not (vol.id in members
                                                 or may_serve(session, vol, team_id)):
            raise Invalid("error.volunteer_unknown")
        try:
            h = float(value)
        except (TypeError, ValueError, OverflowError):
            h = None
        # In range first (NaN fails both), then rounded to what is stored and checked again:
        # 0.004 hours would be stored as 0, which the table refuses (hours > 0) with a raw
        # IntegrityError.
        if h is None or not (0 < h <= MAX_HOURS) or not (0 < (h := half_up(h, 2)) <= MAX_HOURS):
            check.fail("error.hours_range", name=vol.name, maximum=MAX_HOURS)
            continue
        hours[vol.id] = h
    note = check(validate.text, done.note, key="note", maximum=2000, required=False)
    check.done()
    return groups, hours, note


def clean_groups(check: Checks, beneficiaries: dict) -> dict[BeneficiaryGroup, int]:
    """Known groups with whole numbers of people; a bad number is collected in `check`, naming
    its group."""
    groups: dict[BeneficiaryGroup, int] = {}
    for group, count in beneficiaries.items():
        try:
            key = BeneficiaryGroup(group)
        except ValueError:
            raise Invalid("error.beneficiary_group") from None
        number = check(validate.whole, count, key="beneficiaries",
                       maximum=orders.MAX_BENEFICIARIES)
        if number is None:  # the message names the group: "老人应在 0 到 … 之间"
            check.problems[-1].params["field"] = f"group.{key.value}"
        else:
            groups[key] = number
    return groups


def _volunteers(session: Session, volunteer_ids: list, team_id: int) -> tuple[dict, set]:
    """The reported volunteers by id, and which of them are members of the team: two
    statements for the whole crew instead of two per volunteer."""
    ids = [v for v in volunteer_ids if isinstance(v, int)]
    known = {v.id: v for v in session.exec(select(Volunteer).where(Volunteer.id.in_(ids)))}
    members = set(session.exec(select(VolunteerTeam.volunteer_id).where(
        VolunteerTeam.team_id == team_id, VolunteerTeam.volunteer_id.in_(ids))))
    return known, members


def may_serve(session: Session, volunteer: Volunteer, team_id: int) -> bool:
    """A volunteer may be recorded on a team's order when in the team or in its site's subtree
    (teams.helpers lists the latter)."""
    if session.get(VolunteerTeam, (volunteer.id, team_id)) is not None:
        return True
    team_site = session.get(Site, session.get(Team, team_id).site_id).path
    return session.get(Site, volunteer.site_id).path.startswith(team_site)


def _write_report(session: Session, order: WorkOrder, groups: dict, hours: dict,
                  served_at: datetime, replaced: Iterable[int] = ()) -> None:
    """The beneficiaries and service records of a completion; the star moments of its
    volunteers (and of those whose records it `replaced`) follow in the same transaction."""
    # One INSERT per table for all the rows (executemany), not one ORM flush per row.
    conn = session.connection()
    if groups:
        conn.execute(insert(OrderBeneficiary), [
            {"order_id": order.id, "group": group, "count": count}
            for group, count in groups.items()])
    conn.execute(insert(ServiceRecord), [
        {"order_id": order.id, "volunteer_id": volunteer_id, "hours": h, "served_at": served_at,
         "team_id": order.team_id}
        for volunteer_id, h in hours.items()])
    stars.refresh(session, {*hours, *replaced}, values=settings_service.current(session))


def complete(session: Session, *, actor: Actor, order_id: int, done: Completion,
             now: datetime | None = None) -> WorkOrder:
    """Mark an accepted order done with beneficiaries, volunteers' hours and points, all in one
    transaction; the lead of its team only."""
    now = now or utcnow()
    order = orders.load_for(session, actor, Action.WORK_ORDERS, order_id)
    groups, hours, note = clean(session, done, order.team_id)
    if settings_service.current(session)["review_required"]:
        _submit(session, order, actor=actor, groups=groups, hours=hours, note=note, now=now)
        return orders.commit(session, order.id)
    total = sum(groups.values())
    orders.transition(session, order, actor=actor, action=OrderAction.complete, now=now,
                      note=note, values={"completed_at": now, "actual_beneficiaries": total,
                                         "completion_note": note},
                      report=rollups.Report(beneficiaries=total, hours=hours))
    _write_report(session, order, groups, hours, served_at=now)
    points.credit_service(session, order=order, hours=hours, now=now)
    return orders.commit(session, order.id)


def _submit(session: Session, order: WorkOrder, *, actor: Actor, groups: dict, hours: dict,
            note: str, now: datetime) -> None:
    """中心审核 on: the checked report waits, as the submit event's detail, for a manager's
    decision (services/review.py). Nothing of it is written where figures, records or points
    read until it is approved."""
    orders.transition(session, order, actor=actor, action=OrderAction.submit, now=now,
                      note=note, team_id=order.team_id,
                      detail=pending_detail(groups, hours), values={})


def pending_detail(groups: dict, hours: dict) -> dict:
    """A report as JSON: groups by name, hours by volunteer id (JSON keys are text)."""
    return {"groups": {BeneficiaryGroup(g).value: n for g, n in groups.items()},
            "hours": {str(v): h for v, h in hours.items()}}


def write_report(session: Session, order: WorkOrder, groups: dict, hours: dict,
                 served_at: datetime) -> None:
    """The beneficiaries and service records of a report (an approval writes them late)."""
    _write_report(session, order, groups, hours, served_at)


def correctable_until(session: Session, *, actor: Actor, order_id: int) -> datetime | None:
    """Until when the actor may correct the order's completion: 24 hours after it was marked
    done, by the team lead who marked it. None when they may not (any more), and always while
    中心审核 is on (an approved report is not changed behind the reviewer's back)."""
    order = session.get(WorkOrder, order_id)
    if order is None or order.status not in DONE or order.completed_at is None:
        return None
    if settings_service.current(session)["review_required"]:
        return None  # 中心审核: a report is changed by a return to the team, then reviewed again
    done_by = session.exec(select(OrderEvent.actor_id).where(
        OrderEvent.order_id == order_id, OrderEvent.action == OrderAction.complete.value)
        .order_by(OrderEvent.id.desc()).limit(1)).first()
    if (done_by != actor.id or not allowed(actor.role, Action.WORK_ORDERS)
            or not scope.sees(session, actor, order)):
        return None
    return order.completed_at + timedelta(hours=CORRECT_HOURS)


def correct(session: Session, *, actor: Actor, order_id: int, done: Completion, reason: str,
            now: datetime | None = None) -> WorkOrder:
    """Correct a completion within 24 hours, by the lead who marked it done: the beneficiaries,
    the service records and the note are replaced; each volunteer's points move by the
    difference (services/points.py); the history gets a 'correct' event with the reason as its
    note and the totals before and after as its detail. One transaction."""
    now = now or utcnow()
    reason = validate.text(reason, key="reason", maximum=300)
    order = orders.load_for(session, actor, Action.WORK_ORDERS, order_id)
    until = correctable_until(session, actor=actor, order_id=order.id)
    if until is None or now > until:
        session.rollback()
        raise Invalid("error.correct_window", hours=CORRECT_HOURS)
    groups, hours, note = clean(session, done, order.team_id)
    old_hours = dict(session.exec(select(ServiceRecord.volunteer_id, ServiceRecord.hours)
                                  .where(ServiceRecord.order_id == order.id)).all())
    total = sum(groups.values())
    detail = {"people": [order.actual_beneficiaries or 0, total],
              "hours": [half_up(sum(old_hours.values()), 2), half_up(sum(hours.values()), 2)],
              "volunteers": [len(old_hours), len(hours)]}
    orders.amend(session, order, actor=actor, action=OrderAction.correct, now=now, note=reason,
                 team_id=order.team_id, detail=detail,
                 values={"actual_beneficiaries": total, "completion_note": note},
                 report=rollups.Report(beneficiaries=total, hours=hours),
                 replaces=rollups.Report(beneficiaries=order.actual_beneficiaries or 0,
                                         hours=old_hours))
    for model in (OrderBeneficiary, ServiceRecord):
        for row in session.exec(select(model).where(model.order_id == order.id)):
            session.delete(row)
    session.flush()
    _write_report(session, order, groups, hours, served_at=order.completed_at,
                  replaced=old_hours)
    points.settle_correction(session, order=order, hours=hours, now=now)
    return orders.commit(session, order.id)
