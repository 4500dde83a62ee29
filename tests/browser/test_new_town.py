"""A real town's first hour, through the screens only, from an empty database: the first
manager, villages, a team, its lead, a volunteer, a menu item and one order carried to 评单.
On every screen: no English outside user data (ALLOWED), nothing wider than the viewport; the
team lead works on a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlmodel import select

from core import db
from models import Rating, WorkOrder
from tests.browser.app_ui import UI, WAIT_MS, english_on_screen, too_wide

PASSWORD = "qingshan-2026"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
def check(ui: UI, name: str, *, tables_fit: bool = True, data: str = "") -> None:
    """The screen is in Chinese and fits; a screenshot for the reviewer. `data`: user data on
    the screen (a generated password)."""
    ui.no_app_error()
    ui.settled()
    assert english_on_screen(ui.page, data) == set(), name
    problems = too_wide(ui.page)
    if not tables_fit:
        problems = [p for p in problems if not p.startswith(("table columns cut", "cut:"))]
    assert problems == [], name
    ui.shot(f"town_{name}", review=True)


def follow(ui: UI, link, title: str) -> None:
    """Click a link to a page and wait for its title; a click landing in a rerun (the cookie
    components' after a login) can be lost, so it is clicked once more then."""
    ui.retry(link.click, ui.page.get_by_role("heading", name=title, exact=True))


def go(ui: UI, title: str) -> None:
    follow(ui, ui.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title,
                                                                   exact=True), title)


def choose_many(ui: UI, label: str, option: str) -> None:
    """Pick an option of a st.multiselect (the last one with this label: a filter above a
    form may carry the same word)."""
    box = ui.page.get_by_role("combobox", name=label, exact=True).last
    wanted = ui.page.get_by_role("option", name=option, exact=True)
    # A click that lands while the script reruns can leave the list closed (seen once in CI on
    # a loaded machine): wait for the run to end and open it again, three times at most.
    for attempt in range(3):
        ui.settled()
        box.click()
        try:
            wanted.click(timeout=WAIT_MS // 3)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            ui.page.keyboard.press("Escape")
    ui.page.keyboard.press("Escape")


def submit(ui: UI, button: str, outcome: str, scope=None) -> None:
    (scope or ui.page).get_by_role("button", name=button, exact=True).click()
    expect(ui.page.get_by_text(outcome, exact=True)).to_be_visible()
    ui.settled()


def pick_card(ui: UI, code: str) -> None:
    """Tap the button of the order's card on 我的工单 and wait for its detail."""
    card = ui.page.locator('[class*="st-key-lead_card_"]').filter(has_text=code)
    ui.retry(card.get_by_role("button", name="选择", exact=True).click,
             ui.page.get_by_role("heading", name=re.compile(f"^{re.escape(code)}")))
    expect(card.get_by_role("button", name="已选中，详情在下方", exact=True)).to_be_visible()
    ui.settled()


def sign_in(ui: UI, username: str, password: str, sidebar_name: str) -> None:
    ui.login_form_visible()
    ui.submit_login(username, password)
    expect(ui.page.get_by_text(sidebar_name, exact=True)).to_be_visible()
    ui.quiet()


@pytest.fixture
def laptop(chromium, shots, empty_server):
    ctx = chromium.new_context(viewport=LAPTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(WAIT_MS)
    yield UI(empty_server, ctx, shots)
    ctx.close()


@pytest.fixture
def phone(chromium, shots, empty_server):
    ctx = chromium.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                               is_mobile=True, has_touch=True)
    ctx.set_default_timeout(WAIT_MS)
    yield UI(empty_server, ctx, shots)
    ctx.close()


def test_a_town_is_built_from_an_empty_database_through_the_screens(laptop, phone):
    ui, page = laptop, laptop.page
    # 首次使用: the 所 and the first manager
    ui.goto("/")
    # the first run of a fresh server imports and migrates: slow on a loaded machine
    expect(page.get_by_role("heading", name="首次使用")).to_be_visible(timeout=3 * WAIT_MS)
    check(ui, "0_setup")
    page.get_by_label("中心/所名称", exact=True).fill("青山镇新时代文明实践所")
    page.get_by_label("用户名", exact=True).fill("zhang")
    page.get_by_label("姓名", exact=True).fill("张站长")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码", exact=True).fill(PASSWORD)
    submit(ui, "创建并开始使用", "已创建管理员 zhang，请登录。")
    sign_in(ui, "zhang", PASSWORD, "张站长 · 中心管理员")

    # the first screen is the checklist, nothing ticked
    expect(page.get_by_role("heading", name="开始使用")).to_be_visible()
    check(ui, "1_checklist")

    # 站点: two villages, the form empty after each
    follow(ui, page.get_by_role("link", name="前往「站点」"), "站点")
    for village in ("东村", "西村"):
        page.get_by_label("站点名称", exact=True).fill(village)
        submit(ui, "新增站点", f"已新增站点「{village}」。")
        expect(page.get_by_label("站点名称", exact=True)).to_have_value("")
    check(ui, "2_sites")

    # 志愿服务队: a 总队 (the tier the form offers with no parent)
    go(ui, "志愿服务队")
    expect(page.get_by_role("combobox", name="层级", exact=True)).to_have_value("总队")
    page.get_by_label("队名", exact=True).fill("青山宣讲总队")
    choose_many(ui, "服务类别", "理论宣讲")
    submit(ui, "保存", "已保存志愿服务队「青山宣讲总队」。")
    check(ui, "3_team")

    # 账号: its lead, with a temporary password shown once
    go(ui, "账号")
    page.get_by_label("用户名", exact=True).fill("dui")
    page.get_by_label("姓名", exact=True).fill("王队长")
    ui.choose("角色", re.compile("^队长$"))
    ui.choose("志愿服务队", re.compile("^青山宣讲总队$"))
    submit(ui, "保存", "已新增账号 dui。")
    temporary = page.get_by_test_id("stCode").inner_text().strip()
    check(ui, "4_lead", tables_fit=False, data=temporary)

    # 志愿者: one, in the team
    go(ui, "志愿者")
    page.get_by_label("姓名", exact=True).fill("李四")
    page.get_by_label("手机号", exact=True).fill("13912345678")
    ui.choose("性别", re.compile("^男$"))
    ui.choose("所属站点", re.compile("^东村$"))
    choose_many(ui, "志愿服务队", "青山宣讲总队")
    submit(ui, "保存", "已保存志愿者 李四。")
    check(ui, "5_volunteer", tables_fit=False)

    # 服务菜单: one item the team provides
    go(ui, "服务菜单")
    page.get_by_role("textbox", name="服务项目", exact=True).fill("防诈骗讲座")
    ui.choose("服务类别", re.compile("^理论宣讲$"))
    choose_many(ui, "志愿服务队", "青山宣讲总队")
    submit(ui, "保存", "已保存服务项目「防诈骗讲座」。")
    check(ui, "6_menu", tables_fit=False)

    # 工单 → 点单
    go(ui, "工单")
    page.get_by_role("tab", name="点单", exact=True).click()
    ui.choose("服务类别", re.compile("^理论宣讲$"))
    ui.choose("站点", re.compile("^东村$"))
    ui.choose("服务项目", re.compile("^防诈骗讲座$"))
    page.get_by_label("标题", exact=True).fill("东村防诈骗讲座")
    ui.choose("来源", re.compile("^来访$"))
    page.get_by_test_id("stForm").get_by_role("button", name="点单", exact=True).click()
    placed = page.get_by_text(re.compile(r"已点单，工单编号 DD-\d{4}-\d{6}"))
    expect(placed).to_be_visible()
    code = re.search(r"DD-\d{4}-\d{6}", placed.inner_text()).group(0)
    check(ui, "7_order")

    # the checklist is all ticked
    go(ui, "开始使用")
    expect(page.get_by_text("六步都已完成，可以正式使用了。")).to_be_visible()
    check(ui, "8_checklist_done")

    # 派单 to the team
    go(ui, "派单")
    ui.pick_row(code)
    cards = page.locator('[class*="st-key-rec_"]')
    expect(cards.first).to_contain_text("青山宣讲总队")
    cards.first.get_by_role("button", name="派单", exact=True).click()
    expect(page.get_by_text(f"工单 {code} 已派给 青山宣讲总队。")).to_be_visible()
    check(ui, "9_dispatched", tables_fit=False)

    # the lead, on a phone: own password first, then 接单 and 完成 on 我的工单
    lead = phone
    lead.goto("/")
    sign_in(lead, "dui", temporary, "王队长 · 队长")
    lead.page.get_by_label("原密码", exact=True).fill(temporary)
    lead.page.get_by_label("新密码", exact=True).fill(PASSWORD)
    lead.page.get_by_label("再次输入密码", exact=True).fill(PASSWORD)
    submit(lead, "修改密码", "密码已修改。")
    # on a phone the menu is folded away: open it, then 我的工单 (with its count)
    lead.page.get_by_test_id("stExpandSidebarButton").click()
    follow(lead, lead.page.get_by_test_id("stSidebarNav").get_by_role(
        "link", name=re.compile(r"^我的工单")), "我的工单")
    lead.page.get_by_test_id("stSidebarCollapseButton").click()
    expect(lead.page.get_by_test_id("stSidebarNav")).not_to_be_in_viewport()
    # a card per order on a phone, the table hidden; the card's button opens the order
    expect(lead.page.locator(".st-key-lead_table")).to_be_hidden()
    card = lead.page.locator('[class*="st-key-lead_card_"]').filter(has_text=code)
    expect(card).to_be_visible()
    expect(card).to_contain_text("东村防诈骗讲座")
    expect(card).to_contain_text("东村")
    check(lead, "10_phone_my_orders")
    # the same page on a laptop: the table, no cards (and the table draws: a bad column config
    # shows a React error inside the hidden table on a phone, and nowhere else)
    lead.page.set_viewport_size(LAPTOP)
    expect(lead.page.locator(".st-key-lead_cards")).to_be_hidden()
    expect(lead.page.locator(".st-key-lead_table").get_by_test_id("stDataFrame")).to_be_visible()
    check(lead, "10_laptop_my_orders")
    lead.page.set_viewport_size(PHONE)
    expect(card).to_be_visible()
    pick_card(lead, code)
    lead.page.get_by_test_id("stForm").filter(has_text="计划服务日期").get_by_role(
        "button", name="接单", exact=True).click()
    expect(lead.page.get_by_text(f"已接单：{code}。")).to_be_visible()
    lead.settled()
    lead.pick_view("进行中", card, away="待接单")
    pick_card(lead, code)
    form = lead.page.get_by_test_id("stForm").filter(has_text="填写完成情况")
    expect(form).to_be_visible()
    lead.settled()
    lead.tick_first_cell("李四")
    form.get_by_label("老人", exact=True).fill("12")
    check(lead, "11_phone_done_form", tables_fit=False)
    form.get_by_role("button", name="完成", exact=True).click()
    expect(lead.page.get_by_text(f"工单 {code} 已完成，服务时长和积分已记录。")).to_be_visible()

    # 评单 by the manager, after a call: no level is chosen for them
    go(ui, "评单")
    ui.pick_row(code)
    form = page.get_by_test_id("stForm").filter(has_text="满意度")
    expect(form.get_by_role("radio", name="★★★★ 满意")).not_to_be_checked()
    form.get_by_text("★★★★ 满意", exact=True).click()
    form.get_by_text("回访电话", exact=True).click()
    submit(ui, "保存评价", f"已记录工单 {code} 的评价。", scope=form)
    check(ui, "12_rated", tables_fit=False)

    with db.session(ui.server.db_url) as s:
        order = s.exec(select(WorkOrder).where(WorkOrder.code == code)).one()
        rating = s.exec(select(Rating).where(Rating.order_id == order.id)).one()
    assert (order.status.value, order.actual_beneficiaries, rating.level) == ("rated", 12, 4)
