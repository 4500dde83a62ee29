"""点单 → 派单 → 接单 → 完成 → 评单, clicked through by the four roles in their own browsers."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from models import OrderEvent, Rating, ServiceRecord, Volunteer, WorkOrder  # noqa: E402
from services import settings as settings_service  # noqa: E402
from services.clock import local_today  # noqa: E402
from tests.browser.app_ui import LAST_IN_QUEUE  # noqa: E402

TITLE = "浏览器全流程测试"


def _order(server, title: str = TITLE) -> WorkOrder:
    with db.session(server.db_url) as s:
        return s.exec(select(WorkOrder).where(WorkOrder.title == title)).one()


def _still(server, status: str | None):
    """For UI.submit: is the loop's order still in `status` (None: not placed yet)?"""
    def unchanged() -> bool:
        with db.session(server.db_url) as s:
            order = s.exec(select(WorkOrder).where(WorkOrder.title == TITLE)).first()
        return (order.status.value if order else None) == status
    return unchanged


def _app_today(server):
    """Today where the centre is (the timezone setting), which is what the services check."""
    with db.session(server.db_url) as s:
        return local_today(db.utcnow(), settings_service.current(s)["timezone"])


def test_full_loop_in_the_browser(open_ui):
    # 点单: the officer places an order on 工单 → 点单.
    officer = open_ui()
    page = officer.goto("/orders")
    officer.login("off", cookie=False)
    page.get_by_role("tab", name="点单", exact=True).click()
    # nothing is chosen for the officer: category, village and source are picked
    officer.choose("服务类别", re.compile("^理论宣讲$"))
    officer.choose("站点", re.compile("^东村$"))
    officer.choose("来源", re.compile("^电话$"))
    page.get_by_label("标题", exact=True).fill(TITLE)
    placed = page.get_by_text(re.compile(r"已点单，工单编号 DD-\d{4}-\d{6}"))
    officer.submit(page.get_by_test_id("stForm").get_by_role("button", name="点单", exact=True),
                   placed, _still(officer.server, None))
    code = re.search(r"DD-\d{4}-\d{6}", placed.inner_text()).group(0)
    officer.no_app_error()
    officer.shot("loop_1_placed", review=True)
    assert _order(officer.server).status.value == "submitted"

    # 派单: the manager picks the order in the queue and sends it to 宣讲支队.
    manager = open_ui()
    page = manager.goto("/dispatch")
    manager.login("mgr", cookie=False)
    manager.pick_row(code)
    expect(page.get_by_role("heading", name=f"{code} · 待派单")).to_be_visible()
    manager.settled()
    # The recommendations: 宣讲支队 serves 理论宣讲 and comes first, with its reasons.
    cards = page.locator('[class*="st-key-rec_"]')
    expect(cards.first).to_contain_text("1. 宣讲支队")
    expect(cards.first).to_contain_text("✓ 服务此类别")
    manager.shot("loop_2_recommendations", review=True)
    manager.submit(cards.first.get_by_role("button", name="派单", exact=True),
                   page.get_by_text(f"工单 {code} 已派给 宣讲支队。"),
                   _still(manager.server, "submitted"))
    manager.no_app_error()
    manager.shot("loop_3_dispatched")
    assert _order(manager.server).status.value == "dispatched"

    # 接单: the lead of 宣讲支队 finds it waiting and accepts it.
    lead = open_ui()
    page = lead.goto("/my_orders")
    lead.login("lead_a", cookie=False)
    lead.pick_row(code)
    expect(page.get_by_role("heading", name=f"{code} · 已派单")).to_be_visible()
    lead.settled()
    # The planned date defaults to today where the centre is, whatever the server's clock zone
    # (a UTC server is a day behind Beijing until 08:00, and the service refuses a past date).
    today = _app_today(lead.server)
    planned = page.get_by_role("group", name="计划服务日期")
    for part, value in (("year", today.year), ("month", today.month), ("day", today.day)):
        expect(planned.get_by_role("spinbutton", name=re.compile(f"^{part}"))).to_have_attribute(
            "aria-valuenow", str(value))
    lead.submit(page.get_by_test_id("stForm").filter(has=planned).get_by_role(
        "button", name="接单", exact=True), page.get_by_text(f"已接单：{code}。"),
        _still(lead.server, "dispatched"))
    lead.no_app_error()
    lead.shot("loop_4_accepted", review=True)
    assert _order(lead.server).status.value == "accepted"

    # 完成: under 进行中, tick one volunteer, count the beneficiaries, mark it done.
    lead.pick_view("进行中", lead.grid_cell(code), away="待接单")
    lead.pick_row(code)
    form = page.get_by_test_id("stForm").filter(has_text="填写完成情况")
    expect(form).to_be_visible()
    lead.settled()
    lead.tick_first_cell("志愿者0")
    form.get_by_label("老人", exact=True).fill("12")
    form.get_by_label("服务情况", exact=True).fill("在村文化礼堂宣讲一场")
    form.scroll_into_view_if_needed()
    lead.shot("loop_5_completion_form", review=True)
    lead.submit(form.get_by_role("button", name="完成", exact=True),
                page.get_by_text(f"工单 {code} 已完成，服务时长和积分已记录。"),
                _still(lead.server, "accepted"))
    lead.no_app_error()
    lead.shot("loop_6_completed")
    order = _order(lead.server)
    assert order.status.value == "completed"
    assert order.actual_beneficiaries == 12
    with db.session(lead.server.db_url) as s:
        served = s.exec(select(Volunteer.name, ServiceRecord.hours).join(Volunteer)
                        .where(ServiceRecord.order_id == order.id)).all()
    assert [(name, hours) for name, hours in served] == [("志愿者0", 2.0)]

    # The manager finds it done on 工单, with its hours and beneficiaries.
    page = manager.page
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="工单").click()
    expect(page.get_by_role("heading", name="工单", exact=True)).to_be_visible()
    manager.pick_row(code)
    expect(page.get_by_role("heading", name=f"{code} · 已完成")).to_be_visible()
    expect(page.get_by_text("合计 2 小时，1 人", exact=True)).to_be_visible()
    expect(page.get_by_text("老人 12", exact=True)).to_be_visible()
    manager.no_app_error()
    manager.shot("loop_6b_manager_sees_done", review=True)

    # 评单: back to the officer's browser, who records a 满意 rating from a visit.
    page = officer.page
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="评单").click()
    expect(page.get_by_role("heading", name="评单", exact=True)).to_be_visible()
    officer.pick_row(code)
    form = page.get_by_test_id("stForm").filter(has_text="满意度")
    expect(form).to_be_visible()
    officer.settled()
    form.get_by_text("★★★★ 满意", exact=True).click()
    form.get_by_text("当面评价", exact=True).click()
    form.get_by_label("群众意见", exact=True).fill("讲得好")
    expect(form.get_by_role("radio", name="★★★★ 满意")).to_be_checked()
    officer.submit(form.get_by_role("button", name="保存评价", exact=True),
                   page.get_by_text(f"已记录工单 {code} 的评价。"),
                   _still(officer.server, "completed"))
    officer.no_app_error()
    officer.shot("loop_7_rated", review=True)

    order = _order(officer.server)
    assert order.status.value == "rated"
    with db.session(officer.server.db_url) as s:
        actions = s.exec(select(OrderEvent.action).where(OrderEvent.order_id == order.id)
                         .order_by(OrderEvent.id)).all()
        rating = s.exec(select(Rating).where(Rating.order_id == order.id)).one()
    assert list(actions) == ["place", "dispatch", "accept", "complete", "rate"]
    assert (rating.level, rating.channel.value, rating.comment) == (4, "in_person", "讲得好")


def test_dispatching_the_last_order_in_the_queue_leaves_a_working_page(ui):
    code = _order(ui.server, LAST_IN_QUEUE).code
    page = ui.goto("/dispatch")
    ui.login("mgr", cookie=False)
    rows = page.get_by_test_id("stDataFrame").first.locator('tbody tr[role="row"]')
    expect(rows.last).to_contain_text(code)   # due latest, so last in the queue
    assert rows.count() >= 2
    ui.pick_row(code)
    expect(page.get_by_role("heading", name=f"{code} · 待派单")).to_be_visible()
    ui.settled()
    page.locator('[class*="st-key-rec_"]').first.get_by_role("button", name="派单").click()
    expect(page.get_by_text(re.compile(f"^工单 {code} 已派给"))).to_be_visible()
    ui.shot("dispatch_last_row", review=True)

    ui.no_app_error()
