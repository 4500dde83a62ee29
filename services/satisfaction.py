"""满意度: 好评率 (share of ratings ≥ 4) and 满意率 (share ≥ 3) by team, service category,
village and month, and the lowest-rated menu items and teams with what residents said.

Every figure counts the ratings given in a local-date period (by the rating's time), within the
actor's sites, read from the rollups (services/rollups.py): a GROUP BY over a year's month rows,
not over its ratings; nothing returns more rows than there are teams, items or months. The
residents' comments are read from the ratings themselves.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import Float, cast, func, or_
from sqlmodel import Session, select

from models import (
    GOOD_RATING_MIN,
    ItemRollup,
    OrderFact,
    OrderRollup,
    Rating,
    ServiceCategory,
    ServiceItem,
    Site,
    Team,
    WorkOrder,
    good_rating,
    satisfied,
)
from services import rollups, scope
from services import settings as settings_service
from services.clock import day_range_utc
from services.figures import half_up
from services.permissions import Action, Actor, ensure_allowed
from services.rollups import total

DIMENSIONS = ("team", "category", "site", "month")
COLUMNS = ["key", "name", "ratings", "good_rate", "satisfied_rate", "average"]


def _figures(model):
    n = total(rollups.rated(model))
    return (n, total(rollups.levels_where(model, good_rating)),
            total(rollups.levels_where(model, satisfied)), total(rollups.level_sum(model)))


def _rows(session: Session, actor: Actor, model, start: date, end: date) -> list:
    """The rollup rows of the period within the actor's sites."""
    ensure_allowed(actor, Action.VIEW_SATISFACTION)
    return [*scope.rows_of(session, actor, model.site_id, getattr(model, "team_id", None)),
            rollups.in_period(model, start, end)]


def _period(session: Session, actor: Actor, start: date, end: date) -> tuple[list, dict]:
    ensure_allowed(actor, Action.VIEW_SATISFACTION)
    values = settings_service.current(session)
    lo, hi = day_range_utc(start, end, values["timezone"])
    return [*scope.orders_of_in_period(session, actor, start, end), Rating.at >= lo,
            Rating.at < hi], values


def _average(level_sum: int, n: int) -> float:
    return half_up(Decimal(level_sum) / n, 2)


def _frame(rows) -> pd.DataFrame:
    out = [(key, name, n, good / n, satisfied / n, _average(level_sum, n))
           for key, name, n, good, satisfied, level_sum in rows if n]
    return pd.DataFrame(out, columns=COLUMNS)


def summary(session: Session, *, actor: Actor, start: date, end: date) -> dict:
    """Ratings in the period, 好评率, 满意率 and the average level (None without ratings)."""
    R = OrderRollup
    n, good, satisfied, level_sum = session.exec(
        select(*_figures(R)).where(*_rows(session, actor, R, start, end))).one()
    return {"ratings": n, "good_rate": good / n if n else None,
            "satisfied_rate": satisfied / n if n else None,
            "average": _average(level_sum, n) if n else None}


def breakdown(session: Session, *, actor: Actor, start: date, end: date,
              by: str) -> pd.DataFrame:
    """One row per team, category, village (the order's site) or local month: columns key, name,
    ratings, good_rate, satisfied_rate, average. Months in order, the others most-rated first."""
    if by not in DIMENSIONS:
        raise ValueError(by)
    R = OrderRollup
    conds = _rows(session, actor, R, start, end)
    figures = _figures(R)
    if by == "month":
        month = rollups.month_of(R)
        stmt = (select(month, month, *figures).where(*conds)
                .group_by(month).having(figures[0] > 0).order_by(month))
    else:
        table, key = {"team": (Team, R.team_id), "site": (Site, R.site_id),
                      "category": (ServiceCategory, R.category_id)}[by]
        stmt = (select(table.id, table.name, *figures).join(table, table.id == key)
                .where(*conds).group_by(table.id, table.name).having(figures[0] > 0)
                .order_by(figures[0].desc(), table.name))
    return _frame(session.exec(stmt).all())


def lowest(session: Session, *, actor: Actor, start: date, end: date, by: str,
           min_ratings: int = 3, limit: int = 5) -> pd.DataFrame:
    """The menu items (`item`) or teams (`team`) with the lowest average rating in the period,
    among those rated at least `min_ratings` times (one bad day is not a verdict)."""
    model = ItemRollup if by == "item" else OrderRollup
    table, key = {"item": (ServiceItem, ItemRollup.item_id),
                  "team": (Team, OrderRollup.team_id)}[by]
    name = ServiceItem.title if by == "item" else Team.name
    figures = _figures(model)
    n = figures[0]
    average = cast(figures[3], Float) / n
    stmt = (select(table.id, name, *figures).join(table, table.id == key)
            .where(*_rows(session, actor, model, start, end)).group_by(table.id, name)
            .having(n >= max(min_ratings, 1)).order_by(average, n.desc(), name).limit(limit))
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
    ensure_allowed(actor, Action.VIEW_SATISFACTION)
    lo, hi = day_range_utc(start, end, settings_service.current(session)["timezone"])
    # The ratings are read with their orders' facts (site, team, item: models/rollups.OrderFact,
    # one narrow row each), and only the page's rows with the order itself (code, title): a
    # county year's comments read 137,000 rows of the 3 GB order table before (0.5 s).
    F = OrderFact
    conds = [*scope.rows_of(session, actor, F.site_id, F.team_id), Rating.at >= lo,
             Rating.at < hi, Rating.level <= max_level, Rating.comment != ""]
    if item_ids or team_ids:
        conds.append(or_(F.item_id.in_(item_ids), F.team_id.in_(team_ids)))
    # The page and the count of all in one statement (count(*) OVER (): the period's ratings
    # are read once, not once for the count and again for the page).
    page = (select(Rating.id.label("rid"), Rating.at.label("at"), Rating.level.label("level"),
                   Rating.comment.label("comment"), Rating.channel.label("channel"),
                   Rating.order_id.label("oid"), F.item_id.label("iid"),
                   F.team_id.label("tid"), func.count().over().label("n"))
            .select_from(Rating).join(F, F.order_id == Rating.order_id).where(*conds)
            .order_by(Rating.level, Rating.at.desc(), Rating.id.desc())
            .offset(offset).limit(limit).subquery())
    rows = session.exec(
        select(page.c.at, page.c.level, page.c.comment, page.c.channel, WorkOrder.code,
               WorkOrder.title, ServiceItem.title, Team.name, page.c.n)
        .select_from(page).join(WorkOrder, WorkOrder.id == page.c.oid)
        .join(ServiceItem, ServiceItem.id == page.c.iid, isouter=True)
        .join(Team, Team.id == page.c.tid, isouter=True)
        .order_by(page.c.level, page.c.at.desc(), page.c.rid.desc())).all()
    if rows:
        total = rows[0][-1]
    elif offset:  # past the last page: count them on their own
        total = session.exec(select(func.count()).select_from(Rating)
                             .join(F, F.order_id == Rating.order_id).where(*conds)).one()
    else:
        total = 0
    return [{"at": at, "level": level, "comment": comment, "channel": channel.value,
             "code": code, "title": title, "item": item or "", "team": team or ""}
            for at, level, comment, channel, code, title, item, team, _n in rows], total


def comments(session: Session, *, actor: Actor, start: date, end: date,
             item_ids: tuple[int, ...] = (), team_ids: tuple[int, ...] = (),
             max_level: int = GOOD_RATING_MIN - 1, limit: int = 50) -> list[dict]:
    """The first `limit` comments of `comment_page` (same selection and order)."""
    return comment_page(session, actor=actor, start=start, end=end, item_ids=item_ids,
                        team_ids=team_ids, max_level=max_level, limit=limit)[0]
