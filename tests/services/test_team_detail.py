"""A team's record: open orders, orders done, hours, beneficiaries, rating, on-time rate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import completions, teams
from services.errors import Forbidden
from tests.services.steps import T0, S, good_completion, order_in

NOW = T0 + timedelta(days=30)


def test_a_teams_record_counts_its_own_orders_only(session, town):
    order_in(session, town, S.dispatched, at=T0)
    order_in(session, town, S.accepted, at=T0)
    order_in(session, town, S.rated, at=T0)                      # due in 7 days: on time
    late = order_in(session, town, S.accepted, at=T0, due_on=T0.date())
    # done 3 days after its due day
    completions.complete(session, actor=town.lead_a, order_id=late.id, done=good_completion(town),
                         now=T0 + timedelta(days=3))
    order_in(session, town, S.cancelled, at=T0)
    info = teams.detail(session, actor=town.manager, team_id=town.team_a, now=NOW)
    assert info["open_orders"] == 2          # the dispatched and the accepted one
    assert info["done"] == 2
    assert info["hours"] == 11.0             # 2 + 3.5 per completion
    assert info["beneficiaries"] == 30
    assert (info["ratings"], info["average_rating"]) == (1, 5.0)
    assert info["on_time_rate"] == 0.5
    assert {m["id"] for m in info["members"]} == set(town.volunteers_a)
    other = teams.detail(session, actor=town.manager, team_id=town.team_b, now=NOW)
    assert (other["open_orders"], other["done"], other["on_time_rate"]) == (0, 0, None)


def test_orders_done_before_the_window_do_not_count(session, town):
    order_in(session, town, S.rated, at=T0)
    info = teams.detail(session, actor=town.manager, team_id=town.team_a,
                        now=T0 + timedelta(days=400))
    assert (info["done"], info["hours"], info["ratings"]) == (0, 0.0, 0)


def test_a_manager_of_another_station_cannot_read_the_team(session, town):
    with pytest.raises(Forbidden):
        teams.detail(session, actor=town.outsider, team_id=town.team_a, now=NOW)
    with pytest.raises(Forbidden):
        teams.detail(session, actor=town.lead_a, team_id=town.team_a, now=NOW)
