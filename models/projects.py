"""项目扶持: the volunteer-service projects a centre supports in a year with money, what was
spent on each, and which are 品牌项目 (flagship).

A project groups one or more menu items (服务项目); its figures for the year are those items'
orders done in the year in the project's site and below (services/projects.py). Money is kept
in fen (分, whole numbers), so sums and the cap are exact.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import utc_now


class SupportProject(SQLModel, table=True):
    """One project on a year's support list of a site (the site of the manager who entered it,
    whose subtree its figures count), with the amount granted."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    year: int
    name: str = Field(max_length=60)
    amount_fen: int
    flagship: bool = False
    note: str = Field(default="", max_length=500)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        UniqueConstraint("site_id", "year", "name", name="supportproject_site_year_name"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )


class SupportProjectItem(SQLModel, table=True):
    """A menu item that belongs to a project (its orders are the project's work)."""

    project_id: int = Field(foreign_key="supportproject.id", primary_key=True)
    item_id: int = Field(foreign_key="serviceitem.id", primary_key=True)


class ProjectSpend(SQLModel, table=True):
    """Money spent on a project: when, how much, what for."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="supportproject.id", index=True)
    spent_on: date
    amount_fen: int
    note: str = Field(max_length=200)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)
