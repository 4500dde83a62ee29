"""The order state machine: the rule table, and real orders driven through every transition."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from models import (
    ALLOWED_TRANSITIONS,
    ENTRY_ACTIONS,
    OrderAction,
    OrderEvent,
    OrderStatus,
    WorkOrder,
    next_status,
)
from services import completions, order_queries, orders, ratings, review
from services.errors import Forbidden, OrderNotInState
from tests.conftest import last_event
from tests.services.steps import T0, count, good_completion, order_in, review_on

S = OrderStatus
ACTIONS = ("dispatch", "accept", "decline", "complete", "rate", "cancel", "submit", "approve",
           "send_back")

# Written out by hand from the lifecycle drawing in PRODUCT.md (and 中心审核's: submit,
# approve, send_back); None means "refused".
NONE = dict.fromkeys(ACTIONS)
EXPECTED: dict[OrderStatus, dict[str, OrderStatus | None]] = {
    S.submitted: {**NONE, "dispatch": S.dispatched, "cancel": S.cancelled},
    S.dispatched: {**NONE, "accept": S.accepted, "decline": S.submitted,
                   "cancel": S.cancelled},
    S.accepted: {**NONE, "complete": S.completed, "cancel": S.cancelled,
                 "submit": S.in_review},
    S.in_review: {**NONE, "approve": S.completed, "send_back": S.accepted},
    S.completed: {**NONE, "rate": S.rated},
    S.rated: dict(NONE),
    S.cancelled: dict(NONE),
}

PAIRS = [(status, action, EXPECTED[status][action]) for status in S for action in ACTIONS]
ALLOWED = [(s, a, t) for s, a, t in PAIRS if t is not None]
REFUSED = [(s, a) for s, a, t in PAIRS if t is None]


def test_the_expected_table_covers_every_status_and_action():
    assert set(EXPECTED) == set(S)
    assert all(set(row) == set(ACTIONS) for row in EXPECTED.values())
    assert len(ALLOWED) == 11
    assert set(ALLOWED_TRANSITIONS) == set(ACTIONS)


@pytest.mark.parametrize("status,action,target", PAIRS,
                         ids=[f"{s.value}-{a}" for s, a, _ in PAIRS])
def test_next_status_follows_the_lifecycle_table(status, action, target):
    assert next_status(status, action) == target


def test_an_order_is_made_submitted_by_place_or_done_by_a_walk_in_and_nothing_else():
    """The entry actions have no state before them: no transition leads through them."""
    assert ENTRY_ACTIONS == {OrderAction.place: S.submitted, OrderAction.walk_in: S.completed}
    assert not set(ENTRY_ACTIONS) & set(ALLOWED_TRANSITIONS)
    for status in S:
        for action in ENTRY_ACTIONS:
            assert next_status(status, action) is None


# --- real orders through each allowed transition ----------------------------------------------

NOW = T0 + timedelta(days=1)
PLANNED = date(2026, 3, 5)


def _act(session, town, order_id, action):
    """Perform `action` as the role that may, at NOW; returns (actor, expected note)."""
    if action == "dispatch":
        orders.dispatch(session, actor=town.manager, order_id=order_id, team_id=town.team_b,
                        now=NOW)
        return town.manager, ""
    if action == "accept":
        orders.accept(session, actor=town.lead_a, order_id=order_id, planned_on=PLANNED, now=NOW)
        return town.lead_a, "2026-03-05"
    if action == "decline":
        orders.decline(session, actor=town.lead_a, order_id=order_id, reason=" 人手不足 ", now=NOW)
        return town.lead_a, "人手不足"
    if action == "complete":
        completions.complete(session, actor=town.lead_a, order_id=order_id,
                             done=good_completion(town), now=NOW)
        return town.lead_a, "顺利完成"
    if action == "rate":
        ratings.rate(session, actor=town.officer, order_id=order_id, level=4, now=NOW)
        return town.officer, "4"
    if action == "cancel":
        orders.cancel(session, actor=town.manager, order_id=order_id, reason="重复工单", now=NOW)
        return town.manager, "重复工单"
    if action == "submit":  # 完成 with 中心审核 on
        review_on(session, town)
        completions.complete(session, actor=town.lead_a, order_id=order_id,
                             done=good_completion(town), now=NOW)
        return town.lead_a, "顺利完成"
    if action == "approve":
        review.approve(session, actor=town.manager, order_id=order_id, now=NOW)
        return town.manager, ""
    if action == "send_back":
        review.send_back(session, actor=town.manager, order_id=order_id, reason=" 人数不符 ",
                         now=NOW)
        return town.manager, "人数不符"
    raise AssertionError(action)


# The column each transition stamps with the time it happened.
STAMP = {"dispatch": "dispatched_at", "accept": "accepted_at", "complete": "completed_at",
         "rate": "rated_at", "cancel": "cancelled_at", "approve": "reviewed_at",
         "send_back": "reviewed_at"}


@pytest.mark.parametrize("status,action,target", ALLOWED,
                         ids=[f"{s.value}-{a}" for s, a, _ in ALLOWED])
def test_each_allowed_transition_changes_status_stamps_time_and_writes_one_event(
        session, town, status, action, target):
    order = order_in(session, town, status)
    version, events_before = order.version, count(session, OrderEvent)

    actor, note = _act(session, town, order.id, action)

    session.expire_all()
    row = session.get(WorkOrder, order.id)
    assert row.status == target
    assert row.version == version + 1
    if action in STAMP:
        assert getattr(row, STAMP[action]) == NOW
    assert count(session, OrderEvent) == events_before + 1
    event = last_event(session)
    assert (event.order_id, event.action, event.from_status, event.to_status) == (
        order.id, action, status, target)
    assert event.actor_id == actor.id
    assert event.note == note
    assert event.at == NOW


def test_dispatch_records_the_team_on_the_order_and_the_event(session, town):
    order = order_in(session, town, S.submitted)
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_b, now=NOW)
    assert session.get(WorkOrder, order.id).team_id == town.team_b
    assert last_event(session).team_id == town.team_b


def test_decline_returns_the_order_to_the_queue_with_its_reason(session, town):
    order = order_in(session, town, S.dispatched)
    done = orders.decline(session, actor=town.lead_a, order_id=order.id, reason="人手不足", now=NOW)
    assert done.status == S.submitted
    assert done.team_id is None and done.dispatched_at is None
    assert done.decline_count == 1
    assert done.last_decline_reason == "人手不足"
    assert last_event(session).team_id == town.team_a  # the history keeps who declined


def test_cancel_keeps_its_reason(session, town):
    order = order_in(session, town, S.accepted)
    done = orders.cancel(session, actor=town.manager, order_id=order.id, reason="重复工单", now=NOW)
    assert (done.status, done.cancel_reason, done.cancelled_at) == (S.cancelled, "重复工单", NOW)


def test_placing_an_order_writes_the_first_event_and_a_readable_code(session, town):
    order = order_in(session, town, S.submitted)
    event = last_event(session)
    assert (event.action, event.from_status, event.to_status) == ("place", None, S.submitted)
    assert event.actor_id == town.officer.id
    assert order.code == f"DD-2026-{order.id:06d}"
    assert order.submitted_at == T0
    assert order.due_on == date(2026, 3, 9)  # 7 days after the local day of submission


def test_the_history_keeps_every_step_of_a_declined_then_finished_order(session, town):
    order = order_in(session, town, S.dispatched)
    orders.decline(session, actor=town.lead_a, order_id=order.id, reason="人手不足", now=NOW)
    orders.dispatch(session, actor=town.manager, order_id=order.id, team_id=town.team_b,
                    now=NOW + timedelta(hours=1))
    orders.accept(session, actor=town.lead_b, order_id=order.id, now=NOW + timedelta(hours=2))
    completions.complete(session, actor=town.lead_b, order_id=order.id,
                         done=good_completion(town), now=NOW + timedelta(hours=3))
    ratings.rate(session, actor=town.manager, order_id=order.id, level=5,
                 now=NOW + timedelta(hours=4))

    steps = [(h["action"], h["from_status"], h["to_status"], h["actor"], h["team"])
             for h in order_queries.history(session, order_id=order.id)]
    assert steps == [
        ("place", "", "submitted", "OFF", ""),
        ("dispatch", "submitted", "dispatched", "MGR", "宣讲支队"),
        ("decline", "dispatched", "submitted", "LEAD_A", "宣讲支队"),
        ("dispatch", "submitted", "dispatched", "MGR", "健康支队"),
        ("accept", "dispatched", "accepted", "LEAD_B", "健康支队"),  # the team that took it
        ("complete", "accepted", "completed", "LEAD_B", ""),
        ("rate", "completed", "rated", "MGR", ""),
    ]


# --- real orders refuse every other pair ------------------------------------------------------

# Who did the last step of order_in(status): a refusal names them.
LAST_ACTOR = {S.submitted: "OFF", S.dispatched: "MGR", S.accepted: "LEAD_A",
              S.in_review: "LEAD_A", S.completed: "LEAD_A", S.rated: "OFF", S.cancelled: "MGR"}
LEAD_ACTIONS = ("accept", "decline", "complete", "submit")


@pytest.mark.parametrize("status,action", REFUSED, ids=[f"{s.value}-{a}" for s, a in REFUSED])
def test_every_other_transition_is_refused_and_writes_nothing(session, town, status, action):
    order = order_in(session, town, status)
    version, events_before = order.version, count(session, OrderEvent)

    if status == S.submitted and action in LEAD_ACTIONS:
        # A submitted order belongs to no team yet, so no lead may touch it at all.
        with pytest.raises(Forbidden):
            _act(session, town, order.id, action)
    else:
        with pytest.raises(OrderNotInState) as err:
            _act(session, town, order.id, action)
        # 完成 while 中心审核 is on (order_in left it on for in_review) is a submission
        tried = "submit" if action == "complete" and status == S.in_review else action
        assert err.value.params == {"code": order.code, "status": status.value,
                                    "by": LAST_ACTOR[status], "action": tried}

    session.rollback()
    session.expire_all()
    row = session.get(WorkOrder, order.id)
    assert row.status == status
    assert row.version == version
    assert count(session, OrderEvent) == events_before


def test_rating_twice_is_refused_and_keeps_one_rating(session, town):
    from models import Rating

    order = order_in(session, town, S.rated)
    with pytest.raises(OrderNotInState):
        ratings.rate(session, actor=town.manager, order_id=order.id, level=1, now=NOW)
    session.rollback()
    levels = session.exec(select(Rating.level).where(Rating.order_id == order.id)).all()
    assert levels == [5]
