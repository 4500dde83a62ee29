"""Two managers dispatching the same order at the same moment: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from core import db
from models import OrderEvent, OrderStatus, Role, WorkOrder
from services import orders, users
from services.errors import OrderNotInState
from tests.factories import build_town, place
from tests.services.steps import run_together

ROUNDS = 6


def _dispatch_in_own_session(db_url, barrier, actor, order_id, team_id, results, errors):
    try:
        with db.write_session(db_url) as s:
            barrier.wait(timeout=10)
            orders.dispatch(s, actor=actor, order_id=order_id, team_id=team_id)
        results.append(actor.display_name)
    except OrderNotInState as err:
        errors.append(err)
    except Exception as err:  # anything else fails the test below, with its cause
        errors.append(err)


def test_two_managers_dispatching_one_order_at_once_have_exactly_one_winner(db_url):
    with db.write_session(db_url) as s:
        town = build_town(s)
        second, _ = users.create(s, actor=town.manager, username="mgr2", display_name="副站长",
                                 role=Role.manager, site_id=town.station,
                                 password="correct horse")
        managers = (town.manager, users.to_actor(s, second))
        order_ids = [place(s, town).id for _ in range(ROUNDS)]
    # The setup session is closed: nobody holds the write lock when the race starts.

    winners_seen = set()
    for order_id in order_ids:
        barrier = threading.Barrier(2)
        results: list[str] = []
        errors: list[Exception] = []
        threads = [threading.Thread(target=_dispatch_in_own_session,
                                    args=(db_url, barrier, m, order_id, team, results, errors))
                   for m, team in zip(managers, (town.team_a, town.team_b), strict=False)]
        run_together(threads, timeout=20)

        assert len(results) == 1, errors
        assert len(errors) == 1 and isinstance(errors[0], OrderNotInState), errors
        winner = results[0]
        winners_seen.add(winner)
        loser = errors[0]
        assert loser.key == "error.order_state_changed"
        assert loser.params["by"] == winner
        assert loser.params["status"] == "dispatched"
        assert loser.params["action"] == "dispatch"

        with db.session(db_url) as s:
            row = s.get(WorkOrder, order_id)
            winning_team = town.team_a if winner == managers[0].display_name else town.team_b
            assert (row.status, row.team_id, row.version) == (OrderStatus.dispatched,
                                                              winning_team, 1)
            events = s.exec(select(OrderEvent).where(OrderEvent.order_id == order_id,
                                                     OrderEvent.action == "dispatch")).all()
            assert len(events) == 1
            assert events[0].team_id == winning_team
    assert winners_seen <= {m.display_name for m in managers}


def test_a_stale_dispatch_from_an_old_read_is_refused_by_the_compare_and_set(db_url):
    """The loser had loaded the order before the winner committed: the version check stops it."""
    with db.write_session(db_url) as s:
        town = build_town(s)
        order_id = place(s, town).id

    with db.session(db_url) as stale:
        old = stale.get(WorkOrder, order_id)
        stale.rollback()  # release the read snapshot; `old` keeps version 0
    with db.write_session(db_url) as s:
        orders.dispatch(s, actor=town.manager, order_id=order_id, team_id=town.team_a)

    with db.write_session(db_url) as s:
        s.add(old)  # the stale copy, status submitted and version 0, as a page may hold it
        with pytest.raises(OrderNotInState) as err:
            orders.transition(s, old, actor=town.manager, action="dispatch",
                               now=db.utcnow(), values={"team_id": town.team_b})
        assert err.value.params["status"] == "dispatched"
        assert err.value.params["by"] == "MGR"
    with db.session(db_url) as s:
        assert s.get(WorkOrder, order_id).team_id == town.team_a
        assert len(s.exec(select(OrderEvent).where(OrderEvent.action == "dispatch")).all()) == 1
