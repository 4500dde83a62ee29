"""The 派单 desk's rules: the team score (a table of cases), the numbers behind it measured from
orders with an injected clock, the ranking, and batch dispatch (all or nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.config import BUSINESS_DEFAULTS
from models import OrderEvent, OrderStatus, SiteLevel, TeamTier, WorkOrder
from services import completions, dispatch, orders, ratings, settings, sites, teams, users
from services.dispatch import TeamRecord, score
from services.errors import Forbidden, Invalid, OrderNotInState
from tests.services.steps import T0, count, good_completion, order_in

S = OrderStatus


def record(**kw) -> TeamRecord:
    base = {"team_id": 1, "name": "队", "site": "站", "serves_category": True, "open_orders": 0,
            "average_rating": None, "on_time_rate": None, "nearby": "",
            "median_accept_hours": None}
    return TeamRecord(**{**base, **kw})


# Default weights: category 40, workload 20, rating 15, on time 10, nearby 10, accept 5;
# a team is fully loaded at 10 open orders; accepting takes at most 2 days = 48 hours.
SCORES = [
    ("the best possible team", {"open_orders": 0, "average_rating": 5, "on_time_rate": 1,
                                "nearby": "point", "median_accept_hours": 0}, 100.0),
    ("the worst possible team", {"serves_category": False, "open_orders": 10, "average_rating": 1,
                                 "on_time_rate": 0, "median_accept_hours": 48}, 0.0),
    ("a new team of the same 所: unknowns count half",
     {"nearby": "station"}, 40 + 20 + 7.5 + 5 + 5 + 2.5),
    ("a busy, good team elsewhere",
     {"open_orders": 5, "average_rating": 4, "on_time_rate": 0.8, "median_accept_hours": 12},
     40 + 10 + 11.25 + 8 + 0 + 3.75),
    ("more open orders than a full load is no worse than full",
     {"open_orders": 25, "average_rating": 5, "on_time_rate": 1, "median_accept_hours": 0},
     40 + 0 + 15 + 10 + 0 + 5),
    ("slower than the accept limit is no worse than the limit",
     {"serves_category": False, "median_accept_hours": 200, "average_rating": 3,
      "on_time_rate": 0.5},
     0 + 20 + 7.5 + 5 + 0 + 0),
]


@pytest.mark.parametrize("why, features, expected", SCORES, ids=[c[0] for c in SCORES])
def test_score_table(why, features, expected):
    assert score(record(**features), BUSINESS_DEFAULTS) == pytest.approx(expected)


def test_weights_come_from_the_settings():
    values = {**BUSINESS_DEFAULTS, **dict.fromkeys(dispatch.WEIGHT_KEYS.values(), 0),
              "weight_nearby": 3, "weight_workload": 1}
    near_busy = record(nearby="point", open_orders=10)
    far_idle = record(nearby="", open_orders=0)
    assert score(near_busy, values) == 75.0        # (3 × 1 + 1 × 0) / 4
    assert score(far_idle, values) == 25.0         # (3 × 0 + 1 × 1) / 4
    values["team_full_load"] = 20
    assert score(near_busy, values) == 87.5        # workload 1 − 10/20 = 0.5
    assert score(record(), {**values, "weight_nearby": 0, "weight_workload": 0}) == 0.0


def test_all_weights_zero_is_refused(session, town):
    zero = dict.fromkeys(dispatch.WEIGHT_KEYS.values(), 0)
    with pytest.raises(Invalid) as err:
        settings.update(session, actor=town.manager, values=zero)
    assert err.value.key == "error.weights_all_zero"
    assert settings.current(session)["weight_category"] == 40


def _stats(session, town, now):
    rows = dispatch.team_records(session, actor=town.manager, now=now)
    opened = dispatch.open_orders(session, [r["team_id"] for r in rows])
    return {r["name"]: {**r, "open_orders": opened.get(r["team_id"], 0)} for r in rows}


def test_team_numbers_are_measured_over_the_last_twelve_months(session, town):
    now = T0 + timedelta(days=400)
    # Rated 5 with accept after 1 hour, done on time — but more than a year ago: not counted.
    order_in(session, town, S.rated, at=T0)
    # Within the year: accepted after 1, 3 and 10 hours; ratings 4 and 2; one done late.
    recent = T0 + timedelta(days=200)
    waits = (1, 3, 10)
    for i, wait in enumerate(waits):
        at = recent + timedelta(days=i)
        o = orders.place(session, actor=town.officer, site_id=town.village_a,
                         category_id=town.category, title=f"宣讲{i}", source="survey", now=at,
                         due_on=(at + timedelta(days=1)).date())
        orders.dispatch(session, actor=town.manager, order_id=o.id, team_id=town.team_a, now=at)
        orders.accept(session, actor=town.lead_a, order_id=o.id,
                      now=at + timedelta(hours=wait))
        done_at = at + timedelta(days=5 if i == 2 else 0, hours=wait + 1)
        completions.complete(session, actor=town.lead_a, order_id=o.id, done=good_completion(town),
                             now=done_at)
        if i < 2:
            ratings.rate(session, actor=town.officer, order_id=o.id, level=(4, 2)[i],
                         now=done_at + timedelta(hours=1))
    # One open order of team A now; team B has never worked.
    order_in(session, town, S.dispatched, at=now - timedelta(days=1))
    stats = _stats(session, town, now)
    a, b = stats["宣讲支队"], stats["健康支队"]
    assert a["open_orders"] == 1
    assert a["average_rating"] == 3.0
    assert a["on_time_rate"] == pytest.approx(2 / 3)
    assert a["median_accept_hours"] == pytest.approx(3.0, abs=0.01)
    assert (b["open_orders"], b["average_rating"], b["on_time_rate"],
            b["median_accept_hours"]) == (0, None, None, None)


def test_median_of_an_even_number_of_waits_is_the_mean_of_the_middle_two(session, town):
    for i, wait in enumerate((1, 3, 5, 40)):
        at = T0 + timedelta(days=i)
        o = orders.place(session, actor=town.officer, site_id=town.village_a,
                         category_id=town.category, title=f"宣讲{i}", source="survey", now=at)
        orders.dispatch(session, actor=town.manager, order_id=o.id, team_id=town.team_a, now=at)
        orders.accept(session, actor=town.lead_a, order_id=o.id,
                      now=at + timedelta(hours=wait))
        completions.complete(session, actor=town.lead_a, order_id=o.id, done=good_completion(town),
                             now=at + timedelta(hours=wait + 1))
    # Accepted but not finished: not part of the record yet.
    order_in(session, town, S.accepted, at=T0 + timedelta(days=5))
    stats = _stats(session, town, T0 + timedelta(days=10))
    assert stats["宣讲支队"]["median_accept_hours"] == pytest.approx(4.0, abs=0.01)


def test_on_time_is_judged_by_the_local_calendar_day(session, town):
    # Due on 3 March. Done at 23:30 Shanghai time on 3 March (15:30 UTC): on time. Done at 00:30
    # on 4 March (16:30 UTC on the 3rd, still the due date in UTC): late.
    due = T0.date() + timedelta(days=1)
    for minutes, title in ((15 * 60 + 30, "当天"), (16 * 60 + 30, "次日")):
        o = orders.place(session, actor=town.officer, site_id=town.village_a,
                         category_id=town.category, title=title, source="survey", now=T0,
                         due_on=due)
        orders.dispatch(session, actor=town.manager, order_id=o.id, team_id=town.team_a, now=T0)
        orders.accept(session, actor=town.lead_a, order_id=o.id, now=T0)
        done_at = T0.replace(hour=0, minute=0) + timedelta(days=1, minutes=minutes)
        completions.complete(session, actor=town.lead_a, order_id=o.id, done=good_completion(town),
                             now=done_at)
    assert _stats(session, town, T0 + timedelta(days=5))["宣讲支队"]["on_time_rate"] == 0.5


def _boss(session):
    return users.to_actor(session, users.by_username(session, "boss"))


def test_nearby_same_point_same_station_elsewhere(session, town):
    boss = _boss(session)
    corps = teams.in_scope(session, actor=boss)[0]
    village_team = teams.create(session, actor=boss, name="东村小队", tier=TeamTier.detachment,
                                site_id=town.village_a, parent_id=corps.id)
    far_corps = teams.create(session, actor=boss, name="绿水总队", tier=TeamTier.corps,
                             site_id=town.other_station, category_ids=(town.category,))
    order = order_in(session, town, S.submitted)
    ranked = {r["name"]: r for r in dispatch.recommend(session, actor=boss, order_ids=[order.id],
                                                       now=T0)}
    assert ranked[village_team.name]["nearby"] == "point"
    assert ranked["宣讲支队"]["nearby"] == "station"     # based at the 所 of the order's 站
    assert ranked[far_corps.name]["nearby"] == ""
    assert ranked[far_corps.name]["serves_category"]
    # The manager of 青山镇 is not offered a team of 绿水镇.
    mine = dispatch.recommend(session, actor=town.manager, order_ids=[order.id], now=T0)
    assert far_corps.name not in {r["name"] for r in mine}
    sites.get(session, town.other_station)  # the site is still there, only out of scope


def test_recommendations_rank_by_score_with_reasons(session, town):
    order = order_in(session, town, S.submitted)
    ranked = dispatch.recommend(session, actor=town.manager, order_ids=[order.id], now=T0)
    assert [r["name"] for r in ranked[:2]] == ["宣讲支队", "青山总队"]
    assert ranked[0]["serves_category"] and ranked[0]["parts"]["category"] == 1.0
    assert {r["name"]: r["serves_category"] for r in ranked}["健康支队"] is False
    assert ranked == sorted(ranked, key=lambda r: -r["score"])
    assert set(ranked[0]["parts"]) == set(dispatch.PARTS)


def test_workload_breaks_a_tie_and_moves_a_team_down(session, town):
    order = order_in(session, town, S.submitted)
    before = {r["name"]: r["score"] for r in dispatch.recommend(
        session, actor=town.manager, order_ids=[order.id], now=T0)}
    for _ in range(5):
        order_in(session, town, S.dispatched)
    after = {r["name"]: r["score"] for r in dispatch.recommend(
        session, actor=town.manager, order_ids=[order.id], now=T0 + timedelta(hours=2))}
    assert after["宣讲支队"] == pytest.approx(before["宣讲支队"] - 20 * 5 / 10)


def test_several_orders_rank_by_mean_score(session, town):
    one = order_in(session, town, S.submitted)
    other = order_in(session, town, S.submitted, category_id=town.other_category,
                     title="义诊")
    single = {r["name"]: r["score"] for r in dispatch.recommend(
        session, actor=town.manager, order_ids=[one.id], now=T0)}
    both = {r["name"]: r["score"] for r in dispatch.recommend(
        session, actor=town.manager, order_ids=[one.id, other.id], now=T0)}
    assert both["宣讲支队"] == pytest.approx(single["宣讲支队"] - 40 / 2, abs=0.1)
    assert both["宣讲支队"] == pytest.approx(both["健康支队"], abs=0.1)


def test_recommendations_are_for_managers_of_the_order(session, town):
    order = order_in(session, town, S.submitted)
    with pytest.raises(Forbidden):
        dispatch.recommend(session, actor=town.officer, order_ids=[order.id])
    with pytest.raises(Forbidden):
        dispatch.recommend(session, actor=town.outsider, order_ids=[order.id])


# --- batch dispatch ----------------------------------------------------------------------------


def test_batch_dispatch_sends_every_order_in_one_go(session, town):
    picked = [order_in(session, town, S.submitted).id for _ in range(3)]
    codes = dispatch.dispatch_many(session, actor=town.manager, order_ids=picked,
                                   team_id=town.team_b, now=T0)
    assert len(codes) == 3
    rows = session.exec(select(WorkOrder).where(WorkOrder.id.in_(picked))).all()
    assert {(o.status, o.team_id) for o in rows} == {(S.dispatched, town.team_b)}
    assert count(session, OrderEvent) == 3 * 2   # place + dispatch each


def test_batch_dispatch_is_all_or_nothing(session, town):
    free = [order_in(session, town, S.submitted).id for _ in range(2)]
    taken = order_in(session, town, S.dispatched)
    events = count(session, OrderEvent)
    with pytest.raises(OrderNotInState) as err:
        dispatch.dispatch_many(session, actor=town.manager, order_ids=[*free, taken.id],
                               team_id=town.team_b, now=T0)
    assert err.value.params["code"] == taken.code
    assert err.value.params["by"] == "MGR"         # who dispatched it before
    assert count(session, OrderEvent) == events
    assert {session.get(WorkOrder, i).status for i in free} == {S.submitted}


@pytest.mark.parametrize("who", ["officer", "lead_a", "outsider"])
def test_batch_dispatch_refuses_who_may_not(session, town, who):
    picked = [order_in(session, town, S.submitted).id]
    with pytest.raises((Forbidden, Invalid)):
        dispatch.dispatch_many(session, actor=getattr(town, who), order_ids=picked,
                               team_id=town.team_a)
    assert session.get(WorkOrder, picked[0]).status == S.submitted


def test_batch_dispatch_needs_orders_and_a_team_in_scope(session, town):
    picked = [order_in(session, town, S.submitted).id]
    with pytest.raises(Invalid) as err:
        dispatch.dispatch_many(session, actor=town.manager, order_ids=[], team_id=town.team_a)
    assert err.value.key == "error.orders_required"
    boss = _boss(session)
    far = teams.create(session, actor=boss, name="绿水总队", tier=TeamTier.corps,
                       site_id=town.other_station)
    with pytest.raises(Invalid) as err:
        dispatch.dispatch_many(session, actor=town.manager, order_ids=picked, team_id=far.id)
    assert err.value.key == "error.team_required"
    assert session.get(WorkOrder, picked[0]).status == S.submitted
    assert sites.get(session, town.station).level == SiteLevel.station


def test_several_orders_count_the_categories_served(session, town):
    one = order_in(session, town, S.submitted)
    other = order_in(session, town, S.submitted, category_id=town.other_category, title="义诊",
                     site_id=town.village_b)
    ranked = {r["name"]: r for r in dispatch.recommend(
        session, actor=town.manager, order_ids=[one.id, other.id], now=T0)}
    assert ranked["宣讲支队"]["serves_count"] == 1
    assert ranked["健康支队"]["serves_count"] == 1
    assert ranked["青山总队"]["nearby"] == "station"   # the same 所 for both orders
