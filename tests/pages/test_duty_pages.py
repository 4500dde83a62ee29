"""值班表 driven through its widgets: a station with opening hours, a Tuesday 15–18 slot for two
volunteers, assignments, the week's rota with a short slot, and attendance that credits hours
once; refusals change nothing."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import func
from sqlmodel import select

from core import db
from models import DutyAssignment, DutySlot, ServiceRecord, Station
from services import duty
from tests.pages.conftest import goto, open_app, run, submit, values, zh


def _page(world, who):
    return goto(open_app(getattr(world.town, who)), "duty.py")


def _station(world):
    with db.write_session(world.url) as s:
        st = duty.create_station(s, actor=world.town.manager, site_id=world.town.village_a,
                                 name="微爱志愿者服务站", address="人民东路780号")
        duty.set_hours(s, actor=world.town.manager, station_id=st.id,
                       periods=[(1, time(14), time(20))])
        return st.id


def _slot(world, station_id, needed=2):
    with db.write_session(world.url) as s:
        return duty.add_slot(s, actor=world.town.manager, station_id=station_id, weekday=1,
                             start=time(15), end=time(18), needed=needed).id


def _week(at):
    """The week's rota (a table without selection carries no key: found by its columns)."""
    frames = [f.value for f in at.dataframe if "needed" in f.value.columns]
    return frames[0]


def _past_tuesday():
    """A Tuesday whose 15–18 slot is over whatever the hour: one at least 7 days back."""
    today = db.utcnow().date()
    return today - timedelta(days=(today.weekday() - 1) % 7 + 7)


def test_the_manager_adds_a_station(world):
    at = _page(world, "manager")
    at.selectbox(key="ds_site_0").set_value(world.town.village_a)
    at.text_input(key="ds_name_0").input("微爱志愿者服务站")
    submit(at, zh("duty.add_station"))
    assert values(at.success) == [zh("duty.station_added", name="微爱志愿者服务站")]
    with db.session(world.url) as s:
        assert s.exec(select(Station.name)).all() == ["微爱志愿者服务站"]


def test_the_manager_sets_a_tuesday_slot_for_two_and_a_slot_outside_hours_is_refused(world):
    station_id = _station(world)
    at = _page(world, "manager")
    at.selectbox(key="dr_station").set_value(station_id)
    run(at)
    at.selectbox(key="dslot_day_0").set_value(1)
    at.time_input(key="dslot_start_0").set_value(time(9))
    at.time_input(key="dslot_end_0").set_value(time(12))
    at.number_input(key="dslot_needed_0").set_value(2)
    submit(at, zh("duty.add_slot"))
    assert values(at.error) == [zh("error.slot_outside_hours")]
    at.time_input(key="dslot_start_0").set_value(time(15))
    at.time_input(key="dslot_end_0").set_value(time(18))
    submit(at, zh("duty.add_slot"))
    assert values(at.success) == [zh("duty.slot_added")]
    with db.session(world.url) as s:
        slot = s.exec(select(DutySlot)).one()
    assert (slot.weekday, slot.start_minute, slot.end_minute, slot.needed) == (1, 900, 1080, 2)


def test_the_manager_puts_a_volunteer_on_a_slot_and_the_week_shows_it_short(world):
    station_id = _station(world)
    slot_id = _slot(world, station_id)
    at = _page(world, "manager")
    at.selectbox(key="dr_station").set_value(station_id)
    run(at)
    at.selectbox(key="da_slot").set_value(slot_id)
    run(at)
    vid = world.town.volunteers_a[0]
    at.selectbox(key="da_vol_0").set_value(vid)
    at.date_input(key="da_start_0").set_value(date(2026, 1, 1))
    submit(at, zh("duty.assign"))
    assert values(at.success) == [zh("duty.assigned", name="志愿者0")]
    with db.session(world.url) as s:
        assert s.exec(select(DutyAssignment.volunteer_id)).all() == [vid]
    week = _week(at)
    assert list(week["on_duty"]) == ["志愿者0"] and list(week["short"]) == [zh("duty.short", n=1)]


def test_marking_attendance_credits_the_hours_once(world):
    station_id = _station(world)
    slot_id = _slot(world, station_id)
    first, second = world.town.volunteers_a[:2]
    with db.write_session(world.url) as s:
        for vid in (first, second):
            duty.assign(s, actor=world.town.manager, slot_id=slot_id, volunteer_id=vid,
                        starts_on=date(2026, 1, 1))
    at = _page(world, "manager")
    at.selectbox(key="dm_station").set_value(station_id)
    run(at)
    at.selectbox(key="dm_slot").set_value(slot_id)
    run(at)
    past = _past_tuesday()
    at.date_input(key=f"dm_day_{slot_id}").set_value(past)
    run(at)
    day = past.isoformat()
    at.radio(key=f"dm_{slot_id}_{day}_{first}").set_value("present")
    at.radio(key=f"dm_{slot_id}_{day}_{second}").set_value("present")
    submit(at, zh("duty.save_marks"))
    assert values(at.success) == [zh("duty.marked", n=2)]
    submit(at, zh("duty.save_marks"))  # saved again: nothing twice
    with db.session(world.url) as s:
        hours = s.exec(select(ServiceRecord.volunteer_id, func.sum(ServiceRecord.hours))
                       .where(ServiceRecord.order_id.is_(None))
                       .group_by(ServiceRecord.volunteer_id)).all()
    assert sorted(hours) == [(first, 3.0), (second, 3.0)]


def test_an_officer_reads_the_rota_but_keeps_nothing(world):
    station_id = _station(world)
    _slot(world, station_id)
    at = _page(world, "officer")
    # An officer places orders, so logs 来访 at the desk too; stations and rota are managers'.
    assert [tab.label for tab in at.tabs] == [zh("duty.tab_week"), zh("duty.tab_today"),
                                              zh("duty.tab_walk_in")]
    assert list(_week(at)["station"]) == ["微爱志愿者服务站"]
