"""A hypothesis state machine over the order lifecycle: random actors (right and wrong roles,
the other team's lead) try random actions on random orders. Only the transitions of
ALLOWED_TRANSITIONS ever happen, a refusal changes nothing, terminal states stay terminal, an
order has at most one rating, and points stay hours x rate. SOAK_EXAMPLES sets how many runs."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from core import db
from models import ALLOWED_TRANSITIONS, OrderAction, OrderStatus, WorkOrder
from services import completions, orders, ratings, review
from services.errors import DomainError
from tests.factories import place
from tests.soak.invariants import problems

pytestmark = pytest.mark.soak
TERMINAL = (OrderStatus.rated, OrderStatus.cancelled)
ACTORS = ("manager", "officer", "lead_a", "lead_b", "leader", "outsider")


def _call(town, who, action, order_id, team, hours, level):
    actor = getattr(town, who)
    if action == OrderAction.dispatch:
        return lambda s: orders.dispatch(s, actor=actor, order_id=order_id,
                                         team_id=town.team_a if team else town.team_b)
    if action == OrderAction.accept:
        return lambda s: orders.accept(s, actor=actor, order_id=order_id)
    if action == OrderAction.decline:
        return lambda s: orders.decline(s, actor=actor, order_id=order_id, reason="人手不够")
    if action == OrderAction.cancel:
        return lambda s: orders.cancel(s, actor=actor, order_id=order_id, reason="居民取消")
    if action == OrderAction.complete:
        done = completions.Completion(beneficiaries={"general": 2},
                                      hours={town.volunteers_a[0]: hours})
        return lambda s: completions.complete(s, actor=actor, order_id=order_id, done=done)
    if action == OrderAction.approve:
        return lambda s: review.approve(s, actor=actor, order_id=order_id)
    if action == OrderAction.send_back:
        return lambda s: review.send_back(s, actor=actor, order_id=order_id, reason="人数不符")
    return lambda s: ratings.rate(s, actor=actor, order_id=order_id, level=level)


# 中心审核 is off here (its default): 完成 is `complete`, never `submit`, so no order waits for
# review and every approve / send_back must be refused.
ACTIONS = [a for a in OrderAction if a in ALLOWED_TRANSITIONS and a != OrderAction.submit]


class Lifecycle(RuleBasedStateMachine):
    url: str = ""
    town = None

    placed = Bundle("orders")

    def __init__(self):
        super().__init__()
        self.expected: dict[int, OrderStatus] = {}

    @rule(target=placed)
    def place_an_order(self):
        with db.write_session(self.url) as s:
            order = place(s, self.town, title="状态机工单")
        self.expected[order.id] = OrderStatus.submitted
        return order.id

    @rule(order_id=placed, who=st.sampled_from(ACTORS),
          action=st.sampled_from(ACTIONS),
          team=st.booleans(), hours=st.sampled_from([0.5, 1.25, 3, 24]),
          level=st.integers(1, 5))
    def try_an_action(self, order_id, who, action, team, hours, level):
        before = self.expected[order_id]
        try:
            with db.write_session(self.url) as s:
                after = _call(self.town, who, action, order_id, team, hours, level)(s).status
        except DomainError:
            with db.session(self.url) as s:
                assert s.get(WorkOrder, order_id).status == before, "a refusal changed it"
            return
        sources, target = ALLOWED_TRANSITIONS[action]
        assert before in sources and after == target, f"{action}: {before} → {after}"
        assert before not in TERMINAL
        self.expected[order_id] = after

    @invariant()
    def the_database_says_what_the_model_says(self):
        if not self.expected:
            return
        with db.session(self.url) as s:
            rows = dict(s.exec(db_select_status(list(self.expected))).all())
        assert rows == self.expected

    def teardown(self):
        if self.expected:
            assert problems(self.url) == []


def db_select_status(ids):
    from sqlmodel import select

    return select(WorkOrder.id, WorkOrder.status).where(WorkOrder.id.in_(ids))


def test_the_order_lifecycle_holds_under_random_actions(soak_db):
    Lifecycle.url, Lifecycle.town = soak_db
    examples = int(os.environ.get("SOAK_EXAMPLES", "200"))
    run_state_machine_as_test(Lifecycle, settings=settings(
        max_examples=examples, stateful_step_count=25, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
