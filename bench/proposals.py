"""Rewrites measured next to the services but not (yet) taken into them.

The first round's rewrites 1–4 now live in services/ (scope.py: scope by `site_id IN (subtree)`;
sla.is_overdue; the two-step urgent sort and the exact code lookup in orders.py). What remains:

5. **Free-text search in one pass.** Walking the submission-time index and testing LIKE on every
   row is what SQLite chooses for `ORDER BY submitted_at LIMIT 50`; for a rare term that is a walk
   through every order, and the separate COUNT scans the table again. With the total as a window
   (`count(*) OVER ()`), SQLite finds all matches once — by scanning the narrow
   ix_workorder_search (title, code, site_id, submitted_at) from `--try-indexes` instead of the
   table — and then sorts only them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from core.db import utcnow
from models import WorkOrder
from services import order_queries
from services import settings as settings_service
from services.order_queries import CODE, OrderFilter
from services.permissions import Actor, ensure_any_allowed


def _order(sort: str):
    if sort == "oldest":
        return (WorkOrder.submitted_at, WorkOrder.id)
    return (WorkOrder.submitted_at.desc(), WorkOrder.id.desc())


def _search_page(session: Session, conds: list, offset: int, limit: int,
                 sort: str) -> tuple[list[int], int]:
    rows = session.exec(select(WorkOrder.id, func.count().over()).where(*conds)
                        .order_by(*_order(sort)).offset(offset).limit(limit)).all()
    if rows:
        return [i for i, _ in rows], rows[0][1]
    total = session.exec(select(func.count()).select_from(WorkOrder).where(*conds)).one()
    return [], total


def page(session: Session, *, actor: Actor, flt: OrderFilter | None = None, offset: int = 0,
         limit: int = 50, sort: str = "newest",
         now: datetime | None = None) -> tuple[list[dict], int]:
    """order_queries.page, with rewrite 5 for free-text searches."""
    flt = flt or OrderFilter()
    text = flt.search.strip()
    if sort == "urgent" or not text or CODE.match(text):
        return order_queries.page(session, actor=actor, flt=flt, offset=offset, limit=limit,
                                  sort=sort, now=now)
    ensure_any_allowed(actor, order_queries.LIST_ACTIONS)
    now = now or utcnow()
    values = settings_service.current(session)
    conds = order_queries._conditions(session, actor, flt, now, values)
    ids, total = _search_page(session, conds, offset, limit, sort)
    return order_queries.rows_for(session, ids, now=now, values=values), total
