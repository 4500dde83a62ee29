"""Who and where: the site tree, volunteer teams, accounts and volunteers.

Enum member names equal their values throughout models/, so SQL sees the same words as Python.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint, true
from sqlmodel import Field, SQLModel

from models.base import utc_now


class SiteLevel(StrEnum):
    center = "center"    # 中心
    station = "station"  # 所
    point = "point"      # 站


class Role(StrEnum):
    manager = "manager"
    officer = "officer"
    team_lead = "team_lead"
    leader = "leader"


class TeamTier(StrEnum):
    corps = "corps"            # 总队
    detachment = "detachment"  # 支队
    squad = "squad"            # 小队


class Gender(StrEnum):
    male = "male"
    female = "female"


class Site(SQLModel, table=True):
    """A 中心, 所 or 站; every user, team, survey and order belongs to one."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    level: SiteLevel
    parent_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    # Materialised path "/1/4/17/": a subtree is one indexed prefix match.
    path: str = Field(default="", max_length=200, index=True)
    # A closed or merged village is deactivated, never deleted: its orders and surveys keep it.
    active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})

    __table_args__ = (UniqueConstraint("parent_id", "name", name="parent_name"),)


class Team(SQLModel, table=True):
    """A 志愿服务队 (总队 / 支队 / 小队) that orders are dispatched to."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    tier: TeamTier
    parent_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    lead_name: str = Field(default="", max_length=40)
    phone: str = Field(default="", max_length=20)
    active: bool = True
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (UniqueConstraint("site_id", "name", name="site_name"),)


class TeamCategory(SQLModel, table=True):
    """The service categories a team serves (what 派单 looks at first)."""

    team_id: int = Field(foreign_key="team.id", primary_key=True)
    category_id: int = Field(foreign_key="servicecategory.id", primary_key=True, index=True)


class User(SQLModel, table=True):
    """An account: a manager, officer, team lead or leader of one site. Residents have none."""

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
    sessions_valid_after: datetime = Field(default_factory=utc_now)
    language: str = Field(default="zh", max_length=5)
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        CheckConstraint("role != 'team_lead' OR team_id IS NOT NULL", name="lead_has_team"),
    )


class LoginLockout(SQLModel, table=True):
    """Failed logins per entered name and client: an account's failures count per client (IP
    from the trusted proxy header, else the browser session), so five wrong guesses lock out the
    guesser, not the account; an unknown name has one row, client "", for every client."""

    username: str = Field(primary_key=True, max_length=100)
    client: str = Field(default="", primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, index=True)
    locked_until: datetime | None = None


class Volunteer(SQLModel, table=True):
    """A registered 志愿者; their hours come from service records, their points from the ledger."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, index=True)
    phone: str = Field(max_length=20, index=True)
    gender: Gender
    site_id: int = Field(foreign_key="site.id", index=True)
    party_member: bool = False
    skills: str = Field(default="", max_length=200)
    registered_on: date
    active: bool = True
    title: str = Field(default="", max_length=40)  # 职称 of an expert (专家人才库), optional
    # Why a volunteer was marked 不再活跃 (services/volunteers.retire), and when.
    inactive_reason: str = Field(default="", max_length=200)
    inactive_on: date | None = None

    __table_args__ = (UniqueConstraint("phone", name="phone"),)


class Skill(SQLModel, table=True):
    """A skill tag of the 专家人才库 (医疗, 法律, 心理 …), from a list managers keep; an optional
    service category says which orders it is useful for."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=20, unique=True)
    category_id: int | None = Field(default=None, foreign_key="servicecategory.id")
    active: bool = True


class VolunteerSkill(SQLModel, table=True):
    """Which skill tags a volunteer has."""

    volunteer_id: int = Field(foreign_key="volunteer.id", primary_key=True)
    skill_id: int = Field(foreign_key="skill.id", primary_key=True, index=True)


class VolunteerTeam(SQLModel, table=True):
    """A team's roster: which volunteers belong to which teams."""

    volunteer_id: int = Field(foreign_key="volunteer.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True, index=True)
