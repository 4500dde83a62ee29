"""来访登记 on 值班表, driven through its widgets: a resident served at the desk becomes a done
order of the station, the form starts empty again, bad input changes nothing, and a leader (who
changes nothing) has no such tab."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core import db
from models import OrderSource, OrderStatus, WorkOrder
from services import duty
from tests.pages.conftest import goto, open_app, run, submit, values, zh


def _station(world):
    with db.write_session(world.url) as s:
        return duty.create_station(s, actor=world.town.manager, site_id=world.town.village_a,
                                   name="微爱志愿者服务站", address="人民东路780号").id


def _desk(world, who="manager"):
    station_id = _station(world)
    at = goto(open_app(getattr(world.town, who)), "duty.py")
    at.selectbox(key="wi_station").set_value(station_id)
    return run(at), station_id


def _orders(world):
    with db.session(world.url) as s:
        return s.exec(select(WorkOrder).where(WorkOrder.source == OrderSource.walk_in)).all()


def test_the_officer_logs_a_walk_in_and_it_is_a_done_order_of_the_station(world):
    at, station_id = _desk(world, "officer")
    assert zh("walk_in.none_yet") in values(at.info)
    at.selectbox(key="wi_cat_0").set_value(world.town.category)
    at.text_input(key="wi_title_0").input("政策咨询")
    at.text_input(key="wi_who_0").input("王大爷")
    at.number_input(key="wi_group_elderly_0").set_value(2)
    at.number_input(key="wi_group_general_0").set_value(1)
    at.text_area(key="wi_note_0").input("讲解养老保险")
    submit(at, zh("walk_in.save"))
    [order] = _orders(world)
    assert (order.status, order.station_id, order.site_id, order.actual_beneficiaries) == (
        OrderStatus.completed, station_id, world.town.village_a, 3)
    assert values(at.success) == [zh("walk_in.saved", code=order.code, people=3)]
    # (a table without selection carries no key: found by its columns)
    recent = next(f.value for f in at.dataframe if "served_at" in f.value.columns)
    assert list(recent["code"]) == [order.code] and list(recent["people"]) == [3]
    # The form starts empty for the next resident.
    assert at.selectbox(key="wi_cat_1").value is None
    assert at.text_input(key="wi_title_1").value == ""
    assert at.number_input(key="wi_group_elderly_1").value == 0


def test_a_walk_in_without_people_or_category_is_refused_and_nothing_is_written(world):
    at, _ = _desk(world)
    at.text_input(key="wi_title_0").input("政策咨询")
    submit(at, zh("walk_in.save"))
    assert at.error, "a refusal is shown"
    text = " ".join(values(at.error))
    assert zh("error.category_required") in text
    assert _orders(world) == []
    at.selectbox(key="wi_cat_0").set_value(world.town.category)
    submit(at, zh("walk_in.save"))
    assert zh("error.walk_in.people") in " ".join(values(at.error))
    assert _orders(world) == []


def test_an_earlier_day_needs_the_time_it_was_served(world):
    at, _ = _desk(world)
    yesterday = at.date_input(key="wi_day_0").value - timedelta(days=1)
    at.date_input(key="wi_day_0").set_value(yesterday)
    at.selectbox(key="wi_cat_0").set_value(world.town.category)
    at.text_input(key="wi_title_0").input("代办社保")
    at.number_input(key="wi_group_general_0").set_value(1)
    submit(at, zh("walk_in.save"))
    assert values(at.error) == [zh("walk_in.time_needed")]
    assert _orders(world) == []


def test_a_leader_has_no_walk_in_desk(world):
    _station(world)
    at = goto(open_app(world.town.leader), "duty.py")
    assert zh("duty.tab_walk_in") not in [tab.label for tab in at.tabs]
