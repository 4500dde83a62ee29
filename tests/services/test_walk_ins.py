"""来访: residents served at a station's desk, logged as done orders of that station in one step —
what is written, how each figure counts it (known timestamps, local days), who may log one, and
bad input that changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from models import (
    OrderBeneficiary,
    OrderEvent,
    OrderRollup,
    OrderSource,
    OrderStatus,
    ServiceRecord,
    Station,
    WorkOrder,
)
from services import duty, evaluation, ratings, reports, rollups, walk_ins
from services.errors import Forbidden, NotFound, Problems
from services.periods import Period
from tests.services.steps import count

NOW = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)          # 10:00 on 3 June in Beijing
SERVED = datetime(2026, 6, 2, 8, 30, tzinfo=UTC)      # 16:30 on Tuesday 2 June
JUNE = Period(date(2026, 6, 1), date(2026, 6, 30))


def _station(session, town, site=None, name="微爱志愿者服务站"):
    return duty.create_station(session, actor=town.manager, site_id=site or town.village_a,
                               name=name, address="人民东路780号", services="政策咨询")


def _walk_in(session, town, station, actor=None, **overrides):
    args = {"actor": actor or town.manager, "station_id": station.id,
            "category_id": town.category, "title": "政策咨询",
            "beneficiaries": {"elderly": 2, "general": 1}, "served_at": SERVED, "now": NOW,
            "requester_name": "王大爷", "note": "咨询养老保险"}
    args.update(overrides)
    return walk_ins.record(session, **args)


def _written(session) -> tuple[int, ...]:
    return (count(session, WorkOrder), count(session, OrderEvent),
            count(session, OrderBeneficiary), count(session, OrderRollup))


def test_a_walk_in_is_a_done_order_of_the_station_with_its_beneficiaries(session, town):
    station = _station(session, town)
    order = _walk_in(session, town, station)
    assert (order.status, order.source, order.station_id, order.site_id, order.team_id) == (
        OrderStatus.completed, OrderSource.walk_in, station.id, town.village_a, None)
    assert order.submitted_at.replace(tzinfo=UTC) == SERVED
    assert order.completed_at.replace(tzinfo=UTC) == SERVED
    assert order.due_on == date(2026, 6, 2)
    assert (order.actual_beneficiaries, order.expected_beneficiaries) == (3, 3)
    assert order.code == f"DD-2026-{order.id:06d}"
    assert order.completion_note == "咨询养老保险"
    groups = dict(session.exec(select(OrderBeneficiary.group, OrderBeneficiary.count)
                               .where(OrderBeneficiary.order_id == order.id)).all())
    assert groups == {"elderly": 2, "general": 1}
    events = session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id)).all()
    assert [(e.action, e.from_status, e.to_status, e.actor_id) for e in events] == [
        ("walk_in", None, OrderStatus.completed, town.manager.id)]
    # The volunteers at the desk are credited by their duty attendance, not a second time here.
    assert count(session, ServiceRecord) == 0


def test_the_day_of_a_walk_in_is_the_local_day(session, town):
    """16:30 UTC on 2 June is 00:30 on 3 June in Beijing: due and done on the 3rd."""
    station = _station(session, town)
    late = datetime(2026, 6, 2, 16, 30, tzinfo=UTC)
    order = _walk_in(session, town, station, served_at=late)
    assert order.due_on == date(2026, 6, 3)
    day = session.exec(select(OrderRollup.period, OrderRollup.done, OrderRollup.n_completed)
                       .where(OrderRollup.grain == "d")).all()
    assert day == [("2026-06-03", 1, 1)]


def test_a_walk_in_counts_as_placed_done_and_on_time_for_its_site_and_no_team(session, town):
    station = _station(session, town)
    _walk_in(session, town, station, actor=town.officer)
    tiles = reports.overview(session, actor=town.manager, start=JUNE.start, end=JUNE.end,
                             now=NOW)
    assert (tiles["placed"], tiles["done"], tiles["beneficiaries"], tiles["hours"]) == (
        1, 1, 3, 0)
    assert tiles["overdue"] == 0
    # Unrated a week after it was done, it is late for its 评单 like any other done order.
    later = reports.overview(session, actor=town.manager, start=JUNE.start, end=JUNE.end,
                             now=SERVED + timedelta(days=8))
    assert later["overdue"] == 1
    east = next(r for r in evaluation.sites(session, actor=town.leader, period=JUNE,
                                            now=NOW).rows if r["key"] == town.village_a)
    assert (east["placed"], east["due"], east["done"], east["on_time"]) == (1, 1, 1, 1)
    assert (east["completion_rate"], east["on_time_rate"], east["first_time_rate"]) == (
        1.0, 1.0, 1.0)
    assert east["idle_months"] == 0
    officer = next(r for r in evaluation.officers(session, actor=town.leader, period=JUNE,
                                                  now=NOW).rows if r["key"] == town.officer.id)
    assert (officer["placed"], officer["done"]) == (1, 1)
    team_rows = evaluation.teams(session, actor=town.leader, period=JUNE, now=NOW).rows
    assert all(r.get("done", 0) == 0 and r.get("dispatched", 0) == 0 for r in team_rows)
    assert rollups.check(session, tz="Asia/Shanghai") == []


def test_a_walk_in_can_be_rated_like_any_done_order(session, town):
    order = _walk_in(session, town, _station(session, town))
    rated = ratings.rate(session, actor=town.manager, order_id=order.id, level=5,
                         now=NOW + timedelta(hours=1))
    assert rated.status == OrderStatus.rated
    assert rollups.check(session, tz="Asia/Shanghai") == []


@pytest.mark.parametrize("who", ["lead_a", "leader"])
def test_team_leads_and_leaders_cannot_log_a_walk_in(session, town, who):
    station = _station(session, town)
    before = _written(session)
    with pytest.raises(Forbidden):
        _walk_in(session, town, station, actor=getattr(town, who))
    assert _written(session) == before


def test_a_station_of_another_site_or_closed_is_not_found(session, town):
    station = _station(session, town)
    before = _written(session)
    with pytest.raises(NotFound):
        _walk_in(session, town, station, actor=town.outsider)
    with pytest.raises(NotFound):
        _walk_in(session, town, station, station_id=None)
    row = session.get(Station, station.id)
    row.active = False
    session.add(row)
    session.commit()
    with pytest.raises(NotFound):
        _walk_in(session, town, station)
    assert _written(session) == before


def test_bad_input_is_refused_all_at_once_and_nothing_is_written(session, town):
    station = _station(session, town)
    before = _written(session)
    with pytest.raises(Problems) as err:
        _walk_in(session, town, station, title="  ", category_id=None, requester_phone="12ab",
                 beneficiaries={"elderly": -1}, served_at=NOW + timedelta(minutes=5))
    keys = {p.key for p in err.value.problems}
    assert {"error.category_required", "error.walk_in.future", "error.number_range"} <= keys
    assert len(err.value.problems) >= 5
    assert _written(session) == before


@pytest.mark.parametrize("served_at,key", [
    (NOW - timedelta(days=9), "error.walk_in.too_old"),
    (NOW + timedelta(seconds=1), "error.walk_in.future"),
])
def test_a_walk_in_is_logged_within_a_week_and_never_ahead(session, town, served_at, key):
    station = _station(session, town)
    before = _written(session)
    with pytest.raises(Exception) as err:
        _walk_in(session, town, station, served_at=served_at)
    assert err.value.key == key
    assert _written(session) == before


def test_a_walk_in_serves_at_least_one_resident(session, town):
    with pytest.raises(Exception) as err:
        _walk_in(session, town, _station(session, town), beneficiaries={"general": 0})
    assert err.value.key == "error.walk_in.people"


def test_a_walk_in_a_week_old_is_still_taken(session, town):
    order = _walk_in(session, town, _station(session, town),
                     served_at=NOW - timedelta(days=walk_ins.DAYS_BACK))
    assert order.status == OrderStatus.completed
