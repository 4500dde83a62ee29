"""The figures the rollups serve, computed the long way: straight from the orders, ratings and
service records, by the definitions of the README's glossary (these are the queries the services
ran before the rollups). test_rollups.py compares the two on random histories; test_alerts.py
and test_migrations.py do the same for 预警's declining teams."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import String, and_, cast, distinct, func
from sqlmodel import Session, select

from core import db
from core.db import count_where
from models import (
    DONE,
    OrderAction,
    OrderEvent,
    Rating,
    ServiceCategory,
    ServiceItem,
    ServiceRecord,
    Site,
    Team,
    WorkOrder,
    good_rating,
    satisfied,
)
from services import alerts, scope
from services import settings as settings_service
from services.clock import day_range_utc, local_today
from services.figures import half_up
from services.permissions import Actor


def _tz(session: Session) -> str:
    return settings_service.current(session)["timezone"]


def overview(session: Session, actor: Actor, start: date, end: date) -> dict:
    lo, hi = day_range_utc(start, end, _tz(session))
    mine = scope.orders_of(session, actor)
    placed = session.exec(select(func.count()).select_from(WorkOrder).where(
        *mine, WorkOrder.submitted_at >= lo, WorkOrder.submitted_at < hi)).one()
    done_in = and_(WorkOrder.status.in_(DONE), WorkOrder.completed_at >= lo,
                   WorkOrder.completed_at < hi)
    done, people = session.exec(
        select(func.count(), func.coalesce(func.sum(WorkOrder.actual_beneficiaries), 0))
        .select_from(WorkOrder).where(*mine, done_in)).one()
    rated, good, n_sat = session.exec(
        select(func.count(), count_where(good_rating()), count_where(satisfied()))
        .select_from(Rating).join(WorkOrder, WorkOrder.id == Rating.order_id)
        .where(*mine, Rating.at >= lo, Rating.at < hi)).one()
    hours, volunteers = session.exec(
        select(func.coalesce(func.sum(func.round(ServiceRecord.hours * 100)), 0),
               func.count(distinct(ServiceRecord.volunteer_id)))
        .select_from(ServiceRecord).join(WorkOrder, WorkOrder.id == ServiceRecord.order_id)
        .where(*mine, done_in)).one()
    return {"placed": placed, "done": done,
            "completion_rate": done / placed if placed else None, "ratings": rated,
            "good_rate": good / rated if rated else None,
            "satisfied_rate": n_sat / rated if rated else None,
            "beneficiaries": int(people), "hours": _hours(hours),
            "active_volunteers": volunteers}


def _hours(hundredths) -> float:
    """A sum of hours, exactly (each is stored with two decimals), rounded as shown."""
    return half_up(Decimal(int(hundredths)) / 100, 1)


def orders_by_month(session: Session, actor: Actor, start: date, end: date) -> list[tuple]:
    tz = _tz(session)
    lo, hi = day_range_utc(start, end, tz)
    month = db.local_month(WorkOrder.submitted_at, tz, db.dialect_of(session))
    rows = session.exec(select(month, WorkOrder.status, func.count()).select_from(WorkOrder)
                        .where(*scope.orders_of(session, actor), WorkOrder.submitted_at >= lo,
                               WorkOrder.submitted_at < hi)
                        .group_by(month, WorkOrder.status)).all()
    return sorted((m, s.value, n) for m, s, n in rows)


def done_by_category(session: Session, actor: Actor, start: date, end: date) -> dict:
    lo, hi = day_range_utc(start, end, _tz(session))
    return dict(session.exec(
        select(WorkOrder.category_id, func.count()).where(
            *scope.orders_of(session, actor), WorkOrder.status.in_(DONE),
            WorkOrder.completed_at >= lo, WorkOrder.completed_at < hi)
        .group_by(WorkOrder.category_id)).all())


def _rated_in(session: Session, actor: Actor, start: date, end: date) -> list:
    lo, hi = day_range_utc(start, end, _tz(session))
    return [*scope.orders_of(session, actor), Rating.at >= lo, Rating.at < hi]


def _figures():
    return (func.count(Rating.id), count_where(good_rating()), count_where(satisfied()),
            func.avg(Rating.level))


def _frame(rows) -> list[tuple]:
    return [(key, name, n, good / n, sat / n, half_up(avg, 2))
            for key, name, n, good, sat, avg in rows if n]


def satisfaction_summary(session: Session, actor: Actor, start: date, end: date) -> dict:
    n, good, sat, avg = session.exec(
        select(*_figures()).select_from(Rating).join(WorkOrder, WorkOrder.id == Rating.order_id)
        .where(*_rated_in(session, actor, start, end))).one()
    return {"ratings": n, "good_rate": good / n if n else None,
            "satisfied_rate": sat / n if n else None,
            "average": half_up(avg, 2) if n else None}


def satisfaction_breakdown(session: Session, actor: Actor, start: date, end: date,
                           by: str) -> list[tuple]:
    conds = _rated_in(session, actor, start, end)
    if by == "month":
        month = db.local_month(Rating.at, _tz(session), db.dialect_of(session))
        stmt = (select(month, month, *_figures()).select_from(Rating)
                .join(WorkOrder, WorkOrder.id == Rating.order_id).where(*conds)
                .group_by(month).order_by(month))
    else:
        table, key = {"team": (Team, WorkOrder.team_id), "site": (Site, WorkOrder.site_id),
                      "category": (ServiceCategory, WorkOrder.category_id)}[by]
        stmt = (select(table.id, table.name, *_figures()).select_from(Rating)
                .join(WorkOrder, WorkOrder.id == Rating.order_id).join(table, table.id == key)
                .where(*conds).group_by(table.id, table.name)
                .order_by(func.count(Rating.id).desc(), table.name))
    return _frame(session.exec(stmt).all())


def satisfaction_lowest(session: Session, actor: Actor, start: date, end: date, by: str,
                        min_ratings: int) -> list[tuple]:
    table, key = {"item": (ServiceItem, WorkOrder.item_id), "team": (Team, WorkOrder.team_id)}[by]
    name = ServiceItem.title if by == "item" else Team.name
    n = func.count(Rating.id)
    stmt = (select(table.id, name, *_figures()).select_from(Rating)
            .join(WorkOrder, WorkOrder.id == Rating.order_id).join(table, table.id == key)
            .where(*_rated_in(session, actor, start, end)).group_by(table.id, name)
            .having(n >= min_ratings).order_by(func.avg(Rating.level), n.desc(), name).limit(5))
    return _frame(session.exec(stmt).all())


def menu_items(session: Session, actor: Actor) -> dict[int, dict]:
    """Per item in the actor's sites, over all time: orders, beneficiaries of the done ones,
    the local day of the latest order, ratings, their average and 好评率."""
    tz = _tz(session)
    mine = scope.orders_of(session, actor)
    out: dict[int, dict] = {}
    for item, n, people, last in session.exec(
            select(WorkOrder.item_id, func.count(),
                   func.coalesce(func.sum(
                       func.coalesce(WorkOrder.actual_beneficiaries, 0)).filter(
                       WorkOrder.status.in_(DONE)), 0),
                   func.max(WorkOrder.submitted_at))
            .where(*mine, WorkOrder.item_id.is_not(None)).group_by(WorkOrder.item_id)).all():
        moment = last if last.tzinfo else last.replace(tzinfo=UTC)
        out[item] = {"orders": n, "beneficiaries": int(people), "ratings": 0, "average": None,
                     "good_rate": None, "last_order_on": local_today(moment, tz)}
    for item, n, avg, good in session.exec(
            select(WorkOrder.item_id, func.count(Rating.id), func.avg(Rating.level),
                   count_where(good_rating())).select_from(Rating)
            .join(WorkOrder, WorkOrder.id == Rating.order_id)
            .where(*mine, WorkOrder.item_id.is_not(None)).group_by(WorkOrder.item_id)).all():
        out[item].update(ratings=n, average=half_up(avg, 2), good_rate=good / n)
    return out


def team_record(session: Session, team_id: int, since: datetime) -> dict:
    """A team's orders finished since `since`: done, on time, beneficiaries, hours, ratings and
    their average."""
    tz = _tz(session)
    done_since = and_(WorkOrder.status.in_(DONE), WorkOrder.completed_at >= since,
                      WorkOrder.team_id == team_id)
    in_time = (db.local_day(WorkOrder.completed_at, tz, db.dialect_of(session))
               <= cast(WorkOrder.due_on, String))
    done, on_time, people = session.exec(
        select(func.count(), count_where(in_time),
               func.coalesce(func.sum(WorkOrder.actual_beneficiaries), 0))
        .select_from(WorkOrder).where(done_since)).one()
    hours = session.exec(select(func.coalesce(func.sum(func.round(ServiceRecord.hours * 100)),
                                              0))
                         .join(WorkOrder, WorkOrder.id == ServiceRecord.order_id)
                         .where(done_since)).one()
    rated, avg = session.exec(select(func.count(Rating.id), func.avg(Rating.level))
                              .join(WorkOrder, WorkOrder.id == Rating.order_id)
                              .where(done_since)).one()
    return {"done": done, "on_time_rate": on_time / done if done else None,
            "beneficiaries": int(people), "hours": _hours(hours), "ratings": rated,
            "average_rating": half_up(avg, 2) if rated else None}


def declining_teams(session: Session, actor: Actor) -> list[dict]:
    """预警's teams whose last three answers were 退单, as first written (before migration 0021):
    every answer to an order of the area ranked by a window, an accept's team taken from its
    order. Obviously right and slow at a county (5 s); kept only to check the fast rule of
    services/alerts.py against."""
    team = func.coalesce(OrderEvent.team_id, WorkOrder.team_id)
    answers = (select(team.label("team_id"), OrderEvent.action.label("action"),
                      func.row_number().over(partition_by=team,
                                             order_by=(OrderEvent.at.desc(),
                                                       OrderEvent.id.desc())).label("rn"))
               .select_from(OrderEvent).join(WorkOrder, WorkOrder.id == OrderEvent.order_id)
               .where(*scope.orders_of(session, actor),
                      OrderEvent.action.in_((OrderAction.accept.value,
                                             OrderAction.decline.value))).subquery())
    declined = count_where(answers.c.action == OrderAction.decline.value)
    rows = session.exec(
        select(Team.name, func.count(), declined).select_from(answers)
        .join(Team, Team.id == answers.c.team_id)
        .where(answers.c.rn <= alerts.DECLINES_IN_A_ROW).group_by(Team.id, Team.name)
        .order_by(Team.id)).all()
    return [{"kind": "declines", "name": name, "now": alerts.DECLINES_IN_A_ROW}
            for name, n, n_declined in rows if n == alerts.DECLINES_IN_A_ROW
            and n_declined == alerts.DECLINES_IN_A_ROW]


# --- 绩效评价's order figures (services/evaluation.py reads them from order_facts) ------------

EVALUATION_KEYS = ("team_id", "created_by_id", "dispatcher_id", "site_id")


def _utc(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def evaluation_orders(session: Session, actor: Actor, period, key: str) -> dict:
    """Per unit (`key`: the order's team, officer, last dispatcher or site), in Python from each
    order's row and events, by the glossary: of the orders due in the period and not cancelled,
    due / done / on time (local day of completion ≤ due date) / first time (done, never
    declined, corrected or sent back, not kept as 重复诉求) / repeats / urged and not on time;
    accepted in the period (after a dispatch) and within `accept_days`, with the median hours;
    completed in the period with their beneficiaries and service hours; ratings given in the
    period (all, ≥ 4, ≥ 3, = 3); placed in the period; the distinct volunteers with a service
    record on the unit's orders completed in the period."""
    from statistics import median

    from models import RepeatedOrder
    from services.periods import utc_bounds

    values = settings_service.current(session)
    lo, hi = utc_bounds(period, values["timezone"])
    repeated = set(session.exec(select(RepeatedOrder.order_id)).all())
    events: dict[int, list] = {}
    for order_id, action, actor_id in session.exec(
            select(OrderEvent.order_id, OrderEvent.action, OrderEvent.actor_id)
            .order_by(OrderEvent.id)).all():
        events.setdefault(order_id, []).append((action, actor_id))
    served, crews = _service_of_orders(session)
    rated: dict[int, list[int]] = {}
    for order_id, level, at in session.exec(select(Rating.order_id, Rating.level, Rating.at)):
        if lo <= _utc(at) < hi:
            rated.setdefault(order_id, []).append(level)
    out: dict = {}
    hours: dict = {}
    volunteers: dict = {}
    for order in session.exec(select(WorkOrder).where(*scope.orders_of(session, actor))).all():
        mine = events.get(order.id, [])
        dispatchers = [who for a, who in mine if a == OrderAction.dispatch.value]
        k = {"team_id": order.team_id, "created_by_id": order.created_by_id,
             "site_id": order.site_id,
             "dispatcher_id": dispatchers[-1] if dispatchers else None}[key]
        if k is None:
            continue
        row = out.setdefault(k, {})
        figures = _one_order(order, [a for a, _ in mine], order.id in repeated, period, values,
                             lo, hi, served.get(order.id, 0), rated.get(order.id, []))
        if "h" in figures:
            hours.setdefault(k, []).append(figures.pop("h"))
        if figures.get("completed"):
            volunteers.setdefault(k, set()).update(crews.get(order.id, ()))
        for name, n in figures.items():
            row[name] = row.get(name, 0) + n
    for k, hs in hours.items():
        out[k]["accept_median_hours"] = median(hs)
    out.update({k: {**out[k], "volunteers": len(crew)} for k, crew in volunteers.items() if crew})
    return out


def _service_of_orders(session: Session) -> tuple[dict[int, float], dict[int, set]]:
    """Per order, its service hours and the volunteers who served it."""
    served: dict[int, float] = {}
    crews: dict[int, set] = {}
    for order_id, h, volunteer in session.exec(select(ServiceRecord.order_id, ServiceRecord.hours,
                                                      ServiceRecord.volunteer_id)).all():
        served[order_id] = served.get(order_id, 0) + h
        crews.setdefault(order_id, set()).add(volunteer)
    return served, crews


def evaluation_team_events(session: Session, actor: Actor, period) -> dict:
    """Per team named on the event, the 派单 to it and 退单 by it in the period, of the orders
    in the actor's reach: {team: {"dispatched": n, "declined": n}}."""
    from services.periods import utc_bounds

    lo, hi = utc_bounds(period, settings_service.current(session)["timezone"])
    mine = set(session.exec(select(WorkOrder.id).where(*scope.orders_of(session, actor))).all())
    out: dict = {}
    names = {OrderAction.dispatch.value: "dispatched", OrderAction.decline.value: "declined"}
    for order_id, action, team, at in session.exec(
            select(OrderEvent.order_id, OrderEvent.action, OrderEvent.team_id, OrderEvent.at)):
        if action in names and team is not None and order_id in mine and lo <= _utc(at) < hi:
            row = out.setdefault(team, {"dispatched": 0, "declined": 0})
            row[names[action]] += 1
    return out


def _one_order(order, actions: list[str], kept_repeat: bool, period, values: dict, lo, hi,
               served: float, levels: list[int]) -> dict:
    """What one order adds to its unit's figures (`h`: its hours to accept, if counted), with
    its service hours and the levels of its ratings given in the period."""
    from zoneinfo import ZoneInfo

    from models import OrderStatus

    out: dict = {}
    done = order.status in DONE
    completed = _utc(order.completed_at)
    if period.start <= order.due_on <= period.end and order.status != OrderStatus.cancelled:
        out.update(_due_order(order, actions, done and kept_repeat, done and completed.astimezone(
            ZoneInfo(values["timezone"])).date() <= order.due_on))
    accepted = _utc(order.accepted_at)
    if accepted is not None and order.dispatched_at is not None and lo <= accepted < hi:
        h = (accepted - _utc(order.dispatched_at)).total_seconds() / 3600
        out.update(accepted=1, accepted_in_limit=int(h <= values["accept_days"] * 24), h=h)
    if done and lo <= completed < hi:
        out.update(completed=1, beneficiaries=order.actual_beneficiaries or 0, hours=served)
    out.update(ratings=len(levels), good=sum(1 for v in levels if v >= 4),
               satisfied=sum(1 for v in levels if v >= 3), basic=levels.count(3))
    if lo <= _utc(order.submitted_at) < hi:
        out["placed"] = 1
    return out


def _due_order(order, actions: list[str], is_repeat: bool, on_time: bool) -> dict:
    """What one order due in the period adds to its unit's resolution figures."""
    done = order.status in DONE
    clean = (order.decline_count == 0 and OrderAction.correct.value not in actions
             and OrderAction.send_back.value not in actions)
    return {"due": 1, "done": int(done), "on_time": int(on_time), "repeats": int(is_repeat),
            "first_time": int(done and not is_repeat and clean),
            "urged_late": int(OrderAction.urge.value in actions and not on_time)}


def active_months(session: Session, actor: Actor, period) -> dict[int, set[int]]:
    """Per site, the months of the period (by index, services/periods.months_of) in which one
    of its orders was completed."""
    from services.periods import months_of, utc_bounds

    values = settings_service.current(session)
    bounds = [utc_bounds(m, values["timezone"])
              for m in months_of(period, values["eval_period_start_day"])]
    out: dict = {}
    for site_id, at in session.exec(select(WorkOrder.site_id, WorkOrder.completed_at)
                                    .where(*scope.orders_of(session, actor),
                                           WorkOrder.status.in_(DONE))).all():
        for i, (lo, hi) in enumerate(bounds):
            if lo <= _utc(at) < hi:
                out.setdefault(site_id, set()).add(i)
    return out


def evaluation_dispatches(session: Session, actor: Actor, period) -> dict:
    """Per manager, in Python from the events, as evaluation._dispatches was first written: the
    dispatch events in the period, those after an earlier 退单 of the same order
    (re-dispatches), the others (first dispatches) with the hours from 点单, how many within
    `dispatch_days`, and their median."""
    from statistics import median

    from services.periods import utc_bounds

    values = settings_service.current(session)
    lo, hi = utc_bounds(period, values["timezone"])
    mine = {o.id: o for o in session.exec(select(WorkOrder)
                                          .where(*scope.orders_of(session, actor))).all()}
    declined: set[int] = set()
    out: dict = {}
    hours: dict = {}
    for event in session.exec(select(OrderEvent).order_by(OrderEvent.id)).all():
        if event.action == OrderAction.decline.value:
            declined.add(event.order_id)
        if (event.action != OrderAction.dispatch.value or event.order_id not in mine
                or not lo <= _utc(event.at) < hi):
            continue
        row = out.setdefault(event.actor_id, {"dispatched": 0, "redispatched": 0,
                                              "first_dispatched": 0, "dispatched_in_limit": 0})
        row["dispatched"] += 1
        if event.order_id in declined:
            row["redispatched"] += 1
            continue
        h = (_utc(event.at) - _utc(mine[event.order_id].submitted_at)).total_seconds() / 3600
        row["first_dispatched"] += 1
        row["dispatched_in_limit"] += int(h <= values["dispatch_days"] * 24)
        hours.setdefault(event.actor_id, []).append(h)
    for k, hs in hours.items():
        out[k]["dispatch_median_hours"] = median(hs)
    return out
