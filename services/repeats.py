"""重复诉求: the rule, and the orders it marks, kept (models/rollups.RepeatedOrder).

**The rule** (`is_repeat`): a done order is repeated when a later order — same site and
category, not cancelled, placed after it and at most `repeat_days` after its completion — comes
from the same requester (same phone, or same name) or the same surveyed household (a survey
respondent of the same site). 绩效评价's 一次办结率 leaves repeated orders out of its numerator
(services/evaluation.py).

**Kept per order.** Asking the rule for each of a period's orders reads the site's later orders
for every one of them: at a county's million orders that was most of a 绩效评价 table's time.
So the orders it marks are kept in `repeatedorder`, and the tables read those rows:

- `refresh` recomputes, in the caller's transaction, every order one change can affect: the
  changed order itself, and the done orders of its site and category that it could repeat
  (placed before it, completed at most `repeat_days` before it was placed). Called by 点单
  (orders.place_step, after its needs are claimed), 来访 (walk_ins.record) and every transition
  into or out of a done or cancelled status (orders._change). Nothing else changes what the
  rule reads: an order's site, category, requester and needs are fixed when it is placed, and
  surveys are never edited.
- `rebuild` recomputes every row: a change of `repeat_days` runs it (services/settings.py), and
  so do `python -m diandan rollups rebuild`, the migration that made the table and the bench
  builder.
- `check` lists the orders where the kept rows and the rule disagree (`python -m diandan
  rollups check`).

`repeat_days` is passed by the callers (from services/settings.current): the settings service
rebuilds through this module, so it cannot read the settings itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, exists, func, insert, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from core.db import dialect_of, hours_between
from models import DONE, Need, OrderStatus, RepeatedOrder, Survey, WorkOrder


def is_repeat(repeat_days: int, dialect: str):
    """SQL on WorkOrder: a later order repeats this one (重复诉求) — same site and category, not
    cancelled, placed after it and at most `repeat_days` after its completion, from the same
    requester (phone or name) or the same surveyed household."""
    later = aliased(WorkOrder)
    n1, n2 = aliased(Need), aliased(Need)
    s1, s2 = aliased(Survey), aliased(Survey)
    # A plain upper bound on later.submitted_at, a day wider than the exact rule below (which
    # still decides): with it the (site_id, category_id, submitted_at) index reads only the
    # window after each order instead of all the site's later orders.
    if dialect == "sqlite":
        window_end = func.datetime(WorkOrder.completed_at, f"+{repeat_days + 1} days")
    else:
        window_end = WorkOrder.completed_at + timedelta(days=repeat_days + 1)
    later_one = (
        later.site_id == WorkOrder.site_id, later.category_id == WorkOrder.category_id,
        later.id != WorkOrder.id, later.status != OrderStatus.cancelled,
        later.submitted_at > WorkOrder.submitted_at, later.submitted_at <= window_end,
        hours_between(WorkOrder.completed_at, later.submitted_at, dialect) <= repeat_days * 24)
    same_requester = or_(
        and_(WorkOrder.requester_phone != "", later.requester_phone == WorkOrder.requester_phone),
        and_(WorkOrder.requester_name != "", later.requester_name == WorkOrder.requester_name))
    by_requester = select(later.id).where(*later_one, same_requester).correlate(WorkOrder)
    # The same household is looked for from this order's needs (none: one index probe), then
    # that household's other surveys' needs' orders — not once per later order of the window.
    household_orders = (select(later.id).select_from(s1)
                        .join(s2, and_(s2.site_id == s1.site_id,
                                       s2.respondent == s1.respondent))
                        .join(n2, n2.survey_id == s2.id).join(later, later.id == n2.order_id)
                        .where(s1.id == n1.survey_id, *later_one).correlate(WorkOrder, n1))
    by_household = select(n1.id).where(n1.order_id == WorkOrder.id,
                                       household_orders.exists()).correlate(WorkOrder)
    return or_(by_requester.exists(), by_household.exists())


def repeated():
    """SQL on WorkOrder: the order is kept as repeated (one primary-key probe)."""
    return exists().where(RepeatedOrder.order_id == WorkOrder.id)


def _marked(repeat_days: int, dialect: str, *where):
    """The ids of the done orders the rule marks, among those `where` selects."""
    return (select(WorkOrder.id).where(*where, WorkOrder.status.in_(DONE),
                                       is_repeat(repeat_days, dialect)))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def affected(order: WorkOrder, repeat_days: int):
    """SQL on WorkOrder: the orders whose mark a change of `order` can move — itself, and the
    done orders of its site and category it could repeat (a day of slack on the window; the
    rule itself decides)."""
    since = _utc(order.submitted_at) - timedelta(days=repeat_days + 1)
    return and_(WorkOrder.site_id == order.site_id, WorkOrder.category_id == order.category_id,
                or_(WorkOrder.id == order.id,
                    and_(WorkOrder.status.in_(DONE),
                         WorkOrder.submitted_at < order.submitted_at,
                         WorkOrder.completed_at >= since)))


def refresh(session: Session, order: WorkOrder, *, repeat_days: int) -> None:
    """Recompute the marks `order`'s change can move, in the caller's transaction (call it
    after the change is written: the order's status, completion and needs as they are now)."""
    session.flush()
    conn = session.connection()
    window = affected(order, repeat_days)
    now_marked = set(conn.execute(_marked(repeat_days, dialect_of(session), window)).scalars())
    kept = set(conn.execute(select(RepeatedOrder.order_id)
                            .join(WorkOrder, WorkOrder.id == RepeatedOrder.order_id)
                            .where(window)).scalars())
    table = RepeatedOrder.__table__
    if kept - now_marked:
        conn.execute(delete(table).where(table.c.order_id.in_(sorted(kept - now_marked))))
    if now_marked - kept:
        conn.execute(insert(table), [{"order_id": i} for i in sorted(now_marked - kept)])


def rebuild(session: Session, *, repeat_days: int) -> int:
    """Replace every row by the rule's answer for every done order, in the caller's
    transaction (the caller commits). Returns the number of repeated orders."""
    session.flush()
    conn = session.connection()
    table = RepeatedOrder.__table__
    conn.execute(delete(table))
    conn.execute(insert(table).from_select(("order_id",),
                                           _marked(repeat_days, dialect_of(session))))
    # counted, not the INSERT's rowcount: psycopg reports -1 for an INSERT … SELECT
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def check(session: Session, *, repeat_days: int) -> list[tuple[int, bool, bool]]:
    """Every (order_id, kept, rule) where the kept mark and the rule disagree."""
    conn = session.connection()
    kept = set(conn.execute(select(RepeatedOrder.order_id)).scalars())
    rule = set(conn.execute(_marked(repeat_days, dialect_of(session))).scalars())
    return sorted([(i, True, False) for i in kept - rule] + [(i, False, True) for i in rule - kept])
