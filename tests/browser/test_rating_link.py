"""A resident on a phone: open the rating link, rate, see thanks; open it again, see the neutral
message. What AppTest cannot see: the real URL with its query string, a phone-sized screen, and a
second visit as a new browser session."""

from __future__ import annotations

import pytest
from sqlmodel import select

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from models import OrderSource, Rating, VolunteerTeam  # noqa: E402
from services import catalog, completions, orders, rating_links, users  # noqa: E402

PHONE = {"width": 390, "height": 844}
TITLE = "手机扫码评价测试"


def _completed_order_link(db_url: str) -> tuple[int, str]:
    """An order of the test town carried to 已完成 through the services, and its rating link."""
    with db.write_session(db_url) as s:
        def actor(name):
            return users.actor(s, users.by_username(s, name).id)

        officer, manager, lead = actor("off"), actor("mgr"), actor("lead_a")
        order = orders.place(s, actor=officer, site_id=officer.site_id, title=TITLE,
                             category_id=catalog.categories(s)[0].id,
                             source=OrderSource.phone, requester_name="李奶奶",
                             requester_phone="13900001111")
        orders.dispatch(s, actor=manager, order_id=order.id, team_id=lead.team_id)
        orders.accept(s, actor=lead, order_id=order.id)
        crew = s.exec(select(VolunteerTeam.volunteer_id)
                      .where(VolunteerTeam.team_id == lead.team_id)).all()
        completions.complete(s, actor=lead, order_id=order.id, done=completions.Completion(
            beneficiaries={"elderly": 3}, hours={crew[0]: 2}))
        issued = rating_links.issue(s, actor=lead, order_id=order.id)
    return order.id, issued.token


def test_a_resident_rates_on_a_phone_and_the_link_then_stops_working(chromium, server, shots):
    order_id, token = _completed_order_link(server.db_url)
    url = f"{server.url}/?rate={token}"
    ctx = chromium.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                               is_mobile=True, has_touch=True)
    try:
        page = ctx.new_page()
        page.goto(url)
        expect(page.get_by_text(TITLE, exact=True)).to_be_visible()
        expect(page.get_by_text("宣讲支队", exact=True)).to_be_visible()
        expect(page.get_by_text("李奶奶")).to_have_count(0)           # no personal data
        expect(page.get_by_text("13900001111")).to_have_count(0)
        expect(page.get_by_test_id("stSidebar")).to_have_count(0)     # no menu
        choice = page.get_by_role("button", name="非常满意")
        box = choice.bounding_box()
        assert box["width"] > PHONE["width"] * 0.8, "a large choice, the width of the phone"
        page.screenshot(path=str(shots / "phone_rating_form.png"), full_page=True)
        choice.click()
        page.get_by_label("想说的话（选填）").fill("志愿者很耐心 <b>谢谢</b>")
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_text("评价已收到，谢谢您！")).to_be_visible()
        page.screenshot(path=str(shots / "phone_rating_thanks.png"), full_page=True)

        with db.session(server.db_url) as s:
            rating = s.exec(select(Rating).where(Rating.order_id == order_id)).one()
        assert (rating.level, rating.comment, rating.channel.value) == (
            5, "志愿者很耐心 <b>谢谢</b>", "qr")

        again = ctx.new_page()   # the same link again, in a new browser session
        again.goto(url)
        expect(again.get_by_text("此评价链接无效或已使用", exact=False)).to_be_visible()
        expect(again.get_by_role("button", name="提交评价")).to_have_count(0)
        again.screenshot(path=str(shots / "phone_rating_used.png"), full_page=True)
    finally:
        ctx.close()
