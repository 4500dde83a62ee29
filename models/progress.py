"""办理进度: the resident's progress link (服务卡) and the 催单 it lets them send.

A progress link is `<public_base_url>/?progress=<token>`: like a rating link (models/ratings.py
RatingToken) only the token's SHA-256 is kept, and it runs out at `expires_at`. Unlike a rating
link it is not used up by reading: the resident may look at the timeline as often as they like.

A resident's 催单 is an OrderEvent `urge` without an actor; `ResidentUrge` holds one row per
order and local day beside it, and its unique (order, day) pair is what keeps a second 催单 of
the same day out, also when two phones press at once (on SQLite and on PostgreSQL alike).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import utc_now


class ProgressToken(SQLModel, table=True):
    """A resident's progress link for one order: only the token's hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utc_now)
    created_by_id: int = Field(foreign_key="user.id")
    expires_at: datetime


class ResidentUrge(SQLModel, table=True):
    """One resident's 催单 of an order on a local day, and the event that records it."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id")
    day: date                      # the local calendar day (setting `timezone`) of the 催单
    at: datetime = Field(default_factory=utc_now)
    token_id: int = Field(foreign_key="progresstoken.id")
    event_id: int = Field(foreign_key="orderevent.id")

    __table_args__ = (UniqueConstraint("order_id", "day", name="residenturge_order_day"),)
