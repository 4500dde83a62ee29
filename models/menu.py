"""The service menu (服务菜单): categories and the items residents can ask for."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utc_now


class ServiceCategory(SQLModel, table=True):
    """One of the six national service categories (editable), in menu order."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, unique=True)
    sort_order: int = 0
    active: bool = True


class ServiceItem(SQLModel, table=True):
    """A 服务项目 on the menu; retired with a reason when residents do not want it."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=80)
    category_id: int = Field(foreign_key="servicecategory.id", index=True)
    description: str = Field(default="", max_length=1000)
    active: bool = True
    retired_reason: str = Field(default="", max_length=200)
    retired_at: datetime | None = None
    created_at: datetime = Field(default_factory=utc_now)


class ServiceItemTeam(SQLModel, table=True):
    """The teams that provide a menu item."""

    item_id: int = Field(foreign_key="serviceitem.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True, index=True)
