"""One counter that every committed write moves on, so that each app process can tell whether
what it keeps in memory is still true (several processes may serve one PostgreSQL database)."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

DATA_VERSION_ID = 1


class DataVersion(SQLModel, table=True):
    """The single row (id 1): n grows by one in every transaction that wrote anything."""

    __tablename__ = "data_version"

    id: int = Field(default=DATA_VERSION_ID, primary_key=True)
    n: int = Field(default=0, sa_type=BigInteger)
