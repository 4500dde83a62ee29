"""志愿服务记录证明: the register of service-record certificates (民政部令第67号).

A certificate is numbered `ZM-<year>-<seq>` from the register; a number is never given twice,
even after the certificate is revoked (it stays in the register with the reason). What was
certified is kept on the row as issued — the volunteer's identity, the period, the services
with their hours and content, the issuing body and its contacts — so a reprint says the same.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import utc_now


class Certificate(SQLModel, table=True):
    """One issued 志愿服务记录证明, revoked or not."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    year: int
    seq: int
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)  # the issuing site (谁记录谁证明)
    volunteer_name: str = Field(max_length=40)
    gender: str = Field(max_length=10)
    id_number: str = Field(default="", max_length=18)  # optional 身份证号
    period_from: date
    period_to: date
    hours: float
    services: int
    lines: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    issuing_body: str = Field(max_length=100)
    person_in_charge: str = Field(max_length=40)
    handler: str = Field(max_length=40)
    contact_phone: str = Field(max_length=20)
    issued_on: date
    issued_at: datetime = Field(default_factory=utc_now)
    issued_by_id: int = Field(foreign_key="user.id")
    revoked_at: datetime | None = None
    revoked_by_id: int | None = Field(default=None, foreign_key="user.id")
    revoke_reason: str = Field(default="", max_length=200)

    __table_args__ = (UniqueConstraint("year", "seq", name="year_seq"),)
