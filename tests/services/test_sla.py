"""Time limits (超时) with an injected clock: exactly at a limit is in time, one second past is
late, and due dates end at local midnight (Asia/Shanghai: 16:00 UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from models import WorkOrder
from services import order_queries, settings, sla
from tests.services.steps import T0, S, order_in

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def kind(session, order_id, now):
    values = settings.current(session)
    return session.exec(select(sla.overdue_kind(now, values))
                        .where(WorkOrder.id == order_id)).one()


def test_a_submitted_order_is_late_one_second_after_dispatch_days(session, town):
    order = order_in(session, town, S.submitted)  # submitted at T0
    assert kind(session, order.id, T0 + DAY) is None
    assert kind(session, order.id, T0 + DAY + SECOND) == "dispatch"


def test_a_dispatched_order_is_late_one_second_after_accept_days(session, town):
    order = order_in(session, town, S.dispatched)  # dispatched at T0 + 1 h
    dispatched = T0 + HOUR
    assert order.dispatched_at == dispatched
    assert kind(session, order.id, dispatched + 2 * DAY) is None
    assert kind(session, order.id, dispatched + 2 * DAY + SECOND) == "accept"


def test_a_completed_order_is_late_one_second_after_rate_days_unless_rated(session, town):
    done = order_in(session, town, S.completed)  # completed at T0 + 3 h
    completed = T0 + 3 * HOUR
    assert kind(session, done.id, completed + 7 * DAY) is None
    assert kind(session, done.id, completed + 7 * DAY + SECOND) == "rate"
    rated = order_in(session, town, S.rated)
    assert kind(session, rated.id, completed + 30 * DAY) is None


def test_an_open_order_is_due_from_local_midnight_after_its_due_date(session, town):
    order = order_in(session, town, S.accepted, due_on=date(2026, 3, 4))
    last_local_second = datetime(2026, 3, 4, 15, 59, 59, tzinfo=UTC)  # 3/4 23:59:59 Shanghai
    local_midnight = datetime(2026, 3, 4, 16, 0, 0, tzinfo=UTC)      # 3/5 00:00:00 Shanghai
    assert kind(session, order.id, last_local_second) is None
    assert kind(session, order.id, local_midnight) == "due"


def test_the_due_day_boundary_moves_with_the_timezone_setting(session, town):
    order = order_in(session, town, S.accepted, due_on=date(2026, 3, 4))
    settings.update(session, actor=town.manager, values={"timezone": "UTC"})
    assert kind(session, order.id, datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC)) is None
    assert kind(session, order.id, datetime(2026, 3, 5, 0, 0, tzinfo=UTC)) == "due"


def test_the_limits_follow_the_settings(session, town):
    settings.update(session, actor=town.manager, values={"dispatch_days": 3})
    order = order_in(session, town, S.submitted)
    assert kind(session, order.id, T0 + 3 * DAY) is None
    assert kind(session, order.id, T0 + 3 * DAY + SECOND) == "dispatch"


def test_a_waiting_order_past_its_due_date_reports_the_step_it_is_stuck_at(session, town):
    order = order_in(session, town, S.submitted, due_on=date(2026, 3, 3))
    assert kind(session, order.id, T0 + 10 * DAY) == "dispatch"


@pytest.mark.parametrize("status", [S.rated, S.cancelled])
def test_finished_orders_are_never_overdue(session, town, status):
    order = order_in(session, town, status, due_on=date(2026, 3, 3))
    assert kind(session, order.id, T0 + 365 * DAY) is None


def test_the_order_list_marks_and_filters_overdue_orders(session, town):
    late = order_in(session, town, S.submitted)
    fresh = order_in(session, town, S.submitted, at=T0 + DAY)
    now = T0 + DAY + HOUR
    rows, total = order_queries.page(session, actor=town.manager, now=now)
    assert total == 2
    assert {r["id"]: r["overdue"] for r in rows} == {late.id: "dispatch", fresh.id: ""}
    rows, total = order_queries.page(session, actor=town.manager, now=now,
                              flt=order_queries.OrderFilter(overdue_only=True))
    assert (total, [r["id"] for r in rows]) == (1, [late.id])
    shown = order_queries.detail(session, actor=town.manager, order_id=late.id, now=now)
    assert shown["overdue"] == "dispatch"


def test_each_overdue_row_says_by_how_much_it_is_late(session, town):
    waiting = order_in(session, town, S.submitted, at=T0)                      # limit: 1 day
    sent = order_in(session, town, S.dispatched, at=T0)                        # dispatched T0+1h
    now = T0 + timedelta(days=2, hours=5)
    rows, _ = order_queries.page(session, actor=town.manager, now=now,
                                 flt=order_queries.OrderFilter(overdue_only=True))
    late = {r["id"]: (r["overdue"], r["late_hours"]) for r in rows}
    assert late[waiting.id] == ("dispatch", 29.0)   # 2 d 5 h after placing, 1 d allowed
    assert late[sent.id] == ("accept", 4.0)         # 2 d 4 h after dispatch, 2 d allowed
    fresh, _ = order_queries.page(session, actor=town.manager, now=T0 + timedelta(hours=2))
    assert all(r["late_hours"] is None for r in fresh)
