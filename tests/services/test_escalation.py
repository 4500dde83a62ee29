"""催办 → 督办 with an injected clock at each boundary: when an order is late (催办) and when it
is escalated (督办), who may urge, what an urge writes and shows, and the count of orders still
late after an urge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import OrderEvent
from services import escalation, order_queries, orders
from services.errors import Forbidden, Invalid
from services.order_queries import OrderFilter
from tests.services.steps import T0, S, count, order_in

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
LIMIT = T0 + DAY  # dispatch_days = 1: a submitted order placed at T0 is late from then


def _late(session, actor, now, **flt):
    rows, _ = order_queries.page(session, actor=actor, now=now, sort="urgent",
                                 flt=OrderFilter(overdue_only=True, **flt))
    return {r["code"]: (r["stage"], r["urges"]) for r in rows}


def test_an_order_is_urged_from_its_limit_and_escalated_escalate_hours_later(session, town):
    order = order_in(session, town, S.submitted)
    assert _late(session, town.manager, LIMIT - MINUTE) == {}
    assert _late(session, town.manager, LIMIT + MINUTE) == {order.code: ("urge", 0)}
    assert _late(session, town.manager, LIMIT + 48 * HOUR - MINUTE) == {order.code: ("urge", 0)}
    assert _late(session, town.manager, LIMIT + 48 * HOUR - MINUTE, escalated_only=True) == {}
    assert _late(session, town.manager, LIMIT + 48 * HOUR + MINUTE) == {
        order.code: ("escalate", 0)}
    assert _late(session, town.manager, LIMIT + 48 * HOUR + MINUTE, escalated_only=True) == {
        order.code: ("escalate", 0)}
    detail = order_queries.detail(session, actor=town.manager, order_id=order.id,
                                  now=LIMIT + 48 * HOUR + MINUTE)
    assert (detail["overdue"], detail["stage"]) == ("dispatch", "escalate")


def test_the_escalate_hours_setting_moves_the_boundary(session, town):
    from services import settings as settings_service

    order = order_in(session, town, S.submitted)
    settings_service.update(session, actor=town.manager, values={"escalate_hours": 4})
    assert _late(session, town.manager, LIMIT + 4 * HOUR - MINUTE) == {order.code: ("urge", 0)}
    assert _late(session, town.manager, LIMIT + 4 * HOUR + MINUTE) == {
        order.code: ("escalate", 0)}


def test_a_manager_urges_a_late_order_and_its_holder_sees_it(session, town):
    order = order_in(session, town, S.dispatched)  # dispatched T0+1h; accept_days = 2
    late = T0 + HOUR + 2 * DAY + MINUTE
    with pytest.raises(Invalid) as err:
        escalation.urge(session, actor=town.manager, order_id=order.id, note="请尽快接单",
                        now=late - 2 * MINUTE)
    assert err.value.key == "error.urge_not_late"
    escalation.urge(session, actor=town.manager, order_id=order.id, note="请尽快接单", now=late)
    assert _late(session, town.manager, late) == {order.code: ("urge", 1)}
    seen = order_queries.detail(session, actor=town.lead_a, order_id=order.id, now=late)
    assert [u["note"] for u in seen["urges"]] == ["请尽快接单"]
    assert seen["history"][-1]["action"] == "urge" and seen["history"][-1]["detail"] == {
        "limit": "accept"}
    assert seen["order"]["status"] == "dispatched"  # an urge changes no status


@pytest.mark.parametrize("who", ["leader", "officer", "lead_a", "outsider"])
def test_only_a_manager_of_the_orders_sites_may_urge_and_a_refusal_writes_nothing(session, town,
                                                                                   who):
    order = order_in(session, town, S.submitted)
    events = count(session, OrderEvent)
    with pytest.raises(Forbidden):
        escalation.urge(session, actor=getattr(town, who), order_id=order.id, note="快",
                        now=LIMIT + HOUR)
    with pytest.raises(Invalid):
        escalation.urge(session, actor=town.manager, order_id=order.id, note="  ",
                        now=LIMIT + HOUR)
    assert count(session, OrderEvent) == events


def test_urged_and_still_late_counts_the_late_orders_urged_at_least_once(session, town):
    urged = order_in(session, town, S.submitted)
    order_in(session, town, S.submitted)  # late too, never urged
    late = LIMIT + HOUR
    escalation.urge(session, actor=town.manager, order_id=urged.id, note="请派单", now=late)
    escalation.urge(session, actor=town.manager, order_id=urged.id, note="再催", now=late + HOUR)
    assert escalation.urged_still_late(session, actor=town.manager, now=late + HOUR) == 1
    assert escalation.urged_still_late(session, actor=town.leader, now=late + HOUR) == 1
    assert escalation.urged_still_late(session, actor=town.outsider, now=late + HOUR) == 0
    orders.dispatch(session, actor=town.manager, order_id=urged.id, team_id=town.team_a,
                    now=late + 2 * HOUR)  # handled: a fresh limit for accepting
    assert escalation.urged_still_late(session, actor=town.manager, now=late + 3 * HOUR) == 0
    assert len(session.exec(select(OrderEvent).where(OrderEvent.action == "urge")).all()) == 2
