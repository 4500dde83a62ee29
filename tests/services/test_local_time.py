"""core/db's local day and month helpers on known timestamps around Beijing midnight, on the
engine the tests run on (tests/engines.py). On PostgreSQL the same answers are required whatever
the server's TimeZone: UTC, the app's own zone, or one behind UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import cast, literal, text
from sqlmodel import select
from sqlmodel.sql.sqltypes import UTCDateTime

from core import db
from services import reports, rollups, teams
from tests import engines
from tests.factories import completed_order, place

TZ = "Asia/Shanghai"
SERVER_ZONES = ["UTC", "Asia/Shanghai", "America/New_York"] if engines.on_postgres() else [None]

# (UTC time, local day in Beijing, local month in Beijing)
KNOWN = [
    (datetime(2026, 3, 1, 20, 30, tzinfo=UTC), "2026-03-02", "2026-03"),  # the example
    (datetime(2026, 2, 28, 15, 30, tzinfo=UTC), "2026-02-28", "2026-02"),  # 23:30 Beijing
    (datetime(2026, 2, 28, 16, 30, tzinfo=UTC), "2026-03-01", "2026-03"),  # 00:30 Beijing
    (datetime(2026, 3, 31, 15, 59, 59, tzinfo=UTC), "2026-03-31", "2026-03"),
    (datetime(2026, 3, 31, 16, 0, tzinfo=UTC), "2026-04-01", "2026-04"),  # midnight exactly
    (datetime(2025, 12, 31, 16, 30, tzinfo=UTC), "2026-01-01", "2026-01"),  # a new year
]


def _server_zone(session, zone):
    if zone is not None:
        session.execute(text("SELECT set_config('TimeZone', :z, false)"), {"z": zone})


@pytest.mark.parametrize("zone", SERVER_ZONES)
@pytest.mark.parametrize(("moment", "day", "month"), KNOWN)
def test_local_day_and_month_are_beijing_time_whatever_the_server_zone(session, zone, moment,
                                                                       day, month):
    _server_zone(session, zone)
    dialect = db.dialect_of(session)
    value = literal(moment, UTCDateTime())
    if dialect == "postgresql":  # a timestamptz, as the columns are (SQLite has no such type)
        value = cast(value, UTCDateTime())
    got = session.exec(select(db.local_day(value, TZ, dialect),
                              db.local_month(value, TZ, dialect))).one()
    assert tuple(got) == (day, month)
    session.rollback()  # the zone was set for this connection only


@pytest.mark.parametrize("zone", SERVER_ZONES)
def test_orders_placed_either_side_of_beijing_midnight_fall_in_their_local_months(
        session, town, zone):
    placed = {}
    for moment, _, month in KNOWN[1:3]:
        order = place(session, town, title=f"宣讲{moment:%H%M}")
        order.submitted_at = moment
        session.add(order)
        placed[order.id] = month
    session.commit()
    rollups.rebuild(session, tz=TZ)  # the timestamps were set by hand, behind the rollups
    session.commit()
    _server_zone(session, zone)
    frame = reports.orders_by_month(session, actor=town.manager, start=date(2026, 2, 1),
                                    end=date(2026, 3, 31))
    assert dict(zip(frame["month"], frame["orders"], strict=True)) == {"2026-02": 1,
                                                                       "2026-03": 1}
    session.rollback()


@pytest.mark.parametrize("zone", SERVER_ZONES)
def test_on_time_is_decided_by_the_local_day_of_completion(session, town, zone):
    """Due 1 March: done at 23:30 Beijing on 1 March is on time, at 00:30 on 2 March is late."""
    due = date(2026, 3, 1)
    for hour in (15, 16):  # 15:30 UTC = 23:30 Beijing, 16:30 UTC = 00:30 next day
        order = completed_order(session, town)
        order.due_on = due
        order.completed_at = datetime(2026, 3, 1, hour, 30, tzinfo=UTC)
        order.submitted_at = datetime(2026, 2, 20, tzinfo=UTC)
        session.add(order)
    session.commit()
    rollups.rebuild(session, tz=TZ)  # the timestamps were set by hand, behind the rollups
    session.commit()
    _server_zone(session, zone)
    record = teams.finished_record(session, [town.team_a], datetime(2026, 1, 1, tzinfo=UTC))
    assert (record[town.team_a]["done"], record[town.team_a]["on_time"]) == (2, 1)
    session.rollback()


def test_the_tests_run_on_the_engine_they_were_asked_for(session):
    assert db.dialect_of(session) == ("postgresql" if engines.on_postgres() else "sqlite")
