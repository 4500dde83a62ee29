"""Service categories and the service menu (服务菜单)."""

from __future__ import annotations

from sqlmodel import Session, select

from core.db import utcnow
from models import ServiceCategory, ServiceItem, ServiceItemTeam, Team
from services import validate
from services.errors import Duplicate, Invalid, NotFound
from services.permissions import Action, Actor, ensure_allowed

DEFAULT_CATEGORIES = ("理论宣讲", "教育服务", "文化服务", "科技与科普服务", "健康促进与体育服务",
                      "便民惠民服务")


def ensure_default_categories(session: Session) -> None:
    """The six national categories, on an empty install."""
    if session.exec(select(ServiceCategory.id).limit(1)).first() is None:
        for i, name in enumerate(DEFAULT_CATEGORIES):
            session.add(ServiceCategory(name=name, sort_order=i))
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


def create_item(session: Session, *, actor: Actor, title: str, category_id: int,
                description: str = "", team_ids: tuple[int, ...] = ()) -> ServiceItem:
    """Add a menu item with the teams that provide it; managers only."""
    ensure_allowed(actor, Action.MANAGE_TEAMS)
    title = validate.text(title, key="item_title", maximum=80)
    description = validate.text(description, key="description", maximum=1000, required=False)
    if session.get(ServiceCategory, category_id) is None:
        raise Invalid("error.category_required")
    item = ServiceItem(title=title, category_id=category_id, description=description)
    session.add(item)
    session.flush()
    for team_id in set(team_ids):
        if session.get(Team, team_id) is None:
            raise NotFound(what="team")
        session.add(ServiceItemTeam(item_id=item.id, team_id=team_id))
    session.commit()
    return item


def retire_item(session: Session, *, actor: Actor, item_id: int, reason: str) -> ServiceItem:
    """Take an item off the menu, with the reason; managers only."""
    ensure_allowed(actor, Action.MANAGE_TEAMS)
    reason = validate.text(reason, key="reason", maximum=200)
    item = session.get(ServiceItem, item_id)
    if item is None:
        raise NotFound(what="item")
    item.active, item.retired_reason, item.retired_at = False, reason, utcnow()
    session.add(item)
    session.commit()
    return item


def items(session: Session, *, category_id: int | None = None,
          active_only: bool = True) -> list[ServiceItem]:
    q = select(ServiceItem).order_by(ServiceItem.category_id, ServiceItem.title)
    if category_id is not None:
        q = q.where(ServiceItem.category_id == category_id)
    if active_only:
        q = q.where(ServiceItem.active)
    return list(session.exec(q))
