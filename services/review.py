"""中心审核: with the setting `review_required` on, a team's completion report waits as 待审核
until a manager of the order's site approves it (→ 已完成) or sends it back to the team with a
reason (→ 已接单; the team corrects it and submits it again through the normal 完成 form).

While it waits, the report is only the submit event's detail (services/completions.py): no
beneficiaries, service records, points or rollups are written, so no figure, volunteer record,
star or points balance counts it, and no rating link can be made (only 已完成 is ratable).
The approval writes all of them in its own transaction. The order's completed_at is then the
time the team submitted the report — the service happened then, and the team is not judged
late for the time the report waited — so an approval can add to the figures of a period that
has ended (README: *中心审核*).

Two managers deciding on one report: the compare-and-set on status and version lets one win;
the other is told the order's state and who decided (orders.refuse), and nothing is written.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    IN_REVIEW,
    BeneficiaryGroup,
    OrderAction,
    OrderEvent,
    Site,
    Team,
    Volunteer,
    WorkOrder,
)
from services import completions, orders, points, rollups, scope, validate
from services import settings as settings_service
from services.permissions import Action, Actor, ensure_allowed

A = OrderAction


def required(session: Session) -> bool:
    """Whether a completion waits for review (the setting `review_required`)."""
    return bool(settings_service.current(session)["review_required"])


def pending_report(session: Session, order_id: int) -> tuple[datetime, dict, dict, str] | None:
    """The report waiting for review: (submitted at, groups, hours by volunteer id, note),
    from the order's last submit event."""
    event = session.exec(select(OrderEvent).where(
        OrderEvent.order_id == order_id, OrderEvent.action == A.submit.value)
        .order_by(OrderEvent.id.desc()).limit(1)).first()
    if event is None or not event.detail:
        return None
    groups = {BeneficiaryGroup(g): int(n) for g, n in event.detail.get("groups", {}).items()}
    hours = {int(v): float(h) for v, h in event.detail.get("hours", {}).items()}
    return rollups.aware(event.at), groups, hours, event.note


def approve(session: Session, *, actor: Actor, order_id: int,
            now: datetime | None = None) -> WorkOrder:
    """Approve a report waiting for review: the order is done as of the team's submission,
    its beneficiaries, service records, points and rollups are written; managers of the
    order's site only."""
    now = now or utcnow()
    order = orders.load_for(session, actor, Action.REVIEW, order_id)
    report = pending_report(session, order.id) if order.status in IN_REVIEW else None
    if report is None:  # not waiting (any more): the transition names the state and who
        raise orders.refuse(session, order, A.approve)
    submitted_at, groups, hours, note = report
    total = sum(groups.values())
    orders.transition(session, order, actor=actor, action=A.approve, now=now,
                      team_id=order.team_id,
                      values={"completed_at": submitted_at, "actual_beneficiaries": total,
                              "completion_note": note, "reviewed_at": now},
                      report=rollups.Report(beneficiaries=total, hours=hours))
    completions.write_report(session, order, groups, hours, served_at=submitted_at)
    points.credit_service(session, order=order, hours=hours, now=now)
    return orders.commit(session, order.id)


def send_back(session: Session, *, actor: Actor, order_id: int, reason: str,
              now: datetime | None = None) -> WorkOrder:
    """Return a report waiting for review to the team with a reason (required), which the
    team lead reads on 我的工单; managers of the order's site only."""
    now = now or utcnow()
    ensure_allowed(actor, Action.REVIEW)
    reason = validate.text(reason, key="return_reason", maximum=500)
    order = orders.load_for(session, actor, Action.REVIEW, order_id)
    orders.transition(session, order, actor=actor, action=A.send_back, now=now, note=reason,
                      team_id=order.team_id,
                      values={"return_reason": reason, "reviewed_at": now,
                              "return_count": WorkOrder.return_count + 1})
    return orders.commit(session, order.id)


def returned_report(session: Session, *, actor: Actor, order_id: int) -> dict | None:
    """The report last sent back on an order the team is working on again, shaped like the
    order's detail (service, beneficiaries, note) to start the 完成 form with; the lead of its
    team only. None when it was never sent back."""
    order = orders.load_for(session, actor, Action.WORK_ORDERS, order_id)
    report = pending_report(session, order.id) if order.return_count else None
    if report is None:
        return None
    _at, groups, hours, note = report
    names = dict(session.exec(select(Volunteer.id, Volunteer.name)
                              .where(Volunteer.id.in_(list(hours)))).all())
    return {"service": [{"volunteer_id": v, "volunteer": names.get(v, ""), "hours": h}
                        for v, h in hours.items()],
            "beneficiaries": {g.value: n for g, n in groups.items()},
            "order": {"completion_note": note}}


def _conditions(session: Session, actor: Actor) -> list:
    return [WorkOrder.status.in_(IN_REVIEW), *scope.orders_of(session, actor)]


def waiting_count(session: Session, *, actor: Actor) -> int:
    """Reports waiting for review in the manager's sites."""
    ensure_allowed(actor, Action.REVIEW)
    return session.exec(select(func.count()).select_from(WorkOrder)
                        .where(*_conditions(session, actor))).one()


def queue(session: Session, *, actor: Actor, offset: int = 0, limit: int = 20) -> list[dict]:
    """The reports waiting for review in the manager's sites, in the order the orders were
    accepted, a page at a time:
    each order with its report (beneficiaries by group, volunteers and hours, note)."""
    ensure_allowed(actor, Action.REVIEW)
    rows = session.exec(
        select(WorkOrder.id, WorkOrder.code, WorkOrder.title, WorkOrder.due_on,
               WorkOrder.return_count, WorkOrder.return_reason, Site.name, Team.name)
        .join(Site, Site.id == WorkOrder.site_id).join(Team, Team.id == WorkOrder.team_id)
        .where(*_conditions(session, actor))
        .order_by(WorkOrder.accepted_at, WorkOrder.id)
        .offset(max(0, offset)).limit(min(max(1, limit), 100))
    ).all()
    out = []
    for order_id, code, title, due_on, returns, last_reason, site, team in rows:
        report = pending_report(session, order_id)
        submitted_at, groups, hours, note = report or (None, {}, {}, "")
        names = dict(session.exec(select(Volunteer.id, Volunteer.name)
                                  .where(Volunteer.id.in_(list(hours)))).all())
        out.append({
            "id": order_id, "code": code, "title": title, "site": site, "team": team,
            "due_on": due_on, "submitted_at": submitted_at, "return_count": returns,
            "last_return_reason": last_reason if returns else "",
            "groups": {g.value: n for g, n in groups.items()},
            "beneficiaries": sum(groups.values()),
            "volunteers": [{"name": names.get(v, ""), "hours": h} for v, h in hours.items()],
            "hours": sum(hours.values()), "note": note})
    return out
