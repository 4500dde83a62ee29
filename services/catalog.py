"""Service categories and the service menu (服务菜单)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from core.db import utcnow
from models import ServiceCategory, ServiceItem, ServiceItemTeam, Site, Team
from services import experts, validate
from services.errors import Checks, Duplicate, Invalid, NotFound
from services.permissions import Action, Actor, ensure_allowed, in_scope

DEFAULT_CATEGORIES = ("理论宣讲", "教育服务", "文化服务", "科技与科普服务", "健康促进与体育服务",
                      "便民惠民服务")


def ensure_default_categories(session: Session) -> None:
    """The six national categories, and the 专家人才库's default skills, on an empty install."""
    if session.exec(select(ServiceCategory.id).limit(1)).first() is None:
        for i, name in enumerate(DEFAULT_CATEGORIES):
            session.add(ServiceCategory(name=name, sort_order=i))
        session.flush()
        experts.ensure_default_skills(session)
        session.commit()


def categories(session: Session, *, active_only: bool = True) -> list[ServiceCategory]:
    q = select(ServiceCategory).order_by(ServiceCategory.sort_order, ServiceCategory.id)
    if active_only:
        q = q.where(ServiceCategory.active)
    return list(session.exec(q))


def create_category(session: Session, *, actor: Actor, name: str) -> ServiceCategory:
    """Add a service category; managers only; names are unique."""
    ensure_allowed(actor, Action.MANAGE_TEAMS)
    name = validate.text(name, key="category", maximum=40)
    if session.exec(select(ServiceCategory).where(ServiceCategory.name == name)).first():
        raise Duplicate("error.category_taken", name=name)
    count = len(categories(session, active_only=False))
    cat = ServiceCategory(name=name, sort_order=count)
    session.add(cat)
    session.commit()
    return cat


def _clean_item(session: Session, actor: Actor, title: str, category_id: int | None,
                description: str, team_ids) -> tuple[str, str, list[int]]:
    check = Checks()
    title = check(validate.text, title, key="item_title", maximum=80)
    description = check(validate.text, description, key="description", maximum=1000,
                        required=False)
    category = session.get(ServiceCategory, category_id) if category_id else None
    if category is None or not category.active:
        check.fail("error.category_required")
    check.done()
    teams = []
    for team_id in dict.fromkeys(team_ids):
        team = session.get(Team, team_id)
        if team is None or not in_scope(actor, session.get(Site, team.site_id).path):
            raise NotFound(what="team")
        teams.append(team.id)
    return title, description, teams


def create_item(session: Session, *, actor: Actor, title: str, category_id: int,
                description: str = "", team_ids: tuple[int, ...] = (),
                now: datetime | None = None) -> ServiceItem:
    """Add a menu item with the teams that provide it; managers only, teams of their sites."""
    ensure_allowed(actor, Action.MANAGE_MENU)
    title, description, team_ids = _clean_item(session, actor, title, category_id, description,
                                               team_ids)
    item = ServiceItem(title=title, category_id=category_id, description=description,
                       created_at=now or utcnow())
    session.add(item)
    session.flush()
    for team_id in team_ids:
        session.add(ServiceItemTeam(item_id=item.id, team_id=team_id))
    session.commit()
    return item


def update_item(session: Session, *, actor: Actor, item_id: int, title: str, category_id: int,
                description: str = "", team_ids: tuple[int, ...] = ()) -> ServiceItem:
    """Change an item's words, category and providing teams; managers only. Teams of other
    sites that provide the item stay: a manager only changes what is in their subtree."""
    ensure_allowed(actor, Action.MANAGE_MENU)
    item = session.get(ServiceItem, item_id)
    if item is None:
        raise NotFound(what="item")
    title, description, team_ids = _clean_item(session, actor, title, category_id, description,
                                               team_ids)
    item.title, item.category_id, item.description = title, category_id, description
    session.add(item)
    for link in session.exec(select(ServiceItemTeam).where(ServiceItemTeam.item_id == item_id)):
        team = session.get(Team, link.team_id)
        if link.team_id not in team_ids and in_scope(actor, session.get(Site, team.site_id).path):
            session.delete(link)
    have = set(session.exec(select(ServiceItemTeam.team_id)
                            .where(ServiceItemTeam.item_id == item_id)))
    for team_id in team_ids:
        if team_id not in have:
            session.add(ServiceItemTeam(item_id=item.id, team_id=team_id))
    session.commit()
    return item


def retire_item(session: Session, *, actor: Actor, item_id: int, reason: str) -> ServiceItem:
    """Take an item off the menu, with the reason; managers only. Orders already placed for it
    keep it; new orders and needs cannot choose it."""
    ensure_allowed(actor, Action.MANAGE_MENU)
    reason = validate.text(reason, key="reason", maximum=200)
    item = session.get(ServiceItem, item_id)
    if item is None:
        raise NotFound(what="item")
    if not item.active:
        raise Invalid("error.item_retired")
    item.active, item.retired_reason, item.retired_at = False, reason, utcnow()
    session.add(item)
    session.commit()
    return item


def item_teams(session: Session, *, item_id: int) -> list[int]:
    return list(session.exec(select(ServiceItemTeam.team_id)
                             .where(ServiceItemTeam.item_id == item_id)))


def items(session: Session, *, category_id: int | None = None,
          active_only: bool = True) -> list[ServiceItem]:
    q = select(ServiceItem).order_by(ServiceItem.category_id, ServiceItem.title)
    if category_id is not None:
        q = q.where(ServiceItem.category_id == category_id)
    if active_only:
        q = q.where(ServiceItem.active)
    return list(session.exec(q))
