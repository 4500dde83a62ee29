"""The tables of Diandan and their enums. Imports nothing from the project.

Times are aware UTC datetimes (SQLModel's UTCDateTime refuses naive ones); dates (due dates,
survey dates, registration) are local calendar dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

# Named constraints make Alembic's batch migrations on SQLite reproducible.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _now() -> datetime:
    return datetime.now(UTC)


# --- enums: member names equal their values, so SQL sees the same words as Python ---------


class SiteLevel(str, Enum):
    center = "center"    # 中心
    station = "station"  # 所
    point = "point"      # 站


class Role(str, Enum):
    manager = "manager"
    officer = "officer"
    team_lead = "team_lead"
    leader = "leader"


class TeamTier(str, Enum):
    corps = "corps"            # 总队
    detachment = "detachment"  # 支队
    squad = "squad"            # 小队


class Gender(str, Enum):
    male = "male"
    female = "female"


class OrderStatus(str, Enum):
    submitted = "submitted"
    dispatched = "dispatched"
    accepted = "accepted"
    completed = "completed"
    rated = "rated"
    cancelled = "cancelled"


class OrderSource(str, Enum):
    survey = "survey"
    walk_in = "walk_in"
    phone = "phone"
    letter = "letter"
    online = "online"
    activity = "activity"


class BeneficiaryGroup(str, Enum):
    elderly = "elderly"        # 老人
    children = "children"      # 儿童
    disabled = "disabled"      # 残障人士
    low_income = "low_income"  # 困难家庭
    women = "women"            # 妇女
    general = "general"        # 一般群众


class NeedPriority(str, Enum):
    hear = "hear"  # 最想听
    see = "see"    # 最想看
    get = "get"    # 最想要


class NeedStatus(str, Enum):
    open = "open"
    ordered = "ordered"
    closed = "closed"


class RatingChannel(str, Enum):
    qr = "qr"
    call = "call"
    in_person = "in_person"


class FollowUpReason(str, Enum):
    bad_rating = "bad_rating"
    unrated = "unrated"


class PointsReason(str, Enum):
    service = "service"
    redemption = "redemption"
    adjustment = "adjustment"


# --- organisation ---------------------------------------------------------------------------


class Site(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    level: SiteLevel
    parent_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    # Materialised path "/1/4/17/": a subtree is one indexed prefix match.
    path: str = Field(default="", max_length=200, index=True)

    __table_args__ = (UniqueConstraint("parent_id", "name", name="parent_name"),)


class ServiceCategory(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, unique=True)
    sort_order: int = 0
    active: bool = True


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    tier: TeamTier
    parent_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    lead_name: str = Field(default="", max_length=40)
    phone: str = Field(default="", max_length=20)
    active: bool = True
    created_at: datetime = Field(default_factory=_now)

    __table_args__ = (UniqueConstraint("site_id", "name", name="site_name"),)


class TeamCategory(SQLModel, table=True):
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    category_id: int = Field(foreign_key="servicecategory.id", primary_key=True, index=True)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True)
    display_name: str = Field(max_length=40)
    role: Role
    site_id: int = Field(foreign_key="site.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    phone: str = Field(default="", max_length=20)
    active: bool = True
    password_hash: str = Field(max_length=100)
    must_change_password: bool = False
    # Login cookies issued before this moment are refused (logout, password change, deactivation).
    sessions_valid_after: datetime = Field(default_factory=_now)
    language: str = Field(default="zh", max_length=5)
    created_at: datetime = Field(default_factory=_now)

    __table_args__ = (
        CheckConstraint("role != 'team_lead' OR team_id IS NOT NULL", name="lead_has_team"),
    )


class LoginLockout(SQLModel, table=True):
    """Failed logins per entered name, known or not, so both get the same treatment."""

    username: str = Field(primary_key=True, max_length=100)
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


class Volunteer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, index=True)
    phone: str = Field(max_length=20, index=True)
    gender: Gender
    site_id: int = Field(foreign_key="site.id", index=True)
    party_member: bool = False
    skills: str = Field(default="", max_length=200)
    registered_on: date
    active: bool = True

    __table_args__ = (UniqueConstraint("phone", name="phone"),)


class VolunteerTeam(SQLModel, table=True):
    volunteer_id: int = Field(foreign_key="volunteer.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True, index=True)


# --- the menu and the needs -----------------------------------------------------------------


class ServiceItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=80)
    category_id: int = Field(foreign_key="servicecategory.id", index=True)
    description: str = Field(default="", max_length=1000)
    active: bool = True
    retired_reason: str = Field(default="", max_length=200)
    retired_at: datetime | None = None
    created_at: datetime = Field(default_factory=_now)


class ServiceItemTeam(SQLModel, table=True):
    item_id: int = Field(foreign_key="serviceitem.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True, index=True)


class Survey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="user.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    surveyed_on: date = Field(index=True)
    respondent: str = Field(max_length=60)
    people_covered: int = 1
    created_at: datetime = Field(default_factory=_now)

    __table_args__ = (CheckConstraint("people_covered >= 1", name="people_positive"),)


class WorkOrder(SQLModel, table=True):
    """工单. The table is not called `order`, a reserved word in SQL."""

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=20, unique=True)
    source: OrderSource
    site_id: int = Field(foreign_key="site.id")
    category_id: int = Field(foreign_key="servicecategory.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="serviceitem.id", index=True)
    title: str = Field(max_length=80)
    description: str = Field(default="", max_length=2000)
    requester_name: str = Field(default="", max_length=40)
    requester_phone: str = Field(default="", max_length=20)
    due_on: date
    expected_beneficiaries: int = 0
    status: OrderStatus = Field(default=OrderStatus.submitted)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    created_by_id: int = Field(foreign_key="user.id", index=True)
    submitted_at: datetime = Field(default_factory=_now, index=True)
    dispatched_at: datetime | None = Field(default=None, index=True)
    accepted_at: datetime | None = None
    planned_on: date | None = None
    completed_at: datetime | None = None
    rated_at: datetime | None = None
    cancelled_at: datetime | None = None
    decline_count: int = 0
    last_decline_reason: str = Field(default="", max_length=500)
    cancel_reason: str = Field(default="", max_length=500)
    actual_beneficiaries: int | None = None
    completion_note: str = Field(default="", max_length=2000)
    version: int = 0

    __table_args__ = (
        CheckConstraint("expected_beneficiaries >= 0", name="expected_nonneg"),
        CheckConstraint("actual_beneficiaries IS NULL OR actual_beneficiaries >= 0",
                        name="actual_nonneg"),
        # Measured at county scale (bench/README.md): each serves a list or a tile from the
        # index alone, or returns rows already in the order the page wants.
        Index("ix_workorder_site_status", "site_id", "status"),
        Index("ix_workorder_site_submitted", "site_id", "submitted_at"),
        Index("ix_workorder_team_status", "team_id", "status"),
        Index("ix_workorder_status_submitted", "status", "submitted_at"),
        Index("ix_workorder_status_completed", "status", "completed_at", "site_id",
              "actual_beneficiaries"),
        Index("ix_workorder_due_submitted", "due_on", "submitted_at"),
    )


class Need(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    category_id: int = Field(foreign_key="servicecategory.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="serviceitem.id")
    text: str = Field(default="", max_length=500)
    priority: NeedPriority
    status: NeedStatus = Field(default=NeedStatus.open, index=True)
    closed_reason: str = Field(default="", max_length=200)
    order_id: int | None = Field(default=None, foreign_key="workorder.id", index=True)


class OrderBeneficiary(SQLModel, table=True):
    order_id: int = Field(foreign_key="workorder.id", primary_key=True)
    group: BeneficiaryGroup = Field(primary_key=True)
    count: int

    __table_args__ = (CheckConstraint("count >= 0", name="count_nonneg"),)


class OrderEvent(SQLModel, table=True):
    """The audit trail of an order: one row per transition, never updated."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id", index=True)
    at: datetime = Field(default_factory=_now)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=20)
    from_status: OrderStatus | None = None
    to_status: OrderStatus
    team_id: int | None = Field(default=None, foreign_key="team.id")
    note: str = Field(default="", max_length=2000)


class ServiceRecord(SQLModel, table=True):
    """志愿服务记录: who served on which order, for how long."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id")
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    hours: float
    served_at: datetime = Field(default_factory=_now)

    __table_args__ = (
        UniqueConstraint("order_id", "volunteer_id", name="order_volunteer"),
        Index("ix_servicerecord_order_hours", "order_id", "volunteer_id", "hours"),
        CheckConstraint("hours > 0 AND hours <= 24", name="hours_range"),
    )


class RatingToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=_now)
    expires_at: datetime
    used_at: datetime | None = None


class Rating(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id", unique=True)
    level: int
    comment: str = Field(default="", max_length=500)
    channel: RatingChannel
    at: datetime = Field(default_factory=_now)
    by_user_id: int | None = Field(default=None, foreign_key="user.id")
    token_id: int | None = Field(default=None, foreign_key="ratingtoken.id")

    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        Index("ix_rating_at_order_level", "at", "order_id", "level"),
    )


class FollowUp(SQLModel, table=True):
    """回访."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id", index=True)
    reason: FollowUpReason
    due_at: datetime = Field(index=True)
    done_at: datetime | None = None
    done_by_id: int | None = Field(default=None, foreign_key="user.id")
    outcome: str = Field(default="", max_length=1000)


# --- points ---------------------------------------------------------------------------------


class Reward(SQLModel, table=True):
    """积分超市 goods."""

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
    id: int | None = Field(default=None, primary_key=True)
    reward_id: int = Field(foreign_key="reward.id", index=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    quantity: int = 1
    points: int
    at: datetime = Field(default_factory=_now)
    by_user_id: int = Field(foreign_key="user.id")

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class PointsEntry(SQLModel, table=True):
    """积分 ledger: one signed line per change; a balance is a SUM."""

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    points: int
    reason: PointsReason
    order_id: int | None = Field(default=None, foreign_key="workorder.id", index=True)
    redemption_id: int | None = Field(default=None, foreign_key="redemption.id")
    at: datetime = Field(default_factory=_now)
    note: str = Field(default="", max_length=200)


# --- housekeeping ---------------------------------------------------------------------------


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_now, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=40, index=True)
    target: str = Field(default="", max_length=100)
    detail: str = Field(default="", max_length=1000)


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=_now)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
