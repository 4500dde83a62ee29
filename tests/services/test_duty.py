"""站点值班: opening hours and slots, assignments and one-off changes, conflicts (nobody on duty
in two places at once), the week's rota with short slots, who is on duty now (injected clock),
and attendance writing service records and points once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func
from sqlmodel import select

from models import DutyAssignment, DutyAttendance, PointsEntry, ServiceRecord, ServiceSource
from services import completions, duty, points, volunteers
from services.errors import Forbidden, Invalid, NotFound
from tests import factories

TUESDAY = date(2026, 6, 2)            # a Tuesday
AFTER = datetime(2026, 6, 2, 10, 30, tzinfo=UTC)   # 18:30 in Beijing, after a 15–18 slot
DURING = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)    # 16:00 in Beijing


def _station(session, town, name="微爱志愿者服务站", site=None):
    st = duty.create_station(session, actor=town.manager, site_id=site or town.village_a,
                             name=name, address="人民东路780号", services="政策咨询")
    duty.set_hours(session, actor=town.manager, station_id=st.id,
                   periods=[(1, time(9, 0), time(12, 0)), (1, time(14, 0), time(20, 0)),
                            (3, time(14, 0), time(18, 0))])
    return st


def _slot(session, town, station, start=15, end=18, needed=2, weekday=1):
    return duty.add_slot(session, actor=town.manager, station_id=station.id, weekday=weekday,
                         start=time(start, 0), end=time(end, 0), needed=needed)


def _assign(session, town, slot, vid, start=date(2026, 5, 1), end=None):
    return duty.assign(session, actor=town.manager, slot_id=slot.id, volunteer_id=vid,
                       starts_on=start, ends_on=end)


def _hours(session, vid):
    return session.exec(select(func.coalesce(func.sum(ServiceRecord.hours), 0.0))
                        .where(ServiceRecord.volunteer_id == vid)).one()


# --- stations, hours, slots -------------------------------------------------------------------


def test_opening_periods_of_one_day_may_not_overlap(session, town):
    st = duty.create_station(session, actor=town.manager, site_id=town.village_a, name="站")
    with pytest.raises(Invalid) as err:
        duty.set_hours(session, actor=town.manager, station_id=st.id,
                       periods=[(1, time(9), time(12)), (1, time(11), time(14))])
    assert err.value.key == "error.hours_overlap"


def test_a_slot_must_lie_within_opening_hours_and_end_after_it_starts(session, town):
    st = _station(session, town)
    with pytest.raises(Invalid) as err:
        _slot(session, town, st, start=11, end=15)
    assert err.value.key == "error.slot_outside_hours"
    with pytest.raises(Invalid) as err:
        _slot(session, town, st, start=18, end=15)
    assert err.value.key == "error.end_before_start_time"
    with pytest.raises(Invalid) as err:
        _slot(session, town, st, needed=0)
    assert err.value.key == "error.number_range"


def test_only_managers_of_the_site_keep_stations(session, town):
    with pytest.raises(Forbidden):
        duty.create_station(session, actor=town.officer, site_id=town.village_a, name="站")
    st = _station(session, town)
    with pytest.raises(NotFound):
        _slot(session, factories.Town(**{**town.__dict__, "manager": town.outsider}), st)


# --- assignments and conflicts ------------------------------------------------------------------


def test_a_volunteer_on_duty_in_two_places_at_once_is_refused(session, town):
    a = _station(session, town)
    b = _station(session, town, name="西村服务站", site=town.village_b)
    here, there = _slot(session, town, a), _slot(session, town, b, start=17, end=19)
    vid = town.volunteers_a[0]
    _assign(session, town, here, vid)
    with pytest.raises(Invalid) as err:
        _assign(session, town, there, vid)
    assert err.value.key == "error.duty_conflict"
    assert err.value.params["station"] == "微爱志愿者服务站"
    session.rollback()
    assert len(session.exec(select(DutyAssignment)).all()) == 1


def test_no_conflict_when_times_or_dates_do_not_overlap(session, town):
    st = _station(session, town)
    afternoon = _slot(session, town, st, start=15, end=18)
    evening = _slot(session, town, st, start=18, end=20)   # touching, not overlapping
    vid = town.volunteers_a[0]
    _assign(session, town, afternoon, vid, end=date(2026, 5, 31))
    _assign(session, town, evening, vid)
    _assign(session, town, afternoon, vid, start=date(2026, 6, 1))  # after the first one ended


def test_an_assignment_cannot_end_before_it_starts(session, town):
    slot = _slot(session, town, _station(session, town))
    with pytest.raises(Invalid) as err:
        _assign(session, town, slot, town.volunteers_a[0], start=date(2026, 6, 1),
                end=date(2026, 5, 1))
    assert err.value.key == "error.end_before_start"


def test_a_substitute_on_duty_elsewhere_at_that_time_is_refused(session, town):
    a = _station(session, town)
    b = _station(session, town, name="西村服务站", site=town.village_b)
    here, there = _slot(session, town, a), _slot(session, town, b, start=16, end=19)
    first, second, third = town.volunteers_a
    _assign(session, town, here, first)
    _assign(session, town, there, second)
    with pytest.raises(Invalid) as err:
        duty.change(session, actor=town.manager, slot_id=here.id, on_date=TUESDAY,
                    volunteer_id=first, kind="swap", substitute_id=second)
    assert err.value.key == "error.duty_conflict"
    duty.change(session, actor=town.manager, slot_id=here.id, on_date=TUESDAY,
                volunteer_id=first, kind="swap", substitute_id=third)
    with pytest.raises(Invalid) as err:   # third is now on duty here that Tuesday
        duty.change(session, actor=town.manager, slot_id=there.id, on_date=TUESDAY,
                    volunteer_id=second, kind="swap", substitute_id=third)
    assert err.value.key == "error.duty_conflict"


def test_a_change_must_fall_on_the_slots_weekday_and_name_an_assigned_volunteer(session, town):
    slot = _slot(session, town, _station(session, town))
    _assign(session, town, slot, town.volunteers_a[0])
    with pytest.raises(Invalid) as err:
        duty.change(session, actor=town.manager, slot_id=slot.id, on_date=date(2026, 6, 3),
                    volunteer_id=town.volunteers_a[0], kind="absence")
    assert err.value.key == "error.duty_wrong_day"
    with pytest.raises(Invalid) as err:
        duty.change(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
                    volunteer_id=town.volunteers_a[1], kind="absence")
    assert err.value.key == "error.duty_not_assigned"


# --- the rota, short slots, on duty now ---------------------------------------------------------


def test_the_weeks_rota_applies_absences_and_swaps_and_flags_short_slots(session, town):
    st = _station(session, town)
    slot = _slot(session, town, st, needed=2)
    thursday = _slot(session, town, st, start=14, end=18, needed=1, weekday=3)
    first, second, third = town.volunteers_a
    _assign(session, town, slot, first)
    _assign(session, town, slot, second)
    _assign(session, town, thursday, third)
    duty.change(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
                volunteer_id=first, kind="swap", substitute_id=third)
    duty.change(session, actor=town.manager, slot_id=thursday.id, on_date=date(2026, 6, 4),
                volunteer_id=third, kind="absence")
    week = duty.rota(session, actor=town.officer, start=duty.week_start(TUESDAY))
    assert [(e.day.weekday(), e.start, len(e.on_duty), e.short) for e in week] == [
        (1, 15 * 60, 2, False), (3, 14 * 60, 0, True)]
    assert set(week[0].volunteer_ids) == {second, third}
    assert week[0].away == ("志愿者0",)
    next_week = duty.rota(session, actor=town.officer, start=date(2026, 6, 8))
    assert set(next_week[0].volunteer_ids) == {first, second}
    assert duty.rota(session, actor=town.outsider, start=date(2026, 6, 1)) == []


def test_on_duty_now_is_the_slot_running_at_this_local_time(session, town):
    slot = _slot(session, town, _station(session, town))
    _assign(session, town, slot, town.volunteers_a[0])
    today, now = duty.on_duty(session, actor=town.officer, now=DURING)
    assert [e.slot_id for e in today] == [slot.id] and [e.slot_id for e in now] == [slot.id]
    today, now = duty.on_duty(session, actor=town.officer, now=AFTER)
    assert [e.slot_id for e in today] == [slot.id] and now == []


def test_the_last_held_day_is_the_latest_one_whose_slot_has_ended(session, town):
    slot = _slot(session, town, _station(session, town))
    assert duty.last_held(session, slot_id=slot.id, now=AFTER) == TUESDAY
    assert duty.last_held(session, slot_id=slot.id, now=DURING) == date(2026, 5, 26)
    thursday = datetime(2026, 6, 4, 4, 0, tzinfo=UTC)
    assert duty.last_held(session, slot_id=slot.id, now=thursday) == TUESDAY


# --- attendance → service records and points, once -----------------------------------------------


def test_marking_attendance_writes_duty_records_and_points_once(session, town):
    slot = _slot(session, town, _station(session, town))
    first, second, _third = town.volunteers_a
    _assign(session, town, slot, first)
    _assign(session, town, slot, second)
    marks = {first: "present", second: "absent"}
    duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY, marks=marks,
              now=AFTER)
    duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY, marks=marks,
              now=AFTER)  # marked again: nothing twice
    (record,) = session.exec(select(ServiceRecord)).all()
    assert (record.volunteer_id, record.hours, record.source, record.order_id) == (
        first, 3.0, ServiceSource.duty, None)
    assert points.balances(session, [first, second]) == {first: 30}
    assert len(session.exec(select(PointsEntry)).all()) == 1
    # Hours count toward the volunteer's total like any other service.
    (row,), _ = volunteers.page(session, actor=town.manager, search="志愿者0")
    assert row["hours"] == 3.0


def test_an_absent_volunteer_marked_present_later_is_credited_then(session, town):
    slot = _slot(session, town, _station(session, town))
    vid = town.volunteers_a[0]
    _assign(session, town, slot, vid)
    duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
              marks={vid: "absent"}, now=AFTER)
    assert _hours(session, vid) == 0
    duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
              marks={vid: "present"}, now=AFTER)
    assert _hours(session, vid) == 3.0
    with pytest.raises(Invalid) as err:
        duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
                  marks={vid: "absent"}, now=AFTER)
    assert err.value.key == "error.attendance_final"
    assert _hours(session, vid) == 3.0


def test_attendance_is_refused_before_the_slot_ends_and_for_strangers(session, town):
    slot = _slot(session, town, _station(session, town))
    vid = town.volunteers_a[0]
    _assign(session, town, slot, vid)
    with pytest.raises(Invalid) as err:
        duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
                  marks={vid: "present"}, now=DURING)
    assert err.value.key == "error.attendance_too_early"
    with pytest.raises(Invalid) as err:
        duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
                  marks={town.volunteers_a[1]: "present"}, now=AFTER)
    assert err.value.key == "error.duty_not_assigned"
    with pytest.raises(Forbidden):
        duty.mark(session, actor=town.officer, slot_id=slot.id, on_date=TUESDAY,
                  marks={vid: "present"}, now=AFTER)
    session.rollback()
    assert session.exec(select(DutyAttendance)).all() == []
    assert session.exec(select(ServiceRecord)).all() == []


def test_a_substitute_is_marked_and_credited_instead_of_the_one_who_swapped(session, town):
    slot = _slot(session, town, _station(session, town))
    first, _second, third = town.volunteers_a
    _assign(session, town, slot, first)
    duty.change(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
                volunteer_id=first, kind="swap", substitute_id=third)
    duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
              marks={first: "swapped", third: "present"}, now=AFTER)
    assert (_hours(session, first), _hours(session, third)) == (0, 3.0)


def test_order_figures_do_not_pick_up_duty_records(session, town):
    """Figures that join service records to orders (the overview's hours, a team's hours, an
    order's volunteers) are about orders: a duty record has no order and is not in them. A
    volunteer's own total counts both."""
    from services import order_queries, reports, teams

    order = factories.completed_order(session, town)   # 2 h + 3 h, completed now
    slot = _slot(session, town, _station(session, town))
    _assign(session, town, slot, town.volunteers_a[0])
    duty.mark(session, actor=town.manager, slot_id=slot.id, on_date=TUESDAY,
              marks={town.volunteers_a[0]: "present"}, now=AFTER)
    info = order_queries.detail(session, actor=town.manager, order_id=order.id)
    assert sum(v["hours"] for v in info["service"]) == 5
    assert teams.detail(session, actor=town.manager, team_id=town.team_a)["hours"] == 5
    tiles = reports.overview(session, actor=town.manager, start=date(2026, 1, 1),
                             end=date(2026, 12, 31))
    assert (tiles["hours"], tiles["active_volunteers"]) == (5, 2)
    assert _hours(session, town.volunteers_a[0]) == 5.0  # 2 on the order + 3 on duty
    completions.correct(session, actor=town.lead_a, order_id=order.id, reason="更正",
                        done=completions.Completion(beneficiaries={"general": 1},
                                                    hours={town.volunteers_a[1]: 1}))
    assert _hours(session, town.volunteers_a[0]) == 3.0  # the correction left duty alone
