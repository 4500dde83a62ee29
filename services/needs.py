"""群众需求: the needs board — open needs by village and category — and what happens to a need:
turned into an order (one or several similar needs of one village at once) or closed as not
feasible, with a reason.

A need's state is stored once and the rest is read from its order, so the two cannot drift:
the row says open, ordered (with order_id) or closed; an ordered need then *shows* as 已完成 or
已评价 when its order is, and as open again when its order was cancelled — it waits on the board
and can be ordered anew (its order_id then moves to the new order). `state()` is that rule as
one SQL expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import and_, case, func, or_, update
from sqlmodel import Session, select

from models import (
    Need,
    NeedPriority,
    NeedStatus,
    OrderSource,
    OrderStatus,
    ServiceCategory,
    ServiceItem,
    Site,
    Survey,
    WorkOrder,
)
from services import contacts, orders, scope, validate
from services.errors import Invalid, NotFound
from services.formats import LABEL_SEP, NAME_SEP
from services.permissions import Action, Actor, ensure_allowed
from services.surveys import of_actor

STATES = ("open", "ordered", "done", "rated", "closed")
MAX_TOGETHER = 50  # needs turned into one order


def state():
    """The shown state of a need; needs an outer join of WorkOrder on Need.order_id."""
    return case(
        (Need.status == NeedStatus.closed, "closed"),
        (Need.status == NeedStatus.open, "open"),
        (WorkOrder.status == OrderStatus.cancelled, "open"),
        (WorkOrder.status == OrderStatus.completed, "done"),
        (WorkOrder.status == OrderStatus.rated, "rated"),
        else_="ordered")


def is_open():
    """Waiting for an order: never ordered, or its order was cancelled (same outer join)."""
    return or_(Need.status == NeedStatus.open,
               and_(Need.status == NeedStatus.ordered, WorkOrder.status == OrderStatus.cancelled))


def query(session: Session, actor: Actor, *columns):
    """Needs of the actor's sites, with their survey joined and their order outer-joined."""
    return (select(*columns).select_from(Need)
            .join(Survey, Survey.id == Need.survey_id)
            .join(WorkOrder, WorkOrder.id == Need.order_id, isouter=True)
            .where(*of_actor(session, actor)))


@dataclass(frozen=True)
class NeedFilter:
    states: tuple[str, ...] = ("open",)
    site_id: int | None = None
    category_id: int | None = None
    priority: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _filtered(session: Session, actor: Actor, flt: NeedFilter, *columns):
    q = query(session, actor, *columns)
    if flt.states:
        q = q.where(state().in_(flt.states))
    if flt.site_id:
        q = q.where(Survey.site_id.in_(scope.sites_under_id(session, flt.site_id)))
    if flt.category_id:
        q = q.where(Need.category_id == flt.category_id)
    if flt.priority:
        q = q.where(Need.priority == NeedPriority(flt.priority))
    if flt.date_from:
        q = q.where(Survey.surveyed_on >= flt.date_from)
    if flt.date_to:
        q = q.where(Survey.surveyed_on <= flt.date_to)
    return q


def heat(session: Session, *, actor: Actor, flt: NeedFilter = NeedFilter()) -> pd.DataFrame:
    """Needs per village and category, counted in SQL: columns village, category, needs, and
    the keys that put villages in tree order and categories in menu order."""
    ensure_allowed(actor, Action.VIEW_NEEDS)
    q = (_filtered(session, actor, flt, Survey.site_id, Need.category_id, func.count())
         .group_by(Survey.site_id, Need.category_id))
    counts = session.exec(q).all()
    if not counts:
        return pd.DataFrame(columns=["village", "category", "needs"])
    # Sites in the order they were added (a materialised path sorts /10/ before /3/).
    sites = {i: (name, i) for i, name in session.exec(
        select(Site.id, Site.name).where(Site.id.in_({c[0] for c in counts})))}
    cats = {i: (name, order) for i, name, order in session.exec(
        select(ServiceCategory.id, ServiceCategory.name, ServiceCategory.sort_order))}
    df = pd.DataFrame([(sites[s][0], cats[c][0], n, sites[s][1], cats[c][1])
                       for s, c, n in counts],
                      columns=["village", "category", "needs", "village_order", "category_order"])
    return df.sort_values(["village_order", "category_order"]).reset_index(drop=True)


def page(session: Session, *, actor: Actor, flt: NeedFilter = NeedFilter(), offset: int = 0,
         limit: int = 50) -> tuple[list[dict], int]:
    """Needs the actor may see, grouped on screen by village and category (that is the order),
    newest survey first within a group."""
    ensure_allowed(actor, Action.VIEW_NEEDS)
    total = session.exec(_filtered(session, actor, flt, func.count())).one()
    rows = session.exec(
        _filtered(session, actor, flt, Need, Survey, state().label("state"), WorkOrder.code,
                  Site.name, ServiceCategory.name, ServiceItem.title,
                  contacts.from_contact().label("from_contact"))
        .join(Site, Site.id == Survey.site_id)
        .join(ServiceCategory, ServiceCategory.id == Need.category_id)
        .join(ServiceItem, ServiceItem.id == Need.item_id, isouter=True)
        .order_by(Site.id, ServiceCategory.sort_order, Survey.surveyed_on.desc(), Need.id)
        .offset(offset).limit(limit)).all()
    return [{"id": n.id, "site_id": sv.site_id, "site": site, "category_id": n.category_id,
             "category": cat, "item": item or "", "text": n.text, "priority": n.priority.value,
             "respondent": sv.respondent, "people_covered": sv.people_covered,
             "surveyed_on": sv.surveyed_on, "state": st,
             # an open need shows no order code: a cancelled order put it back on the board
             "order_code": (code or "") if st != "open" else "",
             "closed_reason": n.closed_reason, "from_contact": bool(from_contact)}
            for n, sv, st, code, site, cat, item, from_contact in rows], total


def of_order(session: Session, *, order_id: int) -> list[dict]:
    """The needs an order came from, for the order's detail (the caller has checked access)."""
    rows = session.exec(
        select(Need, Survey, Site.name, ServiceCategory.name)
        .join(Survey, Survey.id == Need.survey_id).join(Site, Site.id == Survey.site_id)
        .join(ServiceCategory, ServiceCategory.id == Need.category_id)
        .where(Need.order_id == order_id).order_by(Need.id)).all()
    return [{"id": n.id, "surveyed_on": sv.surveyed_on, "site": site, "respondent": sv.respondent,
             "people_covered": sv.people_covered, "category": cat,
             "priority": n.priority.value, "text": n.text} for n, sv, site, cat in rows]


# --- turning needs into an order ------------------------------------------------------------


def _open_needs(session: Session, actor: Actor, need_ids) -> list[tuple[Need, Survey]]:
    ids = list(dict.fromkeys(need_ids))
    if not ids:
        raise Invalid("error.needs_required")
    if len(ids) > MAX_TOGETHER:
        raise Invalid("error.too_many_needs", maximum=MAX_TOGETHER)
    rows = session.exec(query(session, actor, Need, Survey, is_open())
                        .where(Need.id.in_(ids))).all()
    if len(rows) != len(ids):
        raise NotFound(what="need")
    if not all(open_ for _n, _s, open_ in rows):
        raise Invalid("error.need_not_open")
    return [(n, sv) for n, sv, _ in sorted(rows, key=lambda r: ids.index(r[0].id))]


def draft(session: Session, *, actor: Actor, need_ids) -> dict:
    """The order these needs make, prefilled: their village, category, common item, a title, the
    needs' words as description, respondents and people covered. They must be open, of one
    village and one category."""
    ensure_allowed(actor, Action.HANDLE_NEEDS)
    chosen = _open_needs(session, actor, need_ids)
    if len({sv.site_id for _n, sv in chosen}) > 1:
        raise Invalid("error.needs_one_village")
    if len({n.category_id for n, _sv in chosen}) > 1:
        raise Invalid("error.needs_one_category")
    first, survey = chosen[0]
    items = {n.item_id for n, _sv in chosen}
    item_id = items.pop() if len(items) == 1 else None
    item = session.get(ServiceItem, item_id) if item_id else None
    if item is not None and not item.active:
        item_id, item = None, None
    texts = list(dict.fromkeys(n.text for n, _ in chosen if n.text))
    title = item.title if item else (texts[0] if texts else "")
    surveys = {sv.id: sv for _n, sv in chosen}
    respondents = NAME_SEP.join(dict.fromkeys(sv.respondent for sv in surveys.values()))
    lines = [f"{sv.surveyed_on.isoformat()} {sv.respondent}{LABEL_SEP}{n.text}" if n.text
             else f"{sv.surveyed_on.isoformat()} {sv.respondent}" for n, sv in chosen]
    return {"need_ids": tuple(n.id for n, _ in chosen), "site_id": survey.site_id,
            "category_id": first.category_id, "item_id": item_id, "title": title[:80],
            "description": "\n".join(lines)[:2000], "requester_name": respondents[:40],
            "expected_beneficiaries": min(orders.MAX_BENEFICIARIES,
                                          sum(sv.people_covered for sv in surveys.values()))}


def to_order(session: Session, *, actor: Actor, need_ids, title: str | None = None,
             description: str | None = None, item_id: int | None = -1,
             due_on: date | None = None, expected_beneficiaries: int | None = None,
             requester_name: str | None = None, requester_phone: str = "",
             now: datetime | None = None) -> WorkOrder:
    """Place one order for open needs of one village and category (点单 from the board); what is
    not given comes from the draft. Officers and managers within their sites."""
    prefilled = draft(session, actor=actor, need_ids=need_ids)
    return orders.place(
        session, actor=actor, site_id=prefilled["site_id"], category_id=prefilled["category_id"],
        item_id=prefilled["item_id"] if item_id == -1 else item_id,
        title=prefilled["title"] if title is None else title,
        description=prefilled["description"] if description is None else description,
        source=OrderSource.survey, due_on=due_on,
        expected_beneficiaries=(prefilled["expected_beneficiaries"]
                                if expected_beneficiaries is None else expected_beneficiaries),
        requester_name=prefilled["requester_name"] if requester_name is None else requester_name,
        requester_phone=requester_phone, need_ids=prefilled["need_ids"], now=now)


def close(session: Session, *, actor: Actor, need_id: int, reason: str) -> Need:
    """Close an open need as not feasible, with the reason; officers and managers of its site."""
    ensure_allowed(actor, Action.HANDLE_NEEDS)
    reason = validate.text(reason, key="reason", maximum=200)
    (need, _survey), = _open_needs(session, actor, (need_id,))
    result = session.exec(update(Need).where(Need.id == need.id, Need.status == need.status,
                                             Need.order_id.is_not_distinct_from(need.order_id))
                          .values(status=NeedStatus.closed, closed_reason=reason))
    if result.rowcount != 1:  # somebody ordered or closed it meanwhile
        session.rollback()
        raise Invalid("error.need_not_open")
    need = session.get(Need, need_id, populate_existing=True)
    session.commit()
    return need
