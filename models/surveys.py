"""需求调查 and 群众需求: an officer's household visits and the needs heard there."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from models.base import utc_now


class NeedPriority(StrEnum):
    hear = "hear"  # 最想听
    see = "see"    # 最想看
    get = "get"    # 最想要


class NeedStatus(StrEnum):
    """What is stored; 已完成 / 已评价 are read from the need's order (services/needs.py)."""

    open = "open"
    ordered = "ordered"
    closed = "closed"


class Survey(SQLModel, table=True):
    """One visit: who was asked, where, when, and how many people they speak for."""

    id: int | None = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="user.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    surveyed_on: date = Field(index=True)
    respondent: str = Field(max_length=60)
    people_covered: int = 1
    # The registered household the respondent is (户联系), when known.
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        CheckConstraint("people_covered >= 1", name="people_positive"),
        # 重复诉求: the other surveys of the same household of a site (migration 0019).
        Index("ix_survey_site_respondent", "site_id", "respondent"),
    )


class Need(SQLModel, table=True):
    """One line of a survey: what a resident wants, until it is ordered or closed."""

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    category_id: int = Field(foreign_key="servicecategory.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="serviceitem.id")
    text: str = Field(default="", max_length=500)
    priority: NeedPriority
    status: NeedStatus = Field(default=NeedStatus.open, index=True)
    closed_reason: str = Field(default="", max_length=200)
    order_id: int | None = Field(default=None, foreign_key="workorder.id", index=True)
