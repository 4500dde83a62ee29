"""The overview's leader charts from orders with known timestamps (Beijing time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services import completions, leader_charts, orders
from services.errors import Forbidden
from tests.factories import place

H = timedelta(hours=1)
MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _done(session, town, placed, done_at, people, *, village=None, team="a"):
    lead, team_id = (town.lead_a, town.team_a) if team == "a" else (town.lead_b, town.team_b)
    order = place(session, town, now=placed, due_on=date(2026, 4, 30),
                  site_id=village or town.village_a)
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=team_id,
                    now=placed + 2 * H)
    orders.accept(session, actor=lead, order_id=order.id, now=placed + 6 * H)
    completions.complete(session, actor=lead, order_id=order.id, now=done_at,
                         done=completions.Completion(beneficiaries={"general": people},
                                                     hours={town.volunteers_a[0]: 1}))


@pytest.fixture
def march(session, town):
    _done(session, town, utc(2026, 3, 2, 2), utc(2026, 3, 3, 2), 10)
    _done(session, town, utc(2026, 3, 2, 2), utc(2026, 3, 31, 15, 30), 5,   # 23:30 on 31 March
          village=town.village_b, team="b")
    _done(session, town, utc(2026, 3, 2, 2), utc(2026, 3, 31, 16, 30), 99)  # 00:30 on 1 April
    place(session, town, now=utc(2026, 3, 20, 2), category_id=town.other_category)


def test_beneficiaries_per_village_count_completions_of_the_beijing_month(session, town, march):
    frame = leader_charts.beneficiaries_by_village(session, actor=town.leader, **MARCH)
    assert list(map(tuple, frame.itertuples(index=False))) == [("东村", 10), ("西村", 5)]


def test_category_mix_counts_orders_placed(session, town, march):
    frame = leader_charts.category_mix(session, actor=town.leader, **MARCH)
    assert dict(frame.itertuples(index=False)) == {"理论宣讲": 3, "健康促进与体育服务": 1}


def test_team_leaderboard_and_response_times(session, town, march):
    board = leader_charts.team_leaderboard(session, actor=town.leader, **MARCH)
    assert list(map(tuple, board.itertuples(index=False))) == [("健康支队", 1, 5),
                                                              ("宣讲支队", 1, 10)]
    steps = leader_charts.response_times(session, actor=town.leader, **MARCH)
    # 2 h to dispatch, 4 h to accept; done after 18 h (东村) and 703.5 h (西村): mean 360.75
    assert dict(steps.itertuples(index=False)) == {"dispatch": 2.0, "accept": 4.0,
                                                   "complete": 360.8}


@pytest.mark.parametrize("who", ["officer", "lead_a"])
def test_only_leaders_and_managers_read_the_charts(session, town, who):
    with pytest.raises(Forbidden):
        leader_charts.category_mix(session, actor=getattr(town, who), **MARCH)
