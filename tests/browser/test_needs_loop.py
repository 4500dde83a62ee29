"""点单 from the doorstep: the officer records a survey with two needs on 需求调查, the manager
turns one of them into an order from the 群众需求 board."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from models import Need, Survey, WorkOrder  # noqa: E402

RESPONDENT = "浏览器测试户"
FIRST, SECOND = "想听防诈骗讲座（浏览器）", "想看露天电影（浏览器）"


def _needs(server) -> list[Need]:
    with db.session(server.db_url) as s:
        return list(s.exec(select(Need).join(Survey).where(Survey.respondent == RESPONDENT)
                           .order_by(Need.id)))


def test_the_officer_records_two_needs_and_the_manager_orders_one_from_the_board(open_ui):
    officer = open_ui()
    page = officer.goto("/surveys")
    officer.login("off", cookie=False)
    expect(page.get_by_role("heading", name="需求调查", exact=True)).to_be_visible()
    page.get_by_label("受访对象", exact=True).fill(RESPONDENT)
    page.get_by_label("受访对象", exact=True).press("Enter")
    officer.settled()
    texts = page.get_by_label("需求内容", exact=True)
    texts.first.fill(FIRST)
    texts.first.press("Enter")
    officer.settled()
    page.get_by_role("button", name="添加一条需求").click()
    expect(texts).to_have_count(2)
    officer.settled()
    page.get_by_test_id("stMain").get_by_text("最想看", exact=True).nth(1).click()
    officer.settled()
    texts.nth(1).fill(SECOND)
    texts.nth(1).press("Enter")
    officer.settled()
    officer.shot("needs_1_survey_form", review=True)
    officer.submit(page.get_by_role("button", name="保存调查"),
                   page.get_by_text("已保存需求调查，共 2 条群众需求。"),
                   lambda: not _needs(officer.server))
    officer.no_app_error()
    saved = _needs(officer.server)
    assert [(n.text, n.priority.value) for n in saved] == [(FIRST, "hear"), (SECOND, "see")]

    manager = open_ui()
    page = manager.goto("/needs")
    manager.login("mgr", cookie=False)
    expect(page.get_by_role("heading", name="群众需求", exact=True)).to_be_visible()
    manager.pick_row(FIRST)
    form = page.get_by_test_id("stForm").filter(has_text="为所选 1 条群众需求点单")
    expect(form).to_be_visible()
    expect(form.get_by_label("标题", exact=True)).to_have_value(FIRST)
    manager.settled()
    manager.shot("needs_2_board_order_form", review=True)
    placed = page.get_by_text(re.compile(r"已点单，工单编号 DD-\d{4}-\d{6}，合并 1 条群众需求。"))
    manager.submit(form.get_by_role("button", name="点单", exact=True), placed,
                   lambda: _needs(manager.server)[0].order_id is None)
    manager.no_app_error()
    manager.shot("needs_3_ordered", review=True)
    first, second = _needs(manager.server)
    with db.session(manager.server.db_url) as s:
        order = s.get(WorkOrder, first.order_id)
    assert (order.title, order.source.value, order.status.value) == (FIRST, "survey", "submitted")
    assert second.order_id is None
