"""回访: when follow-ups fall due, how they close, and the two rates, with an injected clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from models import FollowUp, OrderEvent, Rating, RatingChannel, WorkOrder
from services import follow_ups, rating_links, ratings, settings
from services.errors import Forbidden, Invalid
from services.follow_ups import NothingToFollowUp
from tests.services.steps import T0, S, count, order_in

DONE = T0 + timedelta(hours=3)   # when order_in completes an order
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def _completed(session, town, **kw):
    return order_in(session, town, S.completed, **kw)


def _poorly_rated(session, town, level=2, at=DONE + DAY, placed=T0):
    order = _completed(session, town, at=placed)
    ratings.rate(session, actor=town.officer, order_id=order.id, level=level, comment="没解决问题",
                 now=at)
    return order


def _page(session, actor, state, now, **kw):
    return follow_ups.page(session, actor=actor, state=state, now=now, **kw)


def _codes(session, actor, state, now):
    rows, total = _page(session, actor, state, now)
    assert total == len(rows)
    return [(r["code"], r["reason"]) for r in rows]


# --- when a follow-up is due ----------------------------------------------------------------------


@pytest.mark.parametrize("level, opens", [(1, True), (2, True), (3, False), (5, False)])
def test_a_rating_of_two_or_less_opens_a_follow_up_due_in_15_days(session, town, level, opens):
    order = _poorly_rated(session, town, level=level)
    rows = session.exec(select(FollowUp)).all()
    if not opens:
        assert rows == []
        return
    assert [(f.order_id, f.reason.value, f.due_at, f.done_at) for f in rows] == [
        (order.id, "bad_rating", DONE + DAY + timedelta(days=15), None)]


def test_the_follow_up_window_is_the_setting(session, town):
    settings.update(session, actor=town.manager, values={"follow_up_days": 5})
    _poorly_rated(session, town, level=1)
    assert session.exec(select(FollowUp.due_at)).one() == DONE + DAY + timedelta(days=5)


def test_a_bad_rating_follow_up_is_due_then_overdue(session, town):
    order = _poorly_rated(session, town)
    due = DONE + DAY + timedelta(days=15)
    assert _codes(session, town.officer, "due", due - SECOND) == [(order.code, "bad_rating")]
    assert _codes(session, town.officer, "overdue", due - SECOND) == []
    assert _codes(session, town.officer, "due", due + SECOND) == []
    assert _codes(session, town.officer, "overdue", due + SECOND) == [(order.code, "bad_rating")]


def test_an_order_unrated_for_7_days_becomes_a_call_due_15_days_later(session, town):
    order = _completed(session, town)
    needed, due = DONE + 7 * DAY, DONE + 22 * DAY
    assert _codes(session, town.officer, "due", needed - SECOND) == []
    rows, total = _page(session, town.officer, "due", needed + SECOND)
    assert total == 1 and (rows[0]["code"], rows[0]["reason"], rows[0]["due_at"]) == (
        order.code, "unrated", due)
    assert _codes(session, town.officer, "overdue", due - SECOND) == []
    assert _codes(session, town.officer, "overdue", due + SECOND) == [(order.code, "unrated")]
    assert count(session, FollowUp) == 0  # computed, not written


def test_the_two_kinds_are_listed_together_nearest_due_first(session, town):
    unrated = _completed(session, town)                       # due DONE + 22 d
    poor = _poorly_rated(session, town, at=DONE + 2 * DAY)     # due DONE + 17 d
    now = DONE + 8 * DAY
    assert _codes(session, town.manager, "due", now) == [(poor.code, "bad_rating"),
                                                          (unrated.code, "unrated")]
    rows, total = _page(session, town.manager, "due", now, offset=1, limit=1)
    assert total == 2 and [r["code"] for r in rows] == [unrated.code]


def test_follow_ups_stay_within_the_actors_sites(session, town):
    _poorly_rated(session, town)
    now = DONE + 2 * DAY
    assert _page(session, town.outsider, "due", now) == ([], 0)
    assert len(_page(session, town.manager, "due", now)[0]) == 1


# --- closing one ----------------------------------------------------------------------------


def test_recording_the_outcome_closes_a_bad_rating_follow_up(session, town):
    order = _poorly_rated(session, town)
    at = DONE + 5 * DAY
    reason = follow_ups.record(session, actor=town.officer, order_id=order.id,
                               outcome="已致电，队伍将补充服务", now=at)
    assert reason.value == "bad_rating"
    f = session.exec(select(FollowUp)).one()
    assert (f.done_at, f.done_by_id, f.outcome) == (at, town.officer.id, "已致电，队伍将补充服务")
    rows, _ = _page(session, town.officer, "done", at)
    assert [(r["code"], r["done_by"], r["level"], r["comment"]) for r in rows] == [
        (order.code, "OFF", 2, "没解决问题")]
    assert _codes(session, town.officer, "due", at) == []
    event = session.exec(select(OrderEvent).order_by(OrderEvent.id.desc())).first()
    assert (event.action, event.from_status, event.to_status, event.note) == (
        "follow_up", S.rated, S.rated, "已致电，队伍将补充服务")
    with pytest.raises(NothingToFollowUp):
        follow_ups.record(session, actor=town.manager, order_id=order.id, outcome="再次回访",
                          now=at)


def test_an_unrated_call_without_a_rating_closes_the_follow_up_and_keeps_the_order(session,
                                                                                    town):
    order = _completed(session, town)
    at = DONE + 9 * DAY
    follow_ups.record(session, actor=town.officer, order_id=order.id,
                      outcome="三次未接通，居民外出务工", now=at)
    f = session.exec(select(FollowUp)).one()
    assert (f.reason.value, f.due_at, f.done_at) == ("unrated", DONE + 22 * DAY, at)
    assert session.get(WorkOrder, order.id).status == S.completed
    assert _codes(session, town.officer, "due", at) == []
    assert _codes(session, town.officer, "done", at) == [(order.code, "unrated")]


def test_an_unrated_call_that_brings_a_rating_records_it_by_call(session, town):
    order = _completed(session, town)
    at = DONE + 9 * DAY
    follow_ups.record(session, actor=town.officer, order_id=order.id, outcome="居民很满意",
                      level=5, now=at)
    rating = session.exec(select(Rating)).one()
    assert (rating.level, rating.channel, rating.by_user_id) == (5, RatingChannel.call,
                                                                  town.officer.id)
    f = session.exec(select(FollowUp)).one()
    assert (f.reason.value, f.done_at, f.outcome) == ("unrated", at, "居民很满意")
    assert session.get(WorkOrder, order.id).status == S.rated


def test_a_late_rating_by_qr_settles_the_unrated_follow_up(session, town):
    order = _completed(session, town)
    token = rating_links.issue(session, actor=town.lead_a, order_id=order.id,
                               now=DONE + DAY).token
    at = DONE + 10 * DAY
    rating_links.rate(session, token=token, order_id=order.id, level=4, now=at)
    f = session.exec(select(FollowUp)).one()
    assert (f.reason.value, f.done_at, f.done_by_id, f.due_at) == ("unrated", at, None,
                                                                   DONE + 22 * DAY)


def test_a_rating_in_time_needs_no_follow_up(session, town):
    order = _completed(session, town)
    ratings.rate(session, actor=town.officer, order_id=order.id, level=4, now=DONE + 6 * DAY)
    assert count(session, FollowUp) == 0


def test_an_order_rated_well_and_in_time_has_nothing_to_follow_up(session, town):
    order = order_in(session, town, S.rated)
    with pytest.raises(NothingToFollowUp) as err:
        follow_ups.record(session, actor=town.officer, order_id=order.id, outcome="回访",
                          now=DONE + DAY)
    assert err.value.key == "error.follow_up_none"


def test_an_unrated_order_cannot_be_followed_up_before_its_7_days(session, town):
    order = _completed(session, town)
    with pytest.raises(NothingToFollowUp):
        follow_ups.record(session, actor=town.officer, order_id=order.id, outcome="早了",
                          now=DONE + 6 * DAY)
    assert count(session, FollowUp) == 0


@pytest.mark.parametrize("outcome", ["", "   ", "回" * 1001])
def test_an_empty_or_overlong_outcome_is_refused_and_closes_nothing(session, town, outcome):
    order = _poorly_rated(session, town)
    with pytest.raises(Invalid):
        follow_ups.record(session, actor=town.officer, order_id=order.id, outcome=outcome,
                          now=DONE + 2 * DAY)
    assert session.exec(select(FollowUp.done_at)).one() is None


def test_a_rating_outside_1_to_5_from_a_call_is_refused(session, town):
    order = _completed(session, town)
    with pytest.raises(Invalid):
        follow_ups.record(session, actor=town.officer, order_id=order.id, outcome="打了电话",
                          level=6, now=DONE + 9 * DAY)
    assert count(session, FollowUp) == 0 and count(session, Rating) == 0


@pytest.mark.parametrize("who", ["lead_a", "leader", "outsider"])
def test_only_officers_and_managers_of_the_site_record_follow_ups(session, town, who):
    order = _poorly_rated(session, town)
    with pytest.raises(Forbidden):
        follow_ups.record(session, actor=getattr(town, who), order_id=order.id, outcome="越权",
                          now=DONE + 2 * DAY)
    session.rollback()
    assert session.exec(select(FollowUp.done_at)).one() is None


@pytest.mark.parametrize("who", ["lead_a", "leader"])
def test_team_leads_and_leaders_do_not_list_follow_ups(session, town, who):
    with pytest.raises(Forbidden):
        follow_ups.page(session, actor=getattr(town, who), state="due")


# --- 回访率 and 按时回访率 ------------------------------------------------------------


def test_follow_up_rate_and_on_time_rate(session, town):
    """Five follow-ups fall due in March 2026: two closed in time, one closed late, one open and
    late, one unrated order never called; one more is open but not yet due and is not judged."""
    on_time_1 = _poorly_rated(session, town, at=DONE)                  # due 03-17
    on_time_2 = _poorly_rated(session, town, level=1, at=DONE + DAY)   # due 03-18
    late = _poorly_rated(session, town, at=DONE + 2 * DAY)             # due 03-19
    _poorly_rated(session, town, at=DONE + 3 * DAY)                    # due 03-20, left open
    _completed(session, town)                                          # unrated: due 03-24
    now = DONE + 25 * DAY                                              # 03-27
    _poorly_rated(session, town, at=now - DAY, placed=now - 2 * DAY)   # due in April: not judged
    for order, at in ((on_time_1, DONE + 3 * DAY), (on_time_2, DONE + 16 * DAY),
                      (late, DONE + 20 * DAY)):
        follow_ups.record(session, actor=town.officer, order_id=order.id, outcome="已回访", now=at)
    r = follow_ups.rates(session, actor=town.manager, start=date(2026, 3, 1),
                         end=date(2026, 3, 31), now=now)
    assert (r.needed, r.done, r.on_time) == (5, 3, 2)
    assert (r.follow_up_rate, r.on_time_rate) == (3 / 5, 2 / 5)
    assert (r.open_due, r.open_overdue) == (1, 2)
    april = follow_ups.rates(session, actor=town.manager, start=date(2026, 4, 1),
                             end=date(2026, 4, 30), now=now)
    assert (april.needed, april.follow_up_rate) == (0, None)
    assert follow_ups.rates(session, actor=town.officer, start=date(2026, 3, 1),
                            end=date(2026, 3, 31), now=now).needed == 5
    with pytest.raises(Forbidden):
        follow_ups.rates(session, actor=town.lead_a, start=date(2026, 3, 1),
                         end=date(2026, 3, 31), now=now)
