"""The order lifecycle's transitions 点单 → 派单 → 接单 / 退单, and 取消, one function each, and the
compare-and-set step every transition goes through (completions.py and ratings.py use it too).

Each transition: validate → authorise → compare-and-set on the current state → event row → commit.
The state machine itself is data: models.ALLOWED_TRANSITIONS.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, insert, inspect, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ClauseElement
from sqlmodel import Session, select

from core.db import mark_written, utcnow
from models import (
    DONE,
    Need,
    NeedStatus,
    OrderAction,
    OrderEvent,
    OrderSource,
    OrderStatus,
    ServiceCategory,
    ServiceItem,
    Site,
    Survey,
    Team,
    User,
    WorkOrder,
    next_status,
)
from services import order_facts, repeats, rollups, scope, sites, validate
from services import settings as settings_service
from services.clock import local_today
from services.errors import Checks, Forbidden, Invalid, NotFound, OrderNotInState
from services.permissions import Action, Actor, ensure_allowed, in_scope

A = OrderAction
MAX_BENEFICIARIES = 100_000


# --- the step every transition takes ---------------------------------------------------------


def load(session: Session, order_id: int) -> WorkOrder:
    """The order as the database has it now (never a stale copy from the session)."""
    order = session.get(WorkOrder, order_id, populate_existing=True)
    if order is None:
        raise NotFound(what="order")
    return order


def load_for(session: Session, actor: Actor, action: Action, order_id: int) -> WorkOrder:
    """The order, once the actor may do this to it (role, and the order within their reach)."""
    ensure_allowed(actor, action)
    order = load(session, order_id)
    if not scope.sees(session, actor, order):
        raise Forbidden(action=action.value)
    return order


def _site_path(session: Session, site_id: int) -> str:
    return session.get(Site, site_id).path


def _last_actor_name(session: Session, order_id: int) -> str:
    row = session.exec(select(User.display_name).join(OrderEvent, OrderEvent.actor_id == User.id)
                       .where(OrderEvent.order_id == order_id)
                       .order_by(OrderEvent.id.desc()).limit(1)).first()
    return row or ""


def refuse(session: Session, order: WorkOrder, action: str) -> OrderNotInState:
    """The error for an action the order's state no longer allows, naming who changed it last;
    the transaction is rolled back."""
    code, status = order.code, order.status.value
    by = _last_actor_name(session, order.id)
    session.rollback()
    return OrderNotInState(code=code, status=status, by=by, action=action)


def transition(session: Session, order: WorkOrder, *, actor: Actor | None, action: OrderAction,
               now: datetime, values: dict, note: str = "", team_id: int | None = None,
               report: rollups.Report | None = None, level: int | None = None,
               detail: dict | None = None) -> WorkOrder:
    """Compare-and-set the status, write the event and the rollups; the caller commits. No
    actor: the resident, through a rating link. `report` (a completion) and `level` (a rating)
    are what the rollups count; `detail` goes to the event (a report waiting for review).
    Returns the order as written."""
    action = OrderAction(action)
    target = next_status(order.status, action)
    if target is None:
        raise refuse(session, order, action)
    return _change(session, order, target=target, actor=actor, action=action, now=now,
                   values=values, note=note, team_id=team_id, report=report, level=level,
                   detail=detail)


def amend(session: Session, order: WorkOrder, *, actor: Actor, action: OrderAction,
          now: datetime, values: dict, note: str = "", team_id: int | None = None,
          detail: dict | None = None, report: rollups.Report | None = None,
          replaces: rollups.Report | None = None) -> WorkOrder:
    """Change what an order records without moving its status (a correction): the same
    compare-and-set on status and version as a transition, an event and the rollups (`report`
    replacing `replaces`); the caller commits."""
    return _change(session, order, target=order.status, actor=actor, action=OrderAction(action),
                   now=now, values=values, note=note, team_id=team_id, detail=detail,
                   report=report, replaces=replaces)


def _change(session: Session, order: WorkOrder, *, target: OrderStatus, actor: Actor | None,
            action: OrderAction, now: datetime, values: dict, note: str, team_id: int | None,
            detail: dict | None = None, report: rollups.Report | None = None,
            replaces: rollups.Report | None = None, level: int | None = None) -> WorkOrder:
    """UPDATE … WHERE status and version are still what we read … RETURNING the row, the event
    as one INSERT, the rollups as one upsert per table: four statements for most transitions."""
    source = order.status
    before = _Before(order)
    written = _compare_and_set(session, order, source=source, target=target, values=values)
    if written is None:
        order = load(session, order.id)
        raise refuse(session, order, action)
    session.connection().execute(insert(OrderEvent), {
        "order_id": before.id, "at": now, "actor_id": actor.id if actor else None,
        "action": action.value, "from_status": source, "to_status": target,
        "team_id": team_id, "note": note, "detail": detail})
    rollups.change(session, before, source=source, target=target, action=action, now=now,
                   tz=settings_service.timezone(session), report=report, replaces=replaces,
                   level=level, done_at=values.get("completed_at"))
    if (source in DONE) != (target in DONE) or OrderStatus.cancelled in (source, target):
        # 重复诉求 marks read done and cancelled orders (services/repeats.py).
        repeats.refresh(session, written,
                        repeat_days=settings_service.current(session)["repeat_days"])
    order_facts.refresh(session, before.id, tz=settings_service.timezone(session))
    return written


_ROW = WorkOrder.__table__


@lru_cache(maxsize=64)
def _cas_statement(keys: tuple[str, ...]):
    """UPDATE workorder SET status, version + 1 and `keys` WHERE id, status and version are
    what was read, RETURNING the row: a Core statement built once per set of fields (built on
    every call, and run through the ORM's bulk UPDATE, it cost a third of a transition)."""
    return (update(_ROW)
            .where(_ROW.c.id == bindparam("_id"), _ROW.c.status == bindparam("_source"),
                   _ROW.c.version == bindparam("_version"))
            .values(status=bindparam("_target"), version=_ROW.c.version + 1,
                    **{k: bindparam(k) for k in keys})
            .returning(*_ROW.c))


def _compare_and_set(session: Session, order: WorkOrder, *, source: OrderStatus,
                     target: OrderStatus, values: dict) -> WorkOrder | None:
    """The compare-and-set itself; the order as written (the session's object brought up to
    the returned row), or None when its status or version moved meanwhile."""
    params = {"_id": order.id, "_source": source, "_version": order.version, "_target": target}
    if any(isinstance(v, ClauseElement) for v in values.values()) \
            or inspect(order).session is not session:
        # An SQL expression in the values (退单's decline_count + 1), or an order from outside
        # this session: the ORM statement, as before.
        return session.exec(
            update(WorkOrder)
            .where(WorkOrder.id == order.id, WorkOrder.status == source,
                   WorkOrder.version == order.version)
            .values(status=target, version=WorkOrder.version + 1, **values)
            .returning(WorkOrder),
            execution_options={"populate_existing": True}).scalars().first()
    session.flush()  # what is pending goes first, as the ORM statement's autoflush did
    row = session.connection().execute(_cas_statement(tuple(sorted(values))),
                                       {**params, **values}).first()
    if row is None:
        return None
    mark_written(session)
    for column, value in zip(_ROW.c, row, strict=True):
        set_committed_value(order, column.key, value)
    return order


class _Before:
    """The order's fields as they were before the change (the ORM object is refreshed by the
    UPDATE's RETURNING)."""

    __slots__ = ("category_id", "completed_at", "due_on", "id", "item_id", "site_id",
                 "submitted_at", "team_id")

    def __init__(self, order: WorkOrder) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(order, name))


def commit(session: Session, order_id: int) -> WorkOrder:
    """Commit and return the order as written."""
    # The order is in the session as the UPDATE's RETURNING (or the INSERT) left it, and
    # write sessions keep objects after COMMIT: no read after the commit, which would open a
    # new BEGIN IMMEDIATE and hold SQLite's write lock for as long as the caller keeps the
    # session.
    order = session.get(WorkOrder, order_id)
    session.commit()
    return order


# --- 点单 --------------------------------------------------------------------------------------


def place(session: Session, *, actor: Actor, site_id: int, category_id: int, title: str,
          source: OrderSource, description: str = "", item_id: int | None = None,
          requester_name: str = "", requester_phone: str = "", due_on: date | None = None,
          expected_beneficiaries: int = 0, need_ids: tuple[int, ...] = (),
          now: datetime | None = None) -> WorkOrder:
    """Record a resident's need as a new order; managers and officers, within their sites.
    中心制单 orders are made only by issuing a campaign (services/campaigns.py)."""
    if source == OrderSource.campaign:
        raise Invalid("error.source")
    order = place_step(session, actor=actor, site_id=site_id, category_id=category_id,
                       title=title, source=source, description=description, item_id=item_id,
                       requester_name=requester_name, requester_phone=requester_phone,
                       due_on=due_on, expected_beneficiaries=expected_beneficiaries,
                       need_ids=need_ids, now=now)
    return commit(session, order.id)


def place_step(session: Session, *, actor: Actor, site_id: int, category_id: int, title: str,
               source: OrderSource, description: str = "", item_id: int | None = None,
               requester_name: str = "", requester_phone: str = "", due_on: date | None = None,
               expected_beneficiaries: int = 0, need_ids: tuple[int, ...] = (),
               now: datetime | None = None) -> WorkOrder:
    """The checks and the writes of one 点单, without the commit (a campaign's 下发 places one
    order per target in one transaction)."""
    now = now or utcnow()
    ensure_allowed(actor, Action.PLACE_ORDER)
    site = session.get(Site, site_id) if site_id else None
    if site is not None:
        ensure_allowed(actor, Action.PLACE_ORDER, site_path=site.path)
    values = settings_service.current(session)
    today = local_today(now, values["timezone"])
    check = Checks()
    if site is None:
        check.fail("error.site_required")
    else:
        check(sites.ensure_active, site)
    fields = check(clean_order_fields, session, title=title, description=description,
                   requester_name=requester_name, requester_phone=requester_phone,
                   expected_beneficiaries=expected_beneficiaries, source=source,
                   category_id=category_id, item_id=item_id)
    due_on = due_on or today + timedelta(days=values["due_days"])
    if due_on < today:
        check.fail("error.due_in_past")
    check.done()
    needs = _needs_to_claim(session, actor, need_ids)
    order = WorkOrder(site_id=site.id, category_id=category_id, item_id=item_id, due_on=due_on,
                      created_by_id=actor.id, submitted_at=now, **fields)
    session.add(order)
    session.flush()
    order.code = f"DD-{today.year}-{order.id:06d}"
    session.add(order)
    for need in needs:  # compare-and-set: a need ordered or closed meanwhile stops it all
        result = session.exec(update(Need).where(
            Need.id == need.id, Need.status == need.status,
            Need.order_id.is_not_distinct_from(need.order_id))
            .values(status=NeedStatus.ordered, order_id=order.id))
        if result.rowcount != 1:
            session.rollback()
            raise Invalid("error.need_not_open")
    session.connection().execute(insert(OrderEvent), {  # as _change writes its events
        "order_id": order.id, "at": now, "actor_id": actor.id, "action": A.place.value,
        "from_status": None, "to_status": OrderStatus.submitted, "team_id": None, "note": "",
        "detail": None})
    rollups.change(session, order, source=None, target=OrderStatus.submitted, action=A.place,
                   now=now, tz=values["timezone"])
    repeats.refresh(session, order, repeat_days=values["repeat_days"])  # after its needs
    order_facts.refresh(session, order.id, tz=values["timezone"])
    return order


def clean_order_fields(session: Session, *, title: str, description: str, requester_name: str,
                        requester_phone: str, expected_beneficiaries: int, source,
                        category_id: int, item_id: int | None) -> dict:
    """The order's own fields checked, every refusal at once, in the order the form shows them."""
    check = Checks()
    fields = {
        "title": check(validate.text, title, key="title", maximum=80),
        "description": check(validate.text, description, key="description", maximum=2000,
                             required=False),
        "requester_name": check(validate.text, requester_name, key="requester_name",
                                maximum=40, required=False),
        "requester_phone": check(validate.phone, requester_phone),
        "expected_beneficiaries": check(validate.whole, expected_beneficiaries,
                                        key="expected_beneficiaries",
                                        maximum=MAX_BENEFICIARIES),
    }
    if source is None:
        check.fail("error.choose", field="source")
    else:
        try:
            fields["source"] = OrderSource(source)
        except ValueError:
            check.fail("error.source")
    category = session.get(ServiceCategory, category_id) if category_id else None
    if category is None or not category.active:
        check.fail("error.category_required")
    elif item_id is not None:
        item = session.get(ServiceItem, item_id)
        if item is None or not item.active or item.category_id != category_id:
            check.fail("error.item_category")
    check.done()
    return fields


def _needs_to_claim(session: Session, actor: Actor, need_ids) -> list[Need]:
    """The survey needs an order is placed for: each waiting, each in the actor's sites."""
    needs = []
    for need_id in dict.fromkeys(need_ids):
        need = session.get(Need, need_id)
        if need is None or not need_waiting(session, need):
            raise Invalid("error.need_not_open")
        survey_site = session.exec(select(Site.path).join(Survey, Survey.site_id == Site.id)
                                   .where(Survey.id == need.survey_id)).one()
        ensure_allowed(actor, Action.PLACE_ORDER, site_path=survey_site)
        needs.append(need)
    return needs


def need_waiting(session: Session, need: Need) -> bool:
    """Open, or ordered on an order that was then cancelled: the need waits for an order again
    (services/needs.py shows it so; nothing is rewritten when an order is cancelled)."""
    if need.status == NeedStatus.open:
        return True
    if need.status != NeedStatus.ordered or need.order_id is None:
        return False
    return session.get(WorkOrder, need.order_id).status == OrderStatus.cancelled


# --- 派单 --------------------------------------------------------------------------------------


def dispatch(session: Session, *, actor: Actor, order_id: int, team_id: int,
             now: datetime | None = None) -> WorkOrder:
    """Send a submitted order to an active team; managers of the order's site only."""
    now = now or utcnow()
    ensure_allowed(actor, Action.DISPATCH)
    team = session.get(Team, team_id) if team_id else None
    order = dispatch_step(session, actor=actor, order_id=order_id, team=team, now=now)
    return commit(session, order.id)


def dispatch_step(session: Session, *, actor: Actor, order_id: int, team: Team | None,
                  now: datetime) -> WorkOrder:
    """The checks and the change of one dispatch, without the commit (batch dispatch sends
    several in one transaction)."""
    order = load_for(session, actor, Action.DISPATCH, order_id)
    if team is None or not team.active or not in_scope(actor, _site_path(session, team.site_id)):
        raise Invalid("error.team_required")
    transition(session, order, actor=actor, action=A.dispatch, now=now, team_id=team.id,
               values={"team_id": team.id, "dispatched_at": now})
    return order


# --- 接单 / 退单 --------------------------------------------------------------------------------


def accept(session: Session, *, actor: Actor, order_id: int, planned_on: date | None = None,
           now: datetime | None = None) -> WorkOrder:
    """Take on an order dispatched to one's own team; team leads only."""
    now = now or utcnow()
    order = load_for(session, actor, Action.WORK_ORDERS, order_id)
    if planned_on is not None:
        today = local_today(now, settings_service.current(session)["timezone"])
        if planned_on < today:
            raise Invalid("error.planned_in_past")
    # The event names the team that accepted, as a decline's does (预警 reads a team's answers
    # by the event's team alone: services/alerts.py).
    transition(session, order, actor=actor, action=A.accept, now=now, team_id=order.team_id,
               note=planned_on.isoformat() if planned_on else "",
               values={"accepted_at": now, "planned_on": planned_on})
    return commit(session, order.id)


def decline(session: Session, *, actor: Actor, order_id: int, reason: str,
            now: datetime | None = None) -> WorkOrder:
    """Hand a dispatched order back to the queue with a reason; the lead of its team only."""
    now = now or utcnow()
    reason = validate.text(reason, key="reason", maximum=500)
    order = load_for(session, actor, Action.WORK_ORDERS, order_id)
    transition(session, order, actor=actor, action=A.decline, now=now, note=reason,
               team_id=order.team_id,
               values={"team_id": None, "dispatched_at": None, "last_decline_reason": reason,
                       "decline_count": WorkOrder.decline_count + 1})
    return commit(session, order.id)


# --- 取消 --------------------------------------------------------------------------------------


def cancel(session: Session, *, actor: Actor, order_id: int, reason: str,
           now: datetime | None = None) -> WorkOrder:
    """Cancel an order that is not yet done, with a reason; managers of its site only."""
    now = now or utcnow()
    ensure_allowed(actor, Action.CANCEL)
    reason = validate.text(reason, key="reason", maximum=500)
    order = load_for(session, actor, Action.CANCEL, order_id)
    transition(session, order, actor=actor, action=A.cancel, now=now, note=reason,
               values={"cancelled_at": now, "cancel_reason": reason})
    return commit(session, order.id)
