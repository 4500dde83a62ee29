"""中心制单 (campaigns): an activity the centre plans itself (学雷锋日 3·5, 七一, 重阳) and sends
down to 所/站 and teams. A campaign lists its targets; 下发 (issuing it) makes one order per
target, source 中心制单, and links each target row to its order (services/campaigns.py).

The link lives on the target row (campaigntarget.order_id), not on the order: the order table
stays as it is, and an order belongs to at most one target (unique)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from models.base import utc_now


class Campaign(SQLModel, table=True):
    """One centre-planned activity of a site (the site of the manager who made it, whose
    subtree its targets lie in); `issued_at` is set once, by the 下发 that made its orders."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    title: str = Field(max_length=80)
    category_id: int = Field(foreign_key="servicecategory.id")
    item_id: int | None = Field(default=None, foreign_key="serviceitem.id")
    description: str = Field(default="", max_length=2000)
    starts_on: date
    ends_on: date
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)
    issued_at: datetime | None = None
    issued_by_id: int | None = Field(default=None, foreign_key="user.id")

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="campaign_dates"),
        Index("ix_campaign_site_starts", "site_id", "starts_on"),
    )


class CampaignTarget(SQLModel, table=True):
    """Where a campaign goes: a 所/站, and the team it is dispatched to when one is named (no
    team: the site's managers dispatch it as any other order), with the beneficiaries
    expected there. `order_id` is the order 下发 made for it."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    expected_beneficiaries: int = 0
    order_id: int | None = Field(default=None, foreign_key="workorder.id", unique=True)

    __table_args__ = (
        CheckConstraint("expected_beneficiaries >= 0", name="target_expected_nonneg"),
    )
