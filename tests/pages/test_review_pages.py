"""中心审核 driven through its widgets: the manager switches it on under 设置, the lead's 完成
waits for review, the manager returns it without a reason (refused in words), with one (the
lead reads it and submits again), then approves it; the page says so when review is off, and
only managers reach it."""

from __future__ import annotations

from sqlmodel import select

from core import db
from models import OrderEvent, OrderStatus, PointsEntry, ServiceRecord, WorkOrder
from services import settings as settings_service
from tests.pages.conftest import goto, open_app, page_alone, run, select_code, submit, values, zh


def _order(world, order_id) -> WorkOrder:
    with db.session(world.url) as s:
        return s.get(WorkOrder, order_id)


def _review_on(world):
    with db.write_session(world.url) as s:
        settings_service.update(s, actor=world.town.manager, values={"review_required": 1})


def _lead_completes(world):
    at = goto(open_app(world.town.lead_a), "my_orders.py")
    at.segmented_control(key="my_orders_tab").set_value("accepted")
    run(at)
    at = select_code(at, "my_orders_table_accepted", world.orders.accepted_a[1])
    at.session_state["complete_volunteers"] = {
        "edited_rows": {0: {"take_part": True}, 2: {"take_part": True, "hours": 3.5}},
        "added_rows": [], "deleted_rows": []}
    at.number_input(key="complete_group_elderly").set_value(12)
    submit(at, zh("my_orders.complete"))
    return at


def _button(at, label):
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, [b.label for b in at.button]
    return found[0]


def _reason_box(at):
    found = [w for w in at.text_area if w.label == zh("review.return_reason")]
    assert len(found) == 1
    return found[0]


def test_the_settings_page_switches_review_on_with_a_tick(world):
    at = goto(open_app(world.town.manager), "settings.py")
    box = at.checkbox(key="set_review_required")
    assert box.label == zh("settings.label.review_required") and box.value is False
    box.check()
    submit(at, zh("common.save"))
    assert not at.exception
    with db.session(world.url) as s:
        assert settings_service.current(s)["review_required"] == 1


def test_with_review_off_the_page_says_so_and_where_to_turn_it_on(world):
    at = goto(open_app(world.town.manager), "review.py")
    assert not at.exception
    assert values(at.info) == [zh("review.off")]
    assert _order(world, world.orders.accepted_a[0]).status == OrderStatus.accepted


def test_a_report_is_returned_with_a_reason_resubmitted_and_approved(world):
    _review_on(world)
    order_id, code = world.orders.accepted_a
    lead = _lead_completes(world)
    assert values(lead.success) == [zh("review.submitted", code=code)]
    assert _order(world, order_id).status == OrderStatus.in_review

    at = goto(open_app(world.town.manager), "review.py")
    assert not at.exception
    assert code in [h.value for h in at.subheader]
    assert [t.value for t in at.text if t.value == "进行中的宣讲"]
    crew = next(f.value for f in at.dataframe if "hours" in f.value.columns)
    assert sorted(crew["hours"]) == [2.0, 3.5]

    submit(at, zh("review.send_back"))  # no reason: refused in words, nothing written
    assert zh("error.required", field=zh("field.return_reason")) in values(at.error)
    assert _order(world, order_id).status == OrderStatus.in_review
    _reason_box(at).input("受益人数与签到表不符")
    submit(at, zh("review.send_back"))
    assert values(at.success) == [zh("review.sent_back", code=code)]
    assert values(at.info) == [zh("review.empty")]
    assert _order(world, order_id).status == OrderStatus.accepted

    lead = goto(open_app(world.town.lead_a), "my_orders.py")
    lead.segmented_control(key="my_orders_tab").set_value("accepted")
    run(lead)
    lead = select_code(lead, "my_orders_table_accepted", code)
    assert zh("review.returned_notice", n=1) in values(lead.warning)
    assert "受益人数与签到表不符" in [t.value for t in lead.text]
    # the form starts with the report that was sent back, to be corrected
    assert lead.number_input(key="complete_group_elderly").value == 12
    editor = next(e for e in lead.data_editor if e.key == "complete_volunteers")
    assert list(editor.value["take_part"]) == [True, False, True]
    _lead_completes(world)

    at = goto(open_app(world.town.manager), "review.py")
    assert zh("review.returned_before", n=1) in values(at.warning)
    _button(at, zh("review.approve")).click()
    run(at)
    assert not at.exception
    assert values(at.success) == [zh("review.approved", code=code)]
    order = _order(world, order_id)
    assert (order.status, order.actual_beneficiaries) == (OrderStatus.completed, 12)
    with db.session(world.url) as s:
        for model in (ServiceRecord, PointsEntry):
            assert len(s.exec(select(model).where(model.order_id == order_id)).all()) == 2
        actions = s.exec(select(OrderEvent.action).where(OrderEvent.order_id == order_id)
                         .order_by(OrderEvent.id)).all()
    assert actions[-4:] == ["submit", "send_back", "submit", "approve"]


def test_a_decision_already_taken_by_another_manager_is_told_not_written(world):
    from services import review

    _review_on(world)
    order_id, code = world.orders.accepted_a
    _lead_completes(world)
    at = goto(open_app(world.town.manager), "review.py")
    with db.write_session(world.url) as s:  # another manager's session decides first
        review.send_back(s, actor=world.town.manager, order_id=order_id, reason="请补充照片")
    _button(at, zh("review.approve")).click()
    run(at)
    assert not at.exception
    assert len(at.error) == 1 and code in at.error[0].value
    assert _order(world, order_id).status == OrderStatus.accepted


def test_only_managers_reach_the_review_page(world):
    _review_on(world)
    for who in ("lead_a", "officer", "leader"):
        at = page_alone("review.py", getattr(world.town, who))
        assert not at.exception
        assert not [h for h in at.title if h.value == zh("review.title")]


def test_the_status_chart_has_a_colour_for_every_status():
    from models import STATUS_ORDER
    from ui.charts import STATUS_COLOURS

    assert len(STATUS_COLOURS) == len(STATUS_ORDER) == len(set(STATUS_COLOURS))
