"""A resident on a phone follows their order from the 服务卡: the card's QR code (read from the
card as Chromium draws it) is the progress link; the page shows the steps with their times and
nothing personal, takes one 催单 and, opened again the same day, offers no second one. What
AppTest cannot see: the real URL with its query string, the QR code as pixels, a phone-sized
screen, and a second visit as a new browser session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")
zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp not installed: "
                               "pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from models import OrderEvent, WorkOrder  # noqa: E402
from services import orders, users  # noqa: E402
from tests.browser.app_ui import english_on_screen, too_wide  # noqa: E402
from tests.browser.test_paper import decode_qr  # noqa: E402

PHONE = {"width": 390, "height": 844}
TITLE = "帮独居老人修理水管"


def _card_from_the_order_screen(ui, tmp_path) -> str:
    """The officer places the order on 工单 → 点单 with 同时制作服务卡 ticked and downloads the
    card; the QR code read from the card as Chromium draws it is the link."""
    page = ui.goto("/")
    ui.login("off")
    ui.goto("/orders")
    expect(page.get_by_role("heading", name="工单", exact=True)).to_be_visible()
    ui.settled()
    page.get_by_role("tab", name="点单", exact=True).click()
    ui.choose("服务类别", re.compile("^理论宣讲$"))
    ui.choose("站点", re.compile("^东村$"))
    page.get_by_label("标题", exact=True).fill(TITLE)
    ui.choose("来源", re.compile("^电话$"))
    page.get_by_label("联系人姓名", exact=True).fill("李奶奶")
    page.get_by_label("联系电话", exact=True).fill("13900001111")
    page.get_by_text("同时制作服务卡", exact=False).click()
    page.get_by_test_id("stForm").get_by_role("button", name="点单", exact=True).click()
    expect(page.get_by_text(re.compile(r"已点单，工单编号 DD-\d{4}-\d{6}"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"工单 DD-\d{4}-\d{6} 的服务卡"))).to_be_visible()
    ui.settled()
    ui.shot("progress_card_on_place")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载服务卡（打印）").click()
    card = tmp_path / "service-card.html"
    download.value.save_as(card)
    sheet = ui.context.new_page()
    try:
        sheet.goto(card.as_uri())
        expect(sheet.get_by_text(TITLE)).to_be_visible()
        assert "李奶奶" not in sheet.content() and "13900001111" not in sheet.content()
        return decode_qr(sheet.locator("svg").screenshot())
    finally:
        sheet.close()


def _make_it_late(db_url: str) -> int:
    """The order as if placed three days ago and dispatched then, never accepted (late: 接单)."""
    past = db.utcnow() - timedelta(days=3)
    with db.write_session(db_url) as s:
        order = s.exec(select(WorkOrder).where(WorkOrder.title == TITLE)).one()
        order.submitted_at = past
        s.add(order)
        s.exec(update(OrderEvent).where(OrderEvent.order_id == order.id).values(at=past))
        s.commit()
        manager = users.actor(s, users.by_username(s, "mgr").id)
        lead = users.actor(s, users.by_username(s, "lead_a").id)
        orders.dispatch(s, actor=manager, order_id=order.id, team_id=lead.team_id,
                        now=past + timedelta(hours=1))
        return order.id


def test_a_resident_follows_the_card_on_a_phone_and_urges_once(chromium, fresh_server, open_ui,
                                                               shots, tmp_path):
    url = _card_from_the_order_screen(open_ui(fresh_server), tmp_path)
    assert url.startswith(f"{fresh_server.url}/?progress=") and len(url.split("=", 1)[1]) == 43
    order_id = _make_it_late(fresh_server.db_url)

    ctx = chromium.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                               is_mobile=True, has_touch=True)
    try:
        page = ctx.new_page()
        page.goto(url)
        expect(page.get_by_text(TITLE, exact=True)).to_be_visible()
        for step in ("点单", "派单"):   # reached, each with its local time
            expect(page.get_by_text(f"{step} · 20", exact=False)).to_be_visible()
        expect(page.get_by_text("接单 · 尚未进行")).to_be_visible()
        expect(page.get_by_text("这张工单已超过办理时限。")).to_be_visible()
        for secret in ("李奶奶", "13900001111", "LEAD_A", "OFF", "MGR", "宣讲支队"):
            expect(page.get_by_text(secret)).to_have_count(0)
        expect(page.get_by_test_id("stSidebar")).to_have_count(0)     # no menu
        urge = page.get_by_role("button", name="催单")
        assert urge.bounding_box()["width"] > PHONE["width"] * 0.8, "a large button"
        assert too_wide(page) == []
        assert english_on_screen(page) == set()
        page.screenshot(path=str(shots / "phone_progress.png"), full_page=True)
        urge.click()
        expect(page.get_by_text("已收到您的催单，工作人员会尽快办理。")).to_be_visible()
        expect(page.get_by_role("button", name="催单")).to_have_count(0)
        page.screenshot(path=str(shots / "phone_progress_urged.png"), full_page=True)

        again = ctx.new_page()   # the same card again, a new browser session, the same day
        again.goto(url)
        expect(again.get_by_text("今天已经催过单了。", exact=False)).to_be_visible()
        expect(again.get_by_role("button", name="催单")).to_have_count(0)
        expect(again.get_by_text("您已催单 1 次", exact=False)).to_be_visible()
    finally:
        ctx.close()
    with db.session(fresh_server.db_url) as s:
        urges = s.exec(select(OrderEvent.actor_id, OrderEvent.detail).where(
            OrderEvent.order_id == order_id, OrderEvent.action == "urge")).all()
    assert [(a, d["by"], d["limit"]) for a, d in urges] == [(None, "resident", "accept")]
