"""预警: early warnings for leaders, each with the numbers behind it.

- **rise**: a service category or a village (站) whose needs recorded (surveys of the period) or
  差评 (ratings ≤ 2 given in the period) rose by at least `RISE` (50 %) over the period before of
  the same length, with at least `MIN_COUNT` (5) this period (from none before counts as a rise);
- **declines**: a team whose last `DECLINES_IN_A_ROW` (3) answers to a dispatch were all 退单;
- **idle**: a 站 with no completed service in the `IDLE_DAYS` (30) days up to the end of the
  period (or up to now, for a period that has not ended).

A few statements in all: GROUP BYs, and for the declines one statement whose correlated
subquery reads each team's newest answers by index; nothing here runs a query per unit from
Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, literal_column
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    ANSWERS,
    DONE,
    Need,
    OrderAction,
    OrderEvent,
    Rating,
    ServiceCategory,
    Site,
    SiteLevel,
    Survey,
    Team,
    WorkOrder,
    bad_rating,
)
from services import scope, surveys
from services import settings as settings_service
from services.periods import Period, previous, utc_bounds
from services.permissions import Action, Actor, ensure_any_allowed

RISE = 0.5
MIN_COUNT = 5
DECLINES_IN_A_ROW = 3
IDLE_DAYS = 30


def rose(now: int, before: int) -> bool:
    """At least MIN_COUNT now, and at least RISE more than before (any number after none)."""
    return now >= MIN_COUNT and (before == 0 or (now - before) / before >= RISE)


def _needs(session: Session, actor: Actor, period: Period, by) -> dict:
    return dict(session.exec(
        select(by, func.count()).select_from(Need).join(Survey, Survey.id == Need.survey_id)
        .where(*surveys.of_actor(session, actor), Survey.surveyed_on >= period.start,
               Survey.surveyed_on <= period.end).group_by(by)).all())


def _bad(session: Session, actor: Actor, period: Period, tz: str, by) -> dict:
    # The period's 差评 first (ix_rating_at_order_level), then their orders: left to itself,
    # SQLite starts from every order of a 所's sites (0.2 s at a million orders, four times
    # per 预警); MATERIALIZED (SQLite 3.35, PostgreSQL 12) keeps it to the period's few.
    lo, hi = utc_bounds(period, tz)
    bad = (select(Rating.order_id).where(Rating.at >= lo, Rating.at < hi, bad_rating())
           .cte("bad_ratings").prefix_with("MATERIALIZED"))
    return dict(session.exec(
        select(by, func.count()).select_from(bad)
        .join(WorkOrder, WorkOrder.id == bad.c.order_id)
        .where(*scope.orders_of(session, actor)).group_by(by)).all())


def _rises(session: Session, actor: Actor, period: Period, values: dict) -> list[dict]:
    before = previous(period, values["eval_period_start_day"])
    names = {"category": dict(session.exec(select(ServiceCategory.id,
                                                  ServiceCategory.name)).all()),
             "site": dict(session.exec(select(Site.id, Site.name)).all())}
    out = []
    for measure, count in (("needs", lambda p, by: _needs(session, actor, p, by)),
                           ("bad", lambda p, by: _bad(session, actor, p, values["timezone"],
                                                      by))):
        for dimension, column in (("category", (Need.category_id, WorkOrder.category_id)),
                                  ("site", (Survey.site_id, WorkOrder.site_id))):
            by = column[0] if measure == "needs" else column[1]
            now_counts, before_counts = count(period, by), count(before, by)
            for key, n in sorted(now_counts.items(), key=lambda kv: -kv[1]):
                if rose(n, before_counts.get(key, 0)):
                    out.append({"kind": "rise", "measure": measure, "dimension": dimension,
                                "name": names[dimension].get(key, ""), "now": n,
                                "before": before_counts.get(key, 0)})
    return out


def _answered(event):
    """The event is a team's answer to a dispatch, with the values as literals: SQLite uses the
    partial index ix_orderevent_team_answers (models.ANSWERED_SQL) only then, not for bound
    parameters."""
    return event.action.in_([literal_column(f"'{a.value}'") for a in ANSWERS])


def _declining_teams(session: Session, actor: Actor) -> list[dict]:
    """The teams whose last DECLINES_IN_A_ROW answers (接单 or 退单, newest by time, then by id)
    to orders in the actor's area were all 退单 — every team in one statement, each reading its
    newest answers from ix_orderevent_team_answers and stopping at the third in the area.

    Only a team with at least that many 退单 in the area can qualify, so the walk is limited to
    those (the area's declines are few): over part of a county, the walk of a team that never
    answered there would otherwise read all its history."""
    mine = scope.orders_of(session, actor)
    last = aliased(OrderEvent, name="answer")
    walk = select(last.action).where(last.team_id == Team.id, _answered(last))
    if mine:
        walk = walk.join(WorkOrder, WorkOrder.id == last.order_id).where(*mine)
    walk = (walk.order_by(last.at.desc(), last.id.desc()).limit(DECLINES_IN_A_ROW)
            .correlate(Team).subquery("last_answers"))
    declines = (select(func.count()).select_from(walk)
                .where(walk.c.action == OrderAction.decline.value).scalar_subquery())
    declined = aliased(OrderEvent, name="declined")
    often = select(declined.team_id).where(declined.action == OrderAction.decline.value)
    if mine:
        often = often.join(WorkOrder, WorkOrder.id == declined.order_id).where(*mine)
    often = often.group_by(declined.team_id).having(func.count() >= DECLINES_IN_A_ROW)
    query = (select(Team.name).where(Team.id.in_(often))
             .where(declines == DECLINES_IN_A_ROW)  # after the narrowing: the costly part
             .order_by(Team.id))
    return [{"kind": "declines", "name": name, "now": DECLINES_IN_A_ROW}
            for name in session.exec(query).all()]


def _idle_sites(session: Session, actor: Actor, period: Period, now: datetime,
                tz: str) -> list[dict]:
    _lo, end = utc_bounds(period, tz)
    end = min(end, now)
    since = end - timedelta(days=IDLE_DAYS)
    busy = (select(WorkOrder.site_id).where(WorkOrder.status.in_(DONE),
                                            WorkOrder.completed_at >= since,
                                            WorkOrder.completed_at < end)
            .distinct().scalar_subquery())
    rows = session.exec(select(Site.name).where(
        Site.path.startswith(actor.site_path), Site.level == SiteLevel.point,
        Site.id.not_in(busy)).order_by(Site.name)).all()
    return [{"kind": "idle", "name": name, "days": IDLE_DAYS} for name in rows]


def alerts(session: Session, *, actor: Actor, period: Period,
           now: datetime | None = None) -> list[dict]:
    """The period's 预警, each with its figures: rises first, then teams, then idle sites."""
    ensure_any_allowed(actor, (Action.VIEW_OVERVIEW, Action.VIEW_EVALUATION))
    now = now or utcnow()
    values = settings_service.current(session)
    return [*_rises(session, actor, period, values), *_declining_teams(session, actor),
            *_idle_sites(session, actor, period, now, values["timezone"])]

