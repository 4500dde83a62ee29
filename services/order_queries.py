"""The read side of orders: the filtered, paginated lists (filter, sort and page in SQL), one
order's detail with its history, and a team lead's waiting count. Nothing here writes.

Who sees which orders is one rule (permissions.ORDER_REACH), applied as SQL by
scope.orders_of and for one order by scope.sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Integer, func, not_, or_
from sqlalchemy import text as sa_text
from sqlmodel import Session, select

from core import textsearch
from core.db import utcnow
from models import (
    CAN_BE_OVERDUE,
    OrderAction,
    OrderBeneficiary,
    OrderEvent,
    OrderSource,
    OrderStatus,
    Rating,
    ServiceCategory,
    ServiceItem,
    ServiceRecord,
    Site,
    Station,
    Team,
    User,
    Volunteer,
    WorkOrder,
)
from services import scope, sla
from services import settings as settings_service
from services.clock import day_range_utc
from services.errors import Invalid, NotFound
from services.figures import half_up
from services.orders import load
from services.permissions import Action, Actor, allowed, ensure_any_allowed

# Either may list orders: the desk's and officers' view, or a team lead's inbox; what each
# sees is their reach.
LIST_ACTIONS = (Action.VIEW_ORDERS, Action.WORK_ORDERS)
# the late orders (催办督办) are listed for leaders too
LATE_ACTIONS = (*LIST_ACTIONS, Action.VIEW_ESCALATION)


@dataclass(frozen=True)
class OrderFilter:
    statuses: tuple[str, ...] = ()
    site_id: int | None = None
    team_id: int | None = None
    category_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue_only: bool = False
    search: str = ""
    source: str | None = None
    overdue_kind: str | None = None   # only the orders late at this step (sla.KINDS)
    escalated_only: bool = False      # only the orders at the stage 督办 (sla.is_escalated)


SORTS = ("newest", "urgent", "oldest")
CODE = re.compile(r"^DD-\d{4}-\d{6,}$", re.IGNORECASE)  # what place() writes


def _conditions(session: Session, actor: Actor, flt: OrderFilter, now: datetime,
                values: dict) -> list:
    """The filter as conditions on WorkOrder, within the actor's reach."""
    return [*scope.orders_of(session, actor), *_which(session, flt),
            *_when(flt, now, values), *_text(session, flt.search)]


def _which(session: Session, flt: OrderFilter) -> list:
    conds = []
    if flt.statuses:
        conds.append(WorkOrder.status.in_([OrderStatus(x) for x in flt.statuses]))
    if flt.site_id:
        conds.append(WorkOrder.site_id.in_(scope.sites_under_id(session, flt.site_id)))
    if flt.team_id:
        conds.append(WorkOrder.team_id == flt.team_id)
    if flt.category_id:
        conds.append(WorkOrder.category_id == flt.category_id)
    if flt.source:
        conds.append(WorkOrder.source == OrderSource(flt.source))
    return conds


def _when(flt: OrderFilter, now: datetime, values: dict) -> list:
    conds = []
    if flt.date_from or flt.date_to:
        start, end = day_range_utc(flt.date_from or date(2000, 1, 1),
                                   flt.date_to or date(2100, 1, 1), values["timezone"])
        conds += [WorkOrder.submitted_at >= start, WorkOrder.submitted_at < end]
    if flt.overdue_only:
        conds.append(sla.is_overdue(now, values))
    if flt.escalated_only:
        conds.append(sla.is_escalated(now, values))
    if flt.overdue_kind:
        if flt.overdue_kind not in sla.KINDS:
            raise Invalid("error.overdue_kind")
        conds += [WorkOrder.status.in_(CAN_BE_OVERDUE),
                  sla.overdue_kind(now, values) == flt.overdue_kind]
    return conds


def _text(session: Session, search: str) -> list:
    """A whole code is looked up; any other text is a substring of the code or the title: on
    SQLite through the order search index (core/textsearch.py), elsewhere with LIKE."""
    text = search.strip()
    if CODE.match(text):
        return [WorkOrder.code == text.upper()]  # a whole code: the unique index
    if not text:
        return []
    found = _found(session, text)
    if found is not None:
        return [WorkOrder.id.in_(found)]
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    # ILIKE: ASCII letters match either case, as SQLite's LIKE and the search index do ("dd"
    # finds DD-2026-…)
    return [or_(WorkOrder.code.ilike(like, escape="\\"),
                WorkOrder.title.ilike(like, escape="\\"))]


# Above this many matches a page walks the sort's index instead of sorting the matches.
_WALK_OVER = 2000


def _found(session: Session, search: str):
    """The ids of the orders whose code or title contains the text, from the search index, as
    a subquery; None when there is no index (PostgreSQL), no text, or a whole code."""
    text = search.strip()
    if not text or CODE.match(text) or not _has_search_index(session):
        return None
    found = sa_text(f"SELECT rowid FROM {textsearch.TABLE} WHERE {textsearch.TABLE} MATCH :q")
    return found.bindparams(q=textsearch.match_query(text)).columns(rowid=Integer)


_SEARCH_INDEX: dict[str, bool] = {}


def _has_search_index(session: Session) -> bool:
    """Whether this database has migration 0013's search table (SQLite only); asked once per
    database."""
    bind = session.get_bind()
    key = str(bind.url)
    if key not in _SEARCH_INDEX:
        _SEARCH_INDEX[key] = bind.dialect.name == "sqlite" and session.connection().execute(
            sa_text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :n"),
            {"n": textsearch.TABLE}).scalar() == 1
    return _SEARCH_INDEX[key]


def _page_ids(session: Session, conds: list, *, offset: int, limit: int, sort: str,
              now: datetime, values: dict) -> list[int]:
    by_due = (WorkOrder.due_on, WorkOrder.submitted_at, WorkOrder.id)
    if sort != "urgent":
        order = ((WorkOrder.submitted_at, WorkOrder.id) if sort == "oldest" else
                 (WorkOrder.submitted_at.desc(), WorkOrder.id.desc()))
        return list(session.exec(select(WorkOrder.id).where(*conds).order_by(*order)
                                 .offset(offset).limit(limit)))
    # Most urgent first, in two indexed steps instead of sorting the whole scope: the overdue
    # orders by due date, then all the others by due date.
    late = sla.is_overdue(now, values)
    late_ids = list(session.exec(select(WorkOrder.id).where(*conds, late).order_by(*by_due)
                                 .offset(offset).limit(limit)))
    if len(late_ids) == limit:
        return late_ids
    skip = 0
    if not late_ids:  # the page starts after the overdue ones
        n_late = session.exec(select(func.count()).select_from(WorkOrder)
                              .where(*conds, late)).one()
        skip = max(0, offset - n_late)
    rest = session.exec(select(WorkOrder.id).where(*conds, not_(late)).order_by(*by_due)
                        .offset(skip).limit(limit - len(late_ids)))
    return late_ids + list(rest)


def page(session: Session, *, actor: Actor, flt: OrderFilter = OrderFilter(), offset: int = 0,
         limit: int = 50, sort: str = "newest",
         now: datetime | None = None) -> tuple[list[dict], int]:
    """Orders the actor may see, one page at a time, filtered and sorted in SQL: newest first,
    oldest first, or most urgent first (overdue, then nearest due date)."""
    ensure_any_allowed(actor, LIST_ACTIONS)
    return _page(session, actor, flt, offset=offset, limit=limit, sort=sort, now=now)


def late_page(session: Session, *, actor: Actor, flt: OrderFilter = OrderFilter(),
              offset: int = 0, limit: int = 50,
              now: datetime | None = None) -> tuple[list[dict], int]:
    """The late orders only (the 催办督办 list), most urgent first; leaders may read it too."""
    ensure_any_allowed(actor, LATE_ACTIONS)
    return _page(session, actor, replace(flt, overdue_only=True), offset=offset, limit=limit,
                 sort="urgent", now=now)


def _page(session: Session, actor: Actor, flt: OrderFilter, *, offset: int, limit: int,
          sort: str, now: datetime | None) -> tuple[list[dict], int]:
    now = now or utcnow()
    values = settings_service.current(session)
    conds = _conditions(session, actor, flt, now, values)
    found = _found(session, flt.search)
    total = None
    if found is not None:
        matches = session.connection().execute(  # counted in the index: milliseconds
            select(func.count()).select_from(found.subquery())).scalar()
        if len(conds) == 1:  # the search alone
            total = matches
        if matches > _WALK_OVER:
            # Many matches: let the other conditions and the sort pick the index (`id + 0`
            # cannot drive the query) and test each order against the matches, instead of
            # fetching every match (a title word: tens of thousands at county scale).
            conds = [*_conditions(session, actor, replace(flt, search=""), now, values),
                     (WorkOrder.id + 0).in_(found)]
    if total is None:
        total = session.exec(select(func.count()).select_from(WorkOrder).where(*conds)).one()
    ids = _page_ids(session, conds, offset=offset, limit=limit, sort=sort, now=now,
                    values=values)
    return rows_for(session, ids, now=now, values=values), total


def rows_for(session: Session, ids: list[int], *, now: datetime, values: dict) -> list[dict]:
    """The list rows of these orders, in this order, with names and the overdue kind."""
    if not ids:
        return []
    late = sla.overdue_kind(now, values).label("overdue")
    rows = session.exec(
        select(WorkOrder, Site.name, ServiceCategory.name, Team.name, late)
        .join(Site, Site.id == WorkOrder.site_id)
        .join(ServiceCategory, ServiceCategory.id == WorkOrder.category_id)
        .join(Team, Team.id == WorkOrder.team_id, isouter=True)
        .where(WorkOrder.id.in_(ids))).all()
    by_id = {o.id: (o, site, cat, team, kind) for o, site, cat, team, kind in rows}
    urges = dict(session.exec(select(OrderEvent.order_id, func.count())
                              .where(OrderEvent.order_id.in_(ids),
                                     OrderEvent.action == OrderAction.urge.value)
                              .group_by(OrderEvent.order_id)).all())
    out = []
    for oid in ids:
        o, site, cat, team, kind = by_id[oid]
        late = (now - sla.deadline(o, kind, values)) if kind else None
        late_hours = half_up(late.total_seconds() / 3600, 1) if late else None
        out.append({"id": o.id, "code": o.code, "title": o.title, "status": o.status.value,
                    "stage": sla.stage(late.total_seconds() / 3600 if late else None, values),
                    "urges": urges.get(oid, 0),
                    "site": site, "category": cat, "team": team or "", "source": o.source.value,
                    "submitted_at": o.submitted_at, "due_on": o.due_on, "overdue": kind or "",
                    "late_hours": late_hours,
                    "last_decline_reason": o.last_decline_reason,
                    "expected_beneficiaries": o.expected_beneficiaries,
                    "actual_beneficiaries": o.actual_beneficiaries})
    return out


def detail(session: Session, *, actor: Actor, order_id: int, now: datetime | None = None) -> dict:
    """One order with its names, beneficiaries, service record, rating and full history."""
    now = now or utcnow()
    order = load(session, order_id)
    if not scope.sees(session, actor, order):
        raise NotFound(what="order")  # not "forbidden": the order's existence is not told
    site = session.get(Site, order.site_id)
    values = settings_service.current(session)
    kind = session.exec(select(sla.overdue_kind(now, values)).where(WorkOrder.id == order.id)).one()
    team = session.get(Team, order.team_id) if order.team_id else None
    item = session.get(ServiceItem, order.item_id) if order.item_id else None
    station = session.get(Station, order.station_id) if order.station_id else None
    service = session.exec(select(Volunteer.name, ServiceRecord.hours, Volunteer.id)
                           .join(Volunteer, Volunteer.id == ServiceRecord.volunteer_id)
                           .where(ServiceRecord.order_id == order.id)
                           .order_by(Volunteer.name)).all()
    groups = session.exec(select(OrderBeneficiary.group, OrderBeneficiary.count)
                          .where(OrderBeneficiary.order_id == order.id)).all()
    rating = session.exec(select(Rating).where(Rating.order_id == order.id)).first()
    late = (now - sla.deadline(order, kind, values)).total_seconds() / 3600 if kind else None
    events = history(session, order_id=order.id)
    return {
        "order": order.model_dump(), "site": site.name,
        "category": session.get(ServiceCategory, order.category_id).name,
        "item": item.title if item else "", "team": team.name if team else "",
        "station": station.name if station else "",
        "overdue": kind or "", "stage": sla.stage(late, values),
        "urges": [e for e in events if e["action"] == OrderAction.urge.value],
        "service": [{"volunteer": n, "hours": h, "volunteer_id": v} for n, h, v in service],
        "beneficiaries": {g.value: c for g, c in groups},
        "rating": rating.model_dump() if rating else None,
        "history": events,
    }


def history(session: Session, *, order_id: int) -> list[dict]:
    """Every event of an order, oldest first, with who did it and the team it concerned."""
    rows = session.exec(select(OrderEvent, User.display_name, Team.name)
                        .join(User, User.id == OrderEvent.actor_id, isouter=True)
                        .join(Team, Team.id == OrderEvent.team_id, isouter=True)
                        .where(OrderEvent.order_id == order_id)
                        .order_by(OrderEvent.at, OrderEvent.id)).all()
    return [{"at": e.at, "actor": name or "", "action": e.action,
             "from_status": e.from_status.value if e.from_status else "",
             "to_status": e.to_status.value, "team": team or "", "note": e.note,
             "detail": e.detail}
            for e, name, team in rows]


def waiting_count(session: Session, *, actor: Actor) -> int:
    """Orders dispatched to the team lead's team and not yet accepted."""
    if not allowed(actor.role, Action.WORK_ORDERS) or actor.team_id is None:
        return 0
    return session.exec(select(func.count()).select_from(WorkOrder).where(
        *scope.orders_of(session, actor), WorkOrder.status == OrderStatus.dispatched)).one()
