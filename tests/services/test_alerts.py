"""预警 from orders, ratings and surveys with known timestamps: rises of needs and 差评 by
category and village, teams declining three in a row, villages with no service for 30 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models import NeedPriority
from services import alerts, completions, orders, periods, ratings, surveys
from services.errors import Forbidden
from tests.factories import place

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


# --- the oracle: the rule as it was written before migration 0021 -----------------------------


def old_declining_teams(session, actor) -> list[dict]:
    """The declining-teams rule as first written (every answer in the area ranked by a window,
    an accept's team taken from its order): slow at a county, obviously right, kept here only to
    check the fast one against."""
    from sqlalchemy import func

    from core.db import count_where
    from models import OrderAction, OrderEvent, Team, WorkOrder
    from services import scope
    from sqlmodel import select

    team = func.coalesce(OrderEvent.team_id, WorkOrder.team_id)
    answers = (select(team.label("team_id"), OrderEvent.action.label("action"),
                      func.row_number().over(partition_by=team,
                                             order_by=(OrderEvent.at.desc(),
                                                       OrderEvent.id.desc())).label("rn"))
               .select_from(OrderEvent).join(WorkOrder, WorkOrder.id == OrderEvent.order_id)
               .where(*scope.orders_of(session, actor),
                      OrderEvent.action.in_((OrderAction.accept.value,
                                             OrderAction.decline.value))).subquery())
    declined = count_where(answers.c.action == OrderAction.decline.value)
    rows = session.exec(
        select(Team.name, func.count(), declined).select_from(answers)
        .join(Team, Team.id == answers.c.team_id)
        .where(answers.c.rn <= alerts.DECLINES_IN_A_ROW).group_by(Team.id, Team.name)
        .order_by(Team.id)).all()
    return [{"kind": "declines", "name": name, "now": alerts.DECLINES_IN_A_ROW}
            for name, n, n_declined in rows if n == alerts.DECLINES_IN_A_ROW
            and n_declined == alerts.DECLINES_IN_A_ROW]
