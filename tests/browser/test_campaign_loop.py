"""Issue 16's loop from the centre's side, on screen: with 中心审核 switched on (设置), the manager
makes a 学雷锋日 campaign for two 站 and 下发s it; the lead of one 站's team accepts and completes
its order on 我的工单, which then waits for review; the manager approves it on 中心审核; the
resident's progress page (the link of the 服务卡 the manager made from the order's detail) shows
it done, with the 完成 step's date, and offers the rating, on a phone; the campaign's progress
table still shows the other 站's order open. Every screen: no English, no traceback, nothing
wider than the window; screenshots (1366 px, the progress page 390 px) go to REVIEW_SHOTS."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

pytest.importorskip("playwright.sync_api",
                    reason="playwright not installed: pip install -r requirements-dev.txt")

from playwright.sync_api import expect  # noqa: E402

from core import db  # noqa: E402
from models import Campaign, CampaignTarget, OrderEvent, ProgressToken, Site, WorkOrder  # noqa: E402
from services import settings as settings_service  # noqa: E402
from services.clock import local_today  # noqa: E402
from tests.browser.app_ui import UI, english_on_screen, too_wide  # noqa: E402
from tests.browser.test_contacts_and_duty import _type_date  # noqa: E402
from tests.browser.test_new_town import LAPTOP, choose_many, follow, go  # noqa: E402
from tests.browser.test_progress_link import PHONE  # noqa: E402

TITLE = "学雷锋日志愿服务"
# The two 站 of the factories' town, each with the team its order is dispatched to directly.
TARGETS = (("东村", "宣讲支队（青山镇）", 20), ("西村", "健康支队（青山镇）", 15))
DONE_VILLAGE, OPEN_VILLAGE = "东村", "西村"
STAMP = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
ABOUT = "3月5日学雷锋纪念日，各村开展志愿服务。"
NAMES = "MGR LEAD_A"   # the factories' display names: user data, in Latin letters


def _screen(ui: UI, name: str, *, tables_fit: bool = True, data: str = "") -> None:
    """What a user sees is in Chinese, whole and fits the window; a screenshot for review.
    `data`: Latin letters on the screen that are data (a link)."""
    ui.no_app_error()
    ui.page.mouse.move(1, 1)   # no tooltip left over the screen by the last click
    assert english_on_screen(ui.page, f"{NAMES} {data}") == set(), name
    problems = too_wide(ui.page)
    if not tables_fit:   # a wide table scrolls inside itself; the page must still fit
        problems = [p for p in problems if not p.startswith(("table columns cut", "cut:"))]
    assert problems == [], name
    ui.shot(f"campaign_loop_{name}", review=True)


def _campaign_orders(db_url: str) -> dict[str, WorkOrder]:
    """The campaign's orders by the name of their 站."""
    with db.session(db_url) as s:
        rows = s.exec(select(Site.name, WorkOrder)
                      .join(CampaignTarget, CampaignTarget.order_id == WorkOrder.id)
                      .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
                      .join(Site, Site.id == CampaignTarget.site_id)
                      .where(Campaign.title == TITLE)).all()
    return dict(rows)


def _status(db_url: str, village: str) -> str | None:
    order = _campaign_orders(db_url).get(village)
    return order.status.value if order else None


def _still(db_url: str, village: str, status: str | None):
    """For UI.submit: the village's campaign order is still in `status` (None: none yet)."""
    return lambda: _status(db_url, village) == status


def _today(db_url: str):
    with db.session(db_url) as s:
        return local_today(db.utcnow(), settings_service.current(s)["timezone"])


def _review_switched_on(manager: UI) -> None:
    """设置 → 中心审核: tick 开启中心审核 and save, as a manager does."""
    page = manager.page
    go(manager, "设置")
    box = page.get_by_role("checkbox", name="开启中心审核")
    expect(box).not_to_be_checked()   # off by default
    box.scroll_into_view_if_needed()
    page.get_by_text("开启中心审核", exact=True).click()
    expect(box).to_be_checked()

    def unchanged() -> bool:
        with db.session(manager.server.db_url) as s:
            return settings_service.current(s)["review_required"] == 0

    manager.submit(page.get_by_test_id("stForm").get_by_role("button", name="保存", exact=True),
                   page.get_by_text("已保存。", exact=True), unchanged)
    expect(box).to_be_checked()
    box.scroll_into_view_if_needed()
    _screen(manager, "1_review_on")
    assert not unchanged()


def _campaign_made(manager: UI) -> None:
    """中心制单 → 新建中心制单: 学雷锋日 for 东村 and 西村, each with its team; saved, then
    picked in the list and 下发 after the confirmation tick."""
    page, db_url = manager.page, manager.server.db_url
    go(manager, "中心制单")
    expect(page.get_by_text(re.compile("^还没有中心制单"))).to_be_visible()   # the empty state
    title = page.get_by_label("标题", exact=True)
    manager.retry(page.get_by_test_id("stMain").get_by_text("新建中心制单", exact=True).click,
           title)
    title.fill(TITLE)
    title.press("Tab")
    manager.settled()
    expect(title).to_have_value(TITLE)
    manager.choose("服务类别", re.compile("^理论宣讲$"))
    manager.settled()
    about = page.get_by_label("活动内容", exact=True)
    about.fill(ABOUT)
    about.press("Tab")
    manager.settled()
    expect(about).to_have_value(ABOUT)
    _type_date(page.get_by_role("group", name="开始日期"), _today(db_url))
    manager.settled()
    def target_row(village: str):   # the 站's line under the 下发所/站 box: team, expected
        return page.get_by_test_id("stHorizontalBlock").filter(
            has=page.get_by_text(village, exact=True)).filter(
            has=page.get_by_role("combobox", name="志愿服务队", exact=True))

    for village, _team, _n in TARGETS:
        manager.retry(lambda v=village: choose_many(manager, "下发所/站", v), target_row(village))
    for village, team, expected in TARGETS:
        row = target_row(village)
        expect(row).to_have_count(1)
        manager.choose("志愿服务队", re.compile(f"^{re.escape(team)}$"), within=row)
        manager.settled()
        number = row.get_by_label("预计受益群众", exact=True)
        number.fill(str(expected))
        number.press("Tab")
        manager.settled()
        expect(number).to_have_value(str(expected))
    _screen(manager, "2_campaign_form")
    with db.session(db_url) as s:
        before = len(s.exec(select(Campaign.id)).all())
    manager.submit(page.get_by_role("button", name="保存中心制单", exact=True),
                   page.get_by_text(f"已保存「{TITLE}」（2 个下发对象）。", exact=False),
                   lambda: len(_all_campaigns(db_url)) == before)

    # back on the list: the draft, picked, shows its targets and the 下发 form
    _open_campaign(manager)
    expect(page.get_by_text("尚未下发：下发后将为 2 个对象各生成一张工单。")).to_be_visible()
    manager.settled()
    form = page.get_by_test_id("stForm").filter(has_text="确认下发")
    form.get_by_text(re.compile("^确认下发：为 2 个对象")).click()
    expect(form.get_by_role("checkbox")).to_be_checked()
    manager.submit(form.get_by_role("button", name="下发", exact=True),
                   page.get_by_text(f"「{TITLE}」已下发，生成 2 张工单。"),
                   _still(db_url, DONE_VILLAGE, None))
    _open_campaign(manager)   # a save unpicks the lists' rows
    expect(page.get_by_text(re.compile(r"^MGR 于 \d{4}-\d{2}-\d{2} .*下发。$"))).to_be_visible()
    _screen(manager, "3_campaign_issued", tables_fit=False)
    made = _campaign_orders(db_url)
    assert sorted(made) == sorted(v for v, _t, _n in TARGETS)
    assert {o.source.value for o in made.values()} == {"campaign"}
    assert {o.status.value for o in made.values()} == {"dispatched"}


def _open_campaign(manager: UI) -> None:
    """The campaign's detail under the list: its row picked, unless it is picked already."""
    manager.settled()
    heading = manager.page.get_by_role("heading", name=TITLE)
    if heading.count() == 0:
        manager.retry(lambda: manager.pick_row(TITLE), heading)


def _all_campaigns(db_url: str) -> list[int]:
    with db.session(db_url) as s:
        return list(s.exec(select(Campaign.id)).all())


def _service_card(manager: UI, code: str) -> str:
    """工单 → the order's detail → 服务卡（办理进度） → 制作服务卡; the link under the QR code."""
    page = manager.page
    go(manager, "工单")
    manager.retry(lambda: manager.pick_row(code),
           page.get_by_role("heading", name=f"{code} · 已派单"))
    make = page.get_by_role("button", name="制作服务卡")
    manager.retry(page.get_by_text("服务卡（办理进度）", exact=True).click, make)
    link = page.get_by_test_id("stCode").filter(has_text="?progress=")

    def no_card() -> bool:
        with db.session(manager.server.db_url) as s:
            order_id = s.exec(select(WorkOrder.id).where(WorkOrder.code == code)).one()
            return not s.exec(select(ProgressToken.id)
                              .where(ProgressToken.order_id == order_id)).all()

    manager.submit(make, link, no_card)
    assert not no_card()
    url = link.inner_text().strip()
    _screen(manager, "4_service_card", data=url)
    assert url.startswith(f"{manager.server.url}/?progress=") and len(url.split("=", 1)[1]) == 43
    return url


def _lead_completes(lead: UI, code: str) -> None:
    """我的工单: 接单 under 待接单, then 完成 under 进行中 — which, with review on, submits it."""
    page, db_url = lead.page, lead.server.db_url
    lead.retry(lambda: lead.pick_row(code), page.get_by_role("heading", name=f"{code} · 已派单"))
    lead.submit(page.get_by_test_id("stForm").filter(has_text="计划服务日期").get_by_role(
        "button", name="接单", exact=True), page.get_by_text(f"已接单：{code}。"),
        _still(db_url, DONE_VILLAGE, "dispatched"))
    _tab(lead, "进行中", code)
    form = page.get_by_test_id("stForm").filter(has_text="填写完成情况")
    lead.retry(lambda: lead.pick_row(code), form)
    lead.tick_first_cell("志愿者0")
    form.get_by_label("老人", exact=True).fill("18")
    form.get_by_label("服务情况", exact=True).fill("学雷锋日在村文化礼堂宣讲一场")
    form.scroll_into_view_if_needed()
    _screen(lead, "5_completion_form", tables_fit=False)
    lead.submit(form.get_by_role("button", name="完成", exact=True),
                page.get_by_text(f"工单 {code} 的完成情况已提交，等待中心审核。"),
                _still(db_url, DONE_VILLAGE, "accepted"))
    lead.no_app_error()
    assert _status(db_url, DONE_VILLAGE) == "in_review"


def _tab(lead: UI, name: str, code: str) -> None:
    """我的工单's 待接单 / 进行中 / 已完成, until the order's row shows in its table."""
    page = lead.page
    cell = page.locator('td[role="gridcell"]').filter(has_text=re.compile(f"^{re.escape(code)}$"))
    table = page.get_by_test_id("stDataFrame").filter(has=cell)   # the cell itself is hidden
    lead.retry(page.get_by_test_id("stMain").get_by_text(name, exact=True).click, table)


def _progress_page(resident: UI, url: str):
    resident.page.goto(url)
    expect(resident.page.get_by_role("heading", name="办理进度")).to_be_visible()
    expect(resident.page.get_by_text(TITLE, exact=True)).to_be_visible()
    resident.settled()
    return resident.page


def test_a_campaign_goes_down_is_done_approved_and_shown_to_the_resident(fresh_server, open_ui):
    db_url = fresh_server.db_url
    manager = open_ui(fresh_server)
    manager.page.set_viewport_size(LAPTOP)
    manager.goto("/")
    manager.login("mgr")
    _review_switched_on(manager)
    _campaign_made(manager)
    made = _campaign_orders(db_url)
    done_code, open_code = made[DONE_VILLAGE].code, made[OPEN_VILLAGE].code
    url = _service_card(manager, done_code)

    # 宣讲支队's lead (东村's team) finds the order dispatched to them and completes it
    lead = open_ui(fresh_server)
    lead.page.set_viewport_size(LAPTOP)
    lead.goto("/my_orders")
    lead.login("lead_a", cookie=False)
    expect(lead.page.get_by_text(open_code)).to_have_count(0)   # 西村's goes to 健康支队
    _lead_completes(lead, done_code)
    page = lead.page
    _tab(lead, "已完成", done_code)
    lead.retry(lambda: lead.pick_row(done_code),
           page.get_by_text("完成情况已提交，等待中心审核；审核通过后计入统计和积分。"))
    expect(page.get_by_role("heading", name=f"{done_code} · 待审核")).to_be_visible()
    _screen(lead, "6_lead_waiting_for_review", tables_fit=False)

    # while it waits, the resident's page shows it under review, not done, and no rating
    resident = open_ui(fresh_server)
    resident.page.set_viewport_size(PHONE)
    page = _progress_page(resident, url)
    expect(page.get_by_text("当前状态：待审核", exact=False)).to_be_visible()
    expect(page.get_by_text("完成 · 尚未进行")).to_be_visible()
    expect(page.get_by_text("服务已完成，请您评价")).to_have_count(0)
    _screen(resident, "7_phone_progress_waiting")

    # 中心审核: the manager reads the report and approves it
    page = manager.page
    follow(manager, page.get_by_test_id("stSidebarNav").get_by_role(
        "link", name=re.compile(r"^中心审核")), "中心审核")
    # the report's card: the innermost block holding its code and its buttons
    card = page.get_by_test_id("stVerticalBlock").filter(
        has=page.get_by_role("heading", name=done_code, exact=True)).filter(
        has=page.get_by_role("button", name="审核通过", exact=True)).last
    expect(card).to_be_visible()
    expect(card).to_contain_text("宣讲支队")
    expect(card).to_contain_text("学雷锋日在村文化礼堂宣讲一场")
    expect(page.get_by_role("heading", name=open_code)).to_have_count(0)   # never submitted
    _screen(manager, "8_review_queue", tables_fit=False)
    approved = f"工单 {done_code} 审核通过，已计入统计，服务时长和积分已记录。"
    manager.submit(card.get_by_role("button", name="审核通过", exact=True),
                   page.get_by_text(approved),
                   _still(db_url, DONE_VILLAGE, "in_review"))
    expect(page.get_by_text("目前没有等待审核的完成情况。")).to_be_visible()
    _screen(manager, "9_approved")
    assert _status(db_url, DONE_VILLAGE) == "completed"

    # the resident's page, on a phone: done, the 完成 step dated, and the rating offered
    page = _progress_page(resident, url)
    expect(page.get_by_text("当前状态：已完成", exact=False)).to_be_visible()
    today = _today(db_url).isoformat()
    for step in ("点单", "派单", "接单", "完成"):
        expect(page.get_by_text(re.compile(f"{step} · {STAMP}$"))).to_be_visible()
    expect(page.get_by_text(re.compile(f"完成 · {today} "))).to_be_visible()
    expect(page.get_by_text("评单 · 尚未进行")).to_be_visible()
    expect(page.get_by_role("heading", name="服务已完成，请您评价")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("非常满意"))).to_be_visible()
    expect(page.get_by_role("button", name="提交评价")).to_be_visible()
    for secret in ("宣讲支队", "LEAD_A", "MGR", "志愿者0"):
        expect(page.get_by_text(secret)).to_have_count(0)
    _screen(resident, "10_phone_progress_done")

    # the campaign page: 东村 done with its numbers, 西村 still open with 健康支队
    page = manager.page
    go(manager, "中心制单")
    _open_campaign(manager)
    table = page.get_by_test_id("stDataFrame").filter(has_text=open_code)
    expect(table).to_have_count(1)
    done_row = table.locator('tr[role="row"]').filter(has_text=done_code)
    open_row = table.locator('tr[role="row"]').filter(has_text=open_code)
    expect(done_row).to_contain_text("已完成")
    expect(done_row).to_contain_text("18")
    expect(open_row).to_contain_text("已派单")
    expect(open_row).to_contain_text("健康支队")
    expect(page.get_by_test_id("stMetric").filter(has_text="已完成")).to_contain_text("1 / 2")
    _screen(manager, "11_campaign_progress", tables_fit=False)

    orders = _campaign_orders(db_url)
    assert orders[OPEN_VILLAGE].status.value == "dispatched"
    assert orders[DONE_VILLAGE].actual_beneficiaries == 18
    with db.session(db_url) as s:
        actions = s.exec(select(OrderEvent.action).where(
            OrderEvent.order_id == orders[DONE_VILLAGE].id).order_by(OrderEvent.id)).all()
    assert list(actions) == ["place", "dispatch", "accept", "submit", "approve"]
