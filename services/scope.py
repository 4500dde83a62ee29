"""Which orders an actor may see, as conditions on WorkOrder alone, and the same rule for one
order (`sees`). The rule itself is data: permissions.ORDER_REACH.

`site_id IN (SELECT id FROM site WHERE path LIKE '/1/4/%')` rather than a join on site: the join
makes SQLite visit a site row for every order it considers and hides the order's own columns
from covering indexes (bench/README.md measured 0.14 s → 0.002 s for a 所's count). An actor at
the root of the only site tree sees every order, so no condition is added at all.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import false, func
from sqlmodel import Session, select

from models import Site, WorkOrder
from services.permissions import Actor, own_team_only, sees_order


def sites_under(path: str):
    return select(Site.id).where(Site.path.startswith(path)).scalar_subquery()


def sites_under_id(session: Session, site_id: int):
    """The ids of a site and the sites below it, as a subquery; none for an unknown site (a
    filter naming one finds nothing rather than failing)."""
    chosen = session.get(Site, site_id)
    return sites_under(chosen.path if chosen else "-")


def whole_tree(session: Session, actor: Actor) -> bool:
    """True when the actor's site is the root of the only site tree."""
    if own_team_only(actor) or actor.site_path.count("/") != 2:
        return False
    roots = session.exec(select(Site.path).where(Site.parent_id.is_(None)).limit(2)).all()
    return roots == [actor.site_path]


def orders_of(session: Session, actor: Actor) -> list:
    """The actor's orders as a list of conditions ([] for the whole tree)."""
    if own_team_only(actor):
        return [WorkOrder.team_id == (actor.team_id or -1)]
    if whole_tree(session, actor):
        return []
    return [WorkOrder.site_id.in_(sites_under(actor.site_path))]


def orders_of_in_period(session: Session, actor: Actor, start: date, end: date) -> list:
    """The same conditions as `orders_of`, for a query over the period [start, end] that can
    find its rows by a time index (rating.at, due_on, completed_at …) or by the site index.
    Which one reads fewer rows depends on the share of history the period covers against the
    share of sites the actor's area holds; SQLite, without statistics, always starts from the
    site index, which for a 所's month means all of its orders of every year (0.5 s for its
    ratings alone at a million orders). So when the period is the smaller share, the site
    condition is kept off its index (`site_id + 0`). The rows are the same either way."""
    if own_team_only(actor) or whole_tree(session, actor):
        return orders_of(session, actor)
    first = session.exec(select(func.min(WorkOrder.submitted_at))).one()
    if first is not None:
        sites = session.exec(select(func.count(Site.id))).one()
        mine = session.exec(select(func.count(Site.id))
                            .where(Site.path.startswith(actor.site_path))).one()
        history = max((end - first.date()).days + 1, 1)
        if ((end - start).days + 1) / history < mine / max(sites, 1):
            return [(WorkOrder.site_id + 0).in_(sites_under(actor.site_path))]
    return orders_of(session, actor)


def sees(session: Session, actor: Actor, order: WorkOrder) -> bool:
    """Whether this order is within the actor's reach (permissions.sees_order)."""
    path = "" if own_team_only(actor) else session.get(Site, order.site_id).path
    return sees_order(actor, site_path=path, team_id=order.team_id)



def rows_of(session: Session, actor: Actor, site_id, team_id=None) -> list:
    """The same reach as orders_of, for a table that carries the order's site (and team): the
    rollups."""
    if own_team_only(actor):
        return [team_id == (actor.team_id or -1)] if team_id is not None else [false()]
    if whole_tree(session, actor):
        return []
    return [site_id.in_(sites_under(actor.site_path))]
