"""站点值班: service stations, their weekly opening hours, the duty rota and who came.

Times of day are minutes after local midnight (0–1440) and weekdays 0 = Monday … 6 = Sunday, so
that overlaps are plain integer comparisons in SQL on every database.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import utc_now


class DutyChangeKind(StrEnum):
    absence = "absence"  # the assigned volunteer will not come that day
    swap = "swap"        # someone else comes instead that day


class AttendanceStatus(StrEnum):
    present = "present"
    absent = "absent"
    swapped = "swapped"  # the assigned volunteer handed the day to a substitute


class Station(SQLModel, table=True):
    """服务站: a 站 (or a named point in it) open at set hours, e.g. 微爱志愿者服务站."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=60)
    address: str = Field(default="", max_length=120)
    services: str = Field(default="", max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (UniqueConstraint("site_id", "name", name="station_site_name"),)


class StationHours(SQLModel, table=True):
    """One weekly opening period of a station (a weekday may have several)."""

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    weekday: int
    start_minute: int
    end_minute: int

    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
                        name="minutes_range"),
    )


class DutySlot(SQLModel, table=True):
    """A weekly duty slot of a station: weekday, start–end, how many volunteers it needs."""

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    weekday: int
    start_minute: int
    end_minute: int
    needed: int = 1
    active: bool = True
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
                        name="minutes_range"),
        CheckConstraint("needed >= 1", name="needed_positive"),
    )


class DutyAssignment(SQLModel, table=True):
    """A volunteer on a slot every week from a day, until an end day (or open-ended)."""

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="dutyslot.id", index=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    starts_on: date
    ends_on: date | None = None
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="end_after_start"),
    )


class DutyChange(SQLModel, table=True):
    """A one-off change on one day of a slot: an assigned volunteer absent, or swapped for a
    substitute."""

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="dutyslot.id")
    on_date: date
    volunteer_id: int = Field(foreign_key="volunteer.id")
    kind: DutyChangeKind
    substitute_id: int | None = Field(default=None, foreign_key="volunteer.id", index=True)
    note: str = Field(default="", max_length=200)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        UniqueConstraint("slot_id", "on_date", "volunteer_id", name="slot_day_volunteer"),
        CheckConstraint("(kind = 'swap') = (substitute_id IS NOT NULL)", name="swap_substitute"),
    )


class DutyAttendance(SQLModel, table=True):
    """Who came to one day of a slot, as the station's manager marked it; a present row is
    written once and carries the service record of its hours."""

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="dutyslot.id")
    on_date: date
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    status: AttendanceStatus
    hours: float = 0
    marked_by_id: int = Field(foreign_key="user.id")
    marked_at: datetime = Field(default_factory=utc_now)

    __table_args__ = (
        UniqueConstraint("slot_id", "on_date", "volunteer_id",
                         name="attendance_slot_day_volunteer"),
        CheckConstraint("hours >= 0 AND hours <= 24", name="hours_range"),
        Index("ix_dutyattendance_day", "on_date", "slot_id"),
    )
