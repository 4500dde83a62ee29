"""我的工单 beyond accept/decline: volunteers from outside the roster on a completion, and the
lead's correction of a completion within 24 hours, through the page's widgets."""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import select

from core import db
from models import Gender, OrderEvent, OrderStatus, ServiceRecord, WorkOrder
from services import completions, volunteers
from tests.pages.conftest import goto, open_app, run, select_code, submit, values, zh


def _tab(world, who, status, code):
    at = goto(open_app(getattr(world.town, who)), "my_orders.py")
    at.segmented_control(key="my_orders_tab").set_value(status)
    run(at)
    return select_code(at, f"my_orders_table_{status}", code)


def _records(world, order_id):
    with db.session(world.url) as s:
        return {r.volunteer_id: r.hours for r in
                s.exec(select(ServiceRecord).where(ServiceRecord.order_id == order_id))}


def test_a_volunteer_from_outside_the_roster_is_added_to_the_completion(world):
    with db.write_session(world.url) as s:
        helper = volunteers.create(s, actor=world.town.manager, name="西村热心人",
                                   phone="13911112222", gender=Gender.female,
                                   site_id=world.town.village_b, registered_on=date(2025, 3, 1))
    order_id, code = world.orders.accepted_a
    at = _tab(world, "lead_a", "accepted", code)
    at.multiselect(key="complete_others").select(helper.id)
    run(at)
    key = f"complete_volunteers_{helper.id}"
    editor = [e for e in at.data_editor if e.key == key]
    assert len(editor) == 1 and list(editor[0].value["name"])[-1] == "西村热心人"
    assert list(editor[0].value["take_part"]) == [False, False, False, True]
    at.number_input(key="complete_default_hours").set_value(3.0)
    submit(at, zh("my_orders.complete"))
    assert _records(world, order_id) == {helper.id: 3.0}


def test_the_lead_corrects_a_completion_the_same_day(world):
    order_id, code = world.orders.completed_a
    before = _records(world, order_id)
    at = _tab(world, "lead_a", "completed", code)
    editor = next(e for e in at.data_editor if e.key.startswith(f"correct_{order_id}_volunteers"))
    assert sum(editor.value["take_part"]) == len(before) == 2   # filled in with the record
    assert at.number_input(key=f"correct_{order_id}_group_elderly").value == 10
    at.number_input(key=f"correct_{order_id}_group_elderly").set_value(25)
    submit(at, zh("complete.correct"))
    assert values(at.error) == [zh("error.required", field=zh("field.reason"))]
    with db.session(world.url) as s:
        assert s.get(WorkOrder, order_id).actual_beneficiaries == 15

    at.text_input(key=f"correct_{order_id}_reason").input("老人人数少记了")
    submit(at, zh("complete.correct"))
    assert values(at.success) == [zh("my_orders.corrected", code=code)]
    with db.session(world.url) as s:
        order = s.get(WorkOrder, order_id)
        last = s.exec(select(OrderEvent).where(OrderEvent.order_id == order_id)
                      .order_by(OrderEvent.id.desc())).first()
    assert (order.status, order.actual_beneficiaries) == (OrderStatus.completed, 30)
    assert (last.action, last.note) == ("correct", "老人人数少记了")
    assert _records(world, order_id) == before
    # The history on the page shows the correction.
    select_code(at, "my_orders_table_completed", code)
    history = next(f.value for f in at.dataframe if "action" in f.value.columns)
    assert list(history["action"])[-1] == zh("action.correct")
    # The reason is stored as typed, the totals as figures; the page words them.
    assert last.detail == {"people": [15, 30], "hours": [5, 5], "volunteers": [2, 2]}
    assert list(history["note"])[-1] == zh(
        "orders.correction_note", reason="老人人数少记了", people_before=15, people_after=30,
        hours_before="5", hours_after="5", volunteers_before=2, volunteers_after=2)
    assert "15→30" in list(history["note"])[-1]


def test_another_lead_is_not_offered_a_correction(world):
    order_id, _ = world.orders.completed_a
    with db.write_session(world.url) as s:   # team B's lead cannot even open team A's order
        assert completions.correctable_until(s, actor=world.town.lead_b, order_id=order_id) is None
    at = goto(open_app(world.town.lead_b), "my_orders.py")
    at.segmented_control(key="my_orders_tab").set_value("completed")
    run(at)
    assert not [e for e in at.data_editor if (e.key or "").startswith("correct_")]
    assert not [f for f in at.dataframe if "DD-" in str(getattr(f, "value", ""))]


def _card_button(at, order_id):
    found = [b for b in at.button if b.key and b.key.endswith(f"__card_{order_id}")]
    assert len(found) == 1, [b.key for b in at.button]
    return found[0]


def test_on_a_phone_a_card_picks_the_order_and_a_table_pick_afterwards_wins(world):
    """我的工单 draws a card per order beside the table (the screen width decides which one the
    browser shows): a card's button opens that order, a later pick in the table wins again."""
    (waiting_id, waiting), (working_id, working) = (world.orders.dispatched_a,
                                                    world.orders.accepted_a)
    at = goto(open_app(world.town.lead_a), "my_orders.py")
    assert at.subheader == [] or waiting not in at.subheader[0].value
    card = _card_button(at, waiting_id)
    assert card.label == zh("lead_cards.pick")
    card.click()
    run(at)
    assert at.subheader[0].value.startswith(waiting)
    assert _card_button(at, waiting_id).label == zh("lead_cards.picked")
    submit(at, zh("my_orders.accept"))
    with db.session(world.url) as s:
        assert s.get(WorkOrder, waiting_id).status == OrderStatus.accepted
    at.segmented_control(key="my_orders_tab").set_value("accepted")
    run(at)
    _card_button(at, waiting_id).click()
    run(at)
    assert at.subheader[0].value.startswith(waiting)
    select_code(at, "my_orders_table_accepted", working)
    assert at.subheader[0].value.startswith(working)
    assert _card_button(at, waiting_id).label == zh("lead_cards.pick")
    assert working_id != waiting_id


def test_the_laptop_table_of_my_orders_has_words_for_headers(world):
    """Each column of 我的工单's table is labelled with a word (a column config given as a
    label drew "[object Object]" headers and a React error in the browser, unseen by AppTest's
    values)."""
    at = goto(open_app(world.town.lead_a), "my_orders.py")
    (frame,) = [f for f in at.dataframe if f.key and f.key.startswith("my_orders_table_")]
    columns = json.loads(frame.proto.columns)
    assert {c: columns[c]["label"] for c in ("code", "title", "site", "due_on")} == {
        c: zh(f"orders.col.{c}") for c in ("code", "title", "site", "due_on")}
