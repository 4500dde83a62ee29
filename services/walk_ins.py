"""来访: residents served at a service station's desk, logged as orders of that station that are
done already — placed and completed in one step (models.ENTRY_ACTIONS[walk_in]), with the
beneficiaries by group.

How a 来访 counts (README, 站点值班): an order of the station's site, source 来访, no team; due
and completed on the day served, so it is done on time. It is placed and done in the site's
figures (概览, 办结率, 按时办结率, 一次办结率) and in the "orders placed" of the officer who
logs it; it is no team's and no dispatcher's. It records no hours: the volunteers at the desk are
credited by their duty attendance (services/duty.py), and counting them again here would count
the same afternoon twice. Like any done order it can be rated, and is followed up when it is not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from core.db import utcnow
from models import (
    ENTRY_ACTIONS,
    OrderAction,
    OrderBeneficiary,
    OrderEvent,
    OrderSource,
    Site,
    Station,
    User,
    WorkOrder,
)
from services import completions, order_facts, orders, repeats, rollups, sites, validate
from services import settings as settings_service
from services.clock import local_today
from services.errors import Checks, NotFound
from services.permissions import Action, Actor, ensure_allowed, in_scope

A = OrderAction
DAYS_BACK = 7  # a 来访 may be logged up to a week late; older periods' figures stay as published


def record(session: Session, *, actor: Actor, station_id: int | None, category_id: int | None,
           title: str, beneficiaries: dict[str, int], served_at: datetime | None = None,
           item_id: int | None = None, description: str = "", requester_name: str = "",
           requester_phone: str = "", note: str = "",
           now: datetime | None = None) -> WorkOrder:
    """Log residents served at a station's desk as a done order of that station; managers and
    officers of the station's site. One transaction: the order, its beneficiaries, its event
    and the rollups."""
    now = now or utcnow()
    ensure_allowed(actor, Action.PLACE_ORDER)
    station = session.get(Station, station_id) if station_id else None
    site = session.get(Site, station.site_id) if station is not None else None
    if station is None or not station.active or not in_scope(actor, site.path):
        raise NotFound(what="station")
    values = settings_service.current(session)
    tz = values["timezone"]
    served_at = served_at or now
    check = Checks()
    check(sites.ensure_active, site)
    fields = check(orders.clean_order_fields, session, title=title, description=description,
                   requester_name=requester_name, requester_phone=requester_phone,
                   expected_beneficiaries=0, source=OrderSource.walk_in,
                   category_id=category_id, item_id=item_id)
    groups = completions.clean_groups(check, beneficiaries)
    total = sum(groups.values())
    if not check.problems and total < 1:
        check.fail("error.walk_in.people")
    if served_at > now:
        check.fail("error.walk_in.future")
    elif local_today(served_at, tz) < local_today(now, tz) - timedelta(days=DAYS_BACK):
        check.fail("error.walk_in.too_old", days=DAYS_BACK)
    note = check(validate.text, note, key="note", maximum=2000, required=False)
    check.done()
    served_on = local_today(served_at, tz)
    fields["expected_beneficiaries"] = total
    order = WorkOrder(site_id=site.id, station_id=station.id, category_id=category_id,
                      item_id=item_id, due_on=served_on, created_by_id=actor.id,
                      submitted_at=served_at, completed_at=served_at,
                      status=ENTRY_ACTIONS[A.walk_in], actual_beneficiaries=total,
                      completion_note=note, **fields)
    session.add(order)
    session.flush()
    order.code = f"DD-{served_on.year}-{order.id:06d}"
    session.add(order)
    session.add_all(OrderBeneficiary(order_id=order.id, group=group, count=count)
                    for group, count in groups.items())
    session.add(OrderEvent(order_id=order.id, at=now, actor_id=actor.id, action=A.walk_in.value,
                           from_status=None, to_status=order.status, note=note))
    rollups.change(session, order, source=None, target=order.status, action=A.walk_in,
                   now=served_at, tz=tz, report=rollups.Report(beneficiaries=total, hours={}))
    repeats.refresh(session, order, repeat_days=values["repeat_days"])
    order_facts.refresh(session, order.id, tz=tz)
    return orders.commit(session, order.id)


def recent(session: Session, *, actor: Actor, station_id: int, limit: int = 20) -> list[dict]:
    """The station's latest 来访, newest first: code, when served, title, people, who logged it."""
    ensure_allowed(actor, Action.PLACE_ORDER)
    station = session.get(Station, station_id) if station_id else None
    if station is None or not in_scope(actor, session.get(Site, station.site_id).path):
        raise NotFound(what="station")
    rows = session.exec(select(WorkOrder.id, WorkOrder.code, WorkOrder.completed_at,
                               WorkOrder.title, WorkOrder.actual_beneficiaries, User.display_name)
                        .join(User, User.id == WorkOrder.created_by_id)
                        .where(WorkOrder.station_id == station.id,
                               WorkOrder.source == OrderSource.walk_in)
                        .order_by(WorkOrder.completed_at.desc(), WorkOrder.id.desc())
                        .limit(limit)).all()
    return [{"id": i, "code": code, "served_at": at, "title": title, "people": people or 0,
             "by": by} for i, code, at, title, people, by in rows]
