"""开始使用: the first hour of a new town, as a checklist a manager ticks by doing the work —
villages, a team with its lead, volunteers, the service menu, the first order. Each step is
read from the data (a COUNT each), so it is ticked the moment the thing exists, whoever made it."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from models import Role, ServiceItem, Site, SiteLevel, Team, User, Volunteer, WorkOrder
from services.permissions import Action, Actor, allowed, ensure_allowed

# (step, the page that does it), in the order a town is set up
STEPS = (("villages", "sites.py"), ("team", "teams.py"), ("lead", "users.py"),
         ("volunteers", "volunteers.py"), ("menu", "menu.py"), ("order", "orders.py"))


def _count(session: Session, query) -> int:
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def counts(session: Session, *, actor: Actor) -> dict[str, int]:
    """How many of each thing the steps ask for exist in the manager's subtree."""
    ensure_allowed(actor, Action.MANAGE_SITES)
    mine = Site.path.startswith(actor.site_path)
    return {
        "villages": _count(session, select(Site.id).where(mine, Site.level == SiteLevel.point,
                                                          Site.active)),
        "team": _count(session, select(Team.id).join(Site, Site.id == Team.site_id)
                       .where(mine, Team.active)),
        "lead": _count(session, select(User.id).join(Site, Site.id == User.site_id)
                       .where(mine, User.role == Role.team_lead, User.active)),
        "volunteers": _count(session, select(Volunteer.id).join(Site, Site.id == Volunteer.site_id)
                             .where(mine, Volunteer.active)),
        "menu": _count(session, select(ServiceItem.id).where(ServiceItem.active)),
        "order": _count(session, select(WorkOrder.id).join(Site, Site.id == WorkOrder.site_id)
                        .where(mine)),
    }


def steps(session: Session, *, actor: Actor) -> list[dict]:
    """Each step with its page, its count and whether it is done."""
    found = counts(session, actor=actor)
    return [{"step": step, "page": page, "count": found[step], "done": found[step] > 0}
            for step, page in STEPS]


def lands_here(session: Session, *, actor: Actor) -> bool:
    """Whether the checklist is the manager's first screen: until the town's first order is
    placed and while a step is left (an install already at work is not sent back here)."""
    if not allowed(actor.role, Action.MANAGE_SITES):
        return False
    # Asked on every rerun of every page of a manager (app.py): once the subtree has an order
    # the answer is no, found by the first order instead of counting six tables (0.6 s at
    # 100,000 orders for the county).
    mine = Site.path.startswith(actor.site_path)
    if session.exec(select(WorkOrder.id).join(Site, Site.id == WorkOrder.site_id)
                    .where(mine).limit(1)).first() is not None:
        return False
    found = counts(session, actor=actor)
    return found["order"] == 0 and not all(found.values())
