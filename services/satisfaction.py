"""满意度: 好评率 (share of ratings ≥ 4) and 满意率 (share ≥ 3) by team, service category,
village and month, and the lowest-rated menu items and teams with what residents said.

Every figure is a GROUP BY over the ratings given in a local-date period (by the rating's time),
within the actor's sites; nothing returns more rows than there are teams, items or months.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, or_
from sqlmodel import Session, select

from core.db import count_where, dialect_of, local_month
from models import (
    GOOD_RATING_MIN,
    Rating,
    ServiceCategory,
    ServiceItem,
    Site,
    Team,
    WorkOrder,
    good_rating,
    satisfied,
)
from services import scope
from services import settings as settings_service
from services.clock import day_range_utc
from services.figures import half_up
from services.permissions import Action, Actor, ensure_allowed

DIMENSIONS = ("team", "category", "site", "month")
COLUMNS = ["key", "name", "ratings", "good_rate", "satisfied_rate", "average"]


def _figures():
    n = func.count(Rating.id)
    return n, count_where(good_rating()), count_where(satisfied()), func.avg(Rating.level)


def _period(session: Session, actor: Actor, start: date, end: date) -> tuple[list, dict]:
    ensure_allowed(actor, Action.VIEW_SATISFACTION)
    values = settings_service.current(session)
    lo, hi = day_range_utc(start, end, values["timezone"])
    return [*scope.orders_of(session, actor), Rating.at >= lo, Rating.at < hi], values


def _frame(rows) -> pd.DataFrame:
    out = [(key, name, n, good / n, satisfied / n, half_up(avg, 2))
           for key, name, n, good, satisfied, avg in rows if n]
    return pd.DataFrame(out, columns=COLUMNS)


def summary(session: Session, *, actor: Actor, start: date, end: date) -> dict:
    """Ratings in the period, 好评率, 满意率 and the average level (None without ratings)."""
    conds, _ = _period(session, actor, start, end)
    n, good, satisfied, avg = session.exec(
        select(*_figures()).select_from(Rating)
        .join(WorkOrder, WorkOrder.id == Rating.order_id).where(*conds)).one()
    return {"ratings": n, "good_rate": good / n if n else None,
            "satisfied_rate": satisfied / n if n else None,
            "average": half_up(avg, 2) if n else None}


def breakdown(session: Session, *, actor: Actor, start: date, end: date,
              by: str) -> pd.DataFrame:
    """One row per team, category, village (the order's site) or local month: columns key, name,
    ratings, good_rate, satisfied_rate, average. Months in order, the others most-rated first."""
    if by not in DIMENSIONS:
        raise ValueError(by)
    conds, values = _period(session, actor, start, end)
    if by == "month":
        month = local_month(Rating.at, values["timezone"], dialect_of(session))
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


def lowest(session: Session, *, actor: Actor, start: date, end: date, by: str,
           min_ratings: int = 3, limit: int = 5) -> pd.DataFrame:
    """The menu items (`item`) or teams (`team`) with the lowest average rating in the period,
    among those rated at least `min_ratings` times (one bad day is not a verdict)."""
    conds, _ = _period(session, actor, start, end)
    table, key = {"item": (ServiceItem, WorkOrder.item_id), "team": (Team, WorkOrder.team_id)}[by]
    name = ServiceItem.title if by == "item" else Team.name
    figures = _figures()
    n = figures[0]
    stmt = (select(table.id, name, *figures).select_from(Rating)
            .join(WorkOrder, WorkOrder.id == Rating.order_id).join(table, table.id == key)
            .where(*conds).group_by(table.id, name).having(n >= min_ratings)
            .order_by(func.avg(Rating.level), n.desc(), name).limit(limit))
    return _frame(session.exec(stmt).all())


def comment_page(session: Session, *, actor: Actor, start: date, end: date,
                 item_ids: tuple[int, ...] = (), team_ids: tuple[int, ...] = (),
                 max_level: int = GOOD_RATING_MIN - 1, offset: int = 0,
                 limit: int = 50) -> tuple[list[dict], int]:
    """One page of what residents wrote, and how many there are in all.

    Which comments: the non-empty comments of ratings of `max_level` (3, 基本满意) or less given
    in the period; when lowest-rated items or teams are given, only those on their orders —
    when none is given (nothing had enough ratings to be ranked), every such comment of the
    period. Lowest level first, then newest. The text is returned as typed: show it as plain
    text."""
    conds, _ = _period(session, actor, start, end)
    if item_ids or team_ids:
        conds.append(or_(WorkOrder.item_id.in_(item_ids), WorkOrder.team_id.in_(team_ids)))
    conds += [Rating.level <= max_level, Rating.comment != ""]
    total = session.exec(select(func.count()).select_from(Rating)
                         .join(WorkOrder, WorkOrder.id == Rating.order_id).where(*conds)).one()
    rows = session.exec(
        select(Rating.at, Rating.level, Rating.comment, Rating.channel, WorkOrder.code,
               WorkOrder.title, ServiceItem.title, Team.name)
        .select_from(Rating).join(WorkOrder, WorkOrder.id == Rating.order_id)
        .join(ServiceItem, ServiceItem.id == WorkOrder.item_id, isouter=True)
        .join(Team, Team.id == WorkOrder.team_id, isouter=True)
        .where(*conds).order_by(Rating.level, Rating.at.desc(), Rating.id.desc())
        .offset(offset).limit(limit)).all()
    return [{"at": at, "level": level, "comment": comment, "channel": channel.value,
             "code": code, "title": title, "item": item or "", "team": team or ""}
            for at, level, comment, channel, code, title, item, team in rows], total


def comments(session: Session, *, actor: Actor, start: date, end: date,
             item_ids: tuple[int, ...] = (), team_ids: tuple[int, ...] = (),
             max_level: int = GOOD_RATING_MIN - 1, limit: int = 50) -> list[dict]:
    """The first `limit` comments of `comment_page` (same selection and order)."""
    return comment_page(session, actor=actor, start=start, end=end, item_ids=item_ids,
                        team_ids=team_ids, max_level=max_level, limit=limit)[0]
