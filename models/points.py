"""积分 and the 积分超市: the points ledger, the goods volunteers can redeem, and redemptions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from models.base import utc_now


class PointsReason(StrEnum):
    service = "service"
    redemption = "redemption"
    adjustment = "adjustment"


class Reward(SQLModel, table=True):
    """积分超市 goods: what a volunteer can redeem points for, and how many are left."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=60)
    cost: int
    stock: int = 0
    active: bool = True

    __table_args__ = (
        CheckConstraint("cost > 0", name="cost_positive"),
        CheckConstraint("stock >= 0", name="stock_nonneg"),
    )


class Redemption(SQLModel, table=True):
    """A volunteer's 兑换 of goods for points."""

    id: int | None = Field(default=None, primary_key=True)
    reward_id: int = Field(foreign_key="reward.id", index=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    quantity: int = 1
    points: int
    at: datetime = Field(default_factory=utc_now)
    by_user_id: int = Field(foreign_key="user.id")
    # A cancelled redemption stays, marked; its points and stock came back by new lines.
    cancelled_at: datetime | None = None
    cancelled_by_id: int | None = Field(default=None, foreign_key="user.id")
    cancel_reason: str = Field(default="", max_length=200)

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class PointsEntry(SQLModel, table=True):
    """积分 ledger: one signed line per change, never rewritten; a balance is a SUM.
    Written only by services/points.py."""

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    points: int
    reason: PointsReason
    order_id: int | None = Field(default=None, foreign_key="workorder.id", index=True)
    redemption_id: int | None = Field(default=None, foreign_key="redemption.id")
    at: datetime = Field(default_factory=utc_now)
    note: str = Field(default="", max_length=200)
    # Who moved the points by hand (a manager's adjustment, a redemption or its cancellation).
    by_user_id: int | None = Field(default=None, foreign_key="user.id")
