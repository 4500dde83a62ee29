"""重复诉求 kept per order (services/repeats.py): every change that can move a mark moves it in
its own transaction, a change of `repeat_days` marks them all again, and `check` names a mark
that disagrees with the rule."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from models import RepeatedOrder
from services import completions, duty, orders, repeats, walk_ins
from services import settings as settings_service
from tests.factories import place
from tests.services.test_evaluation import DONE, PLACED, flow, report

DAY = timedelta(days=1)
PHONE = "13900000001"


def kept(session) -> set[int]:
    return set(session.exec(select(RepeatedOrder.order_id)).all())


def agrees(session) -> bool:
    days = settings_service.current(session)["repeat_days"]
    return repeats.check(session, repeat_days=days) == []


def test_a_later_order_marks_the_earlier_one_and_its_cancellation_unmarks_it(session, town):
    first = flow(session, town, due_on=date(2026, 3, 10), done_at=DONE, requester_phone=PHONE)
    assert kept(session) == set()
    again = place(session, town, now=DONE + 10 * DAY, requester_phone=PHONE)
    assert kept(session) == {first.id}
    orders.cancel(session, actor=town.manager, order_id=again.id, reason="重复录入",
                  now=DONE + 11 * DAY)
    assert kept(session) == set()
    assert agrees(session)


def test_an_order_asked_again_before_it_was_done_is_marked_when_it_is_done(session, town):
    """The later order is placed while the first is still open: the mark comes with the
    first one's completion."""
    first = flow(session, town, due_on=date(2026, 3, 10), accept_at=PLACED + 3 * DAY / 24,
                 requester_phone=PHONE)
    place(session, town, now=PLACED + DAY, requester_phone=PHONE)
    assert kept(session) == set()
    completions.complete(session, actor=town.lead_a, order_id=first.id, done=report(town),
                         now=PLACED + 2 * DAY)
    assert kept(session) == {first.id}
    assert agrees(session)


def test_a_walk_in_from_the_same_resident_marks_the_earlier_order(session, town):
    first = flow(session, town, due_on=date(2026, 3, 10), done_at=DONE, requester_name="王大爷")
    station = duty.create_station(session, actor=town.manager, site_id=town.village_a,
                                  name="微爱志愿者服务站", address="人民东路780号",
                                  services="政策咨询")
    served = DONE + 3 * DAY
    walk_ins.record(session, actor=town.manager, station_id=station.id,
                    category_id=town.category, title="政策咨询",
                    beneficiaries={"general": 1}, served_at=served, requester_name="王大爷",
                    now=served + DAY)
    assert kept(session) == {first.id}
    assert agrees(session)


def test_a_new_repeat_window_marks_every_order_again(session, town):
    first = flow(session, town, due_on=date(2026, 3, 10), done_at=DONE, requester_phone=PHONE)
    place(session, town, now=DONE + 40 * DAY, requester_phone=PHONE)
    assert kept(session) == set()            # 40 days: outside the default 30
    settings_service.update(session, actor=town.manager, values={"repeat_days": 45})
    assert kept(session) == {first.id}
    assert agrees(session)
    settings_service.update(session, actor=town.manager, values={"repeat_days": 30})
    assert kept(session) == set()


def test_check_names_a_wrong_mark_and_rebuild_puts_it_right(session, town):
    first = flow(session, town, due_on=date(2026, 3, 10), done_at=DONE, requester_phone=PHONE)
    plain = flow(session, town, due_on=date(2026, 3, 12), done_at=DONE)
    place(session, town, now=DONE + DAY, requester_phone=PHONE)
    session.delete(session.get(RepeatedOrder, first.id))
    session.add(RepeatedOrder(order_id=plain.id))
    session.commit()
    assert repeats.check(session, repeat_days=30) == [(first.id, False, True),
                                                      (plain.id, True, False)]
    assert repeats.rebuild(session, repeat_days=30) == 1
    session.commit()
    assert kept(session) == {first.id}


def test_a_rolled_back_placement_leaves_no_mark(session, town):
    first = flow(session, town, due_on=date(2026, 3, 10), done_at=DONE, requester_phone=PHONE)
    orders.place_step(session, actor=town.officer, site_id=town.village_a,
                      category_id=town.category, title="又来问", source="phone",
                      requester_phone=PHONE, now=DONE + DAY)
    assert kept(session) == {first.id}       # inside the transaction
    session.rollback()
    assert kept(session) == set()
