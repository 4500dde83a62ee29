"""Business settings changed by a manager; the defaults live in core/config.py."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utc_now


class Setting(SQLModel, table=True):
    """One overridden business setting (time limits, star thresholds, weights…)."""

    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=utc_now)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
