"""The 派单 desk through its widgets: recommendations with reasons, one-click and batch dispatch,
cancel with confirmation, the queue filters and the declined reason in the queue."""

from __future__ import annotations

from core import db
from models import OrderStatus, WorkOrder
from services import orders as order_service
from tests.factories import place
from tests.pages.conftest import (
    codes,
    goto,
    open_app,
    run,
    select_code,
    select_row,
    submit,
    table,
    values,
    zh,
)


def _desk(world):
    return goto(open_app(world.town.manager), "dispatch.py")


def _order(world, order_id) -> WorkOrder:
    with db.session(world.url) as s:
        return s.get(WorkOrder, order_id)


def _send_buttons(at) -> list[str]:
    return [b.key for b in at.button if (b.key or "").startswith("send_")]


def test_a_picked_order_shows_ranked_teams_with_their_reasons(world):
    _, code = world.orders.submitted
    at = _desk(world)
    assert not _send_buttons(at)            # nothing to send before an order is picked
    select_code(at, "dispatch_table", code)
    town = world.town
    # The order is 理论宣讲: 宣讲支队 serves it and is best; 健康支队 does not, so it is last.
    ranked = _send_buttons(at)
    assert ranked[0] == f"send_{town.team_a}" and ranked[-1] == f"send_{town.team_b}"
    texts = values(at.text)
    best = next(x for x in texts if "✓" in x)
    assert zh("dispatch.why.serves") in best and zh("dispatch.why.open", n=2) in best
    assert any(zh("dispatch.why.not_serves") in x for x in texts)
    assert at.button(key=f"send_{town.team_a}").label == zh("dispatch.send")


def test_one_click_sends_the_order_to_the_recommended_team(world):
    order_id, code = world.orders.submitted
    at = _desk(world)
    select_code(at, "dispatch_table", code)
    at.button(key=f"send_{world.town.team_a}").click()
    run(at)
    order = _order(world, order_id)
    assert (order.status, order.team_id) == (OrderStatus.dispatched, world.town.team_a)
    assert values(at.success) == [zh("dispatch.sent", code=code, team="宣讲支队")]
    assert zh("orders.none") in values(at.info)  # the queue is empty now


def test_several_picked_orders_go_to_one_team_together(world):
    with db.write_session(world.url) as s:
        second = place(s, world.town, title="第二场宣讲")
    at = _desk(world)
    assert len(table(at, "dispatch_table")) == 2
    select_row(at, "dispatch_table", [0, 1])
    assert zh("dispatch.batch_title", n=2) in values(at.subheader)
    button = at.button(key=f"send_{world.town.team_b}")
    assert button.label == zh("dispatch.send_many", n=2)
    button.click()
    run(at)
    for order_id in (world.orders.submitted[0], second.id):
        assert _order(world, order_id).team_id == world.town.team_b
    assert len(at.success) == 1


def test_a_batch_with_an_order_taken_meanwhile_sends_none(world):
    with db.write_session(world.url) as s:
        second = place(s, world.town, title="第二场宣讲")
    at = _desk(world)
    select_row(at, "dispatch_table", [0, 1])
    with db.write_session(world.url) as s:   # another manager is quicker with the second one
        order_service.dispatch(s, actor=world.town.manager, order_id=second.id,
                               team_id=world.town.team_a)
    at.button(key=f"send_{world.town.team_b}").click()
    run(at)
    assert len(at.error) == 1 and second.code in at.error[0].value
    assert "MGR" in at.error[0].value           # who dispatched it
    assert _order(world, world.orders.submitted[0]).status == OrderStatus.submitted


def test_the_manager_may_cancel_from_the_desk_after_confirming(world):
    order_id, code = world.orders.submitted
    at = _desk(world)
    select_code(at, "dispatch_table", code)
    at.text_input(key=f"cancel_{order_id}_reason").input("重复点单")
    submit(at, zh("orders.cancel"))
    assert values(at.warning) == [zh("common.confirm_first")]
    assert _order(world, order_id).status == OrderStatus.submitted
    at.checkbox(key=f"cancel_{order_id}_sure").check()
    submit(at, zh("orders.cancel"))
    order = _order(world, order_id)
    assert (order.status, order.cancel_reason) == (OrderStatus.cancelled, "重复点单")


def test_a_declined_order_is_back_in_the_queue_with_its_reason(world):
    order_id, code = world.orders.dispatched_a
    with db.write_session(world.url) as s:
        order_service.decline(s, actor=world.town.lead_a, order_id=order_id,
                              reason="队员外出培训")
    at = _desk(world)
    queue = table(at, "dispatch_table")
    assert queue.loc[queue["code"] == code, "last_decline_reason"].item() == "队员外出培训"
    select_code(at, "dispatch_table", code)
    assert values(at.warning) == [zh("orders.declined_before", reason="队员外出培训")]


def test_the_queue_filters_by_village_category_and_source(world):
    town = world.town
    with db.write_session(world.url) as s:
        phoned = place(s, town, title="电话点的单", source="phone", site_id=town.village_b)
        health = place(s, town, title="想要义诊", category_id=town.other_category)
    at = _desk(world)
    every = {world.orders.submitted[1], phoned.code, health.code}
    assert codes(at, "dispatch_table") == every
    at.selectbox(key="desk_source").set_value("phone")
    assert codes(run(at), "dispatch_table") == {phoned.code}
    at.selectbox(key="desk_source").set_value(None)
    at.selectbox(key="desk_cat").set_value(town.other_category)
    assert codes(run(at), "dispatch_table") == {health.code}
    at.selectbox(key="desk_cat").set_value(None)
    at.selectbox(key="desk_site").set_value(town.village_b)
    assert codes(run(at), "dispatch_table") == {phoned.code}


def test_any_team_can_be_chosen_from_the_full_list(world):
    town = world.town
    with db.write_session(world.url) as s:
        from models import TeamTier
        from services import teams
        for i in range(5):   # more teams than the top five shown with buttons
            teams.create(s, actor=town.manager, name=f"东村小队{i}", tier=TeamTier.detachment,
                         site_id=town.village_a, parent_id=1)
    order_id, code = world.orders.submitted
    at = _desk(world)
    select_code(at, "dispatch_table", code)
    assert len(_send_buttons(at)) == 5
    at.selectbox(key="dispatch_team").set_value(town.team_b)
    submit(at, zh("dispatch.send"))
    assert _order(world, order_id).team_id == town.team_b


def test_a_pick_stays_on_its_order_when_the_queue_changes_underneath(world):
    # Two orders in the queue; the manager picks the second row. Meanwhile another manager
    # dispatches the first, so on the next run the picked order is row 0, not row 1.
    with db.write_session(world.url) as s:
        second = place(s, world.town, title="第二场宣讲")
    at = _desk(world)
    first_code = table(at, "dispatch_table")["code"].iloc[0]
    second_row = list(table(at, "dispatch_table")["code"]).index(second.code)
    first_id = world.orders.submitted[0] if first_code != second.code else second.id
    picked_id = second.id if second_row == 1 else world.orders.submitted[0]
    select_row(at, "dispatch_table", 1)
    picked_code = values(at.subheader)[0].split(" · ")[0]
    with db.write_session(world.url) as s:
        order_service.dispatch(s, actor=world.town.manager, order_id=first_id,
                               team_id=world.town.team_b)
    run(at)
    assert values(at.subheader)[0].split(" · ")[0] == picked_code
    at.button(key=f"send_{world.town.team_a}").click()
    run(at)
    assert _order(world, picked_id).team_id == world.town.team_a
    assert _order(world, first_id).team_id == world.town.team_b   # untouched


def test_the_loser_of_a_race_is_told_who_dispatched_it(world):
    order_id, code = world.orders.submitted
    at = _desk(world)
    select_code(at, "dispatch_table", code)
    with db.write_session(world.url) as s:
        order_service.dispatch(s, actor=world.town.manager, order_id=order_id,
                               team_id=world.town.team_b)
    at.button(key=f"send_{world.town.team_a}").click()
    run(at)
    assert len(at.error) == 1 and code in at.error[0].value and "MGR" in at.error[0].value
    assert _order(world, order_id).team_id == world.town.team_b


def test_the_overdue_tab_narrows_to_one_step(world):
    from datetime import timedelta

    with db.write_session(world.url) as s:
        late = order_service.place(s, actor=world.town.officer, site_id=world.town.village_a,
                                   category_id=world.town.category, title="早已超时的工单",
                                   source="phone", now=db.utcnow() - timedelta(days=3))
    at = _desk(world)
    overdue = next(f.value for f in at.dataframe if "holder" in f.value.columns)
    assert late.code in set(overdue["code"])
    at.segmented_control(key="overdue_kind").set_value("accept")
    run(at)
    assert zh("overdue.none") in values(at.info)
    at.segmented_control(key="overdue_kind").set_value("dispatch")
    run(at)
    overdue = next(f.value for f in at.dataframe if "holder" in f.value.columns)
    assert set(overdue["code"]) == {late.code}
