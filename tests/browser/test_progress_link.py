"""A resident on a phone follows their order from the 服务卡: the card's QR code (read from the
card as Chromium draws it) is the progress link; the page shows the steps with their times and
nothing personal, takes one 催单 and, opened again the same day, offers no second one. What
AppTest cannot see: the real URL with its query string, the QR code as pixels, a phone-sized
screen, and a second visit as a new browser session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")
zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp not installed: "
                               "pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from models import OrderEvent, OrderSource  # noqa: E402
from services import catalog, orders, progress_links, users  # noqa: E402
from tests.browser.app_ui import english_on_screen, too_wide  # noqa: E402
from tests.browser.test_paper import decode_qr  # noqa: E402
from ui import progress_card  # noqa: E402
from ui.i18n import words_in  # noqa: E402

PHONE = {"width": 390, "height": 844}
TITLE = "帮独居老人修理水管"


def _late_order_card(db_url: str, base: str) -> tuple[int, str]:
    """An order placed three days ago and dispatched, never accepted (late for 接单), and the
    HTML of its 服务卡, made as the app makes it."""
    past = db.utcnow() - timedelta(days=3)
    with db.write_session(db_url) as s:
        def actor(name):
            return users.actor(s, users.by_username(s, name).id)

        officer, manager, lead = actor("off"), actor("mgr"), actor("lead_a")
        order = orders.place(s, actor=officer, site_id=officer.site_id, title=TITLE,
                             category_id=catalog.categories(s)[0].id, source=OrderSource.phone,
                             requester_name="李奶奶", requester_phone="13900001111", now=past)
        orders.dispatch(s, actor=manager, order_id=order.id, team_id=lead.team_id,
                        now=past + timedelta(hours=1))
        issued = progress_links.issue(s, actor=officer, order_id=order.id)
    card = progress_card.card_html(title=TITLE, code=order.code, placed="2026-11-28",
                                   url=progress_links.link(base, issued.token),
                                   until=issued.expires_at.strftime("%Y-%m-%d"))
    return order.id, card


def test_a_resident_follows_the_card_on_a_phone_and_urges_once(chromium, fresh_server, shots,
                                                               tmp_path, monkeypatch):
    monkeypatch.setattr(progress_card, "t", words_in("zh"))
    order_id, card = _late_order_card(fresh_server.db_url, fresh_server.url)
    (tmp_path / "card.html").write_text(card, encoding="utf-8")
    sheet = chromium.new_page()
    try:
        sheet.goto((tmp_path / "card.html").as_uri())
        url = decode_qr(sheet.locator("svg").screenshot())
    finally:
        sheet.close()
    assert url.startswith(f"{fresh_server.url}/?progress=") and len(url.split("=", 1)[1]) == 43

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
