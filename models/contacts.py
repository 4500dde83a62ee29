"""户联系: the households of a 站, the party members fixed to them, and their visits.

A household has at most one contact member at a time (a partial unique index on the open pair);
an ended pair keeps its dates and reason, so the history of who looked after a household stays.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import utc_now


class VisitMethod(StrEnum):
    home = "home"        # 入户
    phone = "phone"      # 电话
    wechat = "wechat"    # 微信


class HouseholdTag(SQLModel, table=True):
    """A word from the managed list a household can carry (困难家庭, 空巢老人, 留守儿童 …)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=20, unique=True)
    sort_order: int = 0
    active: bool = True


class Household(SQLModel, table=True):
    """户: one household of a 站, with its head, address and (personal data) phone."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    head_name: str = Field(max_length=40)
    address: str = Field(max_length=120)
    phone: str = Field(default="", max_length=20)
    people: int = 1
    note: str = Field(default="", max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        UniqueConstraint("site_id", "head_name", "address", name="site_head_address"),
        CheckConstraint("people >= 1", name="people_positive"),
        Index("ix_household_site_head", "site_id", "active", "head_name"),
    )


class HouseholdTagLink(SQLModel, table=True):
    """Which tags a household carries."""

    household_id: int = Field(foreign_key="household.id", primary_key=True)
    tag_id: int = Field(foreign_key="householdtag.id", primary_key=True, index=True)


class ContactPair(SQLModel, table=True):
    """A party member fixed to a household (户联系 / 结对帮扶) from a day, until ended with a
    reason."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    started_on: date
    ended_on: date | None = None
    end_reason: str = Field(default="", max_length=200)
    created_by_id: int = Field(foreign_key="user.id")
    ended_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        # One contact member per household at a time.
        Index("ix_contactpair_open_household", "household_id", unique=True,
              sqlite_where=text("ended_on IS NULL"), postgresql_where=text("ended_on IS NULL")),
        Index("ix_contactpair_volunteer_open", "volunteer_id", "ended_on"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="end_after_start"),
    )


class ContactVisit(SQLModel, table=True):
    """走访: a member's visit to a household (date, how, what was talked about, guidance); the
    needs heard are a survey of their own (survey_id), so they reach the 群众需求 board."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    visited_on: date
    method: VisitMethod
    topics: str = Field(default="", max_length=500)
    guidance: str = Field(default="", max_length=500)
    survey_id: int | None = Field(default=None, foreign_key="survey.id", unique=True)
    recorded_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        Index("ix_contactvisit_household_day", "household_id", "visited_on"),
    )
