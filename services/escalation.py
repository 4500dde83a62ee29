"""催办 → 督办: urging a late order, and the count the evaluation reads.

- An order is **late** when it has passed the time limit of its current step (services/sla.py:
  派单, 接单, 完成期限, 评单); it is at the stage 催办 from then and 督办 once it is still late
  `escalate_hours` after the limit (sla.stage, sla.is_escalated).
- A manager of the order's site **urges** a late order with a note: one OrderEvent `urge`, the
  status unchanged. It shows on the holder's screen (the order's detail: the team lead's 我的工单,
  the manager's desk) and in the history. An order that is not late cannot be urged.
- **Urged and still late** (`urged_still_late`): the orders in the actor's sites that are late now
  and were urged at least once — the orders that "count double" in assessment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func
from sqlmodel import Session, select

from core.db import utcnow
from models import OrderAction, OrderEvent, WorkOrder
from services import order_facts, orders, scope, sla, validate
from services import settings as settings_service
from services.errors import Invalid
from services.permissions import Action, Actor, ensure_allowed

MAX_NOTE = 500


def urge(session: Session, *, actor: Actor, order_id: int, note: str,
         now: datetime | None = None) -> OrderEvent:
    """Record a 催办 on a late order of the manager's sites, with a note for its holder."""
    now = now or utcnow()
    ensure_allowed(actor, Action.URGE)
    note = validate.text(note, key="urge_note", maximum=MAX_NOTE)
    order = orders.load_for(session, actor, Action.URGE, order_id)
    values = settings_service.current(session)
    kind = session.exec(select(sla.overdue_kind(now, values)).where(WorkOrder.id == order.id)).one()
    if kind is None:
        raise Invalid("error.urge_not_late", code=order.code)
    event = OrderEvent(order_id=order.id, at=now, actor_id=actor.id,
                       action=OrderAction.urge.value, from_status=order.status,
                       to_status=order.status, team_id=order.team_id, note=note,
                       detail={"limit": kind})
    session.add(event)
    order_facts.refresh(session, order.id, tz=values["timezone"])
    session.commit()
    return event


def _urged():
    return exists().where(OrderEvent.order_id == WorkOrder.id,
                          OrderEvent.action == OrderAction.urge.value)


def urged_still_late(session: Session, *, actor: Actor, now: datetime | None = None) -> int:
    """How many orders of the actor's sites are late now and were urged at least once."""
    ensure_allowed(actor, Action.VIEW_ESCALATION)
    now = now or utcnow()
    values = settings_service.current(session)
    return session.exec(select(func.count()).select_from(WorkOrder).where(
        *scope.orders_of(session, actor), sla.is_overdue(now, values), _urged())).one()
