"""预警 from orders, ratings and surveys with known timestamps: rises of needs and 差评 by
category and village, teams declining three in a row, villages with no service for 30 days."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from models import NeedPriority, OrderEvent, Role, TeamTier, WorkOrder
from services import alerts, completions, orders, periods, ratings, surveys, teams, users
from services.errors import Forbidden
from tests.factories import PASSWORD, place
from tests.services import raw_figures

H = timedelta(hours=1)
MARCH = periods.month(2026, 3)
NOW = datetime(2026, 4, 2, 2, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("now, before, expected", [
    (5, 0, True), (4, 0, False), (6, 4, True), (5, 4, False), (9, 6, True), (8, 6, False),
])
def test_a_rise_is_fifty_percent_with_at_least_five(now, before, expected):
    assert alerts.rose(now, before) is expected


def _needs(session, town, on: date, n: int, village=None):
    surveys.record(session, actor=town.officer, site_id=village or town.village_a,
                   surveyed_on=on, respondent=f"户{on}", people_covered=1,
                   now=utc(2026, 4, 1, 2),
                   needs=[surveys.NeedInput(category_id=town.category, priority=NeedPriority.hear,
                                            text=f"需求{i}") for i in range(n)])


def test_needs_rising_in_a_category_and_a_village(session, town):
    _needs(session, town, date(2026, 2, 10), 4)
    _needs(session, town, date(2026, 3, 10), 6)
    _needs(session, town, date(2026, 3, 11), 5, village=town.village_b)  # none before
    got = [a for a in alerts.alerts(session, actor=town.leader, period=MARCH, now=NOW)
           if a["kind"] == "rise"]
    assert {(a["dimension"], a["name"], a["now"], a["before"]) for a in got} == {
        ("category", "理论宣讲", 11, 4),   # +175 %
        ("site", "东村", 6, 4),            # +50 %: just enough
        ("site", "西村", 5, 0)}            # five from none


def test_bad_ratings_rising_by_beijing_time(session, town):
    """Six 差评: five in March Beijing time (the last at 23:30 on 31 March), one at 00:30 on 1
    April. March: 5 from none in February, a rise; April: 1, none."""
    times = [utc(2026, 3, 5, 2)] * 4 + [utc(2026, 3, 31, 15, 30), utc(2026, 3, 31, 16, 30)]
    for i, at in enumerate(times):
        order = place(session, town, now=utc(2026, 3, 1, 2) + i * H, due_on=date(2026, 3, 20))
        orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                        now=utc(2026, 3, 1, 8))
        orders.accept(session, actor=town.lead_a, order_id=order.id, now=utc(2026, 3, 1, 9))
        completions.complete(session, actor=town.lead_a, order_id=order.id,
                             now=utc(2026, 3, 2, 2),
                             done=completions.Completion(beneficiaries={"general": 1},
                                                         hours={town.volunteers_a[0]: 1}))
        ratings.rate(session, actor=town.officer, order_id=order.id, level=1, now=at)
    bad = {(a["dimension"], a["name"], a["now"], a["before"])
           for a in alerts.alerts(session, actor=town.leader, period=MARCH, now=NOW)
           if a.get("measure") == "bad"}
    assert bad == {("category", "理论宣讲", 5, 0), ("site", "东村", 5, 0)}
    april = periods.month(2026, 4)
    assert not [a for a in alerts.alerts(session, actor=town.leader, period=april, now=NOW)
                if a.get("measure") == "bad"]


def test_a_team_that_declined_its_last_three_orders(session, town):
    for i in range(4):
        order = place(session, town, now=utc(2026, 3, 1, 2), due_on=date(2026, 3, 20))
        orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                        now=utc(2026, 3, 2, 2) + i * H)
        if i == 0:
            orders.accept(session, actor=town.lead_a, order_id=order.id,
                          now=utc(2026, 3, 2, 2) + i * H + H / 2)
        else:
            orders.decline(session, actor=town.lead_a, order_id=order.id, reason="人手不足",
                           now=utc(2026, 3, 2, 2) + i * H + H / 2)
    teams = [a["name"] for a in alerts.alerts(session, actor=town.leader, period=MARCH,
                                              now=NOW) if a["kind"] == "declines"]
    assert teams == ["宣讲支队"]
    order = place(session, town, now=utc(2026, 3, 3, 2), due_on=date(2026, 3, 20))
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                    now=utc(2026, 3, 3, 3))
    orders.accept(session, actor=town.lead_a, order_id=order.id, now=utc(2026, 3, 3, 4))
    assert not [a for a in alerts.alerts(session, actor=town.leader, period=MARCH, now=NOW)
                if a["kind"] == "declines"]


def test_villages_without_a_completed_service_for_thirty_days(session, town):
    order = place(session, town, now=utc(2026, 3, 1, 2), due_on=date(2026, 3, 20))
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_a,
                    now=utc(2026, 3, 1, 3))
    orders.accept(session, actor=town.lead_a, order_id=order.id, now=utc(2026, 3, 1, 4))
    completions.complete(session, actor=town.lead_a, order_id=order.id, now=utc(2026, 3, 20, 2),
                         done=completions.Completion(beneficiaries={"general": 1},
                                                     hours={town.volunteers_a[0]: 1}))
    idle = [a["name"] for a in alerts.alerts(session, actor=town.leader, period=MARCH, now=NOW)
            if a["kind"] == "idle"]
    assert idle == ["西村"]  # 东村 served on 20 March
    may = periods.month(2026, 5)
    idle = [a["name"] for a in alerts.alerts(session, actor=town.leader, period=may,
                                             now=utc(2026, 5, 31, 2)) if a["kind"] == "idle"]
    assert sorted(idle) == ["东村", "西村"]


@pytest.mark.parametrize("who", ["officer", "lead_a"])
def test_officers_and_team_leads_get_no_alerts(session, town, who):
    with pytest.raises(Forbidden):
        alerts.alerts(session, actor=getattr(town, who), period=MARCH)



# --- 退单 three in a row: which answers count, in which order ------------------------------------


def _declining(session, actor) -> list[str]:
    names = [a["name"] for a in alerts.alerts(session, actor=actor, period=MARCH, now=NOW)
             if a["kind"] == "declines"]
    assert [a["name"] for a in raw_figures.declining_teams(session, actor)] == names
    return names


def _actor(session, username):
    return users.to_actor(session, users.by_username(session, username))


def _leader_of(session, site_id, username):
    users.create(session, actor=_actor(session, "boss"), username=username,
                 display_name=username, role=Role.leader, site_id=site_id, password=PASSWORD)
    return _actor(session, username)


def _answer(session, town, accept: bool, at: datetime, *, site=None, placer=None,
            dispatcher=None, team=None, lead=None):
    """One order placed, sent to the team an hour before `at` and accepted or declined at
    `at`."""
    order = place(session, town, actor=placer or town.officer, site_id=site or town.village_a,
                  now=at - 2 * H, due_on=date(2026, 3, 28))
    orders.dispatch(session, actor=dispatcher or town.manager, order_id=order.id,
                    team_id=team or town.team_a, now=at - H)
    if accept:
        orders.accept(session, actor=lead or town.lead_a, order_id=order.id, now=at)
    else:
        orders.decline(session, actor=lead or town.lead_a, order_id=order.id, reason="人手不足",
                       now=at)
    return order


def test_an_accept_event_names_the_team_that_accepted(session, town):
    order = _answer(session, town, True, utc(2026, 3, 2, 2))
    event = session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                  OrderEvent.action == "accept")).one()
    assert event.team_id == town.team_a


@pytest.mark.parametrize("decline_last, alerted", [(True, True), (False, False)])
def test_answers_at_the_same_moment_are_ordered_by_when_they_were_written(session, town,
                                                                          decline_last, alerted):
    """An accept and a 退单 at the same second, then two more 退单: the one written last is the
    newer (at desc, id desc), so the team declined its last three only when the 退单 was."""
    tie = utc(2026, 3, 2, 2)
    for accept in ((True, False) if decline_last else (False, True)):
        _answer(session, town, accept, tie)
    _answer(session, town, False, tie + H)
    _answer(session, town, False, tie + 2 * H)
    assert _declining(session, town.leader) == (["宣讲支队"] if alerted else [])


def test_fewer_than_three_answers_are_no_alert_and_other_teams_do_not_count(session, town):
    _answer(session, town, False, utc(2026, 3, 2, 2))
    _answer(session, town, False, utc(2026, 3, 2, 3))
    _answer(session, town, False, utc(2026, 3, 2, 4), team=town.team_b, lead=town.lead_b)
    assert _declining(session, town.leader) == []
    _answer(session, town, False, utc(2026, 3, 2, 5))
    assert _declining(session, town.leader) == ["宣讲支队"]


def test_only_answers_to_orders_of_the_area_count(session, town):
    """宣讲支队 declines three of 青山镇's orders, then accepts one of 绿水镇's (the county sent
    it): for 青山镇 its last three answers there are 退单; for the county its last answer was
    an accept; for 绿水镇 it answered once."""
    for hour in (2, 3, 4):
        _answer(session, town, False, utc(2026, 3, 2, hour))
    boss = _actor(session, "boss")
    _answer(session, town, True, utc(2026, 3, 2, 5), site=town.other_station,
            placer=town.outsider, dispatcher=boss)
    assert _declining(session, town.leader) == ["宣讲支队"]
    assert _declining(session, boss) == []
    assert _declining(session, _leader_of(session, town.other_station, "green_leader")) == []
    east = _leader_of(session, town.village_a, "east_leader")   # a 站's leader: 东村 only
    assert _declining(session, east) == ["宣讲支队"]
    _answer(session, town, True, utc(2026, 3, 2, 6), site=town.village_b)
    assert _declining(session, east) == ["宣讲支队"]       # 西村's accept is not 东村's
    assert _declining(session, town.leader) == []


@pytest.mark.parametrize("seed", range(6))
def test_the_rule_agrees_with_the_window_over_a_random_history(session, town, seed):
    """Orders of four places sent to three teams (one of 绿水镇) by the 所 or the county,
    answered at random (退单 more often towards the end), often at the same moment, declined
    orders sent again: for every leader's and manager's area the fast rule names the teams the
    old window query names."""
    rng = random.Random(seed)
    boss = _actor(session, "boss")
    green_team = teams.create(session, actor=boss, name="绿水总队", tier=TeamTier.corps,
                              site_id=town.other_station).id
    users.create(session, actor=boss, username="green_lead", display_name="绿水队长",
                 role=Role.team_lead, site_id=town.other_station, team_id=green_team,
                 password=PASSWORD)
    leads = {town.team_a: town.lead_a, town.team_b: town.lead_b,
             green_team: _actor(session, "green_lead")}
    places = [(town.village_a, town.officer), (town.village_b, town.officer),
              (town.station, town.manager), (town.other_station, town.outsider)]
    at = utc(2026, 3, 1, 2)
    waiting = []
    for i in range(60):
        at += rng.choice((timedelta(0), timedelta(0), timedelta(minutes=7), H))
        if waiting and rng.random() < 0.4:
            order = waiting.pop(rng.randrange(len(waiting)))
        else:
            site, placer = rng.choice(places)
            order = place(session, town, actor=placer, site_id=site, now=at,
                          due_on=date(2026, 3, 28))
        green = order.site_id == town.other_station
        team = rng.choice([green_team, town.team_a] if green else list(leads))
        county = green or team == green_team or rng.random() < 0.3
        orders.dispatch(session, actor=boss if county else town.manager, order_id=order.id,
                        team_id=team, now=at)
        if rng.random() < 0.3 + 0.5 * i / 60:  # more 退单 towards the end: some alerts
            orders.decline(session, actor=leads[team], order_id=order.id, reason="忙", now=at)
            waiting.append(session.get(WorkOrder, order.id))
        else:
            orders.accept(session, actor=leads[team], order_id=order.id, now=at)
    actors = [boss, town.leader, town.manager, town.outsider,
              _leader_of(session, town.other_station, "green_leader"),
              _leader_of(session, town.village_a, "east_leader")]
    found = set()
    for actor in actors:
        found.update(_declining(session, actor))  # asserts old == new for this actor
    assert found  # the history is declined often enough that some area has an alert
