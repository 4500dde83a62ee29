"""The rules named once beside the models: the groups of states follow the state machine, the
states that can be overdue are those the time limits look at, and each rating cut-off gives the
same answer for a number in Python as for a column in SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import literal
from sqlmodel import select

from core.db import count_where
from models import (
    ALLOWED_TRANSITIONS,
    BAD_RATING_MAX,
    CAN_BE_OVERDUE,
    CANCELLABLE,
    DONE,
    GOOD_RATING_MIN,
    IN_REVIEW,
    OPEN,
    RATABLE,
    SATISFIED_MIN,
    STATUS_ORDER,
    UNFINISHED,
    WITH_TEAM,
    OrderAction,
    OrderStatus,
    Rating,
    WorkOrder,
    bad_rating,
    good_rating,
    satisfied,
)
from services import ratings, settings, sla
from tests.services.steps import T0, order_in

S = OrderStatus


def test_every_status_is_open_in_review_done_or_cancelled_exactly_once():
    groups = [*OPEN, *IN_REVIEW, *DONE, S.cancelled]
    assert sorted(groups) == sorted(OrderStatus) and len(groups) == len(set(groups))
    assert list(STATUS_ORDER) == list(OrderStatus)


def test_the_groups_are_read_off_the_state_machine():
    targets = {action: target for action, (_sources, target) in ALLOWED_TRANSITIONS.items()}
    assert CANCELLABLE == ALLOWED_TRANSITIONS[OrderAction.cancel][0]
    assert set(CANCELLABLE) == set(OPEN)  # anything not yet done may be cancelled
    assert set(WITH_TEAM) == {targets[OrderAction.dispatch], targets[OrderAction.accept]}
    assert set(DONE) == {targets[OrderAction.complete], targets[OrderAction.rate]}
    assert set(CAN_BE_OVERDUE) == set(OPEN) | {S.completed}
    assert RATABLE == ALLOWED_TRANSITIONS[OrderAction.rate][0] == (S.completed,)
    # 中心审核: a submission waits in IN_REVIEW; its decisions lead to done or back to the team
    assert IN_REVIEW == (targets[OrderAction.submit],) == (S.in_review,)
    assert targets[OrderAction.approve] == targets[OrderAction.complete]
    assert targets[OrderAction.send_back] == ALLOWED_TRANSITIONS[OrderAction.submit][0][0]
    assert set(UNFINISHED) == set(OPEN) | set(IN_REVIEW)


@pytest.mark.parametrize("status", list(OrderStatus), ids=lambda s: s.value)
def test_an_order_left_for_a_month_is_overdue_exactly_when_its_state_can_be(session, town,
                                                                          status):
    order = order_in(session, town, status, at=T0, due_on=T0.date())
    values = settings.current(session)
    later = T0 + timedelta(days=30)
    kind = session.exec(select(sla.overdue_kind(later, values))
                        .where(WorkOrder.id == order.id)).one()
    assert (kind is not None) == (status in CAN_BE_OVERDUE)


def test_the_cut_offs_are_the_national_scale():
    assert (BAD_RATING_MAX, SATISFIED_MIN, GOOD_RATING_MIN) == (2, 3, 4)
    assert [lvl for lvl in range(1, 6) if bad_rating(lvl)] == [1, 2]
    assert [lvl for lvl in range(1, 6) if satisfied(lvl)] == [3, 4, 5]
    assert [lvl for lvl in range(1, 6) if good_rating(lvl)] == [4, 5]


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_each_cut_off_answers_the_same_in_sql_as_in_python(session, level):
    row = session.exec(select(count_where(bad_rating(literal(level))),
                              count_where(satisfied(literal(level))),
                              count_where(good_rating(literal(level))))).one()
    assert tuple(row) == (int(bad_rating(level)), int(satisfied(level)),
                          int(good_rating(level)))


def test_the_column_helpers_count_real_ratings(session, town):
    for level in (1, 2, 3, 4, 5, 5):
        order = order_in(session, town, S.completed)
        ratings.rate(session, actor=town.officer, order_id=order.id, level=level, now=T0)
    counts = session.exec(select(count_where(bad_rating()), count_where(satisfied()),
                                 count_where(good_rating())).select_from(Rating)).one()
    assert tuple(counts) == (2, 4, 3)
