"""The per-order facts 绩效评价 reads (models/rollups.OrderFact): their one definition
(`FACTS`, SQL over an order's row and events), their only writer and their check.

- `refresh` rewrites one order's row in the caller's transaction. orders.place_step,
  orders._change (every transition and correction), walk_ins.record and both 催办 (escalation,
  progress links) call it after their writes, so a table never counts a change that was rolled
  back, nor misses one that was committed.
- `rebuild` replaces every row from the orders in the caller's transaction (`python -m diandan
  rollups rebuild`, migration 0022, the `timezone` setting: on time is by the local day).
- `check` lists every order whose kept row differs from `FACTS` (`python -m diandan rollups
  check` exits 1 on any).

The rows are the same definitions evaluation.py documents; evaluation reads them instead of
probing each due order's events.

One more fact of an order is kept on its service records: its team (`servicerecord.team_id`,
written with the records by services/completions.py; an order that is done keeps its team).
`rebuild_record_teams` copies it again and `check` lists every record whose copy differs.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    not_,
    update,
)
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from core.db import dialect_of, flag, hours_between, local_day
from models import DONE, OrderAction, OrderEvent, OrderFact, OrderStatus, ServiceRecord, WorkOrder

_TABLE = OrderFact.__table__
COLUMNS = tuple(c.name for c in _TABLE.c)


def corrected():
    """SQL on WorkOrder: a report corrected, or sent back by 中心审核 — not right the first time."""
    return exists().where(OrderEvent.order_id == WorkOrder.id,
                          OrderEvent.action.in_((OrderAction.correct.value,
                                                 OrderAction.send_back.value)))


def urged():
    """SQL on WorkOrder: 催办 at least once (by a manager or the resident)."""
    return exists().where(OrderEvent.order_id == WorkOrder.id,
                          OrderEvent.action == OrderAction.urge.value)


def dispatcher(column=OrderEvent.actor_id, last: bool = True):
    """SQL on WorkOrder: of its last (or first) 派单 event, `column` — who dispatched it last
    by default."""
    ev = aliased(OrderEvent)
    column = getattr(ev, column.key)
    return (core_select(column).where(ev.order_id == WorkOrder.id,
                                      ev.action == OrderAction.dispatch.value)
            .order_by(ev.id.desc() if last else ev.id).limit(1).correlate(WorkOrder)
            .scalar_subquery())


def on_time(tz: str, dialect: str):
    """SQL on WorkOrder: done, on or before the due date, by the local day of completion."""
    day = cast(local_day(WorkOrder.completed_at, tz, dialect), String)
    return and_(WorkOrder.status.in_(DONE), day <= cast(WorkOrder.due_on, String))


def facts(tz: str, dialect: str):
    """SELECT of every OrderFact column from WorkOrder, in COLUMNS' order: the definitions."""
    done = WorkOrder.status.in_(DONE)
    exprs = {
        "order_id": WorkOrder.id,
        "site_id": WorkOrder.site_id,
        "team_id": WorkOrder.team_id,
        "created_by_id": WorkOrder.created_by_id,
        "dispatcher_id": dispatcher(),
        "first_dispatched_at": dispatcher(OrderEvent.at, last=False),
        "first_dispatcher_id": dispatcher(OrderEvent.actor_id, last=False),
        "dispatch_hours": hours_between(WorkOrder.submitted_at,
                                        dispatcher(OrderEvent.at, last=False), dialect),
        "item_id": WorkOrder.item_id,
        "submitted_at": WorkOrder.submitted_at,
        "due_on": WorkOrder.due_on,
        "live": flag(WorkOrder.status != OrderStatus.cancelled),
        "done": flag(done),
        "clean": flag(and_(WorkOrder.decline_count == 0, not_(corrected()))),
        "on_time": flag(on_time(tz, dialect)),
        "urged": flag(urged()),
        "accepted_at": WorkOrder.accepted_at,
        "accept_hours": case((and_(WorkOrder.dispatched_at.is_not(None),
                                   WorkOrder.accepted_at.is_not(None)),
                              hours_between(WorkOrder.dispatched_at, WorkOrder.accepted_at,
                                            dialect)), else_=None),
        "completed_at": case((done, WorkOrder.completed_at), else_=None),
        "beneficiaries": case((done, func.coalesce(WorkOrder.actual_beneficiaries, 0)),
                              else_=0),
    }
    return core_select(*[exprs[name].label(name) for name in COLUMNS]).select_from(WorkOrder)


@lru_cache(maxsize=16)
def _refresh_statements(tz: str, dialect: str):
    """DELETE the order's row, INSERT it again from `facts`: built once per zone and engine
    (building SQL in Python costs more than running it, session 5)."""
    return (delete(_TABLE).where(_TABLE.c.order_id == bindparam("order_id")),
            insert(_TABLE).from_select(COLUMNS, facts(tz, dialect).where(
                WorkOrder.id == bindparam("order_id"))))


def refresh(session: Session, order_id: int, *, tz: str) -> None:
    """Rewrite one order's facts in the caller's transaction, after its change is written."""
    session.flush()
    conn = session.connection()
    remove, write = _refresh_statements(tz, dialect_of(session))
    conn.execute(remove, {"order_id": order_id})
    conn.execute(write, {"order_id": order_id})


_RECORDS = ServiceRecord.__table__
# The team of each order copied onto its service records (duty records have no order).
_ORDER_TEAM = (core_select(WorkOrder.team_id).where(WorkOrder.id == _RECORDS.c.order_id)
               .scalar_subquery())
_RECORD_TEAMS = (update(_RECORDS).where(_RECORDS.c.order_id.is_not(None))
                 .values(team_id=_ORDER_TEAM))


def rebuild(session: Session, *, tz: str) -> int:
    """Replace every row from the orders, in the caller's transaction (the caller commits).
    Returns the number of rows."""
    session.flush()
    conn = session.connection()
    conn.execute(delete(_TABLE))
    conn.execute(insert(_TABLE).from_select(COLUMNS, facts(tz, dialect_of(session))))
    # counted, not the INSERT's rowcount: psycopg reports -1 for an INSERT … SELECT
    return conn.execute(core_select(func.count()).select_from(_TABLE)).scalar_one()


def rebuild_record_teams(session: Session) -> None:
    """Copy each order's team onto its service records again, in the caller's transaction
    (`python -m diandan rollups rebuild`)."""
    session.flush()
    session.connection().execute(_RECORD_TEAMS)


def check(session: Session, *, tz: str, limit: int = 1000) -> list[tuple[int, str, object,
                                                                       object]]:
    """Every (order_id, column, kept, definition) where the kept row and `facts` disagree (of
    the first `limit` orders that differ); a missing or an extra row shows as the column
    'row'. The comparison is two EXCEPTs in the database: a million rows never reach Python."""
    conn = session.connection()
    definition = facts(tz, dialect_of(session))
    kept = core_select(*_TABLE.c)
    differ = sorted(set(conn.execute(core_select(definition.except_(kept).subquery().c.order_id)
                                     .limit(limit)).scalars())
                    | set(conn.execute(core_select(kept.except_(definition).subquery().c.order_id)
                                       .limit(limit)).scalars()))[:limit]
    teams = [(oid, "servicerecord.team_id", mine, theirs) for oid, mine, theirs in conn.execute(
        core_select(_RECORDS.c.order_id, _RECORDS.c.team_id, WorkOrder.team_id)
        .join(WorkOrder.__table__, WorkOrder.id == _RECORDS.c.order_id)
        .where(_RECORDS.c.team_id.is_distinct_from(WorkOrder.team_id))
        .order_by(_RECORDS.c.order_id).limit(limit))]
    if not differ:
        return teams
    rule = {r[0]: r for r in conn.execute(definition.where(WorkOrder.id.in_(differ)))}
    have = {r[0]: r for r in conn.execute(kept.where(_TABLE.c.order_id.in_(differ)))}
    out = []
    for oid in differ:
        a, b = have.get(oid), rule.get(oid)
        if a is None or b is None:
            out.append((oid, "row", "kept" if a else None, "rule" if b else None))
            continue
        out += [(oid, name, x, y) for name, x, y in zip(COLUMNS, a, b, strict=True) if x != y]
    return out + teams
