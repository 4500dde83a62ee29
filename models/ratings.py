"""评单 and 回访: the resident's rating of a finished order, the one-time links residents rate
through, the follow-up calls — and the cut-offs of the national 好差评 scale.

Levels: 5 非常满意 · 4 满意 · 3 基本满意 · 2 不满意 · 1 非常不满意.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from models.base import utc_now

BAD_RATING_MAX = 2    # 差评: a rating at or below this calls for a 回访 with a written outcome
SATISFIED_MIN = 3     # 满意率 counts the ratings at or above this (基本满意 and better)
GOOD_RATING_MIN = 4   # 好评率 counts the ratings at or above this (满意 and 非常满意)


class RatingChannel(StrEnum):
    qr = "qr"
    call = "call"
    in_person = "in_person"


class FollowUpReason(StrEnum):
    bad_rating = "bad_rating"
    unrated = "unrated"


class RatingToken(SQLModel, table=True):
    """A one-time rating link (QR code): only the token's SHA-256 is kept."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
    used_at: datetime | None = None


class Rating(SQLModel, table=True):
    """评单: the resident's verdict on a finished order, one per order, from any channel."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id", unique=True)
    level: int
    comment: str = Field(default="", max_length=500)
    channel: RatingChannel
    at: datetime = Field(default_factory=utc_now)
    by_user_id: int | None = Field(default=None, foreign_key="user.id")
    token_id: int | None = Field(default=None, foreign_key="ratingtoken.id")

    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        Index("ix_rating_at_order_level", "at", "order_id", "level"),
    )


class FollowUp(SQLModel, table=True):
    """回访: a call a 差评 or a missing rating calls for, with its due time and outcome."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id", index=True)
    reason: FollowUpReason
    due_at: datetime = Field(index=True)
    done_at: datetime | None = None
    done_by_id: int | None = Field(default=None, foreign_key="user.id")
    outcome: str = Field(default="", max_length=1000)


# One helper per cut-off. Each takes a level — a number in Python or a column in SQL — and
# answers the same question both ways: `bad_rating(2)` is True, `bad_rating()` is the SQL
# condition `rating.level <= 2`.


def bad_rating(level=Rating.level):
    """差评 (≤ 2)."""
    return level <= BAD_RATING_MAX


def satisfied(level=Rating.level):
    """Counts toward 满意率 (≥ 3)."""
    return level >= SATISFIED_MIN


def good_rating(level=Rating.level):
    """Counts toward 好评率 (≥ 4)."""
    return level >= GOOD_RATING_MIN
