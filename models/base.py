"""What every table module shares: the constraint naming convention and the clock default.

Times are aware UTC datetimes (SQLModel's UTCDateTime refuses naive ones); dates (due dates,
survey dates, registration) are local calendar dates.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import SQLModel

# Named constraints make Alembic's batch migrations on SQLite reproducible.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)
